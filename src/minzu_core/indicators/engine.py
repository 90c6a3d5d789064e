"""The indicator engine (指标引擎): a request becomes a few aggregate queries in the store.

:func:`compute` takes an open unit of work and an :class:`IndicatorRequest` — which indicators,
the period, the scope unit, the breakdown level, the hierarchy mode — and returns a
:class:`~minzu_core.indicators.ResultTable`. It never reads rows itself: every measure of every
indicator becomes one :class:`~minzu_core.indicators.query.AggregateQuery` at the breakdown
level and the store's ``aggregate`` answers them all (the SQL store runs the measures that read
the same rows as one grouped statement, with a conditional aggregate each).

* **Ratio of sums.** Numerator and denominator are aggregated separately; counts and sums of the
  scope unit are the sums of its breakdown groups, a ``count_distinct`` gets its own query at
  each level, an average is carried as (sum, count). Only then :func:`~minzu_core.indicators.ratio`
  divides: a zero denominator gives no value and the status ``no_denominator``.
* **Zero and missing.** A breakdown unit without rows has a count of 0 (nothing happened); a
  breakdown unit is listed if it is valid on the hierarchy date *or* has rows (facts recorded
  against a unit that no longer exists are never dropped; they show under their own code).
* **Hierarchy history.** ``as_recorded`` groups facts by the unit code they were recorded with;
  ``mapped`` sends codes changed by recorded unit changes (recoded, merged, split, abolished —
  see :meth:`~minzu_core.hierarchy.Hierarchy.successors`) to the unit carrying them on at
  ``mapped_on`` (default: the period's end), so a series over years can follow today's units.
  A split goes to its first successor in code order; an abolished unit without successors
  keeps its code. Codes below a changed unit follow it when they have no change of their own.
* **Facts at a unit above the breakdown level.** With a breakdown by township, a fact recorded
  at a county itself (e.g. an activity the county organised) is listed as that county's own
  row, labelled 本级 (own level), so the breakdown still adds up to the total. Facts recorded at
  the scope unit itself are counted in the scope's total only.
* **Scope.** The actor must cover the scope unit; the unit must exist in the store; the
  breakdown level must lie below it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Final, Protocol

import attrs

from minzu_core.clock import Clock
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.errors import MinzuError, NotFoundError, PermissionDeniedError, StoreError
from minzu_core.hierarchy.model import Hierarchy, Unit
from minzu_core.hierarchy.repository import UnitRepository
from minzu_core.indicators._common import invalid
from minzu_core.indicators.catalog import resolve_indicators
from minzu_core.indicators.definitions import Aggregate, Indicator, Measure, check_supported
from minzu_core.indicators.periods import Period, parse_period
from minzu_core.indicators.query import AggregateQuery, AggregateRow, Aggregating
from minzu_core.indicators.results import (
    ResultRow,
    ResultTable,
    TableMetadata,
    suppress,
    with_comparisons,
)
from minzu_core.labels import LabelledEnum
from minzu_core.privacy.actor import Actor

__all__ = ["HierarchyMode", "IndicatorRequest", "compute"]

OWN_LEVEL_ZH: Final = "本级"
OWN_LEVEL_EN: Final = "own level"


class HierarchyMode(LabelledEnum):
    """How facts are attributed to units (层级口径)."""

    AS_RECORDED = "as_recorded"
    MAPPED = "mapped"

    @classmethod
    def _label_table(cls) -> Mapping[str, tuple[str, str]]:
        return {
            "as_recorded": ("按记录时区划", "units as recorded"),
            "mapped": ("按指定日期区划", "mapped to the units valid on a date"),
        }


def _period(value: Any) -> Period:
    return parse_period(value)


def _unit(value: Any) -> DivisionCode | None:
    if value is None or value == "":
        return None
    try:
        return DivisionCode.parse(value)
    except MinzuError:
        raise invalid(
            "invalid_unit_code",
            f"单位代码无效: {value!r}",
            f"invalid unit code: {value!r}",
            "unit",
        ) from None


def _level(value: Any) -> Level | None:
    if isinstance(value, Level):
        return value
    if value is None or value == "":
        return None
    text = str(value).strip().lower()
    aliases = {
        "town": "township",
        "community": "village",
        "district": "county",
        "city": "prefecture",
    }
    text = aliases.get(text, text)
    for level in Level:
        if text in (level.value, level.label_zh, level.label_en.lower()):
            return level
    raise invalid(
        "invalid_level",
        f"分组层级无效: {value!r}, 可选: {', '.join(lv.value for lv in Level)}",
        f"invalid breakdown level {value!r}; allowed: {', '.join(lv.value for lv in Level)}",
        "by",
        allowed=[lv.value for lv in Level],
    )


def _mode(value: Any) -> HierarchyMode:
    result: HierarchyMode = HierarchyMode.parse(value, field="mode")
    return result


def _indicators(values: Iterable[Any] | None) -> tuple[str | Indicator, ...]:
    if values is None:
        return ()
    if isinstance(values, str | Indicator):
        values = (values,)
    return tuple(v if isinstance(v, Indicator) else str(v) for v in values)


def _mapped_on(value: Any) -> date | None:
    if (
        value is None
        or value == ""
        or (isinstance(value, date) and not isinstance(value, datetime))
    ):
        return value or None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise invalid(
            "invalid_date",
            f"日期无效: {value!r} (应为 YYYY-MM-DD)",
            f"invalid date {value!r} (use YYYY-MM-DD)",
            "mapped_on",
        ) from None


def _threshold(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid(
            "invalid_threshold",
            "隐藏阈值须为正整数",
            "the suppression threshold must be a positive integer",
            "suppress_below",
        )
    return value


@attrs.frozen
class IndicatorRequest:
    """What to compute.

    Attributes:
        period: the period (``"2019"``, ``"2019Q4"``, ``"2019-12"``, ``"2019-12-16"``,
            ``"2019-01-01/2019-06-30"`` or a :class:`~minzu_core.indicators.Period`).
        unit: the scope unit (its whole subtree); ``None``: the actor's single scope root, or
            the store's single top unit.
        by: the breakdown level (``township``, ``village`` …, Chinese labels accepted), below
            the scope unit; ``None``: the scope unit only.
        indicators: ids (catalog or ``extra``) or :class:`~minzu_core.indicators.Indicator`
            objects; empty: the whole catalog.
        mode: ``as_recorded`` or ``mapped`` (see the module docstring).
        mapped_on: the hierarchy date of the ``mapped`` mode (default: the period's end).
        suppress_below: disclosure control: hide counts below this (see
            :func:`~minzu_core.indicators.suppress`).
        comparisons: also compute the previous period and the same period last year and fill
            the comparison columns.
        extra: user-defined indicators that ``indicators`` may name by id.
    """

    period: Period = attrs.field(converter=_period)
    unit: DivisionCode | None = attrs.field(default=None, converter=_unit)
    by: Level | None = attrs.field(default=None, converter=_level)
    indicators: tuple[str | Indicator, ...] = attrs.field(default=(), converter=_indicators)
    mode: HierarchyMode = attrs.field(default=HierarchyMode.AS_RECORDED, converter=_mode)
    mapped_on: date | None = attrs.field(default=None, converter=_mapped_on)
    suppress_below: int | None = attrs.field(default=None, converter=_threshold)
    comparisons: bool = False
    extra: tuple[Indicator, ...] = attrs.field(default=(), converter=tuple)

    @property
    def hierarchy_date(self) -> date:
        """The date whose units the breakdown lists (the mapping date, or the period's end)."""
        if self.mode is HierarchyMode.MAPPED and self.mapped_on is not None:
            return self.mapped_on
        return self.period.end


# -- planning ------------------------------------------------------------------------------------
@attrs.frozen
class _Context:
    request: IndicatorRequest
    indicators: tuple[Indicator, ...]
    scope: Unit
    listed: tuple[Unit, ...]  # the breakdown level's units valid on the hierarchy date
    remap: tuple[tuple[str, str], ...]

    scope_len: int = attrs.field(init=False)
    by_len: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        scope_len = self.scope.level.digits
        by = self.request.by
        object.__setattr__(self, "scope_len", scope_len)
        object.__setattr__(self, "by_len", scope_len if by is None else by.digits)


def _remap(hierarchy: Hierarchy, on: date, scope: str) -> tuple[tuple[str, str], ...]:
    """``(prefix, target)`` for each code that recorded changes carry on elsewhere by ``on``."""
    entries = []
    codes = {change.code.value for change in hierarchy.changes if change.effective <= on}
    for value in codes:
        code = DivisionCode(value)
        successors = hierarchy.successors(code, on)
        if not successors or successors[0] == code:
            continue
        target = successors[0].value
        if code.short.startswith(scope) or target.startswith(scope):
            entries.append((code.short, target))
    entries.sort(key=lambda entry: (-len(entry[0]), entry[0]))
    return tuple(entries)


def _query(
    ctx: _Context, measure: Measure, key_length: int, breakdown: str | None
) -> AggregateQuery:
    period = ctx.request.period
    return AggregateQuery(
        measure=measure,
        start=period.start,
        end=period.end,
        start_at=period.start_datetime(),
        end_at=period.end_datetime(),
        key_length=key_length,
        scope=ctx.scope.code.short,
        remap=ctx.remap,
        breakdown=breakdown,
    )


def _needed(ctx: _Context, indicator: Indicator, measure: Measure) -> list[AggregateQuery]:
    """The queries a measure needs: one at the breakdown level (grouped by the indicator's
    breakdown attribute, if any); a count_distinct also one per other level/grouping."""
    queries = [_query(ctx, measure, ctx.by_len, indicator.breakdown)]
    if measure.aggregate is Aggregate.COUNT_DISTINCT:
        for length in {ctx.by_len, ctx.scope_len}:
            for grouping in {indicator.breakdown, None}:
                if (length, grouping) != (ctx.by_len, indicator.breakdown):
                    queries.append(_query(ctx, measure, length, grouping))
    return queries


def plan(ctx: _Context) -> list[AggregateQuery]:
    """Every distinct query the request needs (identical measures share one). Internal; the
    tests use it to count statements."""
    seen: dict[AggregateQuery, None] = {}
    for indicator in ctx.indicators:
        for measure in (indicator.numerator, indicator.denominator):
            if measure is not None:
                for query in _needed(ctx, indicator, measure):
                    seen.setdefault(query, None)
    return list(seen)


# -- assembling ----------------------------------------------------------------------------------
class _Totals:
    """One query's rows indexed for assembly: by (key, group), by key over all groups, and the
    scope's sums (keys inside the scope only) per group and overall."""

    def __init__(self, rows: Iterable[AggregateRow], scope: str) -> None:
        self.cells: dict[tuple[str, str | None], tuple[float, int]] = {}
        self.keys: dict[str, tuple[float, int]] = {}
        self.groups: dict[str, set[str]] = {}
        self.scope: dict[str | None, tuple[float, int]] = {}
        for r in rows:
            self.cells[(r.key, r.group)] = (r.value, r.count)
            self.keys[r.key] = _add(self.keys.get(r.key), r.value, r.count)
            if r.group is not None:
                self.groups.setdefault(r.key, set()).add(r.group)
            if r.key.startswith(scope):
                self.scope[None] = _add(self.scope.get(None), r.value, r.count)
                if r.group is not None:
                    self.scope[r.group] = _add(self.scope.get(r.group), r.value, r.count)
                    self.groups.setdefault(scope, set()).add(r.group)


def _add(total: tuple[float, int] | None, value: float, count: int) -> tuple[float, int]:
    return (value, count) if total is None else (total[0] + value, total[1] + count)


@attrs.frozen
class _Lookup:
    """Where the values of one measure of one indicator come from."""

    measure: Measure | None
    by_level: _Totals | None  # the breakdown-level query (counts, sums, averages)
    distinct: Mapping[tuple[int, bool], _Totals]  # count_distinct: (level, grouped) → query


def _lookup(
    ctx: _Context,
    indicator: Indicator,
    measure: Measure | None,
    totals: Mapping[AggregateQuery, _Totals],
) -> _Lookup:
    if measure is None:
        return _Lookup(None, None, {})
    if measure.aggregate is Aggregate.COUNT_DISTINCT:
        distinct = {}
        for length in {ctx.by_len, ctx.scope_len}:
            for grouped in (False, True) if indicator.breakdown is not None else (False,):
                query = _query(ctx, measure, length, indicator.breakdown if grouped else None)
                distinct[(length, grouped)] = totals[query]
        return _Lookup(measure, None, distinct)
    return _Lookup(measure, totals[_query(ctx, measure, ctx.by_len, indicator.breakdown)], {})


def _measure_value(ctx: _Context, found: _Lookup, key: str, group: str | None) -> float | None:
    """The aggregated value of a measure for the unit whose key is ``key`` and breakdown
    ``group`` (``None``: all groups): a count_distinct from its own query at that level;
    counts, sums and averages added up from the breakdown-level groups."""
    measure = found.measure
    if measure is None:
        return None
    if found.by_level is None:  # count_distinct
        cell = found.distinct[(len(key), group is not None)].cells.get((key, group))
        return 0.0 if cell is None else float(cell[0])
    index = found.by_level
    if len(key) < ctx.by_len:  # the scope unit: the sum of its breakdown groups
        cell = index.scope.get(group)
    elif group is None:
        cell = index.keys.get(key)
    else:
        cell = index.cells.get((key, group))
    total, count = cell or (0.0, 0)
    if measure.aggregate is Aggregate.AVERAGE:
        return None if count == 0 else total / count
    return total


class IndicatorContext(Protocol):
    """What :func:`compute` needs of a unit of work (:class:`~minzu_core.store.UnitOfWork` is
    one): the actor (whose scope bounds the request), the clock, the unit repository and the
    storage session, which must offer the aggregate port
    (:class:`~minzu_core.indicators.query.Aggregating`)."""

    @property
    def actor(self) -> Actor:
        """Who asks (scope)."""
        ...

    @property
    def clock(self) -> Clock:
        """The injected clock (the result's ``generated_at``)."""
        ...

    @property
    def units(self) -> UnitRepository:
        """The unit repository (scope-checked unit reads)."""
        ...

    @property
    def session(self) -> object:
        """The storage session; it must offer the aggregate port."""
        ...


def compute(
    uow: IndicatorContext, request: IndicatorRequest | None = None, **kwargs: Any
) -> ResultTable:
    """The indicators of ``request`` (or of an :class:`IndicatorRequest` built from
    ``kwargs``) as a :class:`~minzu_core.indicators.ResultTable`.

    Raises:
        NotFoundError: ``unknown_indicator``, ``unknown_unit``.
        PermissionDeniedError: ``outside_scope`` — the scope unit is not the actor's.
        ValidationError: ``invalid_breakdown_level``, ``invalid_period``, ``unknown_field`` …,
            ``unsupported_entity`` if the store cannot aggregate an indicator's entity.
    """
    if request is None:
        request = IndicatorRequest(**kwargs)
    elif kwargs:
        request = attrs.evolve(request, **kwargs)
    table = _compute_one(uow, request)
    if request.suppress_below is not None:
        table = suppress(table, request.suppress_below)
    if not request.comparisons:
        return table
    bases: list[ResultTable | None] = []
    for shift in (request.period.previous, request.period.same_period_last_year):
        try:
            base_period = shift()
        except MinzuError:
            bases.append(None)
            continue
        # The base periods are mapped to the same units as the current one, so that a row
        # compares like with like.
        mapped_on = request.hierarchy_date if request.mode is HierarchyMode.MAPPED else None
        base = _compute_one(
            uow,
            attrs.evolve(request, period=base_period, comparisons=False, mapped_on=mapped_on),
        )
        if request.suppress_below is not None:
            base = suppress(base, request.suppress_below)
        bases.append(base)
    return with_comparisons(table, bases[0], bases[1])


def _session(uow: IndicatorContext) -> Aggregating:
    session = uow.session
    if not isinstance(session, Aggregating):
        raise StoreError(
            "该存储不支持指标计算",
            "this store does not support indicator aggregates",
            code="unsupported_store",
        )
    return session


def _top_unit(uow: IndicatorContext) -> DivisionCode:
    """The store's single top unit (the shallowest level with units must have exactly one)."""
    for level in Level:
        codes = {u.code for u in uow.units.list(level=level)}
        if len(codes) == 1:
            return codes.pop()
        if codes:
            break
    raise invalid(
        "unit_required",
        "请指定统计单位 (存储中有多个顶级单位或没有单位)",
        "give the scope unit (the store has several top units, or none)",
        "unit",
    )


def _find_unit(uow: IndicatorContext, code: DivisionCode, on: date) -> Unit | None:
    """The version of ``code`` valid on ``on``, else its latest version, else ``None``."""
    found = uow.units.find(code, on)
    if found is not None:
        return found
    versions = uow.units.versions(code)
    return versions[-1] if versions else None


def _scope_unit(uow: IndicatorContext, request: IndicatorRequest) -> Unit:
    code = request.unit
    actor = uow.actor
    if code is None:
        if actor.scope is not None and len(actor.scope) == 1:
            code = actor.scope[0]
        else:
            code = _top_unit(uow)
    if not actor.covers(code):
        raise PermissionDeniedError(
            f"单位 {code.short} 不在操作人的数据范围内",
            f"unit {code.short} is outside the actor's scope",
            code="outside_scope",
            field="unit",
            details={"unit": code.value},
        )
    unit = _find_unit(uow, code, request.period.end)
    if unit is None:
        raise NotFoundError(
            f"存储中没有单位 {code.short}",
            f"the store has no unit {code.short}",
            code="unknown_unit",
            field="unit",
            details={"unit": code.value},
        )
    by = request.by
    if by is not None and by.depth <= unit.level.depth:
        raise invalid(
            "invalid_breakdown_level",
            f"分组层级 {by.label_zh} 须低于统计单位的层级 {unit.level.label_zh}",
            f"the breakdown level {by.value} must lie below the scope unit's level "
            f"{unit.level.value}",
            "by",
            scope_level=unit.level.value,
            by=by.value,
        )
    return unit


def _compute_one(uow: IndicatorContext, request: IndicatorRequest) -> ResultTable:
    indicators = resolve_indicators(request.indicators, request.extra)
    session = _session(uow)
    supported = session.indicator_entities()
    for indicator in indicators:
        check_supported(indicator, supported)
    scope = _scope_unit(uow, request)
    remap: tuple[tuple[str, str], ...] = ()
    if request.mode is HierarchyMode.MAPPED:
        changes = Hierarchy((), uow.units.changes())
        remap = _remap(changes, request.hierarchy_date, scope.code.short)
    listed: tuple[Unit, ...] = ()
    if request.by is not None:
        listed = tuple(
            uow.units.list(within=scope.code, level=request.by, as_of=request.hierarchy_date)
        )
    ctx = _Context(request, indicators, scope, listed, remap)
    queries = plan(ctx)
    answers = session.aggregate(queries)
    results = dict(zip(queries, answers, strict=True))
    rows = _assemble(uow, ctx, results)
    period = request.period
    level = request.by
    notes = [
        f"口径 {request.mode.label_zh} / {request.mode.label_en}",
    ]
    return ResultTable(
        rows,
        TableMetadata(
            title_zh=f"{scope.name} {period.label_zh} 民族工作指标",
            title_en=f"Ethnic-affairs indicators, {scope.name}, {period.label_en}",
            scope_code=scope.code.value,
            scope_name=scope.name,
            level=None if level is None else level.value,
            generated_at=uow.clock(),
            hierarchy_as_of=request.hierarchy_date
            if request.mode is HierarchyMode.MAPPED
            else None,
            notes=notes,
        ),
    )


def _names(uow: IndicatorContext, ctx: _Context, codes: Collection[DivisionCode]) -> dict[str, str]:
    """The row label of each breakdown code: the unit's name on the hierarchy date, marked 本级
    (own level) for a unit above the breakdown level. Units of the breakdown level are already
    listed; the others are read one query per level, and only a code no longer valid on that
    date (an abolished unit with data) is looked up on its own."""
    by = ctx.request.by
    day = ctx.request.hierarchy_date
    known = {u.code.value: u.name for u in ctx.listed}
    wanted = [code for code in codes if code.value not in known]
    for level in sorted({code.level for code in wanted}, key=lambda lv: lv.depth):
        for listed in uow.units.list(within=ctx.scope.code, level=level, as_of=day):
            known[listed.code.value] = listed.name
    names: dict[str, str] = {}
    for code in codes:
        name = known.get(code.value)
        if name is None:
            unit = _find_unit(uow, code, day)
            name = unit.name if unit is not None else f"未知单位 unknown unit {code.short}"
        if by is not None and code.level.depth < by.depth:
            name = f"{name} ({OWN_LEVEL_ZH} {OWN_LEVEL_EN})"
        names[code.value] = name
    return names


def _keys(ctx: _Context, results: Mapping[AggregateQuery, list[AggregateRow]]) -> list[str]:
    """The breakdown keys: units of the level valid on the hierarchy date, and keys with rows."""
    by = ctx.request.by
    if by is None:
        return []
    prefix = ctx.scope.code.short
    keys = {u.code.value[: by.digits] for u in ctx.listed if u.code.value.startswith(prefix)}
    for query, rows in results.items():
        if query.key_length == by.digits:
            keys.update(r.key for r in rows if r.key.startswith(prefix))
    return sorted(keys)


def _assemble(
    uow: IndicatorContext, ctx: _Context, results: Mapping[AggregateQuery, list[AggregateRow]]
) -> list[ResultRow]:
    period = ctx.request.period.label
    scope_key = ctx.scope.code.short
    totals = {query: _Totals(rows, scope_key) for query, rows in results.items()}
    units: list[tuple[str, str, str]] = [(scope_key, ctx.scope.code.value, ctx.scope.name)]
    codes = {
        key: code
        for key in _keys(ctx, results)
        if (code := DivisionCode(key.ljust(12, "0"))) != ctx.scope.code
    }  # facts at the scope unit itself are in its total only
    names = _names(uow, ctx, codes.values())
    for key, code in codes.items():
        units.append((key, code.value, names[code.value]))
    out: list[ResultRow] = []
    for indicator in ctx.indicators:
        numerator = _lookup(ctx, indicator, indicator.numerator, totals)
        denominator = _lookup(ctx, indicator, indicator.denominator, totals)
        grouped = [
            f.by_level
            for f in (numerator, denominator)
            if indicator.breakdown is not None and f.by_level is not None
        ] + [
            f.distinct[(ctx.by_len, True)]
            for f in (numerator, denominator)
            if indicator.breakdown is not None and f.distinct
        ]
        for key, code_value, name in units:
            groups: set[str] = set()
            for index in grouped:
                groups.update(index.groups.get(key, ()))
            for group in (None, *sorted(groups)):
                out.append(
                    ResultRow._trusted(
                        indicator,
                        code_value,
                        name,
                        period,
                        _measure_value(ctx, numerator, key, group),
                        _measure_value(ctx, denominator, key, group),
                        group,
                    )
                )
    return out
