"""The unit of work and its repositories (工作单元与仓储).

``with store.unit_of_work(actor) as uow: ...; uow.commit()`` — everything done through ``uow``
becomes visible to others only on :meth:`UnitOfWork.commit`; leaving the block without a commit
(or with an exception) rolls back. After a commit the same ``uow`` may go on with a new
transaction.

The repositories enforce the domain rules on top of the storage primitives of
:mod:`minzu_core.ports`: the actor's scope, validation against the stored hierarchy, one active
record per ID number, optimistic versions and the change history (who, when, why).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from types import TracebackType
from typing import Any, TypeAlias

import attrs

from minzu_core.checks import check_version, require_reason
from minzu_core.clock import Clock, today_cst
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.codes.resident_id import mask_resident_id, parse_resident_id
from minzu_core.dispute_repository import DisputeRepository
from minzu_core.disputes import DEFAULT_TARGET_DAYS
from minzu_core.errors import (
    DuplicateError,
    MinzuError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from minzu_core.hierarchy import Hierarchy, Unit, UnitChange, UnitChangeKind
from minzu_core.history import ChangeKind, ChangeRecord
from minzu_core.ledger import Person, PersonStatus, ResidenceStatus
from minzu_core.organisation_repository import ActivityRepository, OrganisationRepository
from minzu_core.ports import PersonQuery, StoreBackend, StoreSession, UnitQuery, unit_key
from minzu_core.privacy import Actor, intersect_scope
from minzu_core.serialization import unstructure
from minzu_core.service_repository import ServiceRepository
from minzu_core.services import Calendar, CalendarDays

__all__ = ["PersonRepository", "UnitOfWork", "UnitRepository"]

# The repositories have a method called ``list``; annotations inside them use this alias.
_List: TypeAlias = list


def _as_code(value: DivisionCode | str, field: str = "code") -> DivisionCode:
    return value if isinstance(value, DivisionCode) else DivisionCode.parse(value, field=field)


def _prefixes(roots: tuple[DivisionCode, ...] | None) -> tuple[str, ...] | None:
    return None if roots is None else tuple(r.short for r in roots)


class UnitOfWork:
    """One business transaction by one actor. Use it as a context manager.

    Attributes:
        actor: who is acting (recorded in every change; their scope limits every read/write).
        units: the :class:`UnitRepository`.
        people: the :class:`PersonRepository`.
        services: the :class:`~minzu_core.service_repository.ServiceRepository`.
        org, activities: the organisation section (:mod:`minzu_core.organisation_repository`).
        disputes: the :class:`~minzu_core.dispute_repository.DisputeRepository`.
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
    ) -> None:
        self._backend = backend
        self.actor = actor
        self.clock = clock
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
        """Commit everything done since the block started (or since the last commit)."""
        session = self._session
        if session is None:
            return
        try:
            session.commit()
        finally:
            self._session = None
            session.close()

    def rollback(self) -> None:
        """Discard everything done since the block started (or since the last commit)."""
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

    # -- helpers shared by repositories ----------------------------------------------------------
    def record(
        self,
        entity_type: str,
        entity_id: str,
        version: int,
        kind: ChangeKind,
        reason: str,
        snapshot: Any,
    ) -> ChangeRecord:
        """Append a history record for a change made in this unit of work."""
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
        return record

    def history(self, entity_type: str, entity_id: str) -> _List[ChangeRecord]:
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


class UnitRepository:
    """Units of the division hierarchy and their recorded changes."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @property
    def _s(self) -> StoreSession:
        return self._uow.session

    # -- reads ---------------------------------------------------------------------------------
    def find(self, code: DivisionCode | str, as_of: date | None = None) -> Unit | None:
        """The unit with ``code`` valid on ``as_of`` (``None``: the latest version), or None."""
        c = _as_code(code)
        self._uow.actor.require(c, write=False)
        return _pick_version(self._s.get_unit_versions(c), as_of)

    def get(self, code: DivisionCode | str, as_of: date | None = None) -> Unit:
        """Like :meth:`find` but raises :class:`NotFoundError` (code ``unit_not_found``)."""
        unit = self.find(code, as_of)
        if unit is None:
            c = _as_code(code)
            raise NotFoundError(
                f"单位 {c.short} 不存在",
                f"unit {c.short} not found",
                code="unit_not_found",
                field="code",
                details={"code": c.value},
            )
        return unit

    def versions(self, code: DivisionCode | str) -> _List[Unit]:
        """Every stored version of a code (codes can be reused), oldest first."""
        c = _as_code(code)
        self._uow.actor.require(c, write=False)
        return self._s.get_unit_versions(c)

    def list(
        self,
        *,
        within: DivisionCode | str | None = None,
        level: Level | None = None,
        as_of: date | None = None,
    ) -> _List[Unit]:
        """Units in ``within``'s subtree (or the whole scope), optionally of one level and valid
        on a date; only units inside the actor's scope are returned."""
        roots = intersect_scope(self._uow.actor, None if within is None else _as_code(within))
        return self._s.query_units(UnitQuery(prefixes=_prefixes(roots), level=level, as_of=as_of))

    def children(self, code: DivisionCode | str, as_of: date | None = None) -> _List[Unit]:
        """The direct children of a unit (in scope)."""
        c = _as_code(code)
        return [u for u in self.list(within=c, as_of=as_of) if u.code.parent == c]

    def subtree(
        self, code: DivisionCode | str, as_of: date | None = None, *, include_self: bool = True
    ) -> _List[Unit]:
        """The unit and everything below it (in scope)."""
        c = _as_code(code)
        units = self.list(within=c, as_of=as_of)
        return units if include_self else [u for u in units if u.code != c]

    def ancestors(self, code: DivisionCode | str, as_of: date | None = None) -> _List[Unit]:
        """The stored units above ``code``, nearest first."""
        c = _as_code(code)
        self._uow.actor.require(c, write=False)
        found: _List[Unit] = []
        for anc in c.ancestors():
            unit = _pick_version(self._s.get_unit_versions(anc), as_of)
            if unit is not None:
                found.append(unit)
        return found

    def hierarchy(self, *, within: DivisionCode | str | None = None) -> Hierarchy:
        """An in-memory :class:`Hierarchy` of the units and changes in scope (for analysis)."""
        units = self.list(within=within)
        roots = intersect_scope(self._uow.actor, None if within is None else _as_code(within))
        return Hierarchy(units, self._s.query_unit_changes(_prefixes(roots)))

    def changes(self, *, within: DivisionCode | str | None = None) -> _List[UnitChange]:
        """Recorded unit changes in scope, by effective date."""
        roots = intersect_scope(self._uow.actor, None if within is None else _as_code(within))
        return self._s.query_unit_changes(_prefixes(roots))

    def history(
        self, code: DivisionCode | str, valid_from: date | None = None
    ) -> _List[ChangeRecord]:
        """The change history of one unit version."""
        c = _as_code(code)
        self._uow.actor.require(c, write=False)
        return self._s.list_history("unit", unit_key(c, valid_from))

    # -- writes --------------------------------------------------------------------------------
    def add(self, unit: Unit, *, reason: str) -> Unit:
        """Store a new unit version. Its parent (for a standard code below the province) must
        already be stored, and its validity must not overlap another version of the code."""
        why = require_reason(reason)
        self._uow.actor.require(unit.code)
        self._check_new_unit(unit)
        stored = attrs.evolve(unit, version=1)
        self._s.insert_unit(stored)
        self._uow.record(
            "unit", unit_key(unit.code, unit.valid_from), 1, ChangeKind.CREATED, why, stored
        )
        return stored

    def add_many(self, units: Iterable[Unit], *, reason: str) -> _List[Unit]:
        """Add several units, parents first (e.g. a whole NBS edition)."""
        ordered = sorted(units, key=lambda u: (u.level.depth, u.code.value))
        return [self.add(u, reason=reason) for u in ordered]

    def save(self, unit: Unit, *, reason: str, correction: bool = False) -> Unit:
        """Store a changed unit version (same code and ``valid_from``), version-checked."""
        why = require_reason(reason)
        self._uow.actor.require(unit.code)
        current = next(
            (u for u in self._s.get_unit_versions(unit.code) if u.valid_from == unit.valid_from),
            None,
        )
        if current is None:
            raise NotFoundError(
                f"单位 {unit.code.short} 不存在",
                f"unit {unit.code.short} not found",
                code="unit_not_found",
                field="code",
            )
        check_version(current.version, unit.version, "unit")
        others = [
            u for u in self._s.get_unit_versions(unit.code) if u.valid_from != unit.valid_from
        ]
        _check_no_overlap(unit, others)
        stored = attrs.evolve(unit, version=unit.version + 1)
        self._s.update_unit(stored, unit.version)
        kind = ChangeKind.CORRECTED if correction else ChangeKind.UPDATED
        self._uow.record(
            "unit", unit_key(unit.code, unit.valid_from), stored.version, kind, why, stored
        )
        return stored

    def apply_change(self, change: UnitChange, *, reason: str) -> UnitChange:
        """Record a unit change and apply it to the stored versions.

        renamed: the current version closes on the effective date and a version with the new
        name opens; recoded: the old code closes and the successor code opens (with the new name,
        or the old one); merged/split/abolished: the old code closes (successors must exist);
        created: the new code opens with ``new_name``.
        """
        why = require_reason(reason)
        actor = self._uow.actor
        actor.require(change.code)
        for succ in change.successors:
            actor.require(succ, field="successors")
        day = change.effective
        if change.kind is UnitChangeKind.CREATED:
            name = change.new_name
            if not name:
                raise ValidationError(
                    "新设单位须有名称",
                    "a created unit needs new_name",
                    code="name_required",
                    field="new_name",
                )
            self.add(Unit.create(change.code, name, valid_from=day), reason=why)
        else:
            current = _pick_version(self._s.get_unit_versions(change.code), day)
            if current is None:
                raise NotFoundError(
                    f"单位 {change.code.short} 在生效日不存在",
                    f"unit {change.code.short} does not exist on the effective date",
                    code="unit_not_found",
                    field="code",
                )
            if change.kind in (UnitChangeKind.MERGED, UnitChangeKind.SPLIT):
                for succ in change.successors:
                    if _pick_version(self._s.get_unit_versions(succ), day) is None:
                        raise NotFoundError(
                            f"承继单位 {succ.short} 在生效日不存在",
                            f"successor unit {succ.short} does not exist on the effective date",
                            code="unit_not_found",
                            field="successors",
                        )
            self.save(attrs.evolve(current, valid_to=day), reason=why)
            if change.kind is UnitChangeKind.RENAMED:
                name = change.new_name or current.name
                self.add(
                    attrs.evolve(current, name=name, valid_from=day, valid_to=None, version=0),
                    reason=why,
                )
            elif change.kind is UnitChangeKind.RECODED:
                succ = change.successors[0]
                if _pick_version(self._s.get_unit_versions(succ), day) is None:
                    self.add(
                        Unit.create(
                            succ,
                            change.new_name or current.name,
                            valid_from=day,
                            urban_rural_code=current.urban_rural_code,
                        ),
                        reason=why,
                    )
        self._s.insert_unit_change(change)
        self._uow.record("unit_change", str(change.id), 1, ChangeKind.CREATED, why, change)
        return change

    def _check_new_unit(self, unit: Unit) -> None:
        parent = unit.code.parent
        if (
            parent is not None
            and unit.level is not Level.PROVINCE
            and not self._s.get_unit_versions(parent)
        ):
            raise ValidationError(
                f"上级单位 {parent.short} 尚未登记",
                f"parent unit {parent.short} is not stored yet",
                code="parent_missing",
                field="code",
            )
        _check_no_overlap(unit, self._s.get_unit_versions(unit.code))


class PersonRepository:
    """The ledger: persons and their residence episodes."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @property
    def _s(self) -> StoreSession:
        return self._uow.session

    # -- scope ---------------------------------------------------------------------------------
    def _visible(self, person: Person) -> bool:
        actor = self._uow.actor
        return actor.unrestricted or any(actor.covers(r.unit_code) for r in person.residences)

    def _require_visible(self, person: Person) -> None:
        if not self._visible(person):
            raise PermissionDeniedError(
                "该人员不在操作人的数据范围内",
                "the person is outside the actor's scope",
                code="outside_scope",
                field="residences",
            )

    # -- reads ---------------------------------------------------------------------------------
    def find(self, person_id: uuid.UUID | str) -> Person | None:
        """The person with this id, or ``None``; raises PermissionDeniedError out of scope."""
        pid = person_id if isinstance(person_id, uuid.UUID) else uuid.UUID(str(person_id))
        person = self._s.get_person(pid)
        if person is not None:
            self._require_visible(person)
        return person

    def get(self, person_id: uuid.UUID | str) -> Person:
        """Like :meth:`find` but raises :class:`NotFoundError` (code ``person_not_found``)."""
        person = self.find(person_id)
        if person is None:
            raise NotFoundError(
                "人员记录不存在", "person not found", code="person_not_found", field="id"
            )
        return person

    def find_by_id_number(self, id_number: str) -> Person | None:
        """The active record holding this ID number, or ``None``."""
        number = parse_resident_id(id_number).number
        person = self._s.find_active_by_id_number(number)
        if person is not None:
            self._require_visible(person)
        return person

    def _query(
        self,
        within: DivisionCode | str | None,
        as_of: date | None,
        status: ResidenceStatus | None,
        minority: bool | None,
        ethnicity: str | None,
        limit: int | None,
        offset: int,
    ) -> PersonQuery | None:
        roots = intersect_scope(self._uow.actor, None if within is None else _as_code(within))
        if roots == ():
            return None
        return PersonQuery(
            prefixes=_prefixes(roots),
            as_of=as_of,
            status=status,
            minority=minority,
            ethnicity=ethnicity,
            limit=limit,
            offset=offset,
        )

    def list(
        self,
        *,
        within: DivisionCode | str | None = None,
        as_of: date | None = None,
        status: ResidenceStatus | None = None,
        minority: bool | None = None,
        ethnicity: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> _List[Person]:
        """Active persons with a residence in ``within``'s subtree (∩ the actor's scope), present
        on ``as_of`` with ``status`` if given, ordered by id."""
        query = self._query(within, as_of, status, minority, ethnicity, limit, offset)
        return [] if query is None else self._s.query_persons(query)

    def count(
        self,
        *,
        within: DivisionCode | str | None = None,
        as_of: date | None = None,
        status: ResidenceStatus | None = None,
        minority: bool | None = None,
        ethnicity: str | None = None,
    ) -> int:
        """How many persons :meth:`list` would return (counted in the store)."""
        query = self._query(within, as_of, status, minority, ethnicity, None, 0)
        return 0 if query is None else self._s.count_persons(query)

    def likely_duplicates(self, person: Person) -> _List[Person]:
        """Active records (in scope) that may be the same person: same name, birth date and
        ethnicity, another id. Offered for a merge decision (:meth:`merge`)."""
        if person.birth_date is None:
            return []
        roots = intersect_scope(self._uow.actor, None)
        query = PersonQuery(
            prefixes=_prefixes(roots),
            name=person.name,
            birth_date=person.birth_date,
            ethnicity=person.ethnicity,
        )
        return [p for p in self._s.query_persons(query) if p.id != person.id]

    def history(self, person_id: uuid.UUID | str) -> _List[ChangeRecord]:
        """Every recorded change of a person, oldest first."""
        person = self.get(person_id)
        return self._s.list_history("person", str(person.id))

    # -- writes --------------------------------------------------------------------------------
    def add(self, person: Person, *, reason: str) -> Person:
        """Store a new ledger record; returns it with ``version == 1``."""
        why = require_reason(reason)
        if person.version != 0:
            raise ValidationError(
                "新记录的版本号须为 0",
                "a new record must have version 0",
                code="invalid_version",
                field="version",
            )
        if person.status is not PersonStatus.ACTIVE:
            raise ValidationError(
                "新记录须为有效状态",
                "a new record must be active",
                code="invalid_status",
                field="status",
            )
        if self._s.get_person(person.id) is not None:
            raise DuplicateError(
                "人员记录标识重复", "a person with this id exists", code="duplicate_id", field="id"
            )
        self._check(person, None)
        stored = attrs.evolve(person, version=1)
        self._s.insert_person(stored)
        self._uow.record("person", str(person.id), 1, ChangeKind.CREATED, why, stored)
        return stored

    def save(self, person: Person, *, reason: str, correction: bool = False) -> Person:
        """Store a changed record, version-checked. ``correction=True`` marks the change as the
        correction of a recording mistake rather than a change in the world."""
        why = require_reason(reason)
        current = self._s.get_person(person.id)
        if current is None:
            raise NotFoundError(
                "人员记录不存在", "person not found", code="person_not_found", field="id"
            )
        self._require_visible(current)
        check_version(current.version, person.version, "person")
        self._check(person, current)
        stored = attrs.evolve(person, version=person.version + 1)
        self._s.update_person(stored, person.version)
        kind = ChangeKind.CORRECTED if correction else ChangeKind.UPDATED
        self._uow.record("person", str(person.id), stored.version, kind, why, stored)
        return stored

    def merge(self, keep: Person, duplicate: Person, *, reason: str) -> Person:
        """Record the decision that ``duplicate`` is the same person as ``keep``: the duplicate
        becomes ``merged`` (pointing to ``keep``) and stays in the history."""
        why = require_reason(reason)
        if keep.id == duplicate.id:
            raise ValidationError(
                "不能与自身合并",
                "cannot merge a record into itself",
                code="invalid_merge",
                field="merged_into",
            )
        target = self.get(keep.id)
        if target.status is not PersonStatus.ACTIVE:
            raise ValidationError(
                "合并目标须为有效记录",
                "the record kept must be active",
                code="invalid_merge",
                field="merged_into",
            )
        merged = attrs.evolve(duplicate, status=PersonStatus.MERGED, merged_into=keep.id)
        current = self._s.get_person(duplicate.id)
        if current is None:
            raise NotFoundError(
                "人员记录不存在", "person not found", code="person_not_found", field="id"
            )
        self._require_visible(current)
        check_version(current.version, duplicate.version, "person")
        stored = attrs.evolve(merged, version=duplicate.version + 1)
        self._s.update_person(stored, duplicate.version)
        self._uow.record(
            "person", str(duplicate.id), stored.version, ChangeKind.MERGED, why, stored
        )
        return stored

    def _check(self, person: Person, current: Person | None) -> None:
        """Domain rules that need the store or the clock."""
        actor = self._uow.actor
        today = self._uow.today()
        if person.birth_date is not None and person.birth_date > today:
            raise ValidationError(
                "出生日期不能晚于今天",
                "birth date is in the future",
                code="birth_date_in_future",
                field="birth_date",
            )
        if not person.residences and not actor.unrestricted:
            raise PermissionDeniedError(
                "须登记居住地 (数据范围以居住地确定)",
                "a residence is required: the actor's scope is checked against it",
                code="outside_scope",
                field="residences",
            )
        old = {r.id: r for r in current.residences} if current else {}
        for index, residence in enumerate(person.residences):
            if old.get(residence.id) == residence:
                continue  # unchanged episode: no need to re-check
            field = f"residences[{index}].unit_code"
            actor.require(residence.unit_code, field=field)
            if residence.arrival > today:
                raise ValidationError(
                    "来本地时间不能晚于今天",
                    "arrival is in the future",
                    code="arrival_in_future",
                    field=f"residences[{index}].arrival",
                )
            versions = self._s.get_unit_versions(residence.unit_code)
            if not versions:
                raise ValidationError(
                    f"居住地单位 {residence.unit_code.short} 不存在",
                    f"residence unit {residence.unit_code.short} does not exist",
                    code="unit_not_found",
                    field=field,
                )
            if versions[-1].level is not Level.VILLAGE:
                raise ValidationError(
                    "居住地须为社区/村级单位",
                    "the residence unit must be a community or village",
                    code="residence_level",
                    field=field,
                )
        if person.guardian_id is not None and (
            current is None or current.guardian_id != person.guardian_id
        ):
            guardian = self._s.get_person(person.guardian_id)
            if guardian is None:
                raise ValidationError(
                    "监护人记录不存在",
                    "the guardian record does not exist",
                    code="guardian_not_found",
                    field="guardian_id",
                )
        if (
            person.id_number is not None
            and person.status is PersonStatus.ACTIVE
            and (
                current is None
                or current.id_number != person.id_number
                or current.status is not PersonStatus.ACTIVE
            )
        ):
            holder = self._s.find_active_by_id_number(person.id_number)
            if holder is not None and holder.id != person.id:
                raise DuplicateError(
                    f"公民身份号码 {mask_resident_id(person.id_number)} 已有有效记录",
                    f"an active record with ID number {mask_resident_id(person.id_number)} exists",
                    code="duplicate_id_number",
                    field="id_number",
                )


def _pick_version(versions: list[Unit], as_of: date | None) -> Unit | None:
    if not versions:
        return None
    if as_of is None:
        return max(versions, key=lambda u: u.valid_from or date.min)
    for unit in versions:
        if unit.valid_on(as_of):
            return unit
    return None


def _check_no_overlap(unit: Unit, others: list[Unit]) -> None:
    start = unit.valid_from or date.min
    end = unit.valid_to or date.max
    for other in others:
        if other.valid_from == unit.valid_from:
            raise DuplicateError(
                f"单位 {unit.code.short} 的该版本已存在",
                f"unit {unit.code.short} already has a version from this date",
                code="duplicate_unit",
                field="code",
            )
        o_start = other.valid_from or date.min
        o_end = other.valid_to or date.max
        if start < o_end and o_start < end:
            raise DuplicateError(
                f"单位 {unit.code.short} 的有效期与已有版本重叠",
                f"unit {unit.code.short} overlaps the validity of a stored version",
                code="unit_validity_overlap",
                field="valid_from",
            )
