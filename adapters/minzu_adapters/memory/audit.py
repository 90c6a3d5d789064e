"""Memory storage of the audit trail (审计日志, append-only), the port
:class:`~minzu_core.privacy.audit.AuditPort`.

A session keeps its drafts until it commits; :meth:`AuditMemory.commit` chains them after the
store's last entry under the store's lock, once the session's other writes were applied, so
concurrent sessions append one after the other and the store holds one chain.
"""

from __future__ import annotations

from collections.abc import Sequence

from minzu_adapters.memory.session import DocumentSession, MemoryState, id_kind
from minzu_core.privacy.audit import GENESIS_HASH, AuditEntry, AuditQuery, chain_after

__all__ = ["AUDIT", "AuditMemory"]

#: Audit entries, keyed by their zero-padded ``seq``.
AUDIT = id_kind(
    "audit", AuditEntry, "审计记录", "audit entry", key=lambda e: f"{e.seq:012d}", key_field="seq"
)


def _head(state: MemoryState) -> tuple[int, str]:
    """The ``(seq, hash)`` of the store's last entry (call under the store's lock)."""
    docs = state.docs[AUDIT.name]
    if not docs:
        return 0, GENESIS_HASH
    last: AuditEntry = docs[next(reversed(docs))]  # entries are put in seq order
    return last.seq, last.hash


class AuditMemory(DocumentSession):
    """The audit port on the document layer."""

    def __init__(self, state: MemoryState) -> None:
        super().__init__(state)
        self._audit_drafts: list[tuple[list[AuditEntry], bytes | None]] = []

    def append_audit(
        self, drafts: Sequence[AuditEntry], *, key: bytes | None = None
    ) -> list[AuditEntry]:
        """Keep ``drafts`` for the commit; return them chained after the entries committed so
        far (their final numbers are given at commit, after anything committed meanwhile)."""
        if not drafts:
            return []
        self._audit_drafts.append((list(drafts), key))
        with self._state.lock:
            seq, last_hash = _head(self._state)
        return chain_after(drafts, seq, last_hash, key=key)

    def commit(self) -> None:
        """Apply the session's writes, then chain its audit drafts after the store's last
        entry, all under the store's lock."""
        state = self._state
        with state.lock:
            super().commit()
            drafts, self._audit_drafts = self._audit_drafts, []
            seq, last_hash = _head(state)
            for batch, key in drafts:
                for entry in chain_after(batch, seq, last_hash, key=key):
                    state.put(AUDIT, AUDIT.key(entry), entry)
                    seq, last_hash = entry.seq, entry.hash

    def rollback(self) -> None:
        """Discard the overlay and the drafts."""
        self._audit_drafts = []
        super().rollback()

    def close(self) -> None:
        """Discard anything uncommitted."""
        self._audit_drafts = []
        super().close()

    def last_audit_entry(self) -> AuditEntry | None:
        """The last committed entry, or ``None``."""
        with self._state.lock:
            docs = self._state.docs[AUDIT.name]
            return docs[next(reversed(docs))] if docs else None

    def query_audit_entries(self, query: AuditQuery) -> list[AuditEntry]:
        """The committed entries matching ``query``, by ``seq``."""
        with self._state.lock:
            docs = self._state.docs[AUDIT.name]
            found = [e for e in docs.values() if e.seq > query.after_seq]  # in seq order
        matching = [e for e in found if query.matches(e)]
        return matching if query.limit is None else matching[: max(query.limit, 0)]
