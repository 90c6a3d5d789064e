"""The shared, append-only event history of every case (``case_events``), for the case mixins
(:mod:`~minzu_adapters.sql.services`, :mod:`~minzu_adapters.sql.disputes`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, Select, Table, func, insert, select

from minzu_core.lifecycle import Event
from minzu_core.serialization import unstructure

if TYPE_CHECKING:
    from minzu_adapters.sql.schema import Tables

__all__ = ["CaseEventStorage"]


class CaseEventStorage:
    """Reading and appending case events; the ``(case_id, seq)`` primary key makes rewriting an
    existing event impossible."""

    if TYPE_CHECKING:
        _t: Tables

        def _all(self, stmt: Select[Any]) -> Sequence[Row[Any]]: ...

        def _bind(
            self, table: Table, data: Mapping[str, Any], field_prefix: str = ""
        ) -> dict[str, Any]: ...

    def _event_rows(
        self, case_type: str, case_id: str, events: Sequence[Event], start: int
    ) -> list[dict[str, Any]]:
        """Rows for ``events[start:]``, numbered from ``start``."""
        return [
            self._bind(
                self._t.case_events,
                {"case_id": case_id, "seq": seq, "case_type": case_type, **unstructure(event)},
                "events.",
            )
            for seq, event in enumerate(events[start:], start=start)
        ]

    def _load_events(self, case_ids: Sequence[str]) -> dict[str, list[Event]]:
        """The events of several cases, in ONE statement, in order."""
        e = self._t.case_events
        found: dict[str, list[Event]] = {i: [] for i in case_ids}
        if not case_ids:
            return found
        stmt = select(e).where(e.c.case_id.in_(list(case_ids))).order_by(e.c.case_id, e.c.seq)
        for row in self._all(stmt):
            m = row._mapping
            found[m["case_id"]].append(
                Event(m["action"], m["at"], m["actor_id"], m["note"], m["data"])
            )
        return found

    def _insert_events(
        self, conn: Connection, case_type: str, case_id: str, events: Sequence[Event]
    ) -> None:
        """Insert every event of a new case."""
        conn.execute(insert(self._t.case_events), self._event_rows(case_type, case_id, events, 0))

    def _append_events(
        self, conn: Connection, case_type: str, case_id: str, events: Sequence[Event]
    ) -> None:
        """Insert the events after the ones already stored (append-only)."""
        e = self._t.case_events
        stored = conn.execute(
            select(func.count()).select_from(e).where(e.c.case_id == case_id)
        ).scalar_one()
        rows = self._event_rows(case_type, case_id, events, int(stored))
        if rows:
            conn.execute(insert(e), rows)
