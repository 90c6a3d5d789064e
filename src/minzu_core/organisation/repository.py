"""The repository of the organisation section (``uow.org``) and the base it shares with the
activities repository (:mod:`minzu_core.activities.repository`).

:class:`OrganisationRepository` keeps bodies, officials, technicians, appointments and the
store's responsibility policy, and answers the coverage report and "who is responsible".

Both repositories of the section follow the rules of the ledger: every write needs a reason and
the record's unit inside the actor's scope, and is recorded in the change history (who, when,
why); a record read by id outside the scope raises
:class:`~minzu_core.errors.PermissionDeniedError`; lists show only what is inside the scope;
saves are checked against the stored version. Filters and sums run in the store
(:class:`~minzu_core.organisation.ports.OrgQuery`). What each record class is — its history
entity type, key, unit and label — is read from the one registry,
:data:`~minzu_core.organisation.ports.ORG_RECORDS`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Protocol, TypeVar

import attrs

import minzu_core.fields as fields
from minzu_core.checks import parse_uuid
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.errors import ValidationError
from minzu_core.hierarchy.model import Unit
from minzu_core.hierarchy.ports import HierarchyPort, UnitQuery
from minzu_core.hierarchy.repository import stored_versions
from minzu_core.history import ChangeRecord, HistoryPort
from minzu_core.labels import Graded
from minzu_core.ledger.repository import PersonRepository
from minzu_core.organisation.bodies import Body, BodyKind
from minzu_core.organisation.cadres import (
    Official,
    Rank,
    RankEntry,
    Technician,
    TitleEntry,
    TitleLevel,
)
from minzu_core.organisation.ports import (
    ORG_RECORDS,
    OrganisationPort,
    OrgQuery,
    OrgRecord,
    org_key,
)
from minzu_core.organisation.responsibility import (
    DEFAULT_POLICY,
    Appointment,
    ChainLink,
    CoverageReport,
    Holder,
    ResponsibilityChain,
    ResponsibilityPolicy,
    coverage_report,
)
from minzu_core.repository import List, Repository, RepositoryContext, as_code
from minzu_core.services.repository import ServiceRepository

__all__ = ["OrgSectionRepository", "OrganisationContext", "OrganisationRepository", "one_kind"]

R = TypeVar("R", bound=OrgRecord)
H = TypeVar("H", Official, Technician)

#: The grade vocabulary of each graded-holder kind and the name of its minimum filter.
_GRADES: Mapping[type, tuple[type[Graded], str]] = {
    Official: (Rank, "min_rank"),
    Technician: (TitleLevel, "min_title"),
}


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


def one_kind(value: str | None, field: str) -> frozenset[str] | None:
    """The ``kinds`` of an :class:`OrgQuery` filtering on one vocabulary value (``None``: no
    condition); a value that is not text is ``ValidationError(code="invalid_type")``."""
    return None if value is None else frozenset({fields.as_text(value, field)})


class OrgSectionRepository(Repository[_Storage]):
    """What the repositories of the organisation section share on top of
    :class:`~minzu_core.repository.Repository`: records of any class of the registry found,
    stored and listed by class, units valid for a period, dates not in the future, ledger
    persons visible to the actor."""

    _uow: OrganisationContext

    def __init__(self, uow: OrganisationContext) -> None:
        super().__init__(uow)

    def _record_unit(
        self,
        code: DivisionCode,
        start: date | None,
        field: str,
        end: date | None = None,
    ) -> Unit:
        """The unit a record is written at: ``code`` must be in the actor's scope
        (``PermissionDeniedError`` naming ``field``); the answer is its latest stored version
        whose validity overlaps ``[start, end)`` (``start=None``: any version). A record may
        begin before the unit's recorded ``valid_from`` (editions date units from their
        publication, not their founding), but not after the unit was closed:
        ``unit_not_valid``."""
        self._uow.actor.require(code, field=field)
        versions = stored_versions(self._s, code, field)
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

    def _person(self, person_id: uuid.UUID, field: str) -> None:
        """The ledger person must exist and be visible to the actor."""
        if self._uow.people.find(person_id) is None:
            raise ValidationError(
                "台账人员不存在",
                "the ledger person does not exist",
                code="person_not_found",
                field=field,
            )

    def _official(self, official_id: uuid.UUID | None) -> Official:
        """The official, which must exist with its unit readable by the actor (else
        ``ValidationError(code="official_not_found", field="official_id")``)."""
        official = self._s.org_get(Official, str(official_id))
        if official is None or not self._uow.actor.can_read_unit(official.unit_code):
            raise ValidationError(
                "干部记录不存在",
                "the official does not exist",
                code="official_not_found",
                field="official_id",
            )
        return official

    # -- records of the registry ---------------------------------------------------------------
    def _find_record(
        self, cls: type[R], key: uuid.UUID | str, field: str | None = None
    ) -> R | None:
        """The record of ``cls`` with id ``key``, or ``None``; ``PermissionDeniedError`` if its
        unit is outside the scope (``field``: the id field errors name, default the
        registry's ``{name}_id``)."""
        kind = ORG_RECORDS[cls]
        field = field or kind.id_field
        record = self._s.org_get(cls, str(parse_uuid(key, field)))
        unit = None if record is None else kind.unit_of(record)
        if unit is not None:
            self._check_covers(unit, kind.label, field)
        return record

    def _get_record(self, cls: type[R], key: uuid.UUID | str, field: str | None = None) -> R:
        """Like :meth:`_find_record` but raises ``NotFoundError`` (``{name}_not_found``)."""
        kind = ORG_RECORDS[cls]
        found = self._find_record(cls, key, field)
        return self._found(found, kind.label, kind.not_found, field or kind.id_field)

    def _add_record(self, record: R, reason: str) -> R:
        """Store a new record (version 0 → 1) with its history record."""
        entity = ORG_RECORDS[type(record)].entity_type
        return self._insert(record, reason, entity, org_key, self._s.org_insert)

    def _save_record(self, record: R, current: R, reason: str, correction: bool = False) -> R:
        """Store a changed record read at ``current``'s version, with its history record."""
        entity = ORG_RECORDS[type(record)].entity_type
        store = self._s.org_update
        return self._update(record, current, reason, entity, org_key, store, correction=correction)

    def _replace(
        self,
        record: R,
        reason: str,
        correction: bool,
        immutable: tuple[str, ...] = (),
        check: Callable[[R, R], None] | None = None,
        field: str | None = None,
    ) -> R:
        """Store a changed record, version-checked: the stored one must be visible (else
        ``NotFoundError``/``PermissionDeniedError`` naming ``field``), the ``immutable``
        fields unchanged, and ``check(record, current)`` (the domain rules) must pass."""
        current = self._get_record(type(record), ORG_RECORDS[type(record)].key(record), field)
        self._check_unchanged(current, record, *immutable)
        if check is not None:
            check(record, current)
        return self._save_record(record, current, reason, correction)

    def _records(self, cls: type[R], within: DivisionCode | str | None, query: OrgQuery) -> List[R]:
        """The records of ``cls`` matching ``query`` in ``within`` ∩ the scope."""
        q = self._scoped(within, query)
        return [] if q is None else self._s.org_query(cls, q)

    def _count_records(
        self, cls: type[OrgRecord], within: DivisionCode | str | None, query: OrgQuery
    ) -> int:
        """How many records :meth:`_records` would return (counted in the store)."""
        q = self._scoped(within, query)
        return 0 if q is None else self._s.org_count(cls, q)

    def _record_history(self, record: OrgRecord) -> List[ChangeRecord]:
        """The history of a record (the caller checks scope)."""
        return self._history(ORG_RECORDS[type(record)].entity_type, org_key(record))


class OrganisationRepository(OrgSectionRepository):
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
        policy = self._typed(policy, ResponsibilityPolicy, "policy")
        self._require_unrestricted("设置责任制规则", "set the responsibility policy", "policy")
        current = self._s.org_get(ResponsibilityPolicy, ResponsibilityPolicy.KEY)
        if current is None:
            return self._add_record(policy, reason)
        return self._save_record(policy, current, reason)

    # -- bodies --------------------------------------------------------------------------------
    def _check_body(self, body: Body) -> None:
        self._record_unit(body.unit_code, body.opened, "unit_code", body.closed)
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
        body = self._typed(body, Body, "body")
        self._check_body(body)
        return self._add_record(body, reason)

    def save_body(self, body: Body, *, reason: str, correction: bool = False) -> Body:
        """Store a changed body (e.g. closed), version-checked; unit and kind cannot change."""
        body = self._typed(body, Body, "body")
        immutable = ("unit_code", "kind")
        return self._replace(body, reason, correction, immutable, lambda b, _: self._check_body(b))

    def find_body(self, body_id: uuid.UUID | str) -> Body | None:
        """The body, or ``None``; PermissionDeniedError outside the scope."""
        return self._find_record(Body, body_id)

    def get_body(self, body_id: uuid.UUID | str) -> Body:
        """Like :meth:`find_body` but raises NotFoundError (``body_not_found``)."""
        return self._get_record(Body, body_id)

    def bodies(
        self,
        *,
        within: DivisionCode | str | None = None,
        kind: BodyKind | str | None = None,
        open_on: date | None = None,
    ) -> List[Body]:
        """Bodies in ``within``'s subtree (∩ scope), of a kind, open on a date."""
        kinds = None if kind is None else frozenset({BodyKind.parse(kind, field="kind").value})
        return self._records(Body, within, OrgQuery(kinds=kinds, on=open_on))

    # -- officials and technicians -------------------------------------------------------------
    def _check_holder(self, holder: Official | Technician) -> None:
        self._record_unit(holder.unit_code, None, "unit_code")
        entries: Sequence[RankEntry | TitleEntry] = holder.history
        for index, entry in enumerate(entries):
            self._not_future(entry.since, f"{holder.HISTORY}[{index}].since")
        if holder.person_id is not None:
            self._person(holder.person_id, "person_id")

    def _add_holder(self, holder: H, reason: str) -> H:
        self._check_holder(holder)
        return self._add_record(holder, reason)

    def _save_holder(self, holder: H, reason: str, correction: bool) -> H:
        return self._replace(holder, reason, correction, (), lambda h, _: self._check_holder(h))

    @staticmethod
    def _holder_query(
        cls: type[Official | Technician],
        minority: bool | None,
        minimum: Graded | str | None,
        as_of: date | None,
        limit: int | None = None,
        offset: int = 0,
    ) -> OrgQuery:
        """``min_rank``/``min_title`` and ``as_of``: the grade held on ``as_of`` (``None``: the
        open period) is at least ``minimum``."""
        grade, field = _GRADES[cls]
        order = None if minimum is None else grade.parse(minimum, field=field).order
        return OrgQuery(minority=minority, on=as_of, min_order=order, limit=limit, offset=offset)

    def add_official(self, official: Official, *, reason: str) -> Official:
        """Store a new official (rank dates may not lie in the future of the clock)."""
        official = self._typed(official, Official, "official")
        return self._add_holder(official, reason)

    def save_official(
        self, official: Official, *, reason: str, correction: bool = False
    ) -> Official:
        """Store a changed official (a new rank, leaving …), version-checked."""
        official = self._typed(official, Official, "official")
        return self._save_holder(official, reason, correction)

    def find_official(self, official_id: uuid.UUID | str) -> Official | None:
        """The official, or ``None``; PermissionDeniedError outside the scope."""
        return self._find_record(Official, official_id)

    def get_official(self, official_id: uuid.UUID | str) -> Official:
        """Like :meth:`find_official` but raises NotFoundError (``official_not_found``)."""
        return self._get_record(Official, official_id)

    def officials(
        self,
        *,
        within: DivisionCode | str | None = None,
        minority: bool | None = None,
        min_rank: Rank | str | None = None,
        as_of: date | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> List[Official]:
        """Officials in the subtree (∩ scope); with ``min_rank`` and/or ``as_of``, those whose
        rank on ``as_of`` (``None``: now, the open period) is at least ``min_rank`` — e.g.
        ``officials(minority=True, min_rank="副科级", as_of=date(2019, 12, 16))``."""
        q = self._holder_query(Official, minority, min_rank, as_of, limit, offset)
        return self._records(Official, within, q)

    def count_officials(
        self,
        *,
        within: DivisionCode | str | None = None,
        minority: bool | None = None,
        min_rank: Rank | str | None = None,
        as_of: date | None = None,
    ) -> int:
        """How many officials :meth:`officials` would return (counted in the store)."""
        q = self._holder_query(Official, minority, min_rank, as_of)
        return self._count_records(Official, within, q)

    def add_technician(self, technician: Technician, *, reason: str) -> Technician:
        """Store a new technician (title dates may not lie in the future of the clock)."""
        technician = self._typed(technician, Technician, "technician")
        return self._add_holder(technician, reason)

    def save_technician(
        self, technician: Technician, *, reason: str, correction: bool = False
    ) -> Technician:
        """Store a changed technician, version-checked."""
        technician = self._typed(technician, Technician, "technician")
        return self._save_holder(technician, reason, correction)

    def find_technician(self, technician_id: uuid.UUID | str) -> Technician | None:
        """The technician, or ``None``; PermissionDeniedError outside the scope."""
        return self._find_record(Technician, technician_id)

    def get_technician(self, technician_id: uuid.UUID | str) -> Technician:
        """Like :meth:`find_technician` but raises NotFoundError (``technician_not_found``)."""
        return self._get_record(Technician, technician_id)

    def technicians(
        self,
        *,
        within: DivisionCode | str | None = None,
        minority: bool | None = None,
        min_title: TitleLevel | str | None = None,
        as_of: date | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> List[Technician]:
        """Technicians in the subtree (∩ scope) whose title on ``as_of`` is at least
        ``min_title`` (see :meth:`officials`)."""
        q = self._holder_query(Technician, minority, min_title, as_of, limit, offset)
        return self._records(Technician, within, q)

    def count_technicians(
        self,
        *,
        within: DivisionCode | str | None = None,
        minority: bool | None = None,
        min_title: TitleLevel | str | None = None,
        as_of: date | None = None,
    ) -> int:
        """How many technicians :meth:`technicians` would return (counted in the store)."""
        q = self._holder_query(Technician, minority, min_title, as_of)
        return self._count_records(Technician, within, q)

    # -- appointments --------------------------------------------------------------------------
    def _check_appointment(self, appointment: Appointment) -> None:
        unit = self._record_unit(
            appointment.unit_code, appointment.start, "unit_code", appointment.end
        )
        self.policy().check(unit.level, appointment.role)
        official = self._official(appointment.official_id)
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
        appointment = self._typed(appointment, Appointment, "appointment")
        self._check_appointment(appointment)
        return self._add_record(appointment, reason)

    def save_appointment(
        self, appointment: Appointment, *, reason: str, correction: bool = False
    ) -> Appointment:
        """Store a changed appointment (its end, basis or dates), version-checked; official,
        role and unit cannot change (that is a new appointment)."""
        appointment = self._typed(appointment, Appointment, "appointment")
        immutable = ("official_id", "role", "unit_code")
        check = self._check_appointment
        return self._replace(appointment, reason, correction, immutable, lambda a, _: check(a))

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
        return self._find_record(Appointment, appointment_id)

    def get_appointment(self, appointment_id: uuid.UUID | str) -> Appointment:
        """Like :meth:`find_appointment` but raises NotFoundError (``appointment_not_found``)."""
        return self._get_record(Appointment, appointment_id)

    def appointments(
        self,
        *,
        within: DivisionCode | str | None = None,
        role: str | None = None,
        official_id: uuid.UUID | None = None,
        active_on: date | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> List[Appointment]:
        """Appointments in the subtree (∩ scope), of a role, of an official, holding on a
        date; ordered by unit, role, start."""
        q = OrgQuery(
            kinds=one_kind(role, "role"),
            parent_id=official_id,
            on=active_on,
            limit=limit,
            offset=offset,
        )
        return self._records(Appointment, within, q)

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
        day = fields.as_date_or_none(as_of, "as_of") or self._uow.today()
        since = fields.as_date_or_none(since, "since")
        pol = (
            self.policy() if policy is None else self._typed(policy, ResponsibilityPolicy, "policy")
        )
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

    def history(self, record: Body | Official | Technician | Appointment) -> List[ChangeRecord]:
        """The change history of a record (scope-checked), oldest first."""
        self._typed(record, (Body, Official, Technician, Appointment), "record")
        return self._record_history(self._get_record(type(record), record.id))
