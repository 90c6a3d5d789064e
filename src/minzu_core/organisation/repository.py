"""The repositories of the organisation section: ``uow.org`` and ``uow.activities``.

:class:`OrganisationRepository` keeps bodies, officials, technicians, appointments and the
store's responsibility policy, and answers the coverage report and "who is responsible";
:class:`ActivityRepository` keeps activity types, activities, training courses and enrollments,
demonstration sites, honours, volunteer memberships and service hours.

Both follow the rules of the ledger: every write needs a reason and the record's unit inside the
actor's scope, and is recorded in the change history (who, when, why); a record read by id
outside the scope raises :class:`~minzu_core.errors.PermissionDeniedError`; lists show only what
is inside the scope; saves are checked against the stored version. Filters and sums run in the
store (:class:`~minzu_core.organisation.OrgQuery`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Protocol, TypeAlias, TypeVar

import attrs

from minzu_core.activities.model import (
    DEFAULT_ACTIVITY_TYPES,
    Activity,
    ActivityTotals,
    ActivityType,
    DemonstrationSite,
    Enrollment,
    Honour,
    ServiceHours,
    SiteLevel,
    SiteStatus,
    TrainingCourse,
    VolunteerMembership,
    VolunteerServiceKind,
    default_activity_type,
)
from minzu_core.checks import check_version, parse_uuid, require_reason
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.errors import (
    DuplicateError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from minzu_core.hierarchy.model import Unit
from minzu_core.hierarchy.ports import HierarchyPort, UnitQuery
from minzu_core.history import ChangeKind, ChangeRecord, HistoryPort
from minzu_core.ledger.repository import PersonRepository
from minzu_core.organisation.model import (
    DEFAULT_POLICY,
    Appointment,
    Body,
    BodyKind,
    ChainLink,
    CoverageReport,
    Holder,
    Official,
    Rank,
    RankEntry,
    ResponsibilityChain,
    ResponsibilityPolicy,
    Technician,
    TitleEntry,
    TitleLevel,
    as_code,
    coverage_report,
)
from minzu_core.organisation.ports import OrganisationPort, OrgQuery, OrgRecord, org_key
from minzu_core.privacy.actor import intersect_scope
from minzu_core.repository import RepositoryContext
from minzu_core.services.repository import ServiceRepository

__all__ = ["ActivityRepository", "OrganisationRepository"]

_List: TypeAlias = list
_R = TypeVar("_R", bound=OrgRecord)

#: The entity type of each record class in the change history.
ENTITY_TYPES: dict[type, str] = {
    Body: "body",
    Official: "official",
    Technician: "technician",
    Appointment: "appointment",
    ResponsibilityPolicy: "responsibility_policy",
    ActivityType: "activity_type",
    Activity: "activity",
    TrainingCourse: "training_course",
    Enrollment: "enrollment",
    DemonstrationSite: "demonstration_site",
    Honour: "honour",
    VolunteerMembership: "volunteer_membership",
    ServiceHours: "volunteer_hours",
}

_LABELS: dict[type, tuple[str, str]] = {
    Body: ("机构", "body"),
    Official: ("干部", "official"),
    Technician: ("专业技术人员", "technician"),
    Appointment: ("任职", "appointment"),
    ResponsibilityPolicy: ("责任制规则", "responsibility policy"),
    ActivityType: ("活动类型", "activity type"),
    Activity: ("活动", "activity"),
    TrainingCourse: ("培训班", "training course"),
    Enrollment: ("报名记录", "enrollment"),
    DemonstrationSite: ("示范点", "demonstration site"),
    Honour: ("表彰", "honour"),
    VolunteerMembership: ("志愿者登记", "volunteer membership"),
    ServiceHours: ("志愿服务时长", "service hours"),
}


def _immutable(field: str) -> ValidationError:
    return ValidationError(
        "该字段保存后不能修改 (请新建记录)",
        "this field cannot change once stored (create a new record)",
        code="immutable_field",
        field=field,
    )


class _Storage(HierarchyPort, OrganisationPort, HistoryPort, Protocol):
    """The ports the organisation repositories use."""


class OrganisationContext(RepositoryContext[_Storage], Protocol):
    """What the organisation repositories are given: a repository context, the person and
    service repositories (a cadre may be a ledger person; a window body names its window) and
    the organisation repository itself (activities, sites and teams belong to bodies)."""

    @property
    def people(self) -> PersonRepository:
        """The ledger's repository."""
        ...

    @property
    def services(self) -> ServiceRepository:
        """The service repository."""
        ...

    @property
    def org(self) -> OrganisationRepository:
        """The organisation repository."""
        ...


class _Repository:
    """What both repositories share: scope, units, history, versioned writes."""

    def __init__(self, uow: OrganisationContext) -> None:
        self._uow = uow

    @property
    def _s(self) -> _Storage:
        return self._uow.session

    def _prefixes(self, within: DivisionCode | str | None) -> tuple[str, ...] | None:
        roots = intersect_scope(
            self._uow.actor, None if within is None else as_code(within, "within")
        )
        return None if roots is None else tuple(r.short for r in roots)

    def _visible(self, code: DivisionCode, what: type, field: str) -> None:
        if not self._uow.actor.covers(code):
            zh, en = _LABELS[what]
            raise PermissionDeniedError(
                f"{zh}不在数据范围内",
                f"the {en} is outside the scope",
                code="outside_scope",
                field=field,
            )

    def _unit_on(
        self,
        code: DivisionCode,
        start: date | None,
        field: str,
        end: date | None = None,
    ) -> Unit:
        """The latest stored version of ``code`` whose validity overlaps ``[start, end)``
        (``start=None``: any version). A record may begin before the unit's recorded
        ``valid_from`` (editions date units from their publication, not their founding), but
        not after the unit was closed: ``unit_not_valid``."""
        versions = self._s.get_unit_versions(code)
        if not versions:
            raise ValidationError(
                f"单位 {code.short} 不存在",
                f"unit {code.short} does not exist",
                code="unit_not_found",
                field=field,
            )
        if start is None:
            return versions[-1]
        for unit in reversed(versions):
            if (unit.valid_to is None or unit.valid_to > start) and (
                end is None or unit.valid_from is None or unit.valid_from < end
            ):
                return unit
        raise ValidationError(
            f"单位 {code.short} 在该期间无效",
            f"unit {code.short} is not valid during that period",
            code="unit_not_valid",
            field=field,
        )

    def _not_future(self, day: date | None, field: str) -> None:
        if day is not None and day > self._uow.today():
            raise ValidationError(
                "日期不能晚于今天", "the date is in the future", code="date_in_future", field=field
            )

    def _get(self, cls: type[_R], key: uuid.UUID | str, field: str) -> _R | None:
        record = self._s.org_get(cls, str(parse_uuid(key, field)))
        if record is not None:
            unit = getattr(record, "unit_code", None) or getattr(record, "organiser_code", None)
            if isinstance(unit, DivisionCode):
                self._visible(unit, cls, field)
        return record

    def _must(self, record: _R | None, cls: type, code: str, field: str) -> _R:
        if record is None:
            zh, en = _LABELS[cls]
            raise NotFoundError(f"{zh}不存在", f"{en} not found", code=code, field=field)
        return record

    def _insert(self, record: _R, reason: str) -> _R:
        why = require_reason(reason)
        if record.version != 0:
            raise ValidationError(
                "新记录的版本号须为 0",
                "a new record must have version 0",
                code="invalid_version",
                field="version",
            )
        stored = attrs.evolve(record, version=1)
        self._s.org_insert(stored)
        self._uow.record(
            ENTITY_TYPES[type(record)], org_key(record), 1, ChangeKind.CREATED, why, stored
        )
        return stored

    def _update(self, record: _R, current: _R, reason: str, correction: bool) -> _R:
        why = require_reason(reason)
        check_version(current.version, record.version, ENTITY_TYPES[type(record)])
        stored = attrs.evolve(record, version=record.version + 1)
        self._s.org_update(stored, record.version)
        kind = ChangeKind.CORRECTED if correction else ChangeKind.UPDATED
        self._uow.record(
            ENTITY_TYPES[type(record)], org_key(record), stored.version, kind, why, stored
        )
        return stored

    def _query(
        self, cls: type[_R], within: DivisionCode | str | None, query: OrgQuery
    ) -> _List[_R]:
        prefixes = self._prefixes(within)
        if prefixes == ():
            return []
        return self._s.org_query(cls, attrs.evolve(query, prefixes=prefixes))

    def _count(
        self, cls: type[OrgRecord], within: DivisionCode | str | None, query: OrgQuery
    ) -> int:
        prefixes = self._prefixes(within)
        if prefixes == ():
            return 0
        return self._s.org_count(cls, attrs.evolve(query, prefixes=prefixes))

    def _history_of(self, record: OrgRecord) -> _List[ChangeRecord]:
        return self._s.list_history(ENTITY_TYPES[type(record)], org_key(record))

    def _person(self, person_id: uuid.UUID, field: str) -> None:
        """The ledger person must exist and be visible to the actor."""
        if self._uow.people.find(person_id) is None:
            raise ValidationError(
                "台账人员不存在",
                "the ledger person does not exist",
                code="person_not_found",
                field=field,
            )


class OrganisationRepository(_Repository):
    """Bodies, officials, technicians, appointments and the responsibility network
    (``uow.org``)."""

    # -- policy --------------------------------------------------------------------------------
    def policy(self) -> ResponsibilityPolicy:
        """The store's responsibility policy (:data:`DEFAULT_POLICY` until one is set)."""
        stored = self._s.org_get(ResponsibilityPolicy, ResponsibilityPolicy.KEY)
        return stored if stored is not None else DEFAULT_POLICY

    def set_policy(self, policy: ResponsibilityPolicy, *, reason: str) -> ResponsibilityPolicy:
        """Store the deployment's policy (an unrestricted actor only). The first policy is
        saved with version 0; later ones carry the version of the policy they replace."""
        if not self._uow.actor.unrestricted:
            raise PermissionDeniedError(
                "仅限全域权限的操作人设置责任制规则",
                "only an unrestricted actor may set the responsibility policy",
                code="outside_scope",
                field="policy",
            )
        current = self._s.org_get(ResponsibilityPolicy, ResponsibilityPolicy.KEY)
        if current is None:
            return self._insert(policy, reason)
        return self._update(policy, current, reason, False)

    # -- bodies --------------------------------------------------------------------------------
    def _check_body(self, body: Body) -> None:
        self._uow.actor.require(body.unit_code)
        self._unit_on(body.unit_code, body.opened, "unit_code", body.closed)
        if body.window_id is not None:
            window = self._uow.services.find_window(body.window_id)
            if window is None or window.unit_code != body.unit_code:
                raise ValidationError(
                    "关联的服务窗口不存在或不属于该单位",
                    "the window does not exist at the body's unit",
                    code="window_not_found",
                    field="window_id",
                )

    def add_body(self, body: Body, *, reason: str) -> Body:
        """Store a new body at a unit in the actor's scope (valid on ``opened``)."""
        self._check_body(body)
        return self._insert(body, reason)

    def save_body(self, body: Body, *, reason: str, correction: bool = False) -> Body:
        """Store a changed body (e.g. closed), version-checked; unit and kind cannot change."""
        current = self.get_body(body.id)
        for field in ("unit_code", "kind"):
            if getattr(current, field) != getattr(body, field):
                raise _immutable(field)
        self._check_body(body)
        return self._update(body, current, reason, correction)

    def find_body(self, body_id: uuid.UUID | str) -> Body | None:
        """The body, or ``None``; PermissionDeniedError outside the scope."""
        return self._get(Body, body_id, "body_id")

    def get_body(self, body_id: uuid.UUID | str) -> Body:
        """Like :meth:`find_body` but raises NotFoundError (``body_not_found``)."""
        return self._must(self.find_body(body_id), Body, "body_not_found", "body_id")

    def bodies(
        self,
        *,
        within: DivisionCode | str | None = None,
        kind: BodyKind | str | None = None,
        open_on: date | None = None,
    ) -> _List[Body]:
        """Bodies in ``within``'s subtree (∩ scope), of a kind, open on a date."""
        kinds = None if kind is None else frozenset({BodyKind.parse(kind, field="kind").value})
        return self._query(Body, within, OrgQuery(kinds=kinds, on=open_on))

    # -- officials and technicians -------------------------------------------------------------
    def _check_holder(self, holder: Official | Technician, entries_field: str) -> None:
        self._uow.actor.require(holder.unit_code)
        self._unit_on(holder.unit_code, None, "unit_code")
        entries: Sequence[RankEntry | TitleEntry] = (
            holder.ranks if isinstance(holder, Official) else holder.titles
        )
        for index, entry in enumerate(entries):
            self._not_future(entry.since, f"{entries_field}[{index}].since")
        if holder.person_id is not None:
            self._person(holder.person_id, "person_id")

    def add_official(self, official: Official, *, reason: str) -> Official:
        """Store a new official (rank dates may not lie in the future of the clock)."""
        self._check_holder(official, "ranks")
        return self._insert(official, reason)

    def save_official(
        self, official: Official, *, reason: str, correction: bool = False
    ) -> Official:
        """Store a changed official (a new rank, leaving …), version-checked."""
        current = self.get_official(official.id)
        self._check_holder(official, "ranks")
        return self._update(official, current, reason, correction)

    def find_official(self, official_id: uuid.UUID | str) -> Official | None:
        """The official, or ``None``; PermissionDeniedError outside the scope."""
        return self._get(Official, official_id, "official_id")

    def get_official(self, official_id: uuid.UUID | str) -> Official:
        """Like :meth:`find_official` but raises NotFoundError (``official_not_found``)."""
        return self._must(
            self.find_official(official_id), Official, "official_not_found", "official_id"
        )

    @staticmethod
    def _talent_query(
        minority: bool | None, minimum: Rank | TitleLevel | None, as_of: date | None
    ) -> OrgQuery:
        return OrgQuery(
            minority=minority, on=as_of, min_order=None if minimum is None else minimum.order
        )

    def officials(
        self,
        *,
        within: DivisionCode | str | None = None,
        minority: bool | None = None,
        min_rank: Rank | str | None = None,
        as_of: date | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> _List[Official]:
        """Officials in the subtree (∩ scope); with ``min_rank`` and/or ``as_of``, those whose
        rank on ``as_of`` (``None``: now, the open period) is at least ``min_rank`` — e.g.
        ``officials(minority=True, min_rank="副科级", as_of=date(2019, 12, 16))``."""
        rank = None if min_rank is None else Rank.parse(min_rank, field="min_rank")
        q = attrs.evolve(self._talent_query(minority, rank, as_of), limit=limit, offset=offset)
        return self._query(Official, within, q)

    def count_officials(
        self,
        *,
        within: DivisionCode | str | None = None,
        minority: bool | None = None,
        min_rank: Rank | str | None = None,
        as_of: date | None = None,
    ) -> int:
        """How many officials :meth:`officials` would return (counted in the store)."""
        rank = None if min_rank is None else Rank.parse(min_rank, field="min_rank")
        return self._count(Official, within, self._talent_query(minority, rank, as_of))

    def add_technician(self, technician: Technician, *, reason: str) -> Technician:
        """Store a new technician (title dates may not lie in the future of the clock)."""
        self._check_holder(technician, "titles")
        return self._insert(technician, reason)

    def save_technician(
        self, technician: Technician, *, reason: str, correction: bool = False
    ) -> Technician:
        """Store a changed technician, version-checked."""
        current = self.get_technician(technician.id)
        self._check_holder(technician, "titles")
        return self._update(technician, current, reason, correction)

    def find_technician(self, technician_id: uuid.UUID | str) -> Technician | None:
        """The technician, or ``None``; PermissionDeniedError outside the scope."""
        return self._get(Technician, technician_id, "technician_id")

    def get_technician(self, technician_id: uuid.UUID | str) -> Technician:
        """Like :meth:`find_technician` but raises NotFoundError (``technician_not_found``)."""
        return self._must(
            self.find_technician(technician_id),
            Technician,
            "technician_not_found",
            "technician_id",
        )

    def technicians(
        self,
        *,
        within: DivisionCode | str | None = None,
        minority: bool | None = None,
        min_title: TitleLevel | str | None = None,
        as_of: date | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> _List[Technician]:
        """Technicians in the subtree (∩ scope) whose title on ``as_of`` is at least
        ``min_title`` (see :meth:`officials`)."""
        title = None if min_title is None else TitleLevel.parse(min_title, field="min_title")
        q = attrs.evolve(self._talent_query(minority, title, as_of), limit=limit, offset=offset)
        return self._query(Technician, within, q)

    def count_technicians(
        self,
        *,
        within: DivisionCode | str | None = None,
        minority: bool | None = None,
        min_title: TitleLevel | str | None = None,
        as_of: date | None = None,
    ) -> int:
        """How many technicians :meth:`technicians` would return (counted in the store)."""
        title = None if min_title is None else TitleLevel.parse(min_title, field="min_title")
        return self._count(Technician, within, self._talent_query(minority, title, as_of))

    # -- appointments --------------------------------------------------------------------------
    def _check_appointment(self, appointment: Appointment) -> None:
        self._uow.actor.require(appointment.unit_code)
        unit = self._unit_on(appointment.unit_code, appointment.start, "unit_code", appointment.end)
        self.policy().check(unit.level, appointment.role)
        official = self._s.org_get(Official, str(appointment.official_id))
        if official is None or not self._uow.actor.can_read_unit(official.unit_code):
            raise ValidationError(
                "干部记录不存在",
                "the official does not exist",
                code="official_not_found",
                field="official_id",
            )
        if official.left_on is not None and appointment.start >= official.left_on:
            raise ValidationError(
                "任职开始时该干部已离任",
                "the official had left before the appointment starts",
                code="official_left",
                field="start",
            )
        if appointment.body_id is not None:
            body = self.find_body(appointment.body_id)
            if body is None or body.unit_code != appointment.unit_code:
                raise ValidationError(
                    "所属机构不存在或不属于该单位",
                    "the body does not exist at the appointment's unit",
                    code="body_not_found",
                    field="body_id",
                )

    def appoint(self, appointment: Appointment, *, reason: str) -> Appointment:
        """Store a new appointment. The unit must be valid on ``start`` and in the actor's
        scope, the policy must allow the role at the unit's level (``role_not_allowed``), and
        the official must exist and not have left by ``start``."""
        self._check_appointment(appointment)
        return self._insert(appointment, reason)

    def save_appointment(
        self, appointment: Appointment, *, reason: str, correction: bool = False
    ) -> Appointment:
        """Store a changed appointment (its end, basis or dates), version-checked; official,
        role and unit cannot change (that is a new appointment)."""
        current = self.get_appointment(appointment.id)
        for field in ("official_id", "role", "unit_code"):
            if getattr(current, field) != getattr(appointment, field):
                raise _immutable(field)
        self._check_appointment(appointment)
        return self._update(appointment, current, reason, correction)

    def end_appointment(
        self, appointment: Appointment | uuid.UUID | str, end: date, *, reason: str
    ) -> Appointment:
        """End an appointment on ``end`` (the first day it no longer holds). A passed object
        must still carry the stored version."""
        current = (
            appointment
            if isinstance(appointment, Appointment)
            else self.get_appointment(appointment)
        )
        return self.save_appointment(attrs.evolve(current, end=end), reason=reason)

    def find_appointment(self, appointment_id: uuid.UUID | str) -> Appointment | None:
        """The appointment, or ``None``; PermissionDeniedError outside the scope."""
        return self._get(Appointment, appointment_id, "appointment_id")

    def get_appointment(self, appointment_id: uuid.UUID | str) -> Appointment:
        """Like :meth:`find_appointment` but raises NotFoundError (``appointment_not_found``)."""
        return self._must(
            self.find_appointment(appointment_id),
            Appointment,
            "appointment_not_found",
            "appointment_id",
        )

    def appointments(
        self,
        *,
        within: DivisionCode | str | None = None,
        role: str | None = None,
        official_id: uuid.UUID | None = None,
        active_on: date | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> _List[Appointment]:
        """Appointments in the subtree (∩ scope), of a role, of an official, holding on a
        date; ordered by unit, role, start."""
        q = OrgQuery(
            kinds=None if role is None else frozenset({role}),
            parent_id=official_id,
            on=active_on,
            limit=limit,
            offset=offset,
        )
        return self._query(Appointment, within, q)

    # -- the network ---------------------------------------------------------------------------
    def coverage(
        self,
        as_of: date | None = None,
        *,
        within: DivisionCode | str | None = None,
        since: date | None = None,
        policy: ResponsibilityPolicy | None = None,
    ) -> CoverageReport:
        """The coverage report as of ``as_of`` (default: today by the clock) for the units in
        ``within``'s subtree (∩ scope) valid on that date, against ``policy`` (default: the
        store's). See :func:`~minzu_core.organisation.coverage_report`."""
        day = as_of or self._uow.today()
        pol = policy or self.policy()
        prefixes = self._prefixes(within)
        units: list[Unit] = []
        appointments: list[Appointment] = []
        if prefixes != ():
            for level in sorted(pol.levels):
                units.extend(
                    self._s.query_units(UnitQuery(prefixes=prefixes, level=level, as_of=day))
                )
            roles = frozenset(r.role for r in pol.rules)
            appointments = self._s.org_query(
                Appointment,
                OrgQuery(prefixes=prefixes, kinds=roles, date_to=day + timedelta(days=1)),
            )
        return coverage_report(units, appointments, pol, day, since=since)

    def responsible_for(
        self, unit: DivisionCode | str, on: date | None = None
    ) -> ResponsibilityChain:
        """Who is responsible for ``unit`` on ``on`` (default: today): the appointments holding
        at the unit and at each unit above it up to the county (district), nearest first, with
        their officials. The unit must be readable by the actor; the units above it (and who
        holds roles there) are part of the answer even outside the actor's scope."""
        code = as_code(unit, "unit")
        self._uow.actor.require(code, write=False)
        day = on or self._uow.today()
        chain = [code, *(c for c in code.ancestors() if c.level >= Level.COUNTY)]
        units: list[Unit] = []
        for c in chain:
            found = next((u for u in self._s.get_unit_versions(c) if u.valid_on(day)), None)
            if found is not None:
                units.append(found)
        appointments = self._s.org_query(
            Appointment, OrgQuery(prefixes=tuple(u.code.value for u in units), on=day)
        )
        policy = self.policy()
        order = {r.code: i for i, r in enumerate(policy.roles)}
        links = []
        for u in units:
            held = sorted(
                (a for a in appointments if a.unit_code == u.code),
                key=lambda a: (order.get(a.role, len(order)), a.role, a.start, str(a.id)),
            )
            holders = tuple(Holder(a, self._s.org_get(Official, str(a.official_id))) for a in held)
            links.append(ChainLink(u, holders))
        return ResponsibilityChain(code, day, tuple(links))

    def history(self, record: Body | Official | Technician | Appointment) -> _List[ChangeRecord]:
        """The change history of a record (scope-checked), oldest first."""
        getters: dict[type, Callable[[uuid.UUID], OrgRecord]] = {
            Body: self.get_body,
            Official: self.get_official,
            Technician: self.get_technician,
            Appointment: self.get_appointment,
        }
        return self._history_of(getters[type(record)](record.id))


class ActivityRepository(_Repository):
    """Activity types, activities, training, demonstration sites, honours and volunteers
    (``uow.activities``)."""

    # -- activity types ------------------------------------------------------------------------
    def types(self) -> _List[ActivityType]:
        """The built-in types, then those the deployment added (by code)."""
        return [*DEFAULT_ACTIVITY_TYPES, *self._s.org_query(ActivityType, OrgQuery())]

    def add_type(self, activity_type: ActivityType, *, reason: str) -> ActivityType:
        """Add a type to the vocabulary (an unrestricted actor only; built-in codes are
        taken)."""
        if not self._uow.actor.unrestricted:
            raise PermissionDeniedError(
                "仅限全域权限的操作人增加活动类型",
                "only an unrestricted actor may add activity types",
                code="outside_scope",
                field="code",
            )
        if default_activity_type(activity_type.code) is not None:
            raise DuplicateError(
                "活动类型已存在", "the activity type exists", code="duplicate_id", field="code"
            )
        return self._insert(activity_type, reason)

    def _check_type(self, code: str, field: str) -> None:
        if default_activity_type(code) is None and self._s.org_get(ActivityType, code) is None:
            raise ValidationError(
                "未知的活动类型", "unknown activity type", code="unknown_activity_type", field=field
            )

    # -- activities ----------------------------------------------------------------------------
    def _check_activity(self, activity: Activity, current: Activity | None) -> None:
        self._uow.actor.require(activity.organiser_code, field="organiser_code")
        self._unit_on(activity.organiser_code, activity.start, "organiser_code", activity.end)
        self._check_type(activity.type, "type")
        if activity.body_id is not None and (
            current is None or current.body_id != activity.body_id
        ):
            self._uow.org.get_body(activity.body_id)
        old = set() if current is None else current.attendee_ids
        for person_id in sorted(activity.attendee_ids - old, key=str):
            self._person(person_id, "attendee_ids")

    def add(self, activity: Activity, *, reason: str) -> Activity:
        """Store a new activity (organiser in scope and valid on ``start``, a known type,
        attendees that are ledger persons visible to the actor)."""
        self._check_activity(activity, None)
        return self._insert(activity, reason)

    def save(self, activity: Activity, *, reason: str, correction: bool = False) -> Activity:
        """Store a changed activity, version-checked (the organiser cannot change)."""
        current = self.get(activity.id)
        if current.organiser_code != activity.organiser_code:
            raise _immutable("organiser_code")
        self._check_activity(activity, current)
        return self._update(activity, current, reason, correction)

    def find(self, activity_id: uuid.UUID | str) -> Activity | None:
        """The activity, or ``None``; PermissionDeniedError outside the scope."""
        return self._get(Activity, activity_id, "activity_id")

    def get(self, activity_id: uuid.UUID | str) -> Activity:
        """Like :meth:`find` but raises NotFoundError (``activity_not_found``)."""
        return self._must(self.find(activity_id), Activity, "activity_not_found", "activity_id")

    @staticmethod
    def _activity_query(
        type: str | None,
        start_from: date | None,
        start_to: date | None,
        body_id: uuid.UUID | None = None,
        attendee_id: uuid.UUID | None = None,
    ) -> OrgQuery:
        return OrgQuery(
            kinds=None if type is None else frozenset({type}),
            date_from=start_from,
            date_to=start_to,
            parent_id=body_id,
            person_id=attendee_id,
        )

    def list(
        self,
        *,
        within: DivisionCode | str | None = None,
        type: str | None = None,
        start_from: date | None = None,
        start_to: date | None = None,
        body_id: uuid.UUID | None = None,
        attendee_id: uuid.UUID | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> _List[Activity]:
        """Activities organised in the subtree (∩ scope), of a type, starting in
        ``[start_from, start_to)``, run by a body, attended by a person; by start."""
        q = self._activity_query(type, start_from, start_to, body_id, attendee_id)
        return self._query(Activity, within, attrs.evolve(q, limit=limit, offset=offset))

    def count(
        self,
        *,
        within: DivisionCode | str | None = None,
        type: str | None = None,
        start_from: date | None = None,
        start_to: date | None = None,
    ) -> int:
        """How many activities :meth:`list` would return (counted in the store)."""
        return self._count(Activity, within, self._activity_query(type, start_from, start_to))

    def totals(
        self,
        *,
        within: DivisionCode | str | None = None,
        type: str | None = None,
        start_from: date | None = None,
        start_to: date | None = None,
    ) -> ActivityTotals:
        """Count, participants, minority participants and materials of the activities, summed
        in the store."""
        prefixes = self._prefixes(within)
        if prefixes == ():
            return ActivityTotals()
        q = attrs.evolve(self._activity_query(type, start_from, start_to), prefixes=prefixes)
        return self._s.activity_totals(q)

    # -- training ------------------------------------------------------------------------------
    def add_course(self, course: TrainingCourse, *, reason: str) -> TrainingCourse:
        """Store a new training course (organiser in scope, a known type)."""
        self._uow.actor.require(course.organiser_code, field="organiser_code")
        self._unit_on(course.organiser_code, course.start, "organiser_code", course.end)
        self._check_type(course.type, "type")
        if course.activity_id is not None:
            self.get(course.activity_id)
        return self._insert(course, reason)

    def save_course(
        self, course: TrainingCourse, *, reason: str, correction: bool = False
    ) -> TrainingCourse:
        """Store a changed course, version-checked (the organiser cannot change)."""
        current = self.get_course(course.id)
        if current.organiser_code != course.organiser_code:
            raise _immutable("organiser_code")
        self._check_type(course.type, "type")
        return self._update(course, current, reason, correction)

    def find_course(self, course_id: uuid.UUID | str) -> TrainingCourse | None:
        """The course, or ``None``; PermissionDeniedError outside the scope."""
        return self._get(TrainingCourse, course_id, "course_id")

    def get_course(self, course_id: uuid.UUID | str) -> TrainingCourse:
        """Like :meth:`find_course` but raises NotFoundError (``course_not_found``)."""
        return self._must(
            self.find_course(course_id), TrainingCourse, "course_not_found", "course_id"
        )

    def courses(
        self,
        *,
        within: DivisionCode | str | None = None,
        type: str | None = None,
        start_from: date | None = None,
        start_to: date | None = None,
    ) -> _List[TrainingCourse]:
        """Courses organised in the subtree (∩ scope), by start."""
        return self._query(TrainingCourse, within, self._activity_query(type, start_from, start_to))

    def _check_trainee(self, enrollment: Enrollment) -> None:
        if enrollment.person_id is not None:
            self._person(enrollment.person_id, "person_id")
        else:
            official = self._s.org_get(Official, str(enrollment.official_id))
            if official is None or not self._uow.actor.can_read_unit(official.unit_code):
                raise ValidationError(
                    "干部记录不存在",
                    "the official does not exist",
                    code="official_not_found",
                    field="official_id",
                )

    def _check_completion(self, enrollment: Enrollment, course: TrainingCourse) -> None:
        if enrollment.completed_on is None:
            return
        self._not_future(enrollment.completed_on, "completed_on")
        if enrollment.completed_on < course.start:
            raise ValidationError(
                "结业日期不能早于开班日期",
                "completion is before the course starts",
                code="completion_before_course",
                field="completed_on",
            )

    def enroll(self, enrollment: Enrollment, *, reason: str) -> Enrollment:
        """Enroll a ledger person or an official in a course (once per course:
        DuplicateError ``duplicate_enrollment`` otherwise)."""
        course = self.get_course(enrollment.course_id)
        self._uow.actor.require(course.organiser_code, field="course_id")
        self._check_trainee(enrollment)
        self._check_completion(enrollment, course)
        return self._insert(enrollment, reason)

    def find_enrollment(
        self, course_id: uuid.UUID | str, trainee_id: uuid.UUID | str
    ) -> Enrollment | None:
        """The enrollment of a trainee (person or official) in a course, or ``None``."""
        course = self.get_course(course_id)
        found = self._s.org_query(
            Enrollment,
            OrgQuery(parent_id=course.id, person_id=parse_uuid(trainee_id, "trainee_id")),
        )
        return found[0] if found else None

    def complete(
        self,
        course_id: uuid.UUID | str,
        trainee_id: uuid.UUID | str,
        on: date,
        *,
        reason: str,
    ) -> Enrollment:
        """Record a completion (结业) on ``on``. It needs an enrollment: a trainee never
        enrolled raises ``ValidationError(code="not_enrolled", field="trainee_id")``."""
        enrollment = self.find_enrollment(course_id, trainee_id)
        if enrollment is None:
            raise ValidationError(
                "未报名的学员不能结业",
                "a completion needs an enrollment",
                code="not_enrolled",
                field="trainee_id",
            )
        if enrollment.completed_on is not None:
            raise ValidationError(
                "该学员已结业",
                "the trainee has already completed",
                code="already_completed",
                field="trainee_id",
            )
        return self.save_enrollment(attrs.evolve(enrollment, completed_on=on), reason=reason)

    def save_enrollment(
        self, enrollment: Enrollment, *, reason: str, correction: bool = False
    ) -> Enrollment:
        """Store a changed enrollment (e.g. its completion), version-checked; course and
        trainee cannot change."""
        current = self._s.org_get(Enrollment, str(enrollment.id))
        current = self._must(current, Enrollment, "enrollment_not_found", "id")
        for field in ("course_id", "person_id", "official_id"):
            if getattr(current, field) != getattr(enrollment, field):
                raise _immutable(field)
        course = self.get_course(current.course_id)
        self._uow.actor.require(course.organiser_code, field="course_id")
        self._check_completion(enrollment, course)
        return self._update(enrollment, current, reason, correction)

    @staticmethod
    def _enrollment_query(
        course_id: uuid.UUID | None,
        type: str | None,
        completed: bool | None,
        date_from: date | None,
        date_to: date | None,
    ) -> OrgQuery:
        return OrgQuery(
            parent_id=course_id,
            kinds=None if type is None else frozenset({type}),
            completed=completed,
            date_from=date_from,
            date_to=date_to,
        )

    def enrollments(
        self,
        *,
        within: DivisionCode | str | None = None,
        course_id: uuid.UUID | None = None,
        type: str | None = None,
        completed: bool | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> _List[Enrollment]:
        """Enrollments in courses organised in the subtree (∩ scope); ``date_from``/
        ``date_to`` bound the completion date when ``completed`` is true, else the enrollment
        date."""
        q = self._enrollment_query(course_id, type, completed, date_from, date_to)
        return self._query(Enrollment, within, q)

    def count_completions(
        self,
        *,
        within: DivisionCode | str | None = None,
        type: str | None = None,
        completed_from: date | None = None,
        completed_to: date | None = None,
    ) -> int:
        """Completions in ``[completed_from, completed_to)`` (e.g. of ``language_training``
        courses: 国家通用语言培训结业人数), counted in the store."""
        q = self._enrollment_query(None, type, True, completed_from, completed_to)
        return self._count(Enrollment, within, q)

    # -- demonstration sites -------------------------------------------------------------------
    def _check_site(self, site: DemonstrationSite) -> None:
        self._uow.actor.require(site.unit_code)
        self._unit_on(site.unit_code, None, "unit_code")
        for index, entry in enumerate(site.statuses):
            self._not_future(entry.since, f"statuses[{index}].since")
        if site.body_id is not None:
            self._uow.org.get_body(site.body_id)

    def add_site(self, site: DemonstrationSite, *, reason: str) -> DemonstrationSite:
        """Store a new demonstration site (status dates not in the future)."""
        self._check_site(site)
        return self._insert(site, reason)

    def save_site(
        self, site: DemonstrationSite, *, reason: str, correction: bool = False
    ) -> DemonstrationSite:
        """Store a changed site, version-checked (the unit cannot change)."""
        current = self.get_site(site.id)
        if current.unit_code != site.unit_code:
            raise _immutable("unit_code")
        self._check_site(site)
        return self._update(site, current, reason, correction)

    def set_site_status(
        self,
        site: DemonstrationSite | uuid.UUID | str,
        status: SiteStatus | str,
        since: date,
        *,
        reason: str,
        level: SiteLevel | str | None = None,
        basis: str = "",
    ) -> DemonstrationSite:
        """Append a status entry (e.g. named 已命名 at a level, or revoked 已撤销)."""
        current = site if isinstance(site, DemonstrationSite) else self.get_site(site)
        changed = current.with_status(status, since, level=level, basis=basis)
        return self.save_site(changed, reason=reason)

    def find_site(self, site_id: uuid.UUID | str) -> DemonstrationSite | None:
        """The site, or ``None``; PermissionDeniedError outside the scope."""
        return self._get(DemonstrationSite, site_id, "site_id")

    def get_site(self, site_id: uuid.UUID | str) -> DemonstrationSite:
        """Like :meth:`find_site` but raises NotFoundError (``site_not_found``)."""
        return self._must(self.find_site(site_id), DemonstrationSite, "site_not_found", "site_id")

    def sites(
        self,
        *,
        within: DivisionCode | str | None = None,
        status: SiteStatus | str | None = None,
        min_level: SiteLevel | str | None = None,
        as_of: date | None = None,
    ) -> _List[DemonstrationSite]:
        """Sites in the subtree (∩ scope) whose status on ``as_of`` (``None``: the latest)
        is ``status`` and whose level then is at least ``min_level``."""
        kinds = None
        if status is not None:
            kinds = frozenset({SiteStatus.parse(status, field="status").value})
        order = None if min_level is None else SiteLevel.parse(min_level, field="min_level")
        q = OrgQuery(kinds=kinds, on=as_of, min_order=None if order is None else order.order)
        return self._query(DemonstrationSite, within, q)

    # -- honours -------------------------------------------------------------------------------
    def award(self, honour: Honour, *, reason: str) -> Honour:
        """Record an honour awarded by a unit in scope (not in the future); the person must be
        a visible ledger person and a ceremony activity must be held on the award date."""
        self._uow.actor.require(honour.unit_code)
        self._unit_on(honour.unit_code, honour.awarded_on, "unit_code")
        self._not_future(honour.awarded_on, "awarded_on")
        if honour.person_id is not None:
            self._person(honour.person_id, "person_id")
        if honour.ceremony_id is not None:
            ceremony = self.get(honour.ceremony_id)
            if not ceremony.held_on(honour.awarded_on):
                raise ValidationError(
                    "授予日期不在仪式活动日期内",
                    "the award date is not during the ceremony",
                    code="ceremony_date",
                    field="awarded_on",
                )
        return self._insert(honour, reason)

    def find_honour(self, honour_id: uuid.UUID | str) -> Honour | None:
        """The honour, or ``None``; PermissionDeniedError outside the scope."""
        return self._get(Honour, honour_id, "honour_id")

    def get_honour(self, honour_id: uuid.UUID | str) -> Honour:
        """Like :meth:`find_honour` but raises NotFoundError (``honour_not_found``)."""
        return self._must(self.find_honour(honour_id), Honour, "honour_not_found", "honour_id")

    def honours(
        self,
        *,
        within: DivisionCode | str | None = None,
        awarded_from: date | None = None,
        awarded_to: date | None = None,
        person_id: uuid.UUID | None = None,
        ceremony_id: uuid.UUID | None = None,
    ) -> _List[Honour]:
        """Honours awarded by units in the subtree (∩ scope) in ``[awarded_from, awarded_to)``."""
        q = OrgQuery(
            date_from=awarded_from, date_to=awarded_to, person_id=person_id, parent_id=ceremony_id
        )
        return self._query(Honour, within, q)

    def count_honours(
        self,
        *,
        within: DivisionCode | str | None = None,
        awarded_from: date | None = None,
        awarded_to: date | None = None,
    ) -> int:
        """How many honours were awarded (counted in the store)."""
        return self._count(Honour, within, OrgQuery(date_from=awarded_from, date_to=awarded_to))

    # -- volunteers ----------------------------------------------------------------------------
    def _team(self, team_id: uuid.UUID, day: date, field: str) -> Body:
        team = self._uow.org.get_body(team_id)
        if team.kind is not BodyKind.VOLUNTEER_TEAM:
            raise ValidationError(
                "该机构不是志愿服务队",
                "the body is not a volunteer team",
                code="not_a_team",
                field="team_id",
            )
        self._uow.actor.require(team.unit_code, field="team_id")
        if not team.open_on(day):
            raise ValidationError(
                "该日期志愿服务队未成立或已撤销",
                "the team does not exist on that date",
                code="team_closed",
                field=field,
            )
        return team

    def _check_member(self, m: VolunteerMembership, current: VolunteerMembership | None) -> None:
        self._team(m.team_id, m.start, "start")
        if current is None:
            self._person(m.person_id, "person_id")
        others = self._s.org_query(
            VolunteerMembership, OrgQuery(parent_id=m.team_id, person_id=m.person_id)
        )
        for other in others:
            if other.id == m.id:
                continue
            if other.start < (m.end or date.max) and m.start < (other.end or date.max):
                raise DuplicateError(
                    "该人员在此期间已是队员",
                    "the person is already a member during that period",
                    code="membership_overlap",
                    field="start",
                )

    def add_member(self, membership: VolunteerMembership, *, reason: str) -> VolunteerMembership:
        """Register a ledger person as a member of a volunteer team (memberships of one
        person in one team may not overlap)."""
        self._check_member(membership, None)
        return self._insert(membership, reason)

    def save_member(
        self, membership: VolunteerMembership, *, reason: str, correction: bool = False
    ) -> VolunteerMembership:
        """Store a changed membership (e.g. ended), version-checked."""
        current = self._s.org_get(VolunteerMembership, str(membership.id))
        current = self._must(current, VolunteerMembership, "membership_not_found", "id")
        for field in ("team_id", "person_id"):
            if getattr(current, field) != getattr(membership, field):
                raise _immutable(field)
        self._check_member(membership, current)
        return self._update(membership, current, reason, correction)

    def end_membership(
        self, membership: VolunteerMembership, end: date, *, reason: str
    ) -> VolunteerMembership:
        """End a membership on ``end``."""
        return self.save_member(attrs.evolve(membership, end=end), reason=reason)

    def members(
        self,
        *,
        within: DivisionCode | str | None = None,
        team_id: uuid.UUID | None = None,
        on: date | None = None,
        person_id: uuid.UUID | None = None,
    ) -> _List[VolunteerMembership]:
        """Memberships of teams in the subtree (∩ scope), of a team, holding on a date."""
        q = OrgQuery(parent_id=team_id, on=on, person_id=person_id)
        return self._query(VolunteerMembership, within, q)

    def log_hours(self, hours: ServiceHours, *, reason: str) -> ServiceHours:
        """Record volunteer hours of a team (open on the day, not in the future); a named
        member must be a member on that day."""
        self._team(hours.team_id, hours.served_on, "served_on")
        self._not_future(hours.served_on, "served_on")
        if hours.member_id is not None:
            found = self._s.org_query(
                VolunteerMembership,
                OrgQuery(parent_id=hours.team_id, person_id=hours.member_id, on=hours.served_on),
            )
            if not found:
                raise ValidationError(
                    "该人员当日不是队员",
                    "the person is not a member on that day",
                    code="not_a_member",
                    field="member_id",
                )
        return self._insert(hours, reason)

    @staticmethod
    def _hours_query(
        team_id: uuid.UUID | None,
        kind: VolunteerServiceKind | str | None,
        served_from: date | None,
        served_to: date | None,
        member_id: uuid.UUID | None = None,
    ) -> OrgQuery:
        kinds = None
        if kind is not None:
            kinds = frozenset({VolunteerServiceKind.parse(kind, field="kind").value})
        return OrgQuery(
            parent_id=team_id,
            kinds=kinds,
            date_from=served_from,
            date_to=served_to,
            person_id=member_id,
        )

    def service_hours(
        self,
        *,
        within: DivisionCode | str | None = None,
        team_id: uuid.UUID | None = None,
        kind: VolunteerServiceKind | str | None = None,
        served_from: date | None = None,
        served_to: date | None = None,
        member_id: uuid.UUID | None = None,
    ) -> _List[ServiceHours]:
        """Service-hour records of teams in the subtree (∩ scope), by day."""
        q = self._hours_query(team_id, kind, served_from, served_to, member_id)
        return self._query(ServiceHours, within, q)

    def hours_by_kind(
        self,
        *,
        within: DivisionCode | str | None = None,
        team_id: uuid.UUID | None = None,
        served_from: date | None = None,
        served_to: date | None = None,
    ) -> dict[VolunteerServiceKind, float]:
        """Hours served per kind (summed in the store); kinds without hours are absent."""
        prefixes = self._prefixes(within)
        if prefixes == ():
            return {}
        q = attrs.evolve(
            self._hours_query(team_id, None, served_from, served_to), prefixes=prefixes
        )
        sums = self._s.volunteer_hours_by_kind(q)
        return {VolunteerServiceKind(k): v for k, v in sorted(sums.items())}

    def history(
        self,
        record: Activity
        | TrainingCourse
        | Enrollment
        | DemonstrationSite
        | Honour
        | VolunteerMembership
        | ServiceHours
        | ActivityType,
    ) -> _List[ChangeRecord]:
        """The change history of a record (scope-checked), oldest first."""
        if isinstance(record, ActivityType):
            return self._history_of(record)
        if isinstance(record, Enrollment):
            self.get_course(record.course_id)
        elif isinstance(record, VolunteerMembership | ServiceHours):
            self._uow.org.get_body(record.team_id)
        else:
            getters: dict[type, Callable[[uuid.UUID], OrgRecord]] = {
                Activity: self.get,
                TrainingCourse: self.get_course,
                DemonstrationSite: self.get_site,
                Honour: self.get_honour,
            }
            getters[type(record)](record.id)
        return self._history_of(record)
