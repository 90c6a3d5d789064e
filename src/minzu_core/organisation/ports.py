"""The organisation section's storage port (组织存储端口): bodies, cadres, appointments,
activities and recognition records."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Protocol, TypeAlias, TypeVar, runtime_checkable

import attrs

import minzu_core.fields as fields
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
from minzu_core.codes.divisions import DivisionCode
from minzu_core.organisation.bodies import Body
from minzu_core.organisation.cadres import Official, Technician
from minzu_core.organisation.responsibility import Appointment, ResponsibilityPolicy

__all__ = [
    "ORG_RECORDS",
    "OrgQuery",
    "OrgRecord",
    "OrgRecordKind",
    "OrgT",
    "OrganisationPort",
    "org_key",
    "org_record_kind",
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


def _by_id(record: Any) -> str:
    return str(record.id)


def _by_code(record: Any) -> str:
    return str(record.code)


def _policy_key(record: Any) -> str:
    return ResponsibilityPolicy.KEY


@attrs.frozen
class OrgRecordKind:
    """What the core knows of one record class of the organisation section: one row of
    :data:`ORG_RECORDS`, read by the repositories and by the adapters (which add their own
    table or document kind to it).

    Attributes:
        cls: the record class.
        entity_type: the entity type of its change history (``ChangeRecord.entity_type``).
        name: the short name in error codes and fields (``body`` → ``body_not_found``,
            ``body_id``).
        label_zh, label_en: its name in messages.
        key: the key it is stored under (:func:`org_key`): its id as text, an activity type's
            code, the policy's fixed key.
        key_field: the name of that key (``id``, ``code``, ``key``).
        unit_field: the attribute holding the unit that scope checks use (``None``: the
            record is checked through its parent: a course, a team).
    """

    cls: type
    entity_type: str
    name: str
    label_zh: str
    label_en: str
    key: Callable[[Any], str] = _by_id
    key_field: str = "id"
    unit_field: str | None = "unit_code"

    @property
    def label(self) -> tuple[str, str]:
        """``(label_zh, label_en)``."""
        return (self.label_zh, self.label_en)

    @property
    def id_field(self) -> str:
        """The field errors name for the record's id (``body_id``)."""
        return f"{self.name}_id"

    @property
    def not_found(self) -> str:
        """The code of the record's not-found error (``body_not_found``)."""
        return f"{self.name}_not_found"

    def unit_of(self, record: Any) -> DivisionCode | None:
        """The unit a record's scope is checked against (``None``: none of its own)."""
        unit = None if self.unit_field is None else getattr(record, self.unit_field)
        return unit if isinstance(unit, DivisionCode) else None


_ORGANISER = "organiser_code"

#: Every record class of the organisation section, with its history entity type, key and label
#: (the one registry of the core).
ORG_RECORDS: Mapping[type, OrgRecordKind] = {
    kind.cls: kind
    for kind in (
        OrgRecordKind(Body, "body", "body", "机构", "body"),
        OrgRecordKind(Official, "official", "official", "干部", "official"),
        OrgRecordKind(Technician, "technician", "technician", "专业技术人员", "technician"),
        OrgRecordKind(Appointment, "appointment", "appointment", "任职", "appointment"),
        OrgRecordKind(
            ResponsibilityPolicy,
            "responsibility_policy",
            "policy",
            "责任制规则",
            "responsibility policy",
            key=_policy_key,
            key_field="key",
            unit_field=None,
        ),
        OrgRecordKind(
            ActivityType,
            "activity_type",
            "activity_type",
            "活动类型",
            "activity type",
            key=_by_code,
            key_field="code",
            unit_field=None,
        ),
        OrgRecordKind(Activity, "activity", "activity", "活动", "activity", unit_field=_ORGANISER),
        OrgRecordKind(
            TrainingCourse,
            "training_course",
            "course",
            "培训班",
            "training course",
            unit_field=_ORGANISER,
        ),
        OrgRecordKind(
            Enrollment, "enrollment", "enrollment", "报名记录", "enrollment", unit_field=None
        ),
        OrgRecordKind(
            DemonstrationSite, "demonstration_site", "site", "示范点", "demonstration site"
        ),
        OrgRecordKind(Honour, "honour", "honour", "表彰", "honour"),
        OrgRecordKind(
            VolunteerMembership,
            "volunteer_membership",
            "membership",
            "志愿者登记",
            "volunteer membership",
            unit_field=None,
        ),
        OrgRecordKind(
            ServiceHours,
            "volunteer_hours",
            "hours",
            "志愿服务时长",
            "service hours",
            unit_field=None,
        ),
    )
}


def org_record_kind(cls: type) -> OrgRecordKind:
    """The registry row of a record class (``KeyError`` for a class outside the section)."""
    return ORG_RECORDS[cls]


def org_key(record: OrgRecord) -> str:
    """The key a record is stored under: its id as text; an activity type's code; the fixed
    :attr:`ResponsibilityPolicy.KEY` for the store's policy."""
    return ORG_RECORDS[type(record)].key(record)


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
    kinds: frozenset[str] | None = attrs.field(default=None, converter=fields.to_text_set_or_none)
    on: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    date_from: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    date_to: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    parent_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    person_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    minority: bool | None = attrs.field(default=None, converter=fields.to_flag_or_none)
    min_order: int | None = None
    completed: bool | None = attrs.field(default=None, converter=fields.to_flag_or_none)
    limit: int | None = attrs.field(default=None, converter=fields.to_count_or_none)
    offset: int = attrs.field(default=0, converter=fields.to_count)


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
