"""What every repository is given (仓储的上下文), and the one base every repository is built on.

A repository does not receive the whole unit of work: it receives a
:class:`RepositoryContext` — the actor, the clock, the current storage session (typed by the
port the repository needs, e.g. ``RepositoryContext[LedgerPort]``), a way to append a history
record, and today's date. :class:`~minzu_core.store.UnitOfWork` is one such context; so is
anything else that offers the same members (a test double, a batch loader). This keeps the
dependencies one-way: ``store`` → the contexts' repositories → this module.

:class:`Repository` holds what every repository does the same way: the actor's scope (list
queries limited to ``within`` ∩ the scope; a record read outside it raises
``PermissionDeniedError(code="outside_scope")``), the not-found error of ``get``, the versioned
insert (version 0 → 1, a reason, a ``created`` history record) and update (the stale-version
check, a history record, ``corrected`` or ``updated``) and the history listing.
:class:`CaseRepository` adds the lifecycle glue shared by service requests and disputes: a new
case is stored with its index, an action is applied to the stored case and stored with its new
index, version-checked.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, Generic, Protocol, Self, TypeAlias, TypeVar, cast

import attrs

from minzu_core.checks import check_version, parse_uuid, require_reason
from minzu_core.clock import Clock, require_aware
from minzu_core.codes.divisions import DivisionCode
from minzu_core.errors import NotFoundError, PermissionDeniedError, ValidationError
from minzu_core.history import ChangeKind, ChangeRecord, HistoryPort
from minzu_core.lifecycle import Event
from minzu_core.privacy.actor import Actor, intersect_scope
from minzu_core.privacy.audit import AuditOperation
from minzu_core.privacy.permissions import (
    MASKED_TEXT,
    FieldAccess,
    FieldGroup,
    SensitiveField,
    refuse_masked,
)
from minzu_core.privacy.trail import AuditRecorder

__all__ = [
    "CaseRecord",
    "CaseRepository",
    "Label",
    "List",
    "Repository",
    "RepositoryContext",
    "Versioned",
    "as_code",
    "scope_prefixes",
    "subjects_of",
]

_NARRATIVE = SensitiveField.NARRATIVE

#: Repositories have a method called ``list``; annotations inside them use this alias.
List: TypeAlias = list

#: The Chinese and English name of a kind of record, for error messages (``("人员记录",
#: "person")``).
Label: TypeAlias = tuple[str, str]

S_co = TypeVar("S_co", covariant=True)
S = TypeVar("S", bound=HistoryPort)


class RepositoryContext(Protocol[S_co]):
    """The members a repository uses: ``actor``, ``clock``, ``session`` (the storage session
    of the current transaction, begun lazily), ``access`` and ``trail`` (permissions and the
    audit entries), ``record`` and ``today``."""

    @property
    def actor(self) -> Actor:
        """Who is acting: recorded in every change; their scope limits every read and write."""
        ...

    @property
    def clock(self) -> Clock:
        """The injected clock (timezone-aware now)."""
        ...

    @property
    def session(self) -> S_co:
        """The storage session of the current transaction."""
        ...

    @property
    def access(self) -> FieldAccess:
        """What the actor may read in clear and write in this transaction (permissions and
        the declared purpose)."""
        ...

    @property
    def trail(self) -> AuditRecorder:
        """The audit entries of this transaction (reads in clear are recorded here)."""
        ...

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
        """Append a history record (who, when, why) for a change made in this transaction,
        and its audit entry (the field groups written, the persons it concerns)."""
        ...

    def today(self) -> date:
        """Today's date (China Standard Time) by the injected clock."""
        ...


def subjects_of(record: Any) -> tuple[str, ...]:
    """The ledger persons a record concerns besides itself (for the audit trail): a request's
    applicant, a dispute's parties that are ledger persons."""
    found: list[str] = []
    applicant = getattr(record, "applicant_id", None)
    if applicant is not None:
        found.append(str(applicant))
    for party in getattr(record, "parties", ()) or ():
        person = getattr(party, "person_id", None)
        if person is not None:
            found.append(str(person))
    return tuple(found)


def _same_history(given: Any, current: Any, masked: Callable[[Any], tuple[Any, bool]]) -> bool:
    """Whether a case passed to an action has the stored history (as stored, or as the actor
    sees it: its notes may be masked)."""
    count = len(given.events)
    if given.events == current.events[:count]:
        return True
    return bool(given.events == masked(current)[0].events[:count])


def as_code(value: DivisionCode | str, field: str = "code") -> DivisionCode:
    """``value`` as a :class:`DivisionCode` (a typed ``ValidationError`` naming ``field``)."""
    return value if isinstance(value, DivisionCode) else DivisionCode.parse(value, field=field)


def scope_prefixes(roots: tuple[DivisionCode, ...] | None) -> tuple[str, ...] | None:
    """The code prefixes of scope roots (``None``: unrestricted) for a storage query."""
    return None if roots is None else tuple(r.short for r in roots)


class Versioned(Protocol):
    """A stored record: a frozen attrs class with an optimistic ``version`` (0 until stored)."""

    @property
    def version(self) -> int:
        """The stored version (0 for a record never stored)."""
        ...


R = TypeVar("R", bound=Versioned)
Q = TypeVar("Q")


def _evolve(record: Q, **changes: Any) -> Q:
    # attrs.evolve through Any: the attrs mypy plugin cannot see that a type variable bound to a
    # protocol is an attrs class.
    return cast(Q, attrs.evolve(cast(Any, record), **changes))


class Repository(Generic[S]):
    """The base of every repository: scope, find/get, versioned writes and history.

    ``S`` is the storage session type the repository needs (its ports and the history port).
    A subclass that needs more of its context than :class:`RepositoryContext` (the calendar,
    another repository) declares ``_uow`` with its own context protocol.
    """

    def __init__(self, uow: RepositoryContext[S]) -> None:
        self._uow = uow

    @property
    def _s(self) -> S:
        return self._uow.session

    # -- scope ---------------------------------------------------------------------------------
    def _roots(self, within: DivisionCode | str | None) -> tuple[DivisionCode, ...] | None:
        """The subtree roots ``within`` ∩ the actor's scope (``None``: unrestricted)."""
        return intersect_scope(
            self._uow.actor, None if within is None else as_code(within, "within")
        )

    def _prefixes(self, within: DivisionCode | str | None) -> tuple[str, ...] | None:
        """The code prefixes of ``within`` ∩ the actor's scope (``()``: nothing is visible)."""
        return scope_prefixes(self._roots(within))

    def _scoped(self, within: DivisionCode | str | None, query: Q) -> Q | None:
        """``query`` (an attrs query with ``prefixes``) limited to ``within`` ∩ the actor's
        scope, or ``None`` when nothing is visible (the caller answers ``[]`` or 0)."""
        prefixes = self._prefixes(within)
        return None if prefixes == () else _evolve(query, prefixes=prefixes)

    @staticmethod
    def _outside(label: Label, field: str) -> PermissionDeniedError:
        """The error for a record read outside the actor's scope."""
        zh, en = label
        return PermissionDeniedError(
            f"{zh}不在数据范围内",
            f"the {en} is outside the scope",
            code="outside_scope",
            field=field,
        )

    def _check_covers(self, code: DivisionCode, label: Label, field: str) -> None:
        """Raise :meth:`_outside` unless the actor's scope covers ``code``."""
        if not self._uow.actor.covers(code):
            raise self._outside(label, field)

    def _require_unrestricted(self, zh: str, en: str, field: str) -> None:
        """Only an unrestricted actor may do this (``zh``/``en``: what, for the message)."""
        if not self._uow.actor.unrestricted:
            raise PermissionDeniedError(
                f"仅限全域权限的操作人{zh}",
                f"only an unrestricted actor may {en}",
                code="outside_scope",
                field=field,
            )

    # -- arguments -----------------------------------------------------------------------------
    @staticmethod
    def _typed(value: Any, cls: type[Q] | tuple[type[Q], ...], field: str) -> Q:
        """``value`` if it is a ``cls`` record, else ``ValidationError(code="invalid_type")``
        naming ``field`` (a dict, an id or a record of another kind is not a record)."""
        if not isinstance(value, cls):
            names = "/".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
            raise ValidationError(
                f"{field} 须为 {names} 记录",
                f"{field} must be a {names} record",
                code="invalid_type",
                field=field,
            )
        return value

    # -- find / get ----------------------------------------------------------------------------
    @staticmethod
    def _not_found(
        label: Label, code: str, field: str, details: dict[str, Any] | None = None
    ) -> NotFoundError:
        """The one not-found error shape: ``{label}不存在`` / ``{label} not found``."""
        zh, en = label
        return NotFoundError(
            f"{zh}不存在", f"{en} not found", code=code, field=field, details=details
        )

    @classmethod
    def _found(cls, record: Q | None, label: Label, code: str, field: str) -> Q:
        """``record``, or :meth:`_not_found` if it is ``None`` (``get`` after ``find``)."""
        if record is None:
            raise cls._not_found(label, code, field)
        return record

    # -- versioned writes ----------------------------------------------------------------------
    @staticmethod
    def _check_unchanged(current: object, record: object, *fields: str) -> None:
        """Raise ``ValidationError(code="immutable_field")`` naming the first of ``fields``
        whose value differs between the stored record and the changed one."""
        for field in fields:
            if getattr(current, field) != getattr(record, field):
                raise ValidationError(
                    "该字段保存后不能修改 (请新建记录)",
                    "this field cannot change once stored (create a new record)",
                    code="immutable_field",
                    field=field,
                )

    def _insert(
        self,
        record: R,
        reason: str,
        entity: str,
        key: Callable[[R], str],
        store: Callable[[R], None],
        *,
        snapshot: Callable[[R], Any] | None = None,
    ) -> R:
        """Store a new record: a reason is required, its version must be 0; it is stored with
        version 1 and a ``created`` history record (``snapshot``: what the record holds,
        default the record itself)."""
        why = require_reason(reason)
        if record.version != 0:
            raise ValidationError(
                "新记录的版本号须为 0",
                "a new record must have version 0",
                code="invalid_version",
                field="version",
            )
        stored = _evolve(record, version=1)
        store(stored)
        self._uow.record(
            entity,
            key(stored),
            1,
            ChangeKind.CREATED,
            why,
            stored if snapshot is None else snapshot(stored),
            field_groups=self._written_groups(stored, None),
            subjects=subjects_of(stored),
        )
        return stored

    def _update(
        self,
        record: R,
        current: Versioned,
        reason: str,
        entity: str,
        key: Callable[[R], str],
        store: Callable[[R, int], None],
        *,
        correction: bool = False,
        kind: ChangeKind | None = None,
        what: str | None = None,
    ) -> R:
        """Store a changed record read at the ``current`` stored version (else
        ``ConcurrencyError(code="stale_version")``): a reason is required; it is stored with
        the next version (``store(record, expected_version)``) and a history record of
        ``kind`` (default: ``corrected`` if ``correction`` else ``updated``)."""
        why = require_reason(reason)
        check_version(current.version, record.version, what or entity)
        stored = _evolve(record, version=record.version + 1)
        store(stored, record.version)
        if kind is None:
            kind = ChangeKind.CORRECTED if correction else ChangeKind.UPDATED
        self._uow.record(
            entity,
            key(stored),
            stored.version,
            kind,
            why,
            stored,
            field_groups=self._written_groups(stored, current),
            subjects=subjects_of(stored),
        )
        return stored

    def _written_groups(self, record: Any, previous: Any | None) -> frozenset[FieldGroup]:
        """The sensitive field groups a write of ``record`` (over ``previous``) changes, for
        its audit entry. By default: ``narrative`` when a ``narrative`` text is set or changed;
        the ledger overrides it with every personal field."""
        text = getattr(record, "narrative", None)
        if text and (previous is None or getattr(previous, "narrative", None) != text):
            return frozenset({FieldGroup.NARRATIVE})
        return frozenset()

    def _history(self, entity: str, key: str) -> List[ChangeRecord]:
        """The change history of one entity, oldest first (the caller checks scope)."""
        return self._s.list_history(entity, key)


class CaseRecord(Protocol):
    """A case with a lifecycle (a service request, a dispute): an id, a version, an append-only
    event history with the state derived from it, and :meth:`act`."""

    @property
    def id(self) -> uuid.UUID:
        """The case's id."""
        ...

    @property
    def version(self) -> int:
        """The stored version."""
        ...

    @property
    def events(self) -> tuple[Event, ...]:
        """The event history, oldest first."""
        ...

    @property
    def state(self) -> str:
        """The state derived from the history."""
        ...

    def act(self, action: str, *, at: datetime, actor_id: str, note: str = "", **data: Any) -> Self:
        """The case after ``action`` (nothing changes on error)."""
        ...


K = TypeVar("K", bound=CaseRecord)


class CaseRepository(Repository[S], Generic[S, K], ABC):
    """The base of the repositories of cases (service requests, disputes).

    A subclass names its case (:attr:`ENTITY` for the history, :attr:`LABEL`, the id field
    :attr:`ID_FIELD` and the not-found code :attr:`NOT_FOUND`) and gives the storage primitives
    (:meth:`_load`, :meth:`_store_new`, :meth:`_store_changed`, which store the case with its
    index) and its rules (:meth:`_visible` for reads, :meth:`_before_act` for actions).
    """

    #: the case class (what :meth:`_open` and :meth:`_act` accept as a case)
    CASE: type[Any]
    #: the entity type of the history record written when a case is opened
    ENTITY: str
    #: the Chinese and English name of the case
    LABEL: Label
    #: the field named by errors about the case's id
    ID_FIELD: str
    #: the code of the not-found error
    NOT_FOUND: str

    # -- what a subclass gives -----------------------------------------------------------------
    @abstractmethod
    def _load(self, case_id: uuid.UUID) -> K | None:
        """The stored case (no scope check)."""

    @abstractmethod
    def _store_new(self, case: K) -> None:
        """Insert a new case with its index."""

    @abstractmethod
    def _store_changed(self, case: K, expected_version: int) -> None:
        """Replace a case (stored at ``expected_version``) with its index."""

    @abstractmethod
    def _visible(self, case: K) -> K:
        """The case as the actor's scope lets them see it (``PermissionDeniedError`` outside
        it); masking by field permissions is :meth:`_shown`'s."""

    def _before_act(self, current: K, action: str, data: dict[str, Any]) -> None:
        """Check the actor may take ``action`` and complete its ``data`` (e.g. a time limit)."""

    def _masked(self, case: K) -> tuple[K, bool]:
        """``case`` as the unit of work may see it — its free texts (a dispute's
        ``narrative``, the notes of its events) masked without the ``narrative`` group in clear
        — and whether it shows any of them in clear. Records nothing."""
        narrative = getattr(case, "narrative", None)
        noted = any(e.note for e in case.events)
        if not narrative and not noted:
            return case, False
        if self._uow.access.can_read(SensitiveField.NARRATIVE):
            return case, True
        changes: dict[str, Any] = {}
        if narrative:
            changes["narrative"] = MASKED_TEXT
        if noted:
            changes["events"] = tuple(
                _evolve(e, note=MASKED_TEXT) if e.note else e for e in case.events
            )
        return _evolve(case, **changes), False

    def _shown(self, case: K) -> K:
        """:meth:`_masked`, with a clear read of the free texts recorded for the audit trail:
        what every read returns."""
        shown, clear = self._masked(case)
        if clear:
            self._uow.trail.read(
                self.ENTITY, str(case.id), {FieldGroup.NARRATIVE}, subjects=subjects_of(case)
            )
        return shown

    def _view(self, case: K) -> K:
        """The case as a read returns it: scope-checked and shaped (:meth:`_visible`), then
        masked and its clear read audited (:meth:`_shown`)."""
        return self._shown(self._visible(case))

    # -- the shared glue -----------------------------------------------------------------------
    def _open(self, case: K, reason: str, check: Callable[[K], None]) -> K:
        """Store a newly opened case (one event, version 0) that passes ``check`` (the
        subclass's rules), with its index and a ``created`` history record of its first action
        and state. The reason is checked first."""
        require_reason(reason)
        if len(case.events) != 1 or case.version != 0:
            raise self._invalid_history("只能登记新的{}", "only a newly opened {}")
        check(case)
        refuse_masked(getattr(case, "narrative", None), field="narrative", kind=_NARRATIVE)
        refuse_masked(case.events[0].note, field="note", kind=_NARRATIVE)
        written = set(self._written_groups(case, None))
        if case.events[0].note.strip():
            written.add(FieldGroup.NARRATIVE)
        self._uow.access.require_write(written, field="narrative")
        return self._insert(
            case,
            reason,
            self.ENTITY,
            lambda c: str(c.id),
            self._store_new,
            snapshot=lambda c: {"action": c.events[0].action, "state": c.state},
        )

    def _invalid_history(self, zh: str, en: str) -> ValidationError:
        """``ValidationError(code="invalid_history", field="events")``; ``zh``/``en`` are
        formatted with the case's label."""
        return ValidationError(
            zh.format(self.LABEL[0]),
            en.format(self.LABEL[1]),
            code="invalid_history",
            field="events",
        )

    def _event_time(self, at: datetime | None) -> datetime:
        """When an action is taken: ``at`` (timezone-aware, not in the future) or now."""
        now = self._uow.clock()
        when = require_aware(at, "at") if at is not None else now
        if when > now:
            raise ValidationError(
                "记录时间不能晚于当前时间",
                "the action's time is in the future",
                code="event_in_future",
                field="at",
            )
        return when

    def _act(
        self,
        case: K | uuid.UUID | str,
        action: str,
        at: datetime | None,
        note: str,
        data: dict[str, Any],
    ) -> K:
        """Take ``action`` on the stored case: the time is checked, the case read (in scope),
        :meth:`_before_act` run, a passed case object checked against the stored version and
        history, the lifecycle transition applied, and the case stored with its new index."""
        when = self._event_time(at)
        given: K | None = None
        if isinstance(case, uuid.UUID | str):
            current = self._stored_case(case)
        else:
            given = self._typed(case, self.CASE, self.ID_FIELD.removesuffix("_id"))
            current = self._stored_case(given.id)
        self._before_act(current, action, data)
        if note.strip():  # a free-text note is narrative: its group must be writable
            refuse_masked(note, field="note", kind=_NARRATIVE)
            self._uow.access.require_write({FieldGroup.NARRATIVE}, field="note")
        expected = current.version if given is None else given.version
        check_version(current.version, expected, self.LABEL[1])
        if given is not None and not _same_history(given, current, self._masked):
            raise self._invalid_history("{}历史不一致", "the {} history does not match the store")
        changed = current.act(action, at=when, actor_id=self._uow.actor.id, note=note, **data)
        stored = _evolve(changed, version=current.version + 1)
        self._store_changed(stored, current.version)
        self._uow.trail.wrote(
            AuditOperation.UPDATE,
            self.ENTITY,
            str(stored.id),
            groups={FieldGroup.NARRATIVE} if note.strip() else (),
            reason=f"{action}",
            subjects=subjects_of(stored),
        )
        return self._view(stored)

    # -- reads ---------------------------------------------------------------------------------
    def _stored_case(self, case_id: uuid.UUID | str) -> K:
        """The case as stored (not masked), after the scope check of :meth:`_visible`; the
        case's not-found error if there is none."""
        found = self._load(parse_uuid(case_id, self.ID_FIELD))
        if found is None:
            raise self._not_found(self.LABEL, self.NOT_FOUND, self.ID_FIELD)
        self._visible(found)
        return found

    def _find_case(self, case_id: uuid.UUID | str) -> K | None:
        """The case, or ``None``; ``PermissionDeniedError`` outside the actor's scope."""
        found = self._load(parse_uuid(case_id, self.ID_FIELD))
        return None if found is None else self._view(found)

    def _get_case(self, case_id: uuid.UUID | str) -> K:
        """Like :meth:`_find_case` but raises ``NotFoundError`` (the case's not-found code)."""
        return self._found(self._find_case(case_id), self.LABEL, self.NOT_FOUND, self.ID_FIELD)
