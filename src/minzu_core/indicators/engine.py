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
  A split goes to its first successor in code order, or stays under its own code with
  ``split="keep"``; an abolished unit without successors keeps its code (its facts show in its
  own row); mapping runs forward only. The result's notes name every split and every unmapped
  code, and the mapping date. Codes below a changed unit follow it when they have no change of
  their own.
* **Facts at a unit above the breakdown level.** With a breakdown by township, a fact recorded
  at a county itself (e.g. an activity the county organised) is listed as that county's own
  row, labelled 本级 (own level), so the breakdown still adds up to the total. Facts recorded at
  the scope unit itself are counted in the scope's total only.
* **Scope.** The actor must cover the scope unit; the unit must exist in the store; the
  breakdown level must lie below it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from itertools import repeat
from operator import itemgetter
from typing import Any, Final, Protocol

import attrs

import minzu_core.fields as fields
from minzu_core.activities.model import (
    DEFAULT_ACTIVITY_TYPES,
    ActivityType,
    activity_type_spellings,
    read_activity_type,
)
from minzu_core.clock import Clock
from minzu_core.codes.divisions import DivisionCode, Level, level_of_code
from minzu_core.errors import MinzuError, NotFoundError, PermissionDeniedError, StoreError
from minzu_core.hierarchy.model import Hierarchy, Unit
from minzu_core.hierarchy.repository import UnitRepository
from minzu_core.indicators._common import invalid, positive_threshold
from minzu_core.indicators.catalog import resolve_indicators
from minzu_core.indicators.definitions import Aggregate, Indicator, Measure, check_supported
from minzu_core.indicators.periods import Period, parse_period
from minzu_core.indicators.query import (
    AggregateColumns,
    AggregateQuery,
    Aggregating,
    AggregatingColumns,
    ListingUnits,
)
from minzu_core.indicators.results import (
    ResultTable,
    Status,
    TableMetadata,
    _ratios,
    suppress,
    with_comparisons,
)
from minzu_core.labels import LabelledEnum
from minzu_core.organisation.ports import OrganisationPort, OrgQuery
from minzu_core.privacy.actor import Actor

__all__ = ["HierarchyMode", "IndicatorRequest", "SplitRule", "compute"]

OWN_LEVEL_ZH: Final = "本级"
OWN_LEVEL_EN: Final = "own level"


class HierarchyMode(LabelledEnum):
    """How facts are attributed to units (层级口径)."""

    AS_RECORDED = "as_recorded", "按记录时区划", "units as recorded"
    MAPPED = "mapped", "按指定日期区划", "mapped to the units valid on a date"


class SplitRule(LabelledEnum):
    """Where the ``mapped`` mode sends the facts of a unit that was split (拆分单位的归属)."""

    FIRST = "first", "归入第一个承继单位", "to the first successor in code order"
    KEEP = "keep", "保留在原单位", "kept under the split unit's own code"


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


def _split(value: Any) -> SplitRule:
    result: SplitRule = SplitRule.parse(value, field="split")
    return result


def _indicators(values: Iterable[Any] | None) -> tuple[str | Indicator, ...]:
    if values is None:
        return ()
    if isinstance(values, str | Indicator):
        values = (values,)
    items = fields.as_items(values, "indicators")
    for index, item in enumerate(items):
        if not isinstance(item, str | Indicator):
            raise invalid(
                "invalid_type",
                f"indicators[{index}] 须为指标编号或指标",
                f"indicators[{index}] must be an indicator id or an Indicator",
                f"indicators[{index}]",
            )
    return items


def _extra(values: Any) -> tuple[Indicator, ...]:
    items = fields.as_items(values, "extra")
    for index, item in enumerate(items):
        if not isinstance(item, Indicator):
            raise invalid(
                "invalid_type",
                f"extra[{index}] 须为指标",
                f"extra[{index}] must be an Indicator",
                f"extra[{index}]",
            )
    return items


def _comparisons(value: Any) -> bool:
    return fields.as_flag(value, "comparisons")


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
    return positive_threshold(value, "suppress_below", "隐藏阈值")


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
        split: where the ``mapped`` mode sends a split unit's facts: ``first`` (its first
            successor in code order, the default) or ``keep`` (its own code, listed with the
            facts recorded there); the result's notes list every split, every abolished unit
            without a successor (its facts stay under its code) and say that mapping runs
            forward only (a change after ``mapped_on`` is not applied).
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
    split: SplitRule = attrs.field(default=SplitRule.FIRST, converter=_split)
    suppress_below: int | None = attrs.field(default=None, converter=_threshold)
    comparisons: bool = attrs.field(default=False, converter=_comparisons)
    extra: tuple[Indicator, ...] = attrs.field(default=(), converter=_extra)

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
    # (code, name) of the breakdown level's units valid on the hierarchy date
    listed: tuple[tuple[str, str], ...]
    remap: tuple[tuple[str, str], ...]
    # (code, name) of the units between the scope and the breakdown level valid on that date,
    # when the store lists them with the breakdown level's; ``None``: read when needed.
    above: tuple[tuple[str, str], ...] | None = None

    scope_len: int = attrs.field(init=False)
    by_len: int = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        scope_len = self.scope.level.digits
        by = self.request.by
        object.__setattr__(self, "scope_len", scope_len)
        object.__setattr__(self, "by_len", scope_len if by is None else by.digits)


def _remap(
    hierarchy: Hierarchy, on: date, scope: str, split: SplitRule
) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """``(prefix, target)`` for each code that recorded changes carry on elsewhere by ``on``,
    and the notes that make the mapping's rules visible in the result."""
    entries = []
    splits, unmapped = [], []
    codes = {change.code.value for change in hierarchy.changes if change.effective <= on}
    for value in sorted(codes):
        code = DivisionCode(value)
        successors = hierarchy.successors(code, on)
        in_scope = code.short.startswith(scope) or any(
            s.value.startswith(scope) for s in successors
        )
        if not in_scope or successors[:1] == (code,):
            continue
        if not successors:
            unmapped.append(code.short)
            continue
        if len(successors) > 1:
            splits.append(f"{code.short} → {', '.join(s.short for s in successors)}")
            if split is SplitRule.KEEP:
                continue
        entries.append((code.short, successors[0].value))
    entries.sort(key=lambda entry: (-len(entry[0]), entry[0]))
    notes = [
        f"只按 {on.isoformat()} 及以前的区划变更向后映射 / mapped forward with the unit changes "
        f"effective on or before {on.isoformat()} only"
    ]
    if splits:
        notes.append(
            f"拆分单位{split.label_zh} / split units {split.label_en}: {'; '.join(splits)}"
        )
    if unmapped:
        notes.append(
            "撤销且无承继单位, 事实保留在原代码 / abolished without a successor, facts kept "
            f"under their own code: {', '.join(unmapped)}"
        )
    return tuple(entries), notes


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
    """One query's answer indexed for assembly: by (key, group), by key over all groups, and
    the scope's sums (keys inside the scope only) per group and overall."""

    def __init__(self, answer: AggregateColumns, scope: str) -> None:
        keys_in = answer.keys
        pairs = list(zip(answer.values, answer.counts, strict=True))
        keys: dict[str, tuple[float, int]] = dict(zip(keys_in, pairs, strict=True))
        groups: dict[str, set[str]] = {}
        sums: dict[str | None, tuple[float, int]] = {}
        cells: dict[tuple[str, str | None], tuple[float, int]]
        if len(keys) == len(pairs) and not any(g is not None for g in answer.groups):
            # One group per key, no breakdown (the usual answer): the indexes are the rows.
            no_group: Iterable[str | None] = repeat(None)
            cells = dict(zip(zip(keys_in, no_group, strict=False), pairs, strict=True))
            total: tuple[float, int] | None = None
            for key, pair in keys.items():
                if key.startswith(scope):
                    total = pair if total is None else (total[0] + pair[0], total[1] + pair[1])
            if total is not None:
                sums[None] = total
        else:
            cells, keys = {}, {}
            for key, group, (value, count) in zip(keys_in, answer.groups, pairs, strict=True):
                cells[(key, group)] = (value, count)
                known = keys.get(key)
                keys[key] = (
                    (value, count) if known is None else (known[0] + value, known[1] + count)
                )
                if group is not None:
                    groups.setdefault(key, set()).add(group)
                if key.startswith(scope):
                    known = sums.get(None)
                    sums[None] = (
                        (value, count) if known is None else (known[0] + value, known[1] + count)
                    )
                    if group is not None:
                        known = sums.get(group)
                        sums[group] = (
                            (value, count)
                            if known is None
                            else (known[0] + value, known[1] + count)
                        )
                        groups.setdefault(scope, set()).add(group)
        self.cells = cells
        self.keys = keys
        self.groups = groups
        self.scope = sums


_NOTHING: Final[tuple[float, int]] = (0.0, 0)


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


def _column(ctx: _Context, found: _Lookup, keys: Sequence[str]) -> list[float | None]:
    """:func:`_measure_value` for the whole units ``keys`` (no breakdown group) at once: the
    scope unit's first, then the breakdown units' (all of one key length)."""
    measure = found.measure
    if measure is None:
        return [None] * len(keys)
    if not keys:
        return []
    first, rest = keys[0], keys[1:]
    if found.by_level is None:  # count_distinct: each level from its own query
        top = found.distinct[(len(first), False)].cells.get((first, None))
        out: list[float | None] = [0.0 if top is None else float(top[0])]
        if rest:
            below = found.distinct[(len(rest[0]), False)].cells.get
            no_group: Iterable[str | None] = repeat(None)
            cells = map(below, zip(rest, no_group, strict=False))
            out += [0.0 if cell is None else float(cell[0]) for cell in cells]
        return out
    index = found.by_level
    head = (index.scope.get(None) if len(first) < ctx.by_len else index.keys.get(first)) or _NOTHING
    pairs = [head, *map(index.keys.get, rest, repeat(_NOTHING))]
    if measure.aggregate is Aggregate.AVERAGE:
        return [None if count == 0 else total / count for total, count in pairs]
    return list(map(float, map(itemgetter(0), pairs)))


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


def _about_unit(error_code: str, unit: DivisionCode) -> dict[str, Any]:
    """The code, field and details of an error about the requested ``unit``."""
    return {"code": error_code, "field": "unit", "details": {"unit": unit.value}}


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
            **_about_unit("outside_scope", code),
        )
    unit = _find_unit(uow, code, request.period.end)
    if unit is None:
        raise NotFoundError(
            f"存储中没有单位 {code.short}",
            f"the store has no unit {code.short}",
            **_about_unit("unknown_unit", code),
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


_ACTIVITY_TYPE_FIELDS: Final = {("activity", "type")}


def _activity_types(uow: IndicatorContext) -> dict[str, str]:
    """Every spelling of the store's activity types (code, Chinese label, English label in any
    case) → its code; the vocabulary lives in the store, so it is read per call."""
    session = uow.session
    stored = (
        session.org_query(ActivityType, OrgQuery()) if isinstance(session, OrganisationPort) else []
    )
    return activity_type_spellings((*DEFAULT_ACTIVITY_TYPES, *stored))


def _typed_filters(
    indicators: Sequence[Indicator], spellings: Callable[[], dict[str, str]]
) -> list[Indicator]:
    """``indicators`` with activity-type filter values read by the type vocabulary (code or
    either label); an unknown type is ``ValidationError(code="invalid_filter_value")``."""
    known: dict[str, str] | None = None
    result = []
    for indicator in indicators:
        measures = {}
        for role in ("numerator", "denominator"):
            measure: Measure | None = getattr(indicator, role)
            if measure is None or not any(
                (measure.entity, f.field) in _ACTIVITY_TYPE_FIELDS for f in measure.filters
            ):
                continue
            if known is None:
                known = spellings()
            filters = []
            for index, f in enumerate(measure.filters):
                if (measure.entity, f.field) in _ACTIVITY_TYPE_FIELDS and f.value is not None:
                    where = f"{indicator.id}.{role}.filters[{index}].value"
                    filters.append(attrs.evolve(f, value=_type_code(f.value, known, where)))
                else:
                    filters.append(f)
            measures[role] = attrs.evolve(measure, filters=tuple(filters))
        result.append(attrs.evolve(indicator, **measures) if measures else indicator)
    return result


def _type_code(value: Any, known: Mapping[str, str], field: str) -> Any:
    if isinstance(value, tuple | list | frozenset | set):
        return type(value)(_type_code(v, known, field) for v in value)
    code = read_activity_type(value, known) if isinstance(value, str) else None
    if code is None:
        allowed = sorted(set(known.values()))
        raise invalid(
            "invalid_filter_value",
            f"未知的活动类型 {value!r}, 可选: {', '.join(allowed)}",
            f"unknown activity type {value!r}; allowed: {', '.join(allowed)}",
            field,
            allowed=allowed,
        )
    return code


def _compute_one(uow: IndicatorContext, request: IndicatorRequest) -> ResultTable:
    indicators = resolve_indicators(request.indicators, request.extra)
    indicators = tuple(_typed_filters(indicators, lambda: _activity_types(uow)))
    session = _session(uow)
    supported = session.indicator_entities()
    for indicator in indicators:
        check_supported(indicator, supported)
    scope = _scope_unit(uow, request)
    remap: tuple[tuple[str, str], ...] = ()
    mapping_notes: list[str] = []
    if request.mode is HierarchyMode.MAPPED:
        changes = Hierarchy((), uow.units.changes())
        remap, mapping_notes = _remap(
            changes, request.hierarchy_date, scope.code.short, request.split
        )
    listed, above = _listed(uow, session, scope, request.by, request.hierarchy_date)
    ctx = _Context(request, indicators, scope, listed, remap, above)
    queries = plan(ctx)
    answers = (
        session.aggregate_columns(queries)
        if isinstance(session, AggregatingColumns)
        else [AggregateColumns.of(rows) for rows in session.aggregate(queries)]
    )
    results = dict(zip(queries, answers, strict=True))
    columns = _assemble(uow, ctx, results)
    period = request.period
    level = request.by
    notes = [
        f"口径 {request.mode.label_zh} / {request.mode.label_en}",
        *mapping_notes,
    ]
    return ResultTable._trusted_columns(
        columns,
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


def _listed(
    uow: IndicatorContext, session: Aggregating, scope: Unit, by: Level | None, day: date
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...] | None]:
    """``(code, name)`` of the breakdown level's units valid on ``day`` and, if the store lists
    units as plain rows (:class:`~minzu_core.indicators.query.ListingUnits`), of the units
    between the scope and that level too, all in one read; otherwise those are ``None`` (read
    by :func:`_names` if some row needs them)."""
    if by is None:
        return (), None
    if isinstance(session, ListingUnits):
        levels = [lv for lv in Level if scope.level.depth < lv.depth <= by.depth]
        listed: list[tuple[str, str]] = []
        above: list[tuple[str, str]] = []
        wanted = by.value
        for code, name, level in session.indicator_units(scope.code.short, levels, day):
            (listed if level == wanted else above).append((code, name))
        return tuple(listed), tuple(above)
    units = uow.units.list(within=scope.code, level=by, as_of=day)
    return tuple((u.code.value, u.name) for u in units), None


def _names(uow: IndicatorContext, ctx: _Context, codes: Collection[str]) -> dict[str, str]:
    """The row label of each breakdown code (12 digits): the unit's name on the hierarchy date,
    marked 本级 (own level) for a unit above the breakdown level. Units of the breakdown level
    are already listed, and so are those above it if the store listed them in the same read;
    otherwise the others are read one query per level. Only a code no longer valid on that
    date (an abolished unit with data) is looked up on its own."""
    by = ctx.request.by
    day = ctx.request.hierarchy_date
    known = dict(ctx.listed)
    wanted = [code for code in codes if code not in known]
    if wanted and ctx.above is not None:
        known.update(ctx.above)
    elif wanted:
        levels = {level_of_code(code) for code in wanted}
        for level in sorted(levels, key=lambda lv: lv.depth):
            for listed in uow.units.list(within=ctx.scope.code, level=level, as_of=day):
                known[listed.code.value] = listed.name
    names: dict[str, str] = {}
    for code in codes:
        name = known.get(code)
        if name is None:
            unit = _find_unit(uow, DivisionCode(code), day)
            short = code[: level_of_code(code).digits]
            name = unit.name if unit is not None else f"未知单位 unknown unit {short}"
        if by is not None and level_of_code(code).depth < by.depth:
            name = f"{name} ({OWN_LEVEL_ZH} {OWN_LEVEL_EN})"
        names[code] = name
    return names


def _keys(ctx: _Context, totals: Mapping[AggregateQuery, _Totals]) -> list[str]:
    """The breakdown keys: units of the level valid on the hierarchy date, and keys with rows."""
    by = ctx.request.by
    if by is None:
        return []
    prefix = ctx.scope.code.short
    keys = {code[: by.digits] for code, _ in ctx.listed}
    for query, index in totals.items():
        if query.key_length == by.digits:
            keys.update(index.keys)
    return sorted(key for key in keys if key.startswith(prefix))


#: The result columns the engine fills (the comparison columns stay empty).
_FILLED: Final = (
    "indicator_id",
    "indicator_name_zh",
    "indicator_name_en",
    "unit_code",
    "unit_name",
    "period",
    "breakdown",
    "value",
    "numerator",
    "denominator",
    "status",
    "reason_zh",
    "reason_en",
    "decimals",
)
_EMPTY: Final = (
    "previous_value",
    "previous_change",
    "previous_change_pct",
    "last_year_value",
    "last_year_change",
    "last_year_change_pct",
)
_REASON_ZH: Final = {status.value: status.reason_zh for status in Status}
_REASON_EN: Final = {status.value: status.reason_en for status in Status}


def _assemble(
    uow: IndicatorContext, ctx: _Context, results: Mapping[AggregateQuery, AggregateColumns]
) -> dict[str, list[Any]]:
    """The result columns: per indicator, the scope unit's row and one per breakdown unit (and
    one per breakdown group of each), ratios computed a column at a time."""
    period = ctx.request.period.label
    scope_key = ctx.scope.code.short
    scope_code = ctx.scope.code.value
    totals = {query: _Totals(rows, scope_key) for query, rows in results.items()}
    codes = {
        key: code for key in _keys(ctx, totals) if (code := key.ljust(12, "0")) != scope_code
    }  # facts at the scope unit itself are in its total only
    names = _names(uow, ctx, list(codes.values()))
    keys = [scope_key, *codes]
    unit_codes = [scope_code, *codes.values()]
    unit_names = [ctx.scope.name, *(names[code] for code in codes.values())]
    columns: dict[str, list[Any]] = {key: [] for key in (*_FILLED, *_EMPTY)}
    for indicator in ctx.indicators:
        numerator = _lookup(ctx, indicator, indicator.numerator, totals)
        denominator = _lookup(ctx, indicator, indicator.denominator, totals)
        if indicator.breakdown is None:
            nums = _column(ctx, numerator, keys)
            dens = None if indicator.denominator is None else _column(ctx, denominator, keys)
            codes_out, names_out = unit_codes, unit_names
            groups_out: list[str | None] = [None] * len(keys)
        else:
            nums, dens_list, codes_out, names_out, groups_out = _grouped(
                ctx, indicator, numerator, denominator, keys, unit_codes, unit_names
            )
            dens = None if indicator.denominator is None else dens_list
        values, statuses = _ratios(nums, dens, indicator.factor, indicator.decimals)
        n = len(nums)
        columns["indicator_id"] += [indicator.id] * n
        columns["indicator_name_zh"] += [indicator.name_zh] * n
        columns["indicator_name_en"] += [indicator.name_en] * n
        columns["unit_code"] += codes_out
        columns["unit_name"] += names_out
        columns["period"] += [period] * n
        columns["breakdown"] += groups_out
        columns["value"] += values
        columns["numerator"] += nums
        columns["denominator"] += [None] * n if dens is None else dens
        columns["status"] += statuses
        columns["reason_zh"] += map(_REASON_ZH.__getitem__, statuses)
        columns["reason_en"] += map(_REASON_EN.__getitem__, statuses)
        columns["decimals"] += [indicator.decimals] * n
    total = len(columns["indicator_id"])
    for key in _EMPTY:
        columns[key] = [None] * total
    return columns


def _grouped(
    ctx: _Context,
    indicator: Indicator,
    numerator: _Lookup,
    denominator: _Lookup,
    keys: Sequence[str],
    unit_codes: Sequence[str],
    unit_names: Sequence[str],
) -> tuple[list[float | None], list[float | None], list[str], list[str], list[str | None]]:
    """The rows of an indicator with a breakdown attribute: per unit, the whole unit, then each
    of its breakdown groups in order."""
    grouped = [f.by_level for f in (numerator, denominator) if f.by_level is not None] + [
        f.distinct[(ctx.by_len, True)] for f in (numerator, denominator) if f.distinct
    ]
    nums: list[float | None] = []
    dens: list[float | None] = []
    codes: list[str] = []
    names: list[str] = []
    groups_out: list[str | None] = []
    for key, code, name in zip(keys, unit_codes, unit_names, strict=True):
        groups: set[str] = set()
        for index in grouped:
            groups.update(index.groups.get(key, ()))
        for group in (None, *sorted(groups)):
            num = _measure_value(ctx, numerator, key, group)
            den = _measure_value(ctx, denominator, key, group)
            nums.append(None if num is None else float(num))
            dens.append(None if den is None else float(den))
            codes.append(code)
            names.append(name)
            groups_out.append(group)
    return nums, dens, codes, names, groups_out
