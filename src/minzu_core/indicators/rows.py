"""Aggregates evaluated in Python over domain objects (the memory store's implementation).

:class:`PythonData` gives the domain objects of a store; :func:`entity_rows` turns them into
flat rows (``{field: value}``, the fields of :data:`~minzu_core.indicators.ENTITY_FIELDS`) and
:func:`evaluate` computes an :class:`~minzu_core.indicators.query.AggregateQuery` over them
with the semantics of :mod:`minzu_core.indicators.definitions` (SQL null semantics, graded
fields, set-valued fields, the two period roles). Any store that keeps domain objects in
Python (the memory store, the example JSON-file adapter) can answer the aggregate port with
these two functions.
"""

from __future__ import annotations

import decimal
import enum
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from minzu_core.clock import CST
from minzu_core.codes.divisions import DivisionCode
from minzu_core.indicators.definitions import (
    ENTITY_UNIT_FIELDS,
    ORDERED_FIELDS,
    RESIDENCE_FIELDS,
    Aggregate,
    DateRole,
    Filter,
    Op,
    unsupported_entity,
)
from minzu_core.indicators.query import AggregateQuery, AggregateRow, group_key

__all__ = [
    "PYTHON_ENTITIES",
    "PythonData",
    "entity_rows",
    "evaluate",
    "filter_sets",
    "normalise",
]

Row = dict[str, Any]


def _nothing() -> list[Any]:
    return []


@attrs.define
class PythonData:
    """The domain objects of a store, each kind as a callable returning them (so only what a
    query needs is read). Requests and disputes come with their stored index values
    (:class:`~minzu_core.services.RequestIndex`, :class:`~minzu_core.disputes.DisputeIndex`)."""

    units: Callable[[], Sequence[Any]] = _nothing
    persons: Callable[[], Sequence[Any]] = _nothing
    requests: Callable[[], Sequence[tuple[Any, Any]]] = _nothing
    disputes: Callable[[], Sequence[tuple[Any, Any]]] = _nothing
    windows: Callable[[], Sequence[Any]] = _nothing
    officials: Callable[[], Sequence[Any]] = _nothing
    technicians: Callable[[], Sequence[Any]] = _nothing
    appointments: Callable[[], Sequence[Any]] = _nothing
    activities: Callable[[], Sequence[Any]] = _nothing
    courses: Callable[[], Sequence[Any]] = _nothing
    enrollments: Callable[[], Sequence[Any]] = _nothing
    honours: Callable[[], Sequence[Any]] = _nothing
    bodies: Callable[[], Sequence[Any]] = _nothing
    hours: Callable[[], Sequence[Any]] = _nothing
    policy: Callable[[], Any] = lambda: None


def normalise(value: Any) -> Any:
    """A stored value as a row value: enums by value, codes and UUIDs as text, decimals as
    float; sets as frozensets of normalised members; dates and aware datetimes unchanged."""
    if value is None or isinstance(value, bool | int | float | str | date):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, DivisionCode):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, frozenset | set | tuple | list):
        return frozenset(normalise(v) for v in value)
    return str(value)


def _minority(ethnicity: Any) -> bool | None:
    return None if ethnicity is None else normalise(ethnicity) != "01"


# -- rows of each entity -------------------------------------------------------------------------
def _residence_fields(residence: Any) -> Row:
    if residence is None:
        return {f"residence.{name}": None for name in ("id", *RESIDENCE_FIELDS)}
    return {
        "residence.id": str(residence.id),
        "residence.unit_code": residence.unit_code.value,
        "residence.status": residence.status.value,
        "residence.arrival": residence.arrival,
        "residence.departure": residence.departure,
        "residence.address": residence.address,
        "residence.origin": normalise(residence.origin),
        "residence.reason": normalise(residence.reason),
        "residence.occupation": residence.occupation,
        "residence.employer": residence.employer,
        "residence.employer_uscc": residence.employer_uscc,
    }


def _filled(value: Any) -> bool:
    return value is not None and (not isinstance(value, str) or value.strip() != "")


def _complete(person: Any, residence: Any) -> bool:
    identity = _filled(person.id_number) or (
        person.birth_date is not None and person.gender is not None
    )
    ok = (
        _filled(person.name)
        and identity
        and _filled(person.ethnicity)
        and _filled(person.phone)
        and residence is not None
        and _filled(residence.address)
    )
    if ok and residence.status.value == "floating":
        ok = residence.arrival is not None and residence.origin is not None
    return bool(ok)


def _person_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    for person in data.persons():
        base: Row = {
            "id": str(person.id),
            "name": person.name,
            "ethnicity": person.ethnicity,
            "id_number": person.id_number,
            "gender": normalise(person.gender),
            "birth_date": person.birth_date,
            "phone": person.phone,
            "household.division_code": None
            if person.household is None
            else normalise(person.household.division_code),
            "household.address": None if person.household is None else person.household.address,
            "language": normalise(person.language),
            "guardian_id": normalise(person.guardian_id),
            "status": person.status.value,
            "merged_into": normalise(person.merged_into),
            "is_minority": _minority(person.ethnicity),
        }
        for residence in person.residences or (None,):
            row = dict(base)
            row.update(_residence_fields(residence))
            row["is_complete"] = _complete(person, residence)
            yield row


def _residence_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    for person in data.persons():
        for residence in person.residences:
            row = {
                name.removeprefix("residence."): value
                for name, value in _residence_fields(residence).items()
            }
            row["person_id"] = str(person.id)
            row["person.ethnicity"] = person.ethnicity
            row["person.is_minority"] = _minority(person.ethnicity)
            row["person.gender"] = normalise(person.gender)
            row["person.birth_date"] = person.birth_date
            row["person.language"] = normalise(person.language)
            row["person.status"] = person.status.value
            yield row


def _request_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    ethnicity = {str(p.id): p.ethnicity for p in data.persons()}
    for request, index in data.requests():
        applicant = str(request.applicant_id)
        yield {
            "id": str(request.id),
            "window_id": str(request.window_id),
            "unit_code": request.unit_code.value,
            "applicant_id": applicant,
            "category": request.category.value,
            "received_at": request.received_at,
            "state": index.state,
            "accepted_at": index.accepted_at,
            "resolved_at": index.resolved_at,
            "followed_up_at": index.followed_up_at,
            "closed_at": index.closed_at,
            "time_limit_days": index.time_limit_days,
            "resolved_on_time": index.resolved_on_time,
            "satisfaction": index.satisfaction,
            "applicant.ethnicity": ethnicity.get(applicant),
            "applicant.is_minority": _minority(ethnicity.get(applicant)),
        }


def _dispute_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    for dispute, index in data.disputes():
        yield {
            "id": str(dispute.id),
            "origin_unit": dispute.origin_unit.value,
            "category": dispute.category.value,
            "severity": dispute.severity.value,
            "source": dispute.source.value,
            "registered_at": dispute.registered_at,
            "ethnic_factor": dispute.ethnic_factor,
            "mass": dispute.mass,
            "referred_by": dispute.referred_by,
            "state": index.state,
            "handling_unit": index.handling_unit.value,
            "accepted_at": index.accepted_at,
            "concluded_at": index.concluded_at,
            "outcome": index.outcome,
            "concluded_within_target": index.concluded_within_target,
            "escalations": index.escalations,
            "target_days": index.target_days,
            "due_at": index.due_at,
            "party_count": index.party_count,
        }


def _holders(appointments: Iterable[Any], as_of: date) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for a in appointments:
        if a.start <= as_of and (a.end is None or as_of < a.end):
            key = (a.unit_code.value, a.role)
            counts[key] = counts.get(key, 0) + 1
    return counts


def responsibility_complete(
    level: Any, code: str, policy: Any, holders: Mapping[tuple[str, str], int]
) -> bool | None:
    """Whether every rule of ``policy`` at ``level`` is met at unit ``code`` given the holder
    counts ``(unit code, role) → holders``; ``None`` if the policy has no rule there."""
    rules = policy.rules_for(level)
    if not rules:
        return None
    for rule in rules:
        count = holders.get((code, rule.role), 0)
        if count < rule.min_count or (rule.max_count is not None and count > rule.max_count):
            return False
    return True


def _unit_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    from minzu_core.organisation.responsibility import DEFAULT_POLICY

    policy = data.policy() or DEFAULT_POLICY
    holders = _holders(data.appointments(), as_of)
    open_windows = {w.unit_code.value for w in data.windows() if w.open_on(as_of)}
    for unit in data.units():
        code = unit.code.value
        parent = unit.code.parent
        yield {
            "code": code,
            "name": unit.name,
            "level": unit.level.value,
            "kind": unit.kind.value,
            "valid_from": unit.valid_from,
            "valid_to": unit.valid_to,
            "urban_rural_code": unit.urban_rural_code,
            "parent_code": None if parent is None else parent.value,
            "has_open_window": code in open_windows,
            "responsibility_complete": responsibility_complete(unit.level, code, policy, holders),
        }


def _window_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    for w in data.windows():
        yield {
            "id": str(w.id),
            "unit_code": w.unit_code.value,
            "name": w.name,
            "opened": w.opened,
            "closed": w.closed,
            "categories": normalise(w.categories),
        }


def _appointment_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    ethnicity = {str(o.id): o.ethnicity for o in data.officials()}
    for a in data.appointments():
        official = str(a.official_id)
        yield {
            "id": str(a.id),
            "official_id": official,
            "role": a.role,
            "unit_code": a.unit_code.value,
            "start": a.start,
            "end": a.end,
            "basis": a.basis,
            "body_id": normalise(a.body_id),
            "official.ethnicity": ethnicity.get(official),
            "official.is_minority": _minority(ethnicity.get(official)),
        }


def _holder_base(holder: Any) -> Row:
    return {
        "id": str(holder.id),
        "unit_code": holder.unit_code.value,
        "name": holder.name,
        "ethnicity": holder.ethnicity,
        "gender": normalise(holder.gender),
        "person_id": normalise(holder.person_id),
        "left_on": holder.left_on,
        "is_minority": _minority(holder.ethnicity),
    }


def _official_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    for o in data.officials():
        yield {**_holder_base(o), "position": o.position, "rank": normalise(o.rank_on(as_of))}


def _technician_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    for t in data.technicians():
        yield {**_holder_base(t), "specialty": t.specialty, "title": normalise(t.title_on(as_of))}


def _activity_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    for a in data.activities():
        yield {
            "id": str(a.id),
            "type": a.type,
            "organiser_code": a.organiser_code.value,
            "title": a.title,
            "start": a.start,
            "end": a.end,
            "participants": a.participants,
            "minority_participants": a.minority_participants,
            "materials": a.materials,
            "body_id": normalise(a.body_id),
            "attendee_count": len(a.attendee_ids),
        }


def _enrollment_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    courses = {str(c.id): c for c in data.courses()}
    for e in data.enrollments():
        course = courses.get(str(e.course_id))
        yield {
            "id": str(e.id),
            "course_id": str(e.course_id),
            "enrolled_on": e.enrolled_on,
            "person_id": normalise(e.person_id),
            "official_id": normalise(e.official_id),
            "completed_on": e.completed_on,
            "completed": e.completed_on is not None,
            "course.type": None if course is None else course.type,
            "course.organiser_code": None if course is None else course.organiser_code.value,
            "course.title": None if course is None else course.title,
            "course.start": None if course is None else course.start,
            "course.end": None if course is None else course.end,
        }


def _honour_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    for h in data.honours():
        yield {
            "id": str(h.id),
            "title": h.title,
            "unit_code": h.unit_code.value,
            "awarded_on": h.awarded_on,
            "person_id": normalise(h.person_id),
            "business_name": h.business_name,
            "business_uscc": h.business_uscc,
            "ceremony_id": normalise(h.ceremony_id),
            "basis": h.basis,
        }


def _hours_rows(data: PythonData, as_of: date) -> Iterator[Row]:
    teams = {str(b.id): b.unit_code.value for b in data.bodies()}
    for h in data.hours():
        yield {
            "id": str(h.id),
            "team_id": str(h.team_id),
            "kind": h.kind.value,
            "served_on": h.served_on,
            "hours": float(h.hours),
            "member_id": normalise(h.member_id),
            "team.unit_code": teams.get(str(h.team_id)),
        }


_BUILDERS: dict[str, Callable[[PythonData, date], Iterator[Row]]] = {
    "person": _person_rows,
    "residence": _residence_rows,
    "service_request": _request_rows,
    "dispute": _dispute_rows,
    "unit": _unit_rows,
    "service_window": _window_rows,
    "appointment": _appointment_rows,
    "official": _official_rows,
    "technician": _technician_rows,
    "activity": _activity_rows,
    "enrollment": _enrollment_rows,
    "honour": _honour_rows,
    "service_hours": _hours_rows,
}

#: The entities :func:`entity_rows` can produce.
PYTHON_ENTITIES: frozenset[str] = frozenset(_BUILDERS)


def entity_rows(entity: str, data: PythonData, as_of: date) -> Iterator[Row]:
    """The flat rows of ``entity`` ("as of" fields evaluated on ``as_of``)."""
    builder = _BUILDERS.get(entity)
    if builder is None:
        raise unsupported_entity(entity)
    return builder(data, as_of)


# -- evaluation ----------------------------------------------------------------------------------
def filter_sets(entity: str, condition: Filter) -> tuple[Op, Any]:
    """The filter with an ordering operator on a graded field rewritten as ``in`` over the
    grades it admits (``rank ge deputy_section`` → ``rank in (deputy_section, …)``)."""
    grades = ORDERED_FIELDS.get(entity, {}).get(condition.field)
    if grades is None or not condition.op.ordering:
        return condition.op, condition.value
    index = grades.index(str(condition.value))
    chosen = {
        Op.GE: grades[index:],
        Op.GT: grades[index + 1 :],
        Op.LE: grades[: index + 1],
        Op.LT: grades[:index],
    }[condition.op]
    return Op.IN, tuple(chosen)


def _coerce(arg: Any, like: Any) -> Any:
    """A filter value in the type of the row value it is compared with."""
    if isinstance(arg, str) and isinstance(like, datetime):
        return datetime.combine(date.fromisoformat(arg), datetime.min.time(), CST)
    if isinstance(arg, str) and isinstance(like, date):
        return date.fromisoformat(arg)
    return arg


def _compare(value: Any, op: Op, arg: Any) -> bool:
    if op is Op.IS_NULL:
        return value is None
    if value is None:
        return False
    if op is Op.NOT_NULL:
        return True
    if isinstance(value, frozenset):  # a set-valued field: eq = contains, in = contains any
        if op is Op.EQ:
            return arg in value
        if op is Op.NE:
            return arg not in value
        if op is Op.IN:
            return any(a in value for a in arg)
        if op is Op.NOT_IN:
            return not any(a in value for a in arg)
        return False
    if op is Op.IN:
        return any(_same(value, _coerce(a, value)) for a in arg)
    if op is Op.NOT_IN:
        return not any(_same(value, _coerce(a, value)) for a in arg)
    other = _coerce(arg, value)
    if op is Op.EQ:
        return _same(value, other)
    if op is Op.NE:
        return not _same(value, other)
    try:
        if op is Op.GE:
            return bool(value >= other)
        if op is Op.LE:
            return bool(value <= other)
        if op is Op.GT:
            return bool(value > other)
        return bool(value < other)
    except TypeError:
        return False


def _same(value: Any, other: Any) -> bool:
    if isinstance(value, bool) or isinstance(other, bool):
        return isinstance(value, bool) and isinstance(other, bool) and value is other
    return bool(value == other)


def _in_period(row: Row, query: AggregateQuery) -> bool:
    m = query.measure
    if m.date_role is DateRole.WITHIN_PERIOD:
        assert m.date_field is not None
        when = row.get(m.date_field)
        if when is None:
            return False
        if isinstance(when, datetime):
            return query.start_at <= when < query.end_at
        return bool(query.start <= when <= query.end)
    if m.valid_from_field is not None:
        since = row.get(m.valid_from_field)
        if since is not None:
            if isinstance(since, datetime):
                if not since < query.end_at:
                    return False
            elif not since <= query.end:
                return False
    if m.valid_to_field is not None:
        until = row.get(m.valid_to_field)
        if until is not None:
            if isinstance(until, datetime):
                if not query.end_at <= until:
                    return False
            elif not query.end < until:
                return False
    return True


@attrs.define
class _Slot:
    """One group's running aggregate."""

    rows: int = 0  # rows that passed
    values: int = 0  # of those, with a non-null field value
    total: float = 0.0
    distinct: set[Any] = attrs.Factory(set)


def evaluate(query: AggregateQuery, rows: Iterable[Row]) -> list[AggregateRow]:
    """``query`` over ``rows``: one :class:`AggregateRow` per (key, group) with rows, sorted."""
    m = query.measure
    unit_field = m.unit_field or ENTITY_UNIT_FIELDS[m.entity]
    prefixes = query.prefixes
    conditions = [(c.field, *filter_sets(m.entity, c)) for c in m.filters]
    totals: dict[tuple[str, str | None], _Slot] = {}
    for row in rows:
        code = row.get(unit_field)
        if code is None or not any(code.startswith(p) for p in prefixes):
            continue
        if not _in_period(row, query):
            continue
        if not all(_compare(row.get(f), op, arg) for f, op, arg in conditions):
            continue
        key = group_key(code, query.key_length, query.remap)
        group: str | None = None
        if query.breakdown is not None:
            raw = row.get(query.breakdown)
            group = None if raw is None else str(normalise(raw))
            group = "" if group is None else group
        slot = totals.get((key, group))
        if slot is None:
            slot = totals[(key, group)] = _Slot()
        slot.rows += 1
        if m.aggregate is Aggregate.COUNT:
            continue
        value = row.get(m.field or "")
        if value is None:
            continue
        slot.values += 1
        if m.aggregate is Aggregate.COUNT_DISTINCT:
            slot.distinct.add(value if not isinstance(value, frozenset) else tuple(sorted(value)))
        else:  # sum, average: the sum of the non-null values
            slot.total += float(value)
    result = []
    for (key, group), slot in sorted(
        totals.items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        if m.aggregate is Aggregate.COUNT:
            result.append(AggregateRow(key, group, float(slot.rows), slot.rows))
        elif m.aggregate is Aggregate.COUNT_DISTINCT:
            result.append(AggregateRow(key, group, float(len(slot.distinct)), slot.rows))
        elif m.aggregate is Aggregate.SUM:
            result.append(AggregateRow(key, group, slot.total, slot.rows))
        else:  # average: the engine divides the sum by the number of values
            result.append(AggregateRow(key, group, slot.total, slot.values))
    return result
