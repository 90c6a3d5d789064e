"""SQL storage of the audit trail (a mixin of :class:`~minzu_adapters.sql.store.SqlSession`),
the port :class:`~minzu_core.privacy.audit.AuditPort`.

Entries live in ``audit_entries`` (one row per ``seq``), the persons each concerns in
``audit_subjects`` (for "who saw this person's data", PIPL Art. 45) and the chain's head — the
last ``seq`` and hash — in the one row of ``audit_head``. :meth:`AuditStorage.append_audit`
locks that row (``SELECT … FOR UPDATE`` on PostgreSQL and MariaDB; on SQLite a write to it takes
the database's write lock first), chains the drafts after it, inserts them and moves the head,
all in the session's transaction: concurrent transactions append one after the other and the
store holds one chain. The unit of work appends last, just before it commits, so the lock is
held only for the commit itself.

The library never updates or deletes an audit row; revoke ``UPDATE`` and ``DELETE`` on these
tables from the application's database role (see ``docs/privacy.md``) so nobody else can.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, or_, select, update

from minzu_adapters.sql.errors import duplicate
from minzu_adapters.sql.session import SessionCore
from minzu_core.errors import DuplicateError
from minzu_core.privacy.audit import GENESIS_HASH, AuditEntry, AuditQuery, chain_after
from minzu_core.serialization import structure

__all__ = ["AuditStorage", "audit_rows"]

_HEAD_ID = 1

_duplicate_entry = duplicate(
    "审计记录序号重复 (另一个事务同时追加)",
    "an audit entry with this sequence number exists (another transaction appended at once)",
    code="duplicate_audit_entry",
    field="seq",
)

_duplicate_head = duplicate(
    "审计链头已存在", "the audit chain's head exists", code="duplicate_audit_head", field="id"
)


def audit_rows(entry: AuditEntry) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``audit_entries`` row of ``entry`` and its ``audit_subjects`` rows."""
    row = {
        "seq": entry.seq,
        "at": entry.at,
        "actor_id": entry.actor_id,
        "operation": entry.operation.value,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "field_groups": json.dumps(sorted(g.value for g in entry.field_groups)),
        "purpose": entry.purpose,
        "reason": entry.reason,
        "subject_ids": json.dumps(sorted(entry.subject_ids), ensure_ascii=False),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
    persons = set(entry.subject_ids)
    if entry.entity_type == "person":
        persons.add(entry.entity_id)
    return row, [{"seq": entry.seq, "person_id": p} for p in sorted(persons)]


def _entry(row: Any) -> AuditEntry:
    data = dict(row._mapping)
    data["field_groups"] = json.loads(data["field_groups"])
    data["subject_ids"] = json.loads(data["subject_ids"])
    return structure(data, AuditEntry)


class AuditStorage(SessionCore):
    """The audit primitives of :class:`~minzu_adapters.sql.store.SqlSession`."""

    def _lock_head(self) -> tuple[int, str]:
        """Lock the chain's head for this transaction; its ``(seq, hash)`` (``(0,
        GENESIS_HASH)`` for an empty trail)."""
        head = self._t.audit_head
        if self._context.is_sqlite:  # take the write lock before reading the head
            self._run(update(head).where(head.c.id == _HEAD_ID).values(seq=head.c.seq))
        stmt = select(head.c.seq, head.c.hash).where(head.c.id == _HEAD_ID).with_for_update()
        found = self._all(stmt)
        if not found:
            # The first append of a new store creates the head row. Two first appends at once
            # collide on its key: the loser's savepoint rolls back and it reads the winner's row.
            try:
                with self._write(_duplicate_head, several=True) as conn:
                    conn.execute(insert(head), {"id": _HEAD_ID, "seq": 0, "hash": GENESIS_HASH})
            except DuplicateError:
                pass
            found = self._all(stmt)
        row = found[0]
        return int(row.seq), str(row.hash)

    def append_audit(
        self, drafts: Sequence[AuditEntry], *, key: bytes | None = None
    ) -> list[AuditEntry]:
        """Chain ``drafts`` after the last entry, under the head's lock, in this transaction."""
        if not drafts:
            return []
        seq, last_hash = self._lock_head()
        chained = chain_after(drafts, seq, last_hash, key=key)
        entries: list[dict[str, Any]] = []
        subjects: list[dict[str, Any]] = []
        for entry in chained:
            row, persons = audit_rows(entry)
            entries.append(row)
            subjects.extend(persons)
        t = self._t
        with self._write(_duplicate_entry, several=True) as conn:
            conn.execute(insert(t.audit_entries), entries)
            if subjects:
                conn.execute(insert(t.audit_subjects), subjects)
            last = chained[-1]
            conn.execute(
                update(t.audit_head)
                .where(t.audit_head.c.id == _HEAD_ID)
                .values(seq=last.seq, hash=last.hash)
            )
        return chained

    def last_audit_entry(self) -> AuditEntry | None:
        """The entry with the highest ``seq``, or ``None``."""
        a = self._t.audit_entries
        rows = self._all(select(a).order_by(a.c.seq.desc()).limit(1))
        return _entry(rows[0]) if rows else None

    def query_audit_entries(self, query: AuditQuery) -> list[AuditEntry]:
        """The entries matching ``query``, by ``seq``."""
        a, s = self._t.audit_entries, self._t.audit_subjects
        stmt = select(a).where(a.c.seq > query.after_seq)
        if query.person_id is not None:
            about = select(s.c.seq).where(s.c.person_id == query.person_id)
            stmt = stmt.where(
                or_(
                    a.c.seq.in_(about),
                    (a.c.entity_type == "person") & (a.c.entity_id == query.person_id),
                )
            )
        if query.actor_id is not None:
            stmt = stmt.where(a.c.actor_id == query.actor_id)
        if query.start is not None:
            stmt = stmt.where(a.c.at >= query.start)
        if query.end is not None:
            stmt = stmt.where(a.c.at < query.end)
        if query.entity_type is not None:
            stmt = stmt.where(a.c.entity_type == query.entity_type)
        if query.entity_id is not None:
            stmt = stmt.where(a.c.entity_id == query.entity_id)
        stmt = stmt.order_by(a.c.seq)
        return [_entry(row) for row in self._page(stmt, query.limit, 0)]
