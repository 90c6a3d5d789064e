"""The organisation section's storage port (组织存储端口): bodies, cadres, appointments,
activities and recognition records."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Protocol, TypeAlias, TypeVar, runtime_checkable

import attrs

from minzu_core.activities.model import (
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
from minzu_core.organisation.model import (
    Appointment,
    Body,
    Official,
    ResponsibilityPolicy,
    Technician,
)

if TYPE_CHECKING:
    pass


__all__ = [
    "OrgQuery",
    "OrgRecord",
    "OrgT",
    "OrganisationPort",
    "org_key",
]

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
class OrganisationPort(Protocol):
    """Storage primitives of the organisation section (``uow.org`` and ``uow.activities``)."""

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
