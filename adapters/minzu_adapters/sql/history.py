"""SQL storage of the change history (a mixin of :class:`~minzu_adapters.sql.store.SqlSession`):
one ``history`` row per (entity type, entity id, version), the port
:class:`~minzu_core.history.HistoryPort`. With keys, the snapshot is stored encrypted
(:mod:`~minzu_adapters.sql.crypto`)."""

from __future__ import annotations

from typing import Any

import attrs
from sqlalchemy import insert, select

from minzu_adapters.sql.crypto import codec_of
from minzu_adapters.sql.errors import duplicate
from minzu_adapters.sql.session import SessionCore
from minzu_core.history import ChangeRecord
from minzu_core.serialization import structure, unstructure

__all__ = ["HistoryStorage"]

_HISTORY_FIELDS = tuple(f.name for f in attrs.fields(ChangeRecord))

_duplicate_history = duplicate(
    "该实体的此版本变更记录已存在",
    "a history record for this entity version exists",
    code="duplicate_history",
    field="version",
)


class HistoryStorage(SessionCore):
    """The history primitives of :class:`~minzu_adapters.sql.store.SqlSession`."""

    def _history_row(self, record: ChangeRecord) -> dict[str, Any]:
        """The ``history`` row of ``record`` (its snapshot encrypted when the store has keys)."""
        return self._bind(
            self._t.history, codec_of(self._context).encode_history(unstructure(record))
        )

    def append_history(self, record: ChangeRecord) -> None:
        """Append one history record."""
        row = self._history_row(record)
        with self._write(_duplicate_history) as conn:
            conn.execute(insert(self._t.history), row)

    def list_history(self, entity_type: str, entity_id: str) -> list[ChangeRecord]:
        """The history of one entity, ordered by version."""
        h = self._t.history
        stmt = (
            select(h)
            .where(h.c.entity_type == entity_type, h.c.entity_id == entity_id)
            .order_by(h.c.version)
        )
        codec = codec_of(self._context)
        return [
            structure(
                codec.decode_history({n: row._mapping[n] for n in _HISTORY_FIELDS}), ChangeRecord
            )
            for row in self._all(stmt)
        ]
