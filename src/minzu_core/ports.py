"""Ports (端口): what a storage adapter implements.

The domain talks to storage through two small protocols:

* :class:`StoreBackend` — an open connection to one store (one URL), able to begin sessions;
* :class:`StoreSession` — one transaction: storage primitives only (insert, update with an
  expected version, get, query, append history, commit, rollback).

The domain rules (validation, scope, uniqueness of the active ID number, history, versions) live
in :mod:`minzu_core.uow`, on top of these primitives, so that every adapter enforces them the
same way. Adapters must still guarantee, inside the database where possible:

* atomicity: nothing of a session is visible to others before ``commit`` and nothing remains
  after ``rollback``;
* optimistic concurrency: ``update_*`` raises :class:`~minzu_core.errors.ConcurrencyError` when
  the stored version is not ``expected_version`` (checked at write time, not only in Python);
* uniqueness: at most one *active* person per ID number, and one unit version per
  ``(code, valid_from)`` — a violation raises :class:`~minzu_core.errors.DuplicateError`;
* query semantics exactly as documented on :class:`PersonQuery` and :class:`UnitQuery`.

Adapters register a factory ``(url: str, **options) -> StoreBackend`` under the entry-point group
``minzu_core.stores`` keyed by URL scheme, and prove themselves with the contract suite in
:mod:`minzu_core.testing`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar, runtime_checkable

import attrs

from minzu_core.activities import (
    Activity,
    ActivityTotals,
    ActivityType,
    DemonstrationSite,
    Enrollment,
    Honour,
    ServiceHours,
    TrainingCourse,
    VolunteerMembership,
)
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.disputes import Dispute, DisputeCategory, Severity
from minzu_core.hierarchy import Unit, UnitChange
from minzu_core.history import ChangeRecord
from minzu_core.ledger import Person, ResidenceStatus
from minzu_core.organisation import Appointment, Body, Official, ResponsibilityPolicy, Technician
from minzu_core.services import ServiceCategory, ServiceRequest, ServiceWindow

if TYPE_CHECKING:
    from minzu_core.indicators.query import AggregateQuery, AggregateRow

__all__ = [
    "DisputeIndex",
    "DisputeQuery",
    "OrgQuery",
    "OrgRecord",
    "OrgT",
    "PersonQuery",
    "RequestIndex",
    "RequestQuery",
    "SchemaManaged",
    "StoreBackend",
    "StoreSession",
    "UnitQuery",
    "WindowQuery",
    "org_key",
    "unit_key",
]


def unit_key(code: DivisionCode, valid_from: date | None) -> str:
    """The stable text key of one unit version: ``"<12-digit code>@<valid_from or ->"``."""
    return f"{code.value}@{valid_from.isoformat() if valid_from else '-'}"


@attrs.frozen
class UnitQuery:
    """Which units to list.

    A unit matches when its code starts with one of ``prefixes`` (``None``: any code; an empty
    tuple: nothing), its level is ``level`` (if given), and it is valid on ``as_of`` (if given:
    ``valid_from <= as_of < valid_to`` with open ends). Results are ordered by code, then
    ``valid_from`` (``None`` first).
    """

    prefixes: tuple[str, ...] | None = None
    level: Level | None = None
    as_of: date | None = None


@attrs.frozen
class PersonQuery:
    """Which persons to list or count.

    The residence condition applies when any of ``prefixes``, ``as_of`` or ``status`` is set: a
    person matches if ONE of their residence episodes has a unit code starting with one of
    ``prefixes`` (if set), is present on ``as_of`` (``arrival <= as_of < departure``, if set) and
    has ``status`` (if set). The other filters apply to the person record itself. Results are
    ordered by the person id (text form); ``limit``/``offset`` page through them.
    """

    prefixes: tuple[str, ...] | None = None
    as_of: date | None = None
    status: ResidenceStatus | None = None
    minority: bool | None = None
    ethnicity: str | None = None
    name: str | None = None
    birth_date: date | None = None
    active_only: bool = True
    limit: int | None = None
    offset: int = 0

    @property
    def has_residence_condition(self) -> bool:
        """True if the query filters on residence episodes."""
        return self.prefixes is not None or self.as_of is not None or self.status is not None


@attrs.frozen
class WindowQuery:
    """Which service windows to list: unit code prefixes (``None``: any) and, if given, open on
    ``open_on`` (``opened <= open_on < closed``). Ordered by unit code, then id."""

    prefixes: tuple[str, ...] | None = None
    open_on: date | None = None


@attrs.frozen
class RequestIndex:
    """Values derived from a service request's history that a store keeps in columns so that
    queries run inside it. Computed by the domain on every save (never entered by hand)."""

    state: str
    accepted_at: datetime | None
    resolved_at: datetime | None
    due_base: datetime | None
    paused_since: datetime | None
    time_limit_days: int | None = None
    resolved_on_time: bool | None = None
    followed_up_at: datetime | None = None
    satisfaction: str | None = None
    closed_at: datetime | None = None

    @classmethod
    def of(cls, request: ServiceRequest, calendar: Any = None) -> RequestIndex:
        """The index values of ``request`` (with the store's calendar)."""
        satisfaction = request.satisfaction
        return cls(
            state=request.state,
            accepted_at=request.accepted_at,
            resolved_at=request.resolved_at,
            due_base=request.due_base(calendar),
            paused_since=request.paused_since,
            time_limit_days=request.time_limit_days,
            resolved_on_time=request.resolved_on_time(calendar),
            followed_up_at=request.followed_up_at,
            satisfaction=None if satisfaction is None else satisfaction.value,
            closed_at=request.closed_at,
        )


@attrs.frozen
class RequestQuery:
    """Which service requests to list or count.

    A request matches when its unit code starts with one of ``prefixes`` (``None``: any), and,
    where given: its window is ``window_id``, its category ``category``, its state one of
    ``states``, it was received in ``[received_from, received_to)``, and — ``overdue_at`` — it is
    open and overdue at that moment: ``state`` is an open state and either it is not paused and
    ``due_base < overdue_at``, or it is paused and ``due_base < paused_since`` (a pause that began
    after the due date does not cure the delay). Ordered by ``received_at``, then id.
    """

    prefixes: tuple[str, ...] | None = None
    window_id: uuid.UUID | None = None
    category: ServiceCategory | None = None
    states: frozenset[str] | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    overdue_at: datetime | None = None
    limit: int | None = None
    offset: int = 0


@attrs.frozen
class DisputeIndex:
    """Values derived from a dispute's history that a store keeps in columns for queries."""

    state: str
    handling_unit: DivisionCode
    accepted_at: datetime | None
    due_at: datetime | None
    concluded_at: datetime | None
    outcome: str | None
    escalations: int
    target_days: int | None = None
    concluded_within_target: bool | None = None
    party_count: int = 0

    @classmethod
    def of(cls, dispute: Dispute) -> DisputeIndex:
        """The index values of ``dispute``."""
        return cls(
            state=dispute.state,
            handling_unit=dispute.handling_unit,
            accepted_at=dispute.accepted_at,
            due_at=dispute.due_at,
            concluded_at=dispute.concluded_at,
            outcome=dispute.outcome,
            escalations=dispute.escalations,
            target_days=None if dispute.accepted_at is None else dispute.target_days,
            concluded_within_target=dispute.concluded_within_target(),
            party_count=len(dispute.parties),
        )


@attrs.frozen
class DisputeQuery:
    """Which disputes to list or count.

    A dispute matches when its handling unit OR its origin unit starts with one of ``prefixes``
    (``None``: any; this is how scope applies), and, where given: its handling unit starts with
    one of ``handling_prefixes``; its state is one of ``states``; its category, severity,
    ``ethnic_factor`` and ``mass`` flags equal the values given; ``escalated`` (escalated at
    least once, or never); registered in ``[registered_from, registered_to)``; concluded in
    ``[concluded_from, concluded_to)``; and ``overdue_at``: still open (registered, accepted or
    mediating) with ``due_at < overdue_at``. Ordered by ``registered_at``, then id.
    """

    prefixes: tuple[str, ...] | None = None
    handling_prefixes: tuple[str, ...] | None = None
    states: frozenset[str] | None = None
    category: DisputeCategory | None = None
    severity: Severity | None = None
    ethnic_factor: bool | None = None
    mass: bool | None = None
    escalated: bool | None = None
    registered_from: datetime | None = None
    registered_to: datetime | None = None
    concluded_from: datetime | None = None
    concluded_to: datetime | None = None
    overdue_at: datetime | None = None
    limit: int | None = None
    offset: int = 0


#: The records of the organisation section (``uow.org`` and ``uow.activities``).
OrgRecord: TypeAlias = (
    Body
    | Official
    | Technician
    | Appointment
    | ResponsibilityPolicy
    | ActivityType
    | Activity
    | TrainingCourse
    | Enrollment
    | DemonstrationSite
    | Honour
    | VolunteerMembership
    | ServiceHours
)
OrgT = TypeVar("OrgT", bound=OrgRecord)


def org_key(record: OrgRecord) -> str:
    """The key a record is stored under: its id as text; an activity type's code; the fixed
    :attr:`ResponsibilityPolicy.KEY` for the store's policy."""
    if isinstance(record, ActivityType):
        return record.code
    if isinstance(record, ResponsibilityPolicy):
        return ResponsibilityPolicy.KEY
    return str(record.id)


@attrs.frozen
class OrgQuery:
    """Which organisation records to list, count or sum. Each field applies only to the record
    classes named here (others ignore it); ``None`` means "no condition".

    ``prefixes`` (unit code starts with one of them; an empty tuple matches nothing) applies to
    the record's unit: ``unit_code`` of bodies, officials, technicians, appointments,
    demonstration sites and honours; ``organiser_code`` of activities and courses; the course's
    organiser for enrollments; the team's (body's) unit for memberships and service hours.

    ========================  ==================================================================
    record                    other conditions
    ========================  ==================================================================
    Body                      ``kinds``: kind; ``on``: ``opened <= on < closed``
    Official, Technician      ``minority``; ``person_id``; ``on``/``min_order``: the rank (title)
                              period holding on ``on`` (``on=None``: the current, open one)
                              exists and, with ``min_order``, has ``order >= min_order``
    Appointment               ``kinds``: role; ``on``: ``start <= on < end``; ``date_from``/
                              ``date_to``: ``start`` in ``[date_from, date_to)``;
                              ``parent_id``: official
    Activity                  ``kinds``: type; ``on``: ``start <= on < end``; ``date_from``/
                              ``date_to``: ``start``; ``parent_id``: body; ``person_id``: among
                              the attendees
    TrainingCourse            ``kinds``: type; ``date_from``/``date_to``: ``start``;
                              ``parent_id``: activity
    Enrollment                ``kinds``: the course's type; ``parent_id``: course; ``person_id``:
                              the trainee (person or official); ``completed``: has (not) a
                              completion; ``date_from``/``date_to``: ``completed_on`` if
                              ``completed`` is true, else ``enrolled_on``
    DemonstrationSite         the status entry holding on ``on`` (``None``: the latest) exists,
                              its status is in ``kinds`` and its level order ``>= min_order``;
                              ``parent_id``: body
    Honour                    ``date_from``/``date_to``: ``awarded_on``; ``parent_id``: ceremony;
                              ``person_id``: recipient
    VolunteerMembership       ``parent_id``: team; ``on``: ``start <= on < end``; ``person_id``
    ServiceHours              ``kinds``: kind; ``parent_id``: team; ``date_from``/``date_to``:
                              ``served_on``; ``person_id``: member
    ActivityType              none (every stored type, by code)
    ========================  ==================================================================

    Ordering: bodies, officials, technicians and sites by unit code then id; appointments by
    unit code, role, start, id; activities and courses by start, id; enrollments by
    ``enrolled_on``, id; honours by ``awarded_on``, id; memberships by start, id; service hours
    by ``served_on``, id. ``limit``/``offset`` page through the ordered result.
    """

    prefixes: tuple[str, ...] | None = None
    kinds: frozenset[str] | None = None
    on: date | None = None
    date_from: date | None = None
    date_to: date | None = None
    parent_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    minority: bool | None = None
    min_order: int | None = None
    completed: bool | None = None
    limit: int | None = None
    offset: int = 0


@runtime_checkable
class StoreSession(Protocol):
    """One transaction of a store. Not thread-safe: one session belongs to one thread."""

    # -- units -------------------------------------------------------------------------------
    def get_unit_versions(self, code: DivisionCode) -> list[Unit]:
        """Every stored version of ``code``, ordered by ``valid_from`` (``None`` first)."""
        ...

    def insert_unit(self, unit: Unit) -> None:
        """Store a new unit version (``unit.version`` is already the stored version, 1)."""
        ...

    def update_unit(self, unit: Unit, expected_version: int) -> None:
        """Replace the version keyed by ``(unit.code, unit.valid_from)`` if its stored version
        is ``expected_version``; else raise ConcurrencyError."""
        ...

    def query_units(self, query: UnitQuery) -> list[Unit]:
        """Units matching ``query`` (see :class:`UnitQuery`)."""
        ...

    def insert_unit_change(self, change: UnitChange) -> None:
        """Record a unit change."""
        ...

    def query_unit_changes(self, prefixes: tuple[str, ...] | None) -> list[UnitChange]:
        """Changes whose ``code`` or a successor starts with one of ``prefixes`` (``None``: all),
        ordered by effective date, then code."""
        ...

    # -- persons -----------------------------------------------------------------------------
    def get_person(self, person_id: uuid.UUID) -> Person | None:
        """The person with this id (any status), or ``None``."""
        ...

    def find_active_by_id_number(self, id_number: str) -> Person | None:
        """The active person holding this normalised ID number, or ``None``."""
        ...

    def insert_person(self, person: Person) -> None:
        """Store a new person (with its residences)."""
        ...

    def update_person(self, person: Person, expected_version: int) -> None:
        """Replace a person (and its residences) if the stored version is ``expected_version``."""
        ...

    def query_persons(self, query: PersonQuery) -> list[Person]:
        """Persons matching ``query`` (see :class:`PersonQuery`)."""
        ...

    def count_persons(self, query: PersonQuery) -> int:
        """How many persons match ``query`` (``limit``/``offset`` ignored)."""
        ...

    # -- service windows and requests ---------------------------------------------------------
    def get_window(self, window_id: uuid.UUID) -> ServiceWindow | None:
        """The service window with this id, or ``None``."""
        ...

    def insert_window(self, window: ServiceWindow) -> None:
        """Store a new window."""
        ...

    def update_window(self, window: ServiceWindow, expected_version: int) -> None:
        """Replace a window if its stored version is ``expected_version``."""
        ...

    def query_windows(self, query: WindowQuery) -> list[ServiceWindow]:
        """Windows matching ``query``."""
        ...

    def get_request(self, request_id: uuid.UUID) -> ServiceRequest | None:
        """The service request with this id (with its whole event history), or ``None``."""
        ...

    def insert_request(self, request: ServiceRequest, index: RequestIndex) -> None:
        """Store a new request with its events and derived index values."""
        ...

    def update_request(
        self, request: ServiceRequest, index: RequestIndex, expected_version: int
    ) -> None:
        """Store a request whose stored version is ``expected_version``. Events are append-only:
        the stored events must be a prefix of ``request.events``; only the new ones are added."""
        ...

    def query_requests(self, query: RequestQuery) -> list[ServiceRequest]:
        """Requests matching ``query`` (see :class:`RequestQuery`)."""
        ...

    def count_requests(self, query: RequestQuery) -> int:
        """How many requests match ``query`` (``limit``/``offset`` ignored)."""
        ...

    # -- organisation (bodies, appointments, cadres, activities, recognition) -----------------
    # (organisation section: its primitives go here)
    def org_get(self, cls: type[OrgT], key: str) -> OrgT | None:
        """The record of class ``cls`` stored under ``key`` (see :func:`org_key`), or ``None``."""
        ...

    def org_insert(self, record: OrgRecord) -> None:
        """Store a new record (``record.version`` is already the stored version, 1);
        DuplicateError if its key exists (or, for an enrollment, the trainee is already
        enrolled in the course)."""
        ...

    def org_update(self, record: OrgRecord, expected_version: int) -> None:
        """Replace a record whose stored version is ``expected_version`` (else
        ConcurrencyError ``stale_version``)."""
        ...

    def org_query(self, cls: type[OrgT], query: OrgQuery) -> list[OrgT]:
        """Records of class ``cls`` matching ``query`` (see :class:`OrgQuery`)."""
        ...

    def org_count(self, cls: type[OrgRecord], query: OrgQuery) -> int:
        """How many records of ``cls`` match ``query`` (``limit``/``offset`` ignored)."""
        ...

    def activity_totals(self, query: OrgQuery) -> ActivityTotals:
        """Count and sums (participants, minority participants, materials) of the activities
        matching ``query`` (``limit``/``offset`` ignored)."""
        ...

    def volunteer_hours_by_kind(self, query: OrgQuery) -> dict[str, float]:
        """Hours of the service-hour records matching ``query``, summed per kind value (kinds
        without hours are absent)."""
        ...

    # -- disputes ----------------------------------------------------------------------------
    # (disputes section: its primitives go here)
    def get_dispute(self, dispute_id: uuid.UUID) -> Dispute | None:
        """The dispute with this id (with its whole history), or ``None``."""
        ...

    def insert_dispute(self, dispute: Dispute, index: DisputeIndex) -> None:
        """Store a newly registered dispute with its events and derived index values."""
        ...

    def update_dispute(self, dispute: Dispute, index: DisputeIndex, expected_version: int) -> None:
        """Store a dispute whose stored version is ``expected_version`` (events append-only)."""
        ...

    def query_disputes(self, query: DisputeQuery) -> list[Dispute]:
        """Disputes matching ``query`` (see :class:`DisputeQuery`)."""
        ...

    def count_disputes(self, query: DisputeQuery) -> int:
        """How many disputes match ``query`` (``limit``/``offset`` ignored)."""
        ...

    # -- history -----------------------------------------------------------------------------
    def append_history(self, record: ChangeRecord) -> None:
        """Append one history record."""
        ...

    def list_history(self, entity_type: str, entity_id: str) -> list[ChangeRecord]:
        """The history of one entity, ordered by version."""
        ...

    # -- indicators --------------------------------------------------------------------------
    def indicator_entities(self) -> frozenset[str]:
        """The entities of :data:`minzu_core.indicators.ENTITY_FIELDS` this store aggregates."""
        ...

    def aggregate(self, queries: Sequence[AggregateQuery]) -> list[list[AggregateRow]]:
        """The grouped rows answering each query (see :mod:`minzu_core.indicators.query`),
        computed where the data lives — never by loading rows one by one — and including this
        session's uncommitted changes."""
        ...

    # -- transaction -------------------------------------------------------------------------
    def commit(self) -> None:
        """Make every change of the session durable and visible, atomically."""
        ...

    def rollback(self) -> None:
        """Discard every change of the session."""
        ...

    def close(self) -> None:
        """Release the session's resources (rolls back anything uncommitted)."""
        ...


@runtime_checkable
class StoreBackend(Protocol):
    """An open store: the factory registered for a URL scheme returns one of these."""

    @property
    def url(self) -> str:
        """The store's URL with any password masked."""
        ...

    def begin(self) -> StoreSession:
        """Start a new session (transaction)."""
        ...

    def close(self) -> None:
        """Release connections and other resources."""
        ...


@runtime_checkable
class SchemaManaged(Protocol):
    """Optional: a backend whose storage has a versioned schema (e.g. SQL tables with
    migrations). ``minzu schema create|upgrade|current`` work on such backends, opened with
    ``create_tables=False``."""

    def schema_create(self) -> str:
        """Create the schema in an empty store; return the revision it is at."""
        ...

    def schema_upgrade(self, revision: str = "head") -> str | None:
        """Upgrade the schema to ``revision``; return the revision it is at afterwards."""
        ...

    def schema_revision(self) -> tuple[str | None, str]:
        """``(current, newest)`` revisions (``current`` is ``None`` for an unversioned store)."""
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...
