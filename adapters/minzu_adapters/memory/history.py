"""Memory storage of the change history (变更记录, append-only)."""

from __future__ import annotations

from minzu_adapters.memory.session import DocumentSession, id_kind
from minzu_core.history import ChangeRecord

__all__ = ["HISTORY", "HistoryMemory"]

#: History records, keyed by their id.
HISTORY = id_kind("history", ChangeRecord, "变更记录", "history record")


class HistoryMemory(DocumentSession):
    """The history port on the document layer."""

    def append_history(self, record: ChangeRecord) -> None:
        """Append a history record."""
        self.doc_insert(HISTORY, record)

    def list_history(self, entity_type: str, entity_id: str) -> list[ChangeRecord]:
        """One entity's history by version."""
        return self.doc_query(
            HISTORY,
            lambda r: r.entity_type == entity_type and r.entity_id == entity_id,
            lambda r: r.version,
        )
