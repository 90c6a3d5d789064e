"""What one unit of work records for the audit trail (审计记录的收集).

An :class:`AuditRecorder` collects draft :class:`~minzu_core.privacy.audit.AuditEntry` s while a
unit of work runs: one for every write (:meth:`AuditRecorder.wrote`) and one for every record
read with a sensitive field group in clear (:meth:`AuditRecorder.read`; the same record read
twice with the same groups is one entry). The unit of work appends the drafts to the store's
chain when it commits (the writes only happen then); the reads are appended even when it rolls
back, because the data was seen.
"""

from __future__ import annotations

from collections.abc import Iterable

from minzu_core.clock import Clock
from minzu_core.history import ChangeKind
from minzu_core.privacy.audit import AuditEntry, AuditOperation
from minzu_core.privacy.permissions import FieldAccess, FieldGroup

__all__ = ["AuditRecorder", "operation_of"]


def operation_of(kind: ChangeKind) -> AuditOperation:
    """The audit operation of a history record's kind (``created`` → create, else update)."""
    return AuditOperation.CREATE if kind is ChangeKind.CREATED else AuditOperation.UPDATE


class AuditRecorder:
    """The draft audit entries of one unit of work (not thread-safe, like the unit of work).

    Attributes:
        actor_id: who acts.
        access: the unit of work's field access (its purpose is recorded).
        reason: the unit of work's reason, recorded on reads (writes carry their own).
    """

    def __init__(self, actor_id: str, clock: Clock, access: FieldAccess, reason: str = "") -> None:
        self.actor_id = actor_id
        self.access = access
        self.reason = reason
        self._clock = clock
        self._entries: list[AuditEntry] = []
        self._is_read: list[bool] = []
        self._read_keys: set[tuple[str, str, frozenset[FieldGroup]]] = set()

    @property
    def purpose(self) -> str | None:
        """The declared purpose's code, if any."""
        return None if self.access.purpose is None else self.access.purpose.code

    def _draft(
        self,
        operation: AuditOperation,
        entity_type: str,
        entity_id: str,
        groups: Iterable[FieldGroup],
        reason: str,
        subjects: Iterable[str],
    ) -> AuditEntry:
        return AuditEntry(
            at=self._clock(),
            actor_id=self.actor_id,
            operation=operation,
            entity_type=entity_type,
            entity_id=entity_id,
            field_groups=frozenset(groups),
            purpose=self.purpose,
            reason=reason,
            subject_ids=frozenset(subjects),
        )

    def wrote(
        self,
        operation: AuditOperation,
        entity_type: str,
        entity_id: str,
        *,
        groups: Iterable[FieldGroup] = (),
        reason: str = "",
        subjects: Iterable[str] = (),
    ) -> None:
        """Record a write (create, update, erase) of one entity."""
        self._entries.append(
            self._draft(operation, entity_type, entity_id, groups, reason, subjects)
        )
        self._is_read.append(False)

    def read(
        self,
        entity_type: str,
        entity_id: str,
        groups: Iterable[FieldGroup],
        *,
        subjects: Iterable[str] = (),
        operation: AuditOperation = AuditOperation.READ,
    ) -> None:
        """Record that one entity was read with ``groups`` in clear (nothing if empty)."""
        shown = frozenset(groups)
        if not shown:
            return
        key = (entity_type, entity_id, shown)
        if key not in self._read_keys:
            self._read_keys.add(key)
            self._entries.append(
                self._draft(operation, entity_type, entity_id, shown, self.reason, subjects)
            )
            self._is_read.append(True)

    def pending(self) -> list[AuditEntry]:
        """Every draft, in the order things happened."""
        return list(self._entries)

    def pending_reads(self) -> list[AuditEntry]:
        """The drafts of reads only (kept even when the unit of work rolls back)."""
        return [e for e, is_read in zip(self._entries, self._is_read, strict=True) if is_read]

    def clear(self) -> None:
        """Forget every draft (after they were appended, or discarded)."""
        self._entries.clear()
        self._is_read.clear()
        self._read_keys.clear()
