"""Indicator aggregates in SQL (a mixin of :class:`~minzu_adapters.sql.store.SqlSession`).

The :class:`~minzu_core.indicators.query.AggregateQuery` objects of one call that read the same
rows — same entity, unit field, key length, scope, remap and day — become **one** statement,
each query a conditional aggregate in it, whatever their filters and date windows::

    SELECT k, [g,] count(f0) AS m0, count(f1) AS m1, sum(x2) AS v2, count(f2) AS m2, …
    FROM (SELECT <key> AS k, [<breakdown> AS g,]
                 CASE WHEN <period 0> AND <filters 0> THEN 1 END AS f0, …
                 CASE WHEN <period 2> AND <filters 2> THEN <field> END AS x2, …
          FROM <entity source>
          WHERE <unit field> starts with '<scope>' [or a remapped prefix]
            AND <filters every query has>) AS rows
    GROUP BY k[, g]

A query broken down by a field (``g``) shares the statement with the others: their figures
are its groups added up per key (exact for counts and for sums of integer columns; a
``count_distinct`` without that breakdown, a sum of another column or a second breakdown field
gets a statement of its own). The answers come back as columns
(:class:`~minzu_core.indicators.query.AggregateColumns`,
:meth:`IndicatorStorage.aggregate_columns`).
A batch of one query puts its conditions in ``WHERE`` instead (an index may serve them).
``<key>`` is ``substr(unit_field, 1, n)``, or a ``CASE`` over the remapped prefixes in the
"mapped" hierarchy mode. The entity source is a table, with joins added only when a field under
their prefix is used; derived fields are SQL expressions (e.g. ``is_minority`` is ``ethnicity
<> '01'``, an official's ``rank`` on the period's last day a correlated subquery on
``official_ranks``, a unit's ``responsibility_complete`` the store's policy written out as
holder counts per role). The inner query keeps the GROUP BY portable: PostgreSQL cannot match a
grouped expression that carries bound parameters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from itertools import compress
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Row,
    Select,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.types import JSON, Integer

from minzu_core.clock import CST
from minzu_core.codes.divisions import Level
from minzu_core.errors import ValidationError
from minzu_core.indicators.definitions import (
    ENTITY_UNIT_FIELDS,
    RESIDENCE_FIELDS,
    Aggregate,
    DateRole,
    Op,
    unsupported_entity,
)
from minzu_core.indicators.query import AggregateColumns, AggregateQuery, AggregateRow
from minzu_core.indicators.rows import filter_sets
from minzu_core.organisation.responsibility import DEFAULT_POLICY, ResponsibilityPolicy

if TYPE_CHECKING:
    from minzu_adapters.sql.schema import Tables

__all__ = ["SQL_ENTITIES", "IndicatorStorage"]


@attrs.frozen
class _Field:
    expr: ColumnElement[Any]
    kind: str  # text, date, timestamp, bool, number, set


@attrs.frozen
class _Source:
    """An entity's rows: a table (or join), its fields, and joins made only when a field
    under their prefix is used (e.g. the applicant's person row of a request)."""

    from_: FromClause
    fields: dict[str, _Field]
    optional: tuple[tuple[str, Any, Any], ...] = ()  # (field prefix, table, ON clause)

    def joined(self, used: set[str]) -> FromClause:
        """The FROM clause for a statement reading the fields ``used``."""
        result = self.from_
        for prefix, table, onclause in self.optional:
            if any(name.startswith(prefix) for name in used):
                result = result.outerjoin(table, onclause)
        return result


#: A field of each kind, from its SQL expression.
_text = functools.partial(_Field, kind="text")
_date = functools.partial(_Field, kind="date")
_ts = functools.partial(_Field, kind="timestamp")
_bool = functools.partial(_Field, kind="bool")
_num = functools.partial(_Field, kind="number")


def _flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """A boolean that is never null."""
    return case((condition, true()), else_=false())


def _filled(column: Any) -> ColumnElement[bool]:
    # The domain stores a blank text as NULL (``Person``, ``Residence`` converters).
    result: ColumnElement[bool] = column.is_not(None)
    return result


class _Builder:
    """Builds the entity sources of one store for one "as of" date."""

    def __init__(
        self, t: Tables, dialect: str, as_of: date, policy: Callable[[], ResponsibilityPolicy]
    ) -> None:
        self.t = t
        self.dialect = dialect
        self.as_of = as_of
        self.policy = policy

    # -- ledger --------------------------------------------------------------------------------
    def _person_fields(self, prefix: str = "") -> dict[str, _Field]:
        p = self.t.persons
        return {
            f"{prefix}id": _text(p.c.id),
            f"{prefix}name": _text(p.c.name),
            f"{prefix}ethnicity": _text(p.c.ethnicity),
            f"{prefix}id_number": _text(p.c.id_number),
            f"{prefix}gender": _text(p.c.gender),
            f"{prefix}birth_date": _date(p.c.birth_date),
            f"{prefix}phone": _text(p.c.phone),
            f"{prefix}household.division_code": _text(p.c.household_code),
            f"{prefix}household.address": _text(p.c.household_address),
            f"{prefix}language": _text(p.c.language),
            f"{prefix}guardian_id": _text(p.c.guardian_id),
            f"{prefix}status": _text(p.c.status),
            f"{prefix}merged_into": _text(p.c.merged_into),
            f"{prefix}is_minority": _bool(p.c.ethnicity != "01"),
        }

    def _residence_fields(self, prefix: str) -> dict[str, _Field]:
        r = self.t.residences
        dates = ("arrival", "departure")
        return {
            f"{prefix}{name}": (_date if name in dates else _text)(r.c[name])
            for name in ("id", *RESIDENCE_FIELDS)
        }

    def person(self) -> _Source:
        p, r = self.t.persons, self.t.residences
        fields = self._person_fields()
        fields.update(self._residence_fields("residence."))
        identity = or_(
            p.c.id_number.is_not(None), and_(p.c.birth_date.is_not(None), p.c.gender.is_not(None))
        )
        complete = and_(
            _filled(p.c.name),
            identity,
            _filled(p.c.ethnicity),
            _filled(p.c.phone),
            r.c.id.is_not(None),
            _filled(r.c.address),
            or_(
                r.c.status != "floating",
                and_(r.c.arrival.is_not(None), r.c.origin.is_not(None)),
            ),
        )
        fields["is_complete"] = _bool(_flag(complete))
        return _Source(p.outerjoin(r, r.c.person_id == p.c.id), fields)

    def residence(self) -> _Source:
        p, r = self.t.persons, self.t.residences
        fields = self._residence_fields("")
        fields["person_id"] = _text(r.c.person_id)
        person = self._person_fields("person.")
        for name in ("ethnicity", "is_minority", "gender", "birth_date", "language", "status"):
            fields[f"person.{name}"] = person[f"person.{name}"]
        return _Source(r, fields, (("person.", p, p.c.id == r.c.person_id),))

    # -- services and disputes ----------------------------------------------------------------
    def service_request(self) -> _Source:
        s, p = self.t.service_requests, self.t.persons
        fields: dict[str, _Field] = {
            name: _text(s.c[name])
            for name in (
                "id",
                "window_id",
                "unit_code",
                "applicant_id",
                "category",
                "state",
                "satisfaction",
            )
        }
        for name in ("received_at", "accepted_at", "resolved_at", "followed_up_at", "closed_at"):
            fields[name] = _ts(s.c[name])
        fields["time_limit_days"] = _num(s.c.time_limit_days)
        fields["resolved_on_time"] = _bool(s.c.resolved_on_time)
        fields["applicant.ethnicity"] = _text(p.c.ethnicity)
        fields["applicant.is_minority"] = _bool(p.c.ethnicity != "01")
        return _Source(s, fields, (("applicant.", p, p.c.id == s.c.applicant_id),))

    def dispute(self) -> _Source:
        d = self.t.disputes
        fields: dict[str, _Field] = {
            name: _text(d.c[name])
            for name in (
                "id",
                "origin_unit",
                "handling_unit",
                "category",
                "severity",
                "source",
                "referred_by",
                "state",
                "outcome",
            )
        }
        for name in ("registered_at", "accepted_at", "concluded_at", "due_at"):
            fields[name] = _ts(d.c[name])
        for name in ("ethnic_factor", "mass", "concluded_within_target"):
            fields[name] = _bool(d.c[name])
        for name in ("escalations", "target_days", "party_count"):
            fields[name] = _num(d.c[name])
        return _Source(d, fields)

    # -- units and windows --------------------------------------------------------------------
    def _parent_code(self, u: Any) -> ColumnElement[Any]:
        whens = []
        for level in Level:
            if level.depth == 1:
                continue
            parent_digits = list(Level)[level.depth - 2].digits
            whens.append(
                (
                    u.c.level == level.value,
                    func.substr(u.c.code, 1, parent_digits) + "0" * (12 - parent_digits),
                )
            )
        return case(*whens, else_=null())

    def _holders(self, unit_code: Any, role: str) -> Any:
        a = self.t.appointments
        day = self.as_of
        return (
            select(func.count())
            .select_from(a)
            .where(
                a.c.unit_code == unit_code,
                a.c.role == role,
                a.c.start <= day,
                or_(a.c.end.is_(None), a.c.end > day),
            )
            .scalar_subquery()
        )

    def _responsibility(self, u: Any) -> ColumnElement[Any]:
        policy = self.policy()
        whens = []
        for level in Level:
            rules = policy.rules_for(level)
            if not rules:
                continue
            checks = []
            for rule in rules:
                holders = self._holders(u.c.code, rule.role)
                checks.append(holders >= rule.min_count)
                if rule.max_count is not None:
                    checks.append(holders <= rule.max_count)
            whens.append((u.c.level == level.value, _flag(and_(*checks))))
        if not whens:
            return null()
        return case(*whens, else_=null())

    def unit(self) -> _Source:
        u, w = self.t.units, self.t.service_windows
        day = self.as_of
        fields: dict[str, _Field] = {
            name: _text(u.c[name]) for name in ("code", "name", "level", "kind", "urban_rural_code")
        }
        fields["valid_from"] = _date(u.c.valid_from)
        fields["valid_to"] = _date(u.c.valid_to)
        fields["parent_code"] = _text(self._parent_code(u))
        open_window = exists(
            select(w.c.id).where(
                w.c.unit_code == u.c.code,
                w.c.opened <= day,
                or_(w.c.closed.is_(None), w.c.closed > day),
            )
        )
        fields["has_open_window"] = _bool(_flag(open_window))
        fields["responsibility_complete"] = _bool(self._responsibility(u))
        return _Source(u, fields)

    def service_window(self) -> _Source:
        w = self.t.service_windows
        fields: dict[str, _Field] = {name: _text(w.c[name]) for name in ("id", "unit_code", "name")}
        fields["opened"] = _date(w.c.opened)
        fields["closed"] = _date(w.c.closed)
        fields["categories"] = _Field(w.c.categories, "set")
        return _Source(w, fields)

    # -- organisation --------------------------------------------------------------------------
    def appointment(self) -> _Source:
        a, o = self.t.appointments, self.t.officials
        fields: dict[str, _Field] = {
            name: _text(a.c[name])
            for name in ("id", "official_id", "role", "unit_code", "basis", "body_id")
        }
        fields["start"] = _date(a.c.start)
        fields["end"] = _date(a.c.end)
        fields["official.ethnicity"] = _text(o.c.ethnicity)
        fields["official.is_minority"] = _bool(o.c.ethnicity != "01")
        return _Source(a, fields, (("official.", o, o.c.id == a.c.official_id),))

    def _holder(self, table: Any, extra: str) -> dict[str, _Field]:
        fields: dict[str, _Field] = {
            name: _text(table.c[name])
            for name in ("id", "unit_code", "name", "ethnicity", "gender", "person_id", extra)
        }
        fields["left_on"] = _date(table.c.left_on)
        fields["is_minority"] = _bool(table.c.ethnicity != "01")
        return fields

    def _graded_on(self, history: Any, owner: Any, owner_id: Any, column: str) -> Any:
        day = self.as_of
        return (
            select(history.c[column])
            .where(
                owner == owner_id,
                history.c.since <= day,
                or_(history.c.until.is_(None), history.c.until > day),
            )
            .order_by(history.c.since.desc())
            .limit(1)
            .scalar_subquery()
        )

    def official(self) -> _Source:
        o, r = self.t.officials, self.t.official_ranks
        fields = self._holder(o, "position")
        fields["rank"] = _text(self._graded_on(r, r.c.official_id, o.c.id, "rank"))
        return _Source(o, fields)

    def technician(self) -> _Source:
        te, ti = self.t.technicians, self.t.technician_titles
        fields = self._holder(te, "specialty")
        fields["title"] = _text(self._graded_on(ti, ti.c.technician_id, te.c.id, "title"))
        return _Source(te, fields)

    def _json_length(self, column: Any) -> ColumnElement[Any]:
        if self.dialect == "postgresql":
            return func.json_array_length(cast(column, JSON))
        if self.dialect in ("mysql", "mariadb"):
            return func.json_length(column)
        return func.json_array_length(column)

    def activity(self) -> _Source:
        a = self.t.activities
        fields: dict[str, _Field] = {
            name: _text(a.c[name]) for name in ("id", "type", "organiser_code", "title", "body_id")
        }
        fields["start"] = _date(a.c.start)
        fields["end"] = _date(a.c.end)
        for name in ("participants", "minority_participants", "materials"):
            fields[name] = _num(a.c[name])
        fields["attendee_count"] = _num(self._json_length(a.c.attendee_ids))
        return _Source(a, fields)

    def enrollment(self) -> _Source:
        e, c = self.t.enrollments, self.t.training_courses
        fields: dict[str, _Field] = {
            name: _text(e.c[name]) for name in ("id", "course_id", "person_id", "official_id")
        }
        fields["enrolled_on"] = _date(e.c.enrolled_on)
        fields["completed_on"] = _date(e.c.completed_on)
        fields["completed"] = _bool(_flag(e.c.completed_on.is_not(None)))
        fields["course.type"] = _text(c.c.type)
        fields["course.organiser_code"] = _text(c.c.organiser_code)
        fields["course.title"] = _text(c.c.title)
        fields["course.start"] = _date(c.c.start)
        fields["course.end"] = _date(c.c.end)
        return _Source(e, fields, (("course.", c, c.c.id == e.c.course_id),))

    def honour(self) -> _Source:
        h = self.t.honours
        fields: dict[str, _Field] = {
            name: _text(h.c[name])
            for name in (
                "id",
                "title",
                "unit_code",
                "person_id",
                "business_name",
                "business_uscc",
                "ceremony_id",
                "basis",
            )
        }
        fields["awarded_on"] = _date(h.c.awarded_on)
        return _Source(h, fields)

    def service_hours(self) -> _Source:
        h, b = self.t.volunteer_hours, self.t.bodies
        fields: dict[str, _Field] = {
            name: _text(h.c[name]) for name in ("id", "team_id", "kind", "member_id")
        }
        fields["served_on"] = _date(h.c.served_on)
        fields["hours"] = _num(h.c.hours)
        fields["team.unit_code"] = _text(b.c.unit_code)
        return _Source(h, fields, (("team.", b, b.c.id == h.c.team_id),))


_SOURCES: dict[str, Callable[[_Builder], _Source]] = {
    "person": _Builder.person,
    "residence": _Builder.residence,
    "service_request": _Builder.service_request,
    "dispute": _Builder.dispute,
    "unit": _Builder.unit,
    "service_window": _Builder.service_window,
    "appointment": _Builder.appointment,
    "official": _Builder.official,
    "technician": _Builder.technician,
    "activity": _Builder.activity,
    "enrollment": _Builder.enrollment,
    "honour": _Builder.honour,
    "service_hours": _Builder.service_hours,
}

#: The entities the SQL store aggregates.
SQL_ENTITIES: frozenset[str] = frozenset(_SOURCES)


def _unsupported_field(entity: str, name: str) -> ValidationError:
    return ValidationError(
        f"SQL 存储不支持统计对象 {entity} 的字段 {name}",
        f"the SQL store does not support field {name} of entity {entity}",
        code="unsupported_field",
        field="field",
        details={"entity": entity, "name": name},
    )


def _starts(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with the digits ``prefix``: a range test (``':'`` sorts right after
    ``'9'``), which an index can serve and which is cheaper than ``LIKE``."""
    return and_(column >= prefix, column < prefix + ":")


def _scope_test(builder: _Builder, column: Any, prefix: str) -> ColumnElement[bool]:
    """The scope condition. SQLite has no histograms: it serves a range test with an index
    even when the range is a whole province, and then reads the table in index order, about
    2.5 times slower than a scan. For a province-wide (2-digit) scope on SQLite the test is
    written as ``substr(…) = prefix``, which it always scans; narrower scopes and the other
    databases get the range test (their planners weigh it)."""
    if builder.dialect == "sqlite" and len(prefix) <= 2:
        return func.substr(column, 1, len(prefix)) == prefix
    return _starts(column, prefix)


def _coerce(value: Any, kind: str) -> Any:
    if isinstance(value, str) and kind == "date":
        return date.fromisoformat(value)
    if isinstance(value, str) and kind == "timestamp":
        return datetime.combine(date.fromisoformat(value), time(0), CST)
    return value


def _condition(entity: str, source: _Source, name: str, op: Op, value: Any) -> Any:
    found = source.fields.get(name)
    if found is None:
        raise _unsupported_field(entity, name)
    expr, kind = found.expr, found.kind
    if op is Op.IS_NULL:
        return expr.is_(None)
    if op is Op.NOT_NULL:
        return expr.is_not(None)
    if kind == "set":  # a JSON list of text: eq = contains, in = contains any
        values = value if op in (Op.IN, Op.NOT_IN) else (value,)
        contains = or_(*(expr.contains(f'"{v}"', autoescape=True) for v in values))
        if op in (Op.EQ, Op.IN):
            return contains
        if op in (Op.NE, Op.NOT_IN):
            return and_(expr.is_not(None), ~contains)
        return false()
    if op in (Op.IN, Op.NOT_IN):
        items = [_coerce(v, kind) for v in value]
        return expr.in_(items) if op is Op.IN else expr.not_in(items)
    other = _coerce(value, kind)
    if kind == "bool" and op in (Op.EQ, Op.NE):
        # The flag itself (or its negation) as the condition: NULL stays NULL, so a null flag
        # matches neither ``eq`` nor ``ne``, as everywhere else.
        wanted_true = bool(other) if op is Op.EQ else not bool(other)
        return expr if wanted_true else not_(expr)
    return {
        Op.EQ: lambda: expr == other,
        Op.NE: lambda: expr != other,
        Op.GE: lambda: expr >= other,
        Op.LE: lambda: expr <= other,
        Op.GT: lambda: expr > other,
        Op.LT: lambda: expr < other,
    }[op]()


def _period(query: AggregateQuery, source: _Source) -> list[Any]:
    m = query.measure

    def field(name: str) -> _Field:
        found = source.fields.get(name)
        if found is None:
            raise _unsupported_field(m.entity, name)
        return found

    if m.date_role is DateRole.WITHIN_PERIOD:
        assert m.date_field is not None
        f = field(m.date_field)
        if f.kind == "timestamp":
            return [f.expr >= query.start_at, f.expr < query.end_at]
        return [f.expr >= query.start, f.expr <= query.end]
    conditions = []
    if m.valid_from_field is not None:
        f = field(m.valid_from_field)
        bound: Any = query.end_at if f.kind == "timestamp" else query.end
        test = f.expr < bound if f.kind == "timestamp" else f.expr <= bound
        conditions.append(or_(f.expr.is_(None), test))
    if m.valid_to_field is not None:
        f = field(m.valid_to_field)
        bound = query.end_at if f.kind == "timestamp" else query.end
        test = f.expr >= bound if f.kind == "timestamp" else f.expr > bound
        conditions.append(or_(f.expr.is_(None), test))
    return conditions


def _batch_key(query: AggregateQuery) -> tuple[Any, ...]:
    """Queries with equal keys read the same rows with the same key (same entity, unit field,
    key length, scope, remap and day); :func:`_statements` puts them in one statement where
    their breakdowns allow."""
    m = query.measure
    return (
        m.entity,
        m.unit_field or ENTITY_UNIT_FIELDS[m.entity],
        query.key_length,
        query.scope,
        query.remap,
        query.end,
    )


def _whole_field(query: AggregateQuery, source: _Source) -> bool:
    """Whether the measure's field is an integer column (its group sums add up exactly)."""
    name = query.measure.field
    found = None if name is None else source.fields.get(name)
    return found is not None and isinstance(found.expr.type, Integer)


def _statements(
    queries: Sequence[AggregateQuery], source: _Source
) -> list[tuple[str | None, list[int]]]:
    """How the queries of one batch (equal :func:`_batch_key`) share statements: ``(grouping,
    positions)`` per statement, ``grouping`` the breakdown field it groups by as well.

    One statement for the whole batch when at most one breakdown field occurs: it groups by
    that field, the queries broken down by it read their rows directly and the others are
    added up over its groups by :meth:`IndicatorStorage.aggregate_columns` — counts, and sums
    and averages of integer columns (their sums add up exactly). A ``count_distinct`` does not
    add up, and neither do sums of other columns (exactly): those get a statement per
    breakdown of their own."""
    fields = {q.breakdown for q in queries if q.breakdown is not None}
    grouping = next(iter(fields)) if len(fields) == 1 else None
    shared: list[int] = []
    own: dict[str | None, list[int]] = {}
    for position, query in enumerate(queries):
        aggregate = query.measure.aggregate
        added_up = aggregate is Aggregate.COUNT or (
            aggregate is not Aggregate.COUNT_DISTINCT and _whole_field(query, source)
        )
        if len(fields) <= 1 and (query.breakdown == grouping or added_up):
            shared.append(position)
        else:
            own.setdefault(query.breakdown, []).append(position)
    statements = [(grouping, shared)] if shared else []
    return statements + list(own.items())


def _source(entity: str, builder: _Builder) -> _Source:
    make = _SOURCES.get(entity)
    if make is None:
        raise unsupported_entity(entity)
    return make(builder)


def _field_expr(entity: str, source: _Source, name: str) -> Any:
    found = source.fields.get(name)
    if found is None:
        raise _unsupported_field(entity, name)
    return found.expr


def build_statement(
    queries: Sequence[AggregateQuery],
    builder: _Builder,
    grouping: str | None = None,
    source: _Source | None = None,
) -> tuple[Select[Any], list[tuple[str, str, str]]]:
    """The one grouped statement answering ``queries`` — measures of one entity read with the
    same key (see :func:`_batch_key`), grouped by ``grouping`` as well if given — with a
    conditional aggregate per measure (see the module docstring). Returns the statement and,
    per query, the labels of its value, count and matched-rows columns (a plain count is one
    column)."""
    first = queries[0]
    entity = first.measure.entity
    source = source or _source(entity, builder)
    unit = _field_expr(entity, source, _batch_key(first)[1])
    n = first.key_length
    key: Any = func.substr(unit, 1, n)
    if first.remap:
        key = case(
            *((_starts(unit, prefix), literal(target[:n])) for prefix, target in first.remap),
            else_=func.substr(unit, 1, n),
        )
    shared: list[Any] = [unit.is_not(None)]
    if first.scope:
        shared.append(or_(*(_scope_test(builder, unit, p) for p in first.prefixes)))
    columns: list[Any] = [key.label("k")]
    if grouping is not None:
        columns.append(_field_expr(entity, source, grouping).label("g"))
    # Filters every measure of the batch has are tested once, in WHERE.
    common = set(first.measure.filters)
    for query in queries[1:]:
        common &= set(query.measure.filters)
    if len(queries) > 1:
        for condition in sorted(common, key=repr):
            op, wanted = filter_sets(entity, condition)
            shared.append(_condition(entity, source, condition.field, op, wanted))
    else:
        common = set()
    matches: list[Any] = []
    for index, query in enumerate(queries):
        m = query.measure
        conditions = list(_period(query, source))
        for condition in m.filters:
            if condition in common:
                continue
            op, wanted = filter_sets(m.entity, condition)
            conditions.append(_condition(m.entity, source, condition.field, op, wanted))
        matched = and_(true(), *conditions)
        matches.append(matched)
        columns.append(case((matched, literal(1)), else_=null()).label(f"f{index}"))
        if m.field is not None:
            value_expr = _field_expr(entity, source, m.field)
            columns.append(case((matched, value_expr), else_=null()).label(f"x{index}"))
    used = {_batch_key(first)[1]}
    for query in queries:
        used |= query.measure.fields_used
    if grouping is not None:
        used.add(grouping)
    # One measure: its conditions filter the rows (an index may serve them). Several: every row
    # of the scope is read once and each measure counts its own (a shared OR would evaluate the
    # conditions twice per row).
    where = [*shared, matches[0]] if len(matches) == 1 else shared
    inner = select(*columns).select_from(source.joined(used)).where(*where).subquery("rows")
    outputs: list[Any] = [
        inner.c.k,
        inner.c.g if grouping is not None else null().label("g"),
    ]
    layout: list[tuple[str, str, str]] = []
    for index, query in enumerate(queries):
        flag = inner.c[f"f{index}"]
        aggregate = query.measure.aggregate
        hits = f"m{index}"
        outputs.append(func.count(flag).label(hits))
        if aggregate is Aggregate.COUNT:  # the value, the rows and the matches are one count
            layout.append((hits, hits, hits))
            continue
        values = inner.c[f"x{index}"]
        if aggregate is Aggregate.COUNT_DISTINCT:
            outputs.append(func.count(values.distinct()).label(f"v{index}"))
            layout.append((f"v{index}", hits, hits))
        elif aggregate is Aggregate.SUM:
            outputs.append(func.coalesce(func.sum(values), 0).label(f"v{index}"))
            layout.append((f"v{index}", hits, hits))
        else:  # average: the sum and the number of non-null values
            outputs.append(func.coalesce(func.sum(values), 0).label(f"v{index}"))
            outputs.append(func.count(values).label(f"n{index}"))
            layout.append((f"v{index}", f"n{index}", hits))
    by = [inner.c.k] if grouping is None else [inner.c.k, inner.c.g]
    statement = select(*outputs).group_by(*by).order_by(*by)
    return statement, layout


class IndicatorStorage:
    """The aggregate port of the SQL session."""

    if TYPE_CHECKING:
        _t: Tables

        def _all(self, stmt: Select[Any]) -> Sequence[Row[Any]]: ...

        def _run(self, stmt: Any) -> None: ...

        def _dialect_name(self) -> str: ...

        def org_get(self, cls: type[Any], key: str) -> Any: ...

        def _unit_order(self) -> tuple[Any, ...]: ...

    def indicator_entities(self) -> frozenset[str]:
        """Every entity of the library's vocabulary."""
        return SQL_ENTITIES

    def indicator_units(
        self, prefix: str, levels: Sequence[Level], as_of: date
    ) -> list[tuple[str, str, str]]:
        """``(code, name, level)`` of the units under ``prefix`` at ``levels`` valid on
        ``as_of`` — the rows ``query_units`` reads, in its order, without building ``Unit``
        objects (the engine only needs the names)."""
        if not levels:
            return []
        u = self._t.units
        conditions: list[Any] = [
            u.c.level.in_([level.value for level in levels]),
            or_(u.c.valid_from.is_(None), u.c.valid_from <= as_of),
            or_(u.c.valid_to.is_(None), u.c.valid_to > as_of),
        ]
        if prefix and self._dialect_name() == "sqlite" and len(prefix) <= 2:
            conditions.append(func.substr(u.c.code, 1, len(prefix)) == prefix)  # see _scope_test
        elif prefix:
            conditions.append(_starts(u.c.code, prefix))
        stmt = select(u.c.code, u.c.name, u.c.level).where(*conditions)
        rows = self._all(stmt.order_by(*self._unit_order()))
        return [(row.code, row.name, row.level) for row in rows]

    def _policy(self) -> ResponsibilityPolicy:
        found: ResponsibilityPolicy | None = self.org_get(
            ResponsibilityPolicy, ResponsibilityPolicy.KEY
        )
        return found or DEFAULT_POLICY

    def aggregate(self, queries: Sequence[AggregateQuery]) -> list[list[AggregateRow]]:
        """The queries in as few grouped statements as their groupings allow: one per entity,
        unit field, level, breakdown and day (measures share it as conditional aggregates)."""
        return [answer.rows() for answer in self.aggregate_columns(queries)]

    def aggregate_columns(self, queries: Sequence[AggregateQuery]) -> list[AggregateColumns]:
        """What :meth:`aggregate` answers, column by column: each statement's rows are turned
        into columns once, and each query's columns are taken from them (no object per
        group)."""
        policy: list[ResponsibilityPolicy] = []

        def cached_policy() -> ResponsibilityPolicy:
            if not policy:
                policy.append(self._policy())
            return policy[0]

        batches: dict[tuple[Any, ...], list[int]] = {}
        for position, query in enumerate(queries):
            batches.setdefault(_batch_key(query), []).append(position)
        if queries and self._dialect_name() == "postgresql":
            # PostgreSQL's JIT compiles the wide conditional-count statements for seconds
            # (2.96 s of one 3.01 s statement at 20k persons) to save milliseconds; the setting
            # lasts until the end of this transaction only.
            self._run(text("SET LOCAL jit = off"))
        empty = AggregateColumns((), (), (), ())
        results: list[AggregateColumns] = [empty for _ in queries]
        for members in batches.values():
            batch = [queries[p] for p in members]
            builder = _Builder(self._t, self._dialect_name(), batch[0].end, cached_policy)
            source = _source(batch[0].measure.entity, builder)
            for grouping, indexes in _statements(batch, source):
                positions = [members[i] for i in indexes]
                part = [batch[i] for i in indexes]
                statement, layout = build_statement(part, builder, grouping, source)
                answers = _answers(self._all(statement), part, layout, grouping)
                for position, answer in zip(positions, answers, strict=True):
                    results[position] = answer
        return results


def _answers(
    rows: Sequence[Row[Any]],
    queries: Sequence[AggregateQuery],
    layout: Sequence[tuple[str, str, str]],
    grouping: str | None,
) -> list[AggregateColumns]:
    """Each query's columns from the rows of its statement: the rows turned into columns once;
    a group is left out where no row passed the query's conditions; a query without a
    breakdown in a statement grouped by one has its groups added up per key."""
    if not rows:
        return [AggregateColumns((), (), (), ()) for _ in queries]
    names = list(rows[0]._fields)
    columns = list(zip(*rows, strict=True))
    keys = list(map(str, columns[names.index("k")]))
    raw_groups = columns[names.index("g")]
    groups: list[str | None] = ["" if g is None else str(g) for g in raw_groups]
    no_groups: list[str | None] = [None] * len(keys)
    answers = []
    for query, (value_label, count_label, matched_label) in zip(queries, layout, strict=True):
        matched = columns[names.index(matched_label)]
        raw_values = columns[names.index(value_label)]
        raw_counts = columns[names.index(count_label)]
        if query.breakdown is None and grouping is not None:  # add up the groups (exactly)
            totals: dict[str, list[Any]] = {}
            for key, value, count, hits in zip(keys, raw_values, raw_counts, matched, strict=True):
                known = totals.get(key)
                if known is None:
                    totals[key] = [value, count, hits]
                else:
                    known[0] += value
                    known[1] += count
                    known[2] += hits
            kept = [(key, total) for key, total in totals.items() if total[2]]
            answers.append(
                AggregateColumns(
                    [key for key, _ in kept],
                    [None] * len(kept),
                    [float(total[0]) for _, total in kept],
                    [int(total[1]) for _, total in kept],
                )
            )
            continue
        values = list(map(float, raw_values))
        counts = list(map(int, raw_counts))
        labels = groups if query.breakdown is not None else no_groups
        if all(matched):
            answers.append(AggregateColumns(keys, labels, values, counts))
        else:
            answers.append(
                AggregateColumns(
                    list(compress(keys, matched)),
                    list(compress(labels, matched)),
                    list(compress(values, matched)),
                    list(compress(counts, matched)),
                )
            )
    return answers
