"""The unit of work and its repositories (工作单元与仓储).

``with store.unit_of_work(actor) as uow: ...; uow.commit()`` — everything done through ``uow``
becomes visible to others only on :meth:`UnitOfWork.commit`; leaving the block without a commit
(or with an exception) rolls back. After a commit the same ``uow`` may go on with a new
transaction.

The unit of work holds one repository per context (``units``, ``people``, ``services``,
``org``, ``activities``, ``disputes``); each repository receives the unit of work as its
:class:`~minzu_core.repository.RepositoryContext` and enforces the domain rules on top of the
storage primitives of its context's ``ports`` module: the actor's scope, validation against the
stored hierarchy, one active record per ID number, optimistic versions and the change history
(who, when, why).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from types import TracebackType
from typing import Any, cast

from minzu_core.activities.repository import ActivityRepository
from minzu_core.clock import Clock, today_cst
from minzu_core.disputes.model import DEFAULT_TARGET_DAYS
from minzu_core.disputes.repository import DisputeRepository
from minzu_core.errors import MinzuError, PermissionDeniedError, StoreError
from minzu_core.hierarchy.repository import UnitRepository
from minzu_core.history import ChangeKind, ChangeRecord
from minzu_core.ledger.repository import PersonRepository
from minzu_core.organisation.repository import OrganisationRepository
from minzu_core.privacy.actor import Actor
from minzu_core.privacy.extensions import ExtensionRegistry
from minzu_core.privacy.permissions import DEFAULT_PERMISSION_POLICY, FieldAccess, FieldGroup
from minzu_core.privacy.trail import AuditRecorder, operation_of
from minzu_core.repository import List
from minzu_core.serialization import unstructure
from minzu_core.services.model import Calendar, CalendarDays
from minzu_core.services.repository import ServiceRepository
from minzu_core.store.audit import AuditRepository
from minzu_core.store.bulk import BufferedSession, BulkBatch, write_batch
from minzu_core.store.ports import StoreBackend, StoreSession

__all__ = [
    "UnitOfWork",
]


class UnitOfWork:
    """One business transaction by one actor. Use it as a context manager.

    Attributes:
        actor: who is acting (recorded in every change; their scope limits every read/write).
        units: the :class:`UnitRepository`.
        people: the :class:`PersonRepository`.
        services: the :class:`~minzu_core.services.ServiceRepository`.
        org: the :class:`~minzu_core.organisation.repository.OrganisationRepository`.
        activities: the :class:`~minzu_core.activities.repository.ActivityRepository`.
        disputes: the :class:`~minzu_core.disputes.DisputeRepository`.
        audit: the :class:`~minzu_core.store.audit.AuditRepository` (queries of the trail).
        access: what the actor may read in clear and write (:class:`FieldAccess`: the store's
            permission policy for the actor's roles and the declared purpose).
        reason: why the unit of work runs (recorded on its audit entries of reads).
        extensions: the store's declared extension fields of persons.
        trail: the :class:`~minzu_core.privacy.trail.AuditRecorder` of this unit of work.
        dispute_target_days: the mediation target recorded when a dispute is accepted.
        calendar: how promised days are counted (calendar days unless the store says otherwise).
    """

    def __init__(
        self,
        backend: StoreBackend,
        actor: Actor,
        clock: Clock,
        calendar: Calendar | None = None,
        dispute_target_days: int = DEFAULT_TARGET_DAYS,
        *,
        access: FieldAccess | None = None,
        reason: str = "",
        audit_key: bytes | None = None,
        extensions: ExtensionRegistry | None = None,
    ) -> None:
        self._backend = backend
        self.actor = actor
        self.clock = clock
        self.access: FieldAccess = (
            access
            if access is not None
            else DEFAULT_PERMISSION_POLICY.access(actor.roles, unrestricted=actor.unrestricted)
        )
        self.reason = reason
        self.extensions: ExtensionRegistry = extensions or ExtensionRegistry()
        self.trail = AuditRecorder(actor.id, clock, self.access, reason)
        self._audit_key = audit_key
        self.calendar: Calendar = calendar or CalendarDays()
        self.dispute_target_days: int = dispute_target_days
        self._session: StoreSession | None = None
        self._entered = False
        self.units = UnitRepository(self)
        self.people = PersonRepository(self)
        self.services = ServiceRepository(self)
        self.org = OrganisationRepository(self)
        self.activities = ActivityRepository(self)
        self.disputes = DisputeRepository(self)
        self.audit = AuditRepository(self)

    # -- transaction control -------------------------------------------------------------------
    def __enter__(self) -> UnitOfWork:
        self._entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._entered = False
        self._end(rollback=True)

    @property
    def session(self) -> StoreSession:
        """The current storage session (begun lazily)."""
        if not self._entered:
            raise MinzuError(
                "工作单元须在 with 语句中使用",
                "use the unit of work inside a with block",
                code="unit_of_work_not_active",
            )
        if self._session is None:
            self._session = self._backend.begin()
        return self._session

    def commit(self) -> None:
        """Commit everything done since the block started (or since the last commit), with
        the audit entries of its writes and clear reads (appended last, in the same
        transaction). If the commit fails, the entries of the reads are still appended."""
        self._refuse_in_bulk("commit")
        session = self._session
        if session is None:
            self._append_reads()
            return
        committed = False
        try:
            drafts = self.trail.pending()
            if drafts:
                session.append_audit(drafts, key=self._audit_key)
            session.commit()
            committed = True
            self.trail.clear()
        finally:
            self._session = None
            session.close()
            if not committed:
                self._append_reads()

    @contextmanager
    def bulk(self) -> Iterator[BulkBatch]:
        """Add many records at once: ``with uow.bulk() as batch: uow.people.add(...) ...``.

        Inside the block the repositories' add calls run all their rules but what they store is
        collected in the yielded :class:`~minzu_core.store.bulk.BulkBatch`, written in one go
        when the block ends (see :mod:`minzu_core.store.bulk`); a block left by an exception
        writes nothing. Commit the unit of work after the block as usual.
        """
        self._refuse_in_bulk("uow.bulk()")
        inner = self.session
        buffered = BufferedSession(inner)
        self._session = cast(StoreSession, buffered)
        try:
            yield buffered.batch
        finally:
            self._session = inner
        write_batch(inner, buffered.batch)

    def _refuse_in_bulk(self, what: str) -> None:
        if isinstance(self._session, BufferedSession):
            raise StoreError(
                f"批量写入块结束前不能执行 {what}",
                f"{what} is not allowed inside a uow.bulk() block",
                code="bulk_open",
            )

    def rollback(self) -> None:
        """Discard everything done since the block started (or since the last commit)."""
        self._refuse_in_bulk("rollback")
        self._end(rollback=True)

    def _end(self, *, rollback: bool) -> None:
        session = self._session
        self._session = None
        if session is not None:
            try:
                if rollback:
                    session.rollback()
            finally:
                session.close()
        self._append_reads()

    def _append_reads(self) -> None:
        """Append the audit entries of clear reads of a transaction that did not commit (what
        was seen stays recorded); the drafts of its writes are dropped with the writes."""
        reads = self.trail.pending_reads()
        self.trail.clear()
        if not reads:
            return
        session = self._backend.begin()
        try:
            session.append_audit(reads, key=self._audit_key)
            session.commit()
        finally:
            session.close()

    # -- helpers shared by repositories ----------------------------------------------------------
    def record(
        self,
        entity_type: str,
        entity_id: str,
        version: int,
        kind: ChangeKind,
        reason: str,
        snapshot: Any,
        *,
        field_groups: Iterable[FieldGroup] = (),
        subjects: Iterable[str] = (),
    ) -> ChangeRecord:
        """Append a history record for a change made in this unit of work, and its audit
        entry (the field groups written, the persons it concerns)."""
        record = ChangeRecord(
            entity_type=entity_type,
            entity_id=entity_id,
            version=version,
            at=self.clock(),
            actor_id=self.actor.id,
            kind=kind,
            reason=reason,
            snapshot=unstructure(snapshot),
        )
        self.session.append_history(record)
        self.trail.wrote(
            operation_of(kind),
            entity_type,
            entity_id,
            groups=field_groups,
            reason=reason,
            subjects=subjects,
        )
        return record

    def history(self, entity_type: str, entity_id: str) -> List[ChangeRecord]:
        """The raw history of any entity (requires an unrestricted actor).

        Prefer ``uow.people.history(person_id)`` or ``uow.units.history(code)``, which check
        scope.
        """
        if not self.actor.unrestricted:
            raise PermissionDeniedError(
                "仅限全域权限的操作人查看任意实体的变更记录",
                "only an unrestricted actor may read any entity's history",
                code="outside_scope",
            )
        return self.session.list_history(entity_type, entity_id)

    def today(self) -> date:
        """Today's date (China Standard Time) by the injected clock."""
        return today_cst(self.clock)
