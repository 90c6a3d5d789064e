"""Indicator results (指标结果): rows, tables and their exports.

A :class:`ResultTable` holds :class:`ResultRow` objects — one per (indicator, unit, period,
breakdown group) — and converts to pandas, CSV, XLSX, Markdown and JSON.

Zero and missing are different things (DESIGN §5):

* ``ok`` — a value was computed (it may be 0: nothing happened, and that is a fact);
* ``no_denominator`` — the denominator is 0, so a rate does not exist: ``value`` is ``None``,
  never 0 and never an error (e.g. a satisfaction rate where nobody was followed up);
* ``suppressed`` — hidden by disclosure control (:func:`suppress`): counts below a threshold
  are not published, and the row says why;
* ``no_data`` — the inputs are missing (e.g. an average over no rows).

:func:`ratio` implements the *ratio of sums*: the engine aggregates numerator and denominator
separately over each unit's subtree, then divides, multiplies by the factor and rounds half up
(四舍五入) — it never averages the rates of subunits.

JSON schema (``to_json`` / ``from_json``, stable; version 1)::

    {
      "schema": "minzu-core/indicator-results",
      "version": 1,
      "metadata": {
        "title_zh": str, "title_en": str,
        "scope_code": str | null,            # 12-digit division code of the scope
        "scope_name": str,
        "level": str | null,                 # province/prefecture/county/township/village
        "generated_at": str | null,          # ISO 8601 with offset: "2020-01-05T09:00:00+08:00"
        "hierarchy_as_of": str | null,       # YYYY-MM-DD units were mapped to; null: as recorded
        "suppression_threshold": int | null, # set by suppress()
        "notes": [str],
        "extra": {str: str}
      },
      "rows": [
        {
          "indicator_id": str, "indicator_name_zh": str, "indicator_name_en": str,
          "unit_code": str,                  # 12 digits
          "unit_name": str,
          "period": str,                     # canonical period text: 2019, 2019Q4, 2019-12, …
          "breakdown": str | null,           # the breakdown group, null for the whole unit
          "value": number | null,
          "numerator": number | null,
          "denominator": number | null,      # null when the indicator has no denominator
          "status": "ok" | "no_denominator" | "suppressed" | "no_data",
          "reason_zh": str, "reason_en": str,  # why there is no value ("" when ok)
          "decimals": int,
          "previous_value": number | null, "previous_change": number | null,
          "previous_change_pct": number | null,
          "last_year_value": number | null, "last_year_change": number | null,
          "last_year_change_pct": number | null
        }
      ]
    }

Every key is always present; readers must ignore keys they do not know (later minor versions
may add keys, a breaking change raises ``version``).
"""

from __future__ import annotations

import csv
import decimal
import functools
import io
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from itertools import repeat
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, Literal, cast

import attrs

from minzu_core.clock import CST, require_aware
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.errors import MinzuError
from minzu_core.indicators._common import (
    MissingDependencyError,
    invalid,
    positive_threshold,
    prefixed,
    require_module,
)
from minzu_core.indicators.periods import Period, parse_period
from minzu_core.labels import LabelledEnum
from minzu_core.serialization import converter

if TYPE_CHECKING:  # pragma: no cover
    from minzu_core.indicators.definitions import Indicator

__all__ = [
    "COLUMNS",
    "JSON_SCHEMA",
    "JSON_VERSION",
    "MissingDependencyError",
    "ResultRow",
    "ResultTable",
    "Status",
    "TableMetadata",
    "ratio",
    "round_half_up",
    "suppress",
    "with_comparisons",
]

JSON_SCHEMA: Final = "minzu-core/indicator-results"
JSON_VERSION: Final = 1


class Status(LabelledEnum, error_code="invalid_status"):
    """Why a row has, or has not, a value (结果状态)."""

    OK = "ok", "正常", "ok"
    NO_DENOMINATOR = "no_denominator", "分母为零", "zero denominator"
    SUPPRESSED = "suppressed", "已隐藏", "suppressed"
    NO_DATA = "no_data", "无数据", "no data"

    @property
    def reason_zh(self) -> str:
        """The default Chinese explanation ("" for ``ok``)."""
        return _STATUS_REASONS[self][0]

    @property
    def reason_en(self) -> str:
        """The default English explanation ("" for ``ok``)."""
        return _STATUS_REASONS[self][1]


_STATUS_REASONS: Final = {
    Status.OK: ("", ""),
    Status.NO_DENOMINATOR: (
        "分母为 0, 不计算比率 (不是 0)",
        "the denominator is zero, so there is no rate (not 0)",
    ),
    Status.SUPPRESSED: (
        "小数值按披露控制规则隐藏",
        "small counts hidden by disclosure control",
    ),
    Status.NO_DATA: ("无可用数据", "no data available"),
}

#: Every column of a result, in order: (key, Chinese label, English label).
COLUMNS: Final[tuple[tuple[str, str, str], ...]] = (
    ("indicator_id", "指标代码", "Indicator ID"),
    ("indicator_name_zh", "指标名称", "Indicator (Chinese)"),
    ("indicator_name_en", "指标名称(英文)", "Indicator (English)"),
    ("unit_code", "单位代码", "Unit code"),
    ("unit_name", "单位名称", "Unit"),
    ("period", "统计期间", "Period"),
    ("breakdown", "分组", "Breakdown"),
    ("value", "指标值", "Value"),
    ("numerator", "分子", "Numerator"),
    ("denominator", "分母", "Denominator"),
    ("status", "状态", "Status"),
    ("reason_zh", "说明", "Note (Chinese)"),
    ("reason_en", "说明(英文)", "Note (English)"),
    ("decimals", "小数位数", "Decimals"),
    ("previous_value", "上期值", "Previous period"),
    ("previous_change", "环比增减", "Change vs previous"),
    ("previous_change_pct", "环比增长率(%)", "Change vs previous (%)"),
    ("last_year_value", "上年同期值", "Same period last year"),
    ("last_year_change", "同比增减", "Change vs last year"),
    ("last_year_change_pct", "同比增长率(%)", "Change vs last year (%)"),
)
_KEYS: Final = tuple(key for key, _, _ in COLUMNS)
_VALUE_KEYS: Final = frozenset(
    {"value", "previous_value", "previous_change", "last_year_value", "last_year_change"}
)
_PCT_KEYS: Final = frozenset({"previous_change_pct", "last_year_change_pct"})
#: The comparison columns (:func:`with_comparisons`), the last of :data:`COLUMNS`.
_COMPARISON_KEYS: Final = _KEYS[_KEYS.index("previous_value") :]
#: The columns a row is computed with (every column before the comparisons).
_TRUSTED_FIELDS: Final = _KEYS[: _KEYS.index("previous_value")]
_COUNT_KEYS: Final = frozenset({"numerator", "denominator"})


# -- arithmetic ----------------------------------------------------------------------------------
def _dec(value: float) -> decimal.Decimal:
    if isinstance(value, int):
        return decimal.Decimal(value)
    return decimal.Decimal(repr(float(value)))


def _quantize(value: decimal.Decimal, decimals: int) -> float:
    with decimal.localcontext() as ctx:
        ctx.prec = 120
        try:
            result = float(
                value.quantize(decimal.Decimal(1).scaleb(-decimals), decimal.ROUND_HALF_UP)
            )
        except decimal.InvalidOperation:  # beyond 120 digits: no fraction left to round
            result = float(value)
    if not math.isfinite(result):
        raise invalid(
            "value_out_of_range",
            "计算结果超出可表示的数值范围",
            "the result is too large to represent",
            "value",
        )
    return result


def round_half_up(value: float, decimals: int) -> float:
    """``value`` rounded to ``decimals`` places, halves away from zero (四舍五入), on the decimal
    text of the float (``round_half_up(2.675, 2) == 2.68``, where ``round`` gives 2.67)."""
    return _quantize(_dec(value), decimals)


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def ratio(
    numerator: float | None,
    denominator: float | None = None,
    factor: float = 1.0,
    decimals: int = 2,
    *,
    has_denominator: bool | None = None,
) -> tuple[float | None, Status]:
    """The value of an indicator from its aggregated numerator and denominator (DESIGN §5).

    ``numerator × factor ÷ denominator`` rounded half up to ``decimals``; without a denominator
    (``denominator`` is ``None`` and ``has_denominator`` is not true) ``numerator × factor``.

    * a zero denominator gives ``(None, Status.NO_DENOMINATOR)`` — never 0, never an error;
    * a missing numerator (``None`` or NaN), or a missing denominator when ``has_denominator``
      is true, gives ``(None, Status.NO_DATA)``;
    * a numerator of 0 over a positive denominator is a real 0: ``(0.0, Status.OK)``.

    >>> ratio(1, 3, 100, 2)
    (33.33, <Status.OK: 'ok'>)
    >>> ratio(0, 0, 100)
    (None, <Status.NO_DENOMINATOR: 'no_denominator'>)
    """
    expects_denominator = denominator is not None if has_denominator is None else has_denominator
    if _missing(numerator) or (expects_denominator and _missing(denominator)):
        return None, Status.NO_DATA
    assert numerator is not None
    if not expects_denominator and factor == 1 and float(numerator).is_integer():
        return float(numerator), Status.OK  # a whole count: nothing to scale or round
    scaled = _dec(numerator) * _dec(factor)
    if not expects_denominator:
        return _quantize(scaled, decimals), Status.OK
    assert denominator is not None
    if denominator == 0:
        return None, Status.NO_DENOMINATOR
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        quotient = scaled / _dec(denominator)
    return _quantize(quotient, decimals), Status.OK


# Whole numbers below these bounds take the exact integer path of :func:`_ratios`: the
# quotient of two such numbers never has a run of 16 equal digits after the rounding digit, so
# dividing at 60 significant digits and rounding (what :func:`ratio` does) and rounding the
# exact fraction (what the integer path does) agree.
_WHOLE_LIMIT: Final = 2**53
_SCALED_LIMIT: Final = 10**18
_DENOMINATOR_LIMIT: Final = 10**15


def _counts_below(column: Sequence[Any], limit: int) -> bool:
    """Whether every entry is a whole float, ``+0.0`` or above and below ``limit`` (C-level
    loops: a ``None``, an ``int`` or a ``bool`` makes ``float.is_integer`` raise ``TypeError``;
    ``-0.0`` has a negative sign, which ``ratio`` keeps)."""
    try:
        return not column or (
            all(map(float.is_integer, column))
            and min(map(math.copysign, repeat(1.0), column)) > 0
            and max(column) < limit
        )
    except TypeError:
        return False


def _ratios(
    numerators: Sequence[float | None],
    denominators: Sequence[float | None] | None,
    factor: float,
    decimals: int,
) -> tuple[list[float | None], list[str]]:
    """:func:`ratio` over columns: the values and the status texts, exactly what ``ratio``
    gives row by row (``denominators`` ``None``: an indicator without a denominator).

    Counts — whole, non-negative numbers — are divided and rounded half up in integer
    arithmetic: ``(2·n·factor·10^d + m) // (2·m)`` is ``n·factor ÷ m`` rounded half up to ``d``
    places, and dividing that int by ``10^d`` is correctly rounded, as is ``float`` of the
    quantised ``Decimal``. A column of counts takes that path as a whole; otherwise each entry
    does if it can, and the rest (fractions, NaN, negatives, huge values) go through ``ratio``
    itself.
    """
    whole_factor = (
        isinstance(factor, int | float)
        and not isinstance(factor, bool)
        and math.isfinite(factor)
        and float(factor).is_integer()
        and 0 <= factor < _WHOLE_LIMIT
    )
    ok, no_denominator = Status.OK.value, Status.NO_DENOMINATOR.value
    if (
        whole_factor
        and denominators is None
        and factor == 1
        and _counts_below(numerators, _WHOLE_LIMIT)
    ):  # whole counts: the value is the count
        return list(numerators), [ok] * len(numerators)
    scale = int(factor) * 10**decimals if whole_factor else 0
    power = 10**decimals
    if (
        whole_factor
        and denominators is not None
        and _counts_below(numerators, _SCALED_LIMIT // max(int(factor), 1))
        and _counts_below(denominators, _DENOMINATOR_LIMIT)
    ):
        counted, counting = (
            cast("Sequence[float]", numerators),
            cast("Sequence[float]", denominators),
        )
        tops = [int(n) * scale * 2 for n in counted]
        bottoms = list(map(int, counting))
        return (
            [
                (top + bottom) // (2 * bottom) / power if bottom else None
                for top, bottom in zip(tops, bottoms, strict=True)
            ],
            [ok if bottom else no_denominator for bottom in bottoms],
        )
    return _ratios_each(numerators, denominators, factor, decimals, whole_factor)


def _ratios_each(
    numerators: Sequence[float | None],
    denominators: Sequence[float | None] | None,
    factor: float,
    decimals: int,
    whole_factor: bool,
) -> tuple[list[float | None], list[str]]:
    """:func:`_ratios` entry by entry (a column that is not all counts)."""
    values: list[float | None] = []
    statuses: list[str] = []
    add_value, add_status = values.append, statuses.append
    ok, no_denominator = Status.OK.value, Status.NO_DENOMINATOR.value
    if denominators is None:
        for numerator in numerators:
            if (
                whole_factor
                and type(numerator) is float
                and numerator.is_integer()
                and 0 <= numerator < _WHOLE_LIMIT
                and math.copysign(1.0, numerator) > 0
            ):
                add_value(float(int(numerator) * int(factor)))
                add_status(ok)
                continue
            value, status = ratio(numerator, None, factor, decimals, has_denominator=False)
            add_value(value)
            add_status(status.value)
        return values, statuses
    scale = int(factor) * 10**decimals if whole_factor else 0
    power = 10**decimals
    for numerator, denominator in zip(numerators, denominators, strict=True):
        if (
            whole_factor
            and type(numerator) is float
            and type(denominator) is float
            and numerator.is_integer()
            and denominator.is_integer()
            and 0 <= numerator < _WHOLE_LIMIT
            and 0 <= denominator < _DENOMINATOR_LIMIT
            and math.copysign(1.0, numerator) > 0
        ):
            if denominator == 0:
                add_value(None)
                add_status(no_denominator)
                continue
            scaled = int(numerator) * scale
            if scaled < _SCALED_LIMIT * power:
                whole = int(denominator)
                add_value((2 * scaled + whole) // (2 * whole) / power)
                add_status(ok)
                continue
        value, status = ratio(numerator, denominator, factor, decimals, has_denominator=True)
        add_value(value)
        add_status(status.value)
    return values, statuses


def _change(
    value: float | None, base: float | None, decimals: int
) -> tuple[float | None, float | None]:
    if value is None or base is None:
        return None, None
    difference = _dec(value) - _dec(base)
    change = _quantize(difference, decimals)
    if base == 0:
        return change, None
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        pct = difference * 100 / abs(_dec(base))
    return change, _quantize(pct, 2)


# -- converters ----------------------------------------------------------------------------------
def _number(field: str) -> Any:
    def convert(value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid("invalid_number", f"{field} 须为数值", f"{field} must be a number", field)
        number = float(value)
        if math.isnan(number):
            return None
        if math.isinf(number):
            raise invalid(
                "invalid_number", f"{field} 须为有限数值", f"{field} must be finite", field
            )
        return number

    return convert


def _unit_code(value: Any) -> str:
    if isinstance(value, DivisionCode):
        return value.value
    if isinstance(value, str):
        return _canonical_code(value)
    return DivisionCode.parse(value, field="unit_code").value


@functools.lru_cache(maxsize=65536)
def _canonical_code(value: str) -> str:
    # Tables hold tens of thousands of rows over a few thousand units: parse each text once.
    return DivisionCode.parse(value, field="unit_code").value


def _opt_unit_code(value: Any) -> str | None:
    return None if value is None else _unit_code(value)


def _period_text(value: Any) -> str:
    if isinstance(value, str):
        return _canonical_period(value)
    return parse_period(value).label


@functools.lru_cache(maxsize=1024)
def _canonical_period(value: str) -> str:
    return parse_period(value).label


def _status(value: Any) -> Status:
    status: Status = Status.parse(value, field="status")
    return status


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _opt_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _decimals(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise invalid("invalid_decimals", "小数位数须为 0–10", "decimals must be 0–10", "decimals")
    return value


def _row_values(
    indicator: Indicator,
    unit_code: Any,
    unit_name: str,
    period: Any,
    breakdown: str | None,
    aggregated: tuple[float | None, float | None],
    counts: tuple[float | None, float | None],
) -> tuple[Any, ...]:
    """The :data:`_TRUSTED_FIELDS` of the row for ``indicator``: its value and status are what
    :func:`ratio` gives for the ``aggregated`` numerator and denominator, which the row keeps
    as ``counts``."""
    value, status = ratio(
        *aggregated,
        indicator.factor,
        indicator.decimals,
        has_denominator=indicator.denominator is not None,
    )
    return (
        indicator.id,
        indicator.name_zh,
        indicator.name_en,
        unit_code,
        unit_name,
        period,
        breakdown,
        value,
        *counts,
        status,
        *_STATUS_REASONS[status],
        indicator.decimals,
    )


def _default_reason_zh(row: ResultRow) -> str:
    return row.status.reason_zh


def _default_reason_en(row: ResultRow) -> str:
    return row.status.reason_en


# Named converters (the attrs mypy plugin needs named functions).
def _value(value: Any) -> float | None:
    result: float | None = _number("value")(value)
    return result


def _numerator(value: Any) -> float | None:
    result: float | None = _number("numerator")(value)
    return result


def _denominator(value: Any) -> float | None:
    result: float | None = _number("denominator")(value)
    return result


def _prev_value(value: Any) -> float | None:
    result: float | None = _number("previous_value")(value)
    return result


def _prev_change(value: Any) -> float | None:
    result: float | None = _number("previous_change")(value)
    return result


def _prev_pct(value: Any) -> float | None:
    result: float | None = _number("previous_change_pct")(value)
    return result


def _ly_value(value: Any) -> float | None:
    result: float | None = _number("last_year_value")(value)
    return result


def _ly_change(value: Any) -> float | None:
    result: float | None = _number("last_year_change")(value)
    return result


def _ly_pct(value: Any) -> float | None:
    result: float | None = _number("last_year_change_pct")(value)
    return result


@attrs.frozen
class ResultRow:
    """One result (指标结果行): an indicator's value for a unit, a period and a breakdown group.

    ``value`` is ``None`` exactly when ``status`` is not ``ok``; ``reason_zh``/``reason_en`` say
    why (defaults from the status). ``numerator`` and ``denominator`` are the aggregated inputs
    (``denominator`` is ``None`` for an indicator without one). ``period`` is canonical period
    text (a :class:`~minzu_core.indicators.periods.Period` is accepted). The comparison columns
    are filled by :func:`with_comparisons`: ``*_change`` is in the indicator's own unit
    (percentage points for a rate) rounded to ``decimals``; ``*_change_pct`` is the relative
    change in percent, rounded to 2 places (``None`` when the base is 0 or missing).
    """

    indicator_id: str
    indicator_name_zh: str
    indicator_name_en: str
    unit_code: str = attrs.field(converter=_unit_code)
    unit_name: str = attrs.field(converter=_text)
    period: str = attrs.field(converter=_period_text)
    value: float | None = attrs.field(converter=_value)
    numerator: float | None = attrs.field(default=None, converter=_numerator)
    denominator: float | None = attrs.field(default=None, converter=_denominator)
    status: Status = attrs.field(default=Status.OK, converter=_status)
    breakdown: str | None = attrs.field(default=None, converter=_opt_text)
    reason_zh: str = attrs.field(
        default=attrs.Factory(_default_reason_zh, takes_self=True), converter=_text
    )
    reason_en: str = attrs.field(
        default=attrs.Factory(_default_reason_en, takes_self=True), converter=_text
    )
    decimals: int = attrs.field(default=2, converter=_decimals)
    previous_value: float | None = attrs.field(default=None, converter=_prev_value)
    previous_change: float | None = attrs.field(default=None, converter=_prev_change)
    previous_change_pct: float | None = attrs.field(default=None, converter=_prev_pct)
    last_year_value: float | None = attrs.field(default=None, converter=_ly_value)
    last_year_change: float | None = attrs.field(default=None, converter=_ly_change)
    last_year_change_pct: float | None = attrs.field(default=None, converter=_ly_pct)

    def __attrs_post_init__(self) -> None:
        if (self.value is None) == (self.status is Status.OK):
            raise invalid(
                "invalid_result",
                "状态为正常时须有值, 否则不能有值",
                "a row has a value exactly when its status is ok",
                "value",
            )

    @classmethod
    def compute(
        cls,
        indicator: Indicator,
        *,
        unit_code: DivisionCode | str,
        unit_name: str,
        period: Period | str,
        numerator: float | None,
        denominator: float | None = None,
        breakdown: str | None = None,
    ) -> ResultRow:
        """The row for ``indicator`` from its aggregated numerator (and denominator), with the
        value and status :func:`ratio` gives."""
        counts = (numerator, denominator)
        values = _row_values(indicator, unit_code, unit_name, period, breakdown, counts, counts)
        return cls(**dict(zip(_TRUSTED_FIELDS, values, strict=True)))

    @classmethod
    def _trusted(
        cls,
        indicator: Indicator,
        unit_code: str,
        unit_name: str,
        period: str,
        numerator: float | None,
        denominator: float | None,
        breakdown: str | None,
    ) -> ResultRow:
        """What :meth:`compute` gives, for values already canonical (the engine's: a 12-digit
        code, a period label, floats) — built without the converters, which cost more than
        everything else when a province's table has tens of thousands of rows."""
        row = object.__new__(cls)
        counts = (
            None if numerator is None else float(numerator),
            None if denominator is None else float(denominator),
        )
        values = _row_values(
            indicator, unit_code, unit_name, period, breakdown, (numerator, denominator), counts
        )
        setter = object.__setattr__
        for name, item in zip(_TRUSTED_FIELDS, values, strict=True):
            setter(row, name, item)
        for name in _COMPARISON_KEYS:
            setter(row, name, None)
        return row

    @property
    def period_obj(self) -> Period:
        """The period as a :class:`Period`."""
        return parse_period(self.period)

    @property
    def key(self) -> tuple[str, str, str | None, str]:
        """``(indicator_id, unit_code, breakdown, period)``: unique within a table."""
        return (self.indicator_id, self.unit_code, self.breakdown, self.period)

    @property
    def has_comparisons(self) -> bool:
        """True if any comparison column is filled."""
        return any(getattr(self, key) is not None for key in _COMPARISON_KEYS)

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data in :data:`COLUMNS` order."""
        data: dict[str, Any] = converter.unstructure(self)
        return {key: data[key] for key in _KEYS}


def _rows(values: Iterable[ResultRow]) -> tuple[ResultRow, ...]:
    rows = tuple(values)
    seen: set[tuple[str, str, str | None, str]] = set()
    for row in rows:
        if not isinstance(row, ResultRow):
            raise invalid("invalid_result", "行须为 ResultRow", "rows must be ResultRows", "rows")
        if row.key in seen:
            raise invalid(
                "duplicate_result",
                "同一指标、单位、分组和期间出现了两行",
                "two rows for the same indicator, unit, breakdown and period",
                "rows",
                key=list(row.key),
            )
        seen.add(row.key)
    return rows


def _level(value: Any) -> str | None:
    if value is None:
        return None
    level: Level = Level.parse(value, field="level")
    return str(level.value)


def _generated_at(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return require_aware(value, "generated_at").astimezone(CST)


def _as_of(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    return date.fromisoformat(str(value))


def _threshold(value: Any) -> int | None:
    return positive_threshold(value, "threshold", "披露阈值")


def _notes(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _extra(values: Mapping[Any, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (values or {}).items()}


@attrs.frozen
class TableMetadata:
    """What a result table is about (元数据). Every attribute is optional.

    Attributes:
        title_zh, title_en: a title.
        scope_code, scope_name: the unit whose subtree was evaluated.
        level: the level the rows break the scope down to (a :class:`Level` value).
        generated_at: when the table was computed (timezone-aware, stored in CST).
        hierarchy_as_of: units mapped to those valid on this date; ``None``: as recorded.
        suppression_threshold: set by :func:`suppress`.
        notes: free-text notes.
        extra: further string facts (for engines and applications).
    """

    title_zh: str = attrs.field(default="", converter=_text)
    title_en: str = attrs.field(default="", converter=_text)
    scope_code: str | None = attrs.field(default=None, converter=_opt_unit_code)
    scope_name: str = attrs.field(default="", converter=_text)
    level: str | None = attrs.field(default=None, converter=_level)
    generated_at: datetime | None = attrs.field(default=None, converter=_generated_at)
    hierarchy_as_of: date | None = attrs.field(default=None, converter=_as_of)
    suppression_threshold: int | None = attrs.field(default=None, converter=_threshold)
    notes: tuple[str, ...] = attrs.field(default=(), converter=_notes)
    extra: dict[str, str] = attrs.field(factory=dict, converter=_extra)


_LABELS: Final = [
    ("title_zh", "标题", "Title (Chinese)"),
    ("title_en", "标题(英文)", "Title (English)"),
    ("scope_code", "范围单位代码", "Scope code"),
    ("scope_name", "范围单位", "Scope"),
    ("level", "分解层级", "Level"),
    ("generated_at", "生成时间", "Generated at"),
    ("hierarchy_as_of", "区划口径日期", "Units as of"),
    ("suppression_threshold", "披露控制阈值", "Suppression threshold"),
    ("notes", "备注", "Notes"),
    ("extra", "其他", "Extra"),
]


def _format(row: ResultRow, key: str) -> str:
    value = getattr(row, key)
    if value is None:
        return ""
    if isinstance(value, Status):
        return str(value.value)
    if key in _VALUE_KEYS:
        return f"{value:.{row.decimals}f}"
    if key in _PCT_KEYS:
        return f"{value:.2f}"
    if key in _COUNT_KEYS:
        return str(int(value)) if float(value).is_integer() else repr(value)
    return str(value)


def _markdown_cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").splitlines())


#: The row attributes in declaration order (what :func:`_rows_of` sets).
_ROW_FIELDS: Final = tuple(a.name for a in attrs.fields(ResultRow))
_STATUS_OF: Final = {status.value: status for status in Status}


def _rows_of(columns: Mapping[str, list[Any]]) -> tuple[ResultRow, ...]:
    """The rows of trusted columns (canonical values, status as text), built without the
    converters or the uniqueness check."""
    new, setter = object.__new__, object.__setattr__
    statuses = [_STATUS_OF[text] for text in columns["status"]]
    names = _ROW_FIELDS
    rows = []
    for values in zip(*(statuses if n == "status" else columns[n] for n in names), strict=True):
        row = new(ResultRow)
        for name, item in zip(names, values, strict=True):
            setter(row, name, item)
        rows.append(row)
    return tuple(rows)


def _columns_of(rows: tuple[ResultRow, ...]) -> dict[str, list[Any]]:
    """The columns of ``rows`` (status as text), in :data:`COLUMNS` order."""
    columns = {key: [getattr(row, key) for row in rows] for key in _KEYS}
    columns["status"] = [status.value for status in columns["status"]]
    return columns


@attrs.frozen
class ResultTable:
    """A table of results (指标结果表): rows plus :class:`TableMetadata`.

    Rows are unique by ``(indicator_id, unit_code, breakdown, period)`` and keep their order.
    Every export has the columns of :data:`COLUMNS` in that order.

    A table the engine computes is kept column by column: :meth:`to_columns` and
    :meth:`to_pandas` read the columns directly, and the :class:`ResultRow` objects of
    ``rows`` are built the first time ``rows`` is read.
    """

    rows: tuple[ResultRow, ...] = attrs.field(default=(), converter=_rows)
    metadata: TableMetadata = attrs.field(factory=TableMetadata)
    # The columns (status as text), when the table was built from them; ``None`` otherwise.
    _columns: dict[str, list[Any]] | None = attrs.field(
        default=None, init=False, eq=False, hash=False, repr=False
    )

    @classmethod
    def _trusted_columns(
        cls, columns: Mapping[str, list[Any]], metadata: TableMetadata
    ) -> ResultTable:
        """A table of columns already canonical and unique by key (the engine's: one list per
        :data:`COLUMNS` key, all of one length, the status as text), built without
        validation; ``rows`` is built when first read."""
        table = object.__new__(cls)
        object.__setattr__(table, "metadata", metadata)
        object.__setattr__(table, "_columns", {key: columns[key] for key in _KEYS})
        return table

    if not TYPE_CHECKING:  # hidden from mypy, so that other attribute names stay checked

        def __getattr__(self, name: str) -> Any:
            # Only reached for a slot not yet set: the rows of a table built from columns.
            if name == "rows":
                rows = _rows_of(object.__getattribute__(self, "_columns"))
                object.__setattr__(self, "rows", rows)
                return rows
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __len__(self) -> int:
        if self._columns is not None:
            return len(self._columns["indicator_id"])
        return len(self.rows)

    def __iter__(self) -> Iterator[ResultRow]:
        return iter(self.rows)

    @classmethod
    def concat(
        cls, tables: Iterable[ResultTable], metadata: TableMetadata | None = None
    ) -> ResultTable:
        """One table with the rows of ``tables`` (metadata: the given one, else the first's)."""
        tables = list(tables)
        meta = metadata or (tables[0].metadata if tables else TableMetadata())
        return cls(tuple(row for table in tables for row in table.rows), meta)

    def select(
        self,
        indicator_id: str | None = None,
        *,
        unit_code: DivisionCode | str | None = None,
        period: Period | str | None = None,
        breakdown: str | None = None,
        any_breakdown: bool = False,
    ) -> ResultTable:
        """The rows matching every criterion given (``breakdown=None`` selects the rows for the
        whole unit unless ``any_breakdown``)."""
        code = None if unit_code is None else _unit_code(unit_code)
        text = None if period is None else _period_text(period)
        rows = [
            row
            for row in self.rows
            if (indicator_id is None or row.indicator_id == indicator_id)
            and (code is None or row.unit_code == code)
            and (text is None or row.period == text)
            and (any_breakdown or row.breakdown == breakdown)
        ]
        return ResultTable(tuple(rows), self.metadata)

    @property
    def periods(self) -> tuple[str, ...]:
        """The distinct periods, in order of appearance."""
        if self._columns is not None:
            return tuple(dict.fromkeys(self._columns["period"]))
        return tuple(dict.fromkeys(row.period for row in self.rows))

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        """The distinct indicator ids, in order of appearance."""
        if self._columns is not None:
            return tuple(dict.fromkeys(self._columns["indicator_id"]))
        return tuple(dict.fromkeys(row.indicator_id for row in self.rows))

    # -- exports ---------------------------------------------------------------------------------
    def to_records(self) -> list[dict[str, Any]]:
        """One dict per row, keys in :data:`COLUMNS` order (JSON-ready)."""
        if self._columns is not None:
            columns = self._columns
            return [
                dict(zip(_KEYS, values, strict=True))
                for values in zip(*(columns[key] for key in _KEYS), strict=True)
            ]
        return [row.to_dict() for row in self.rows]

    def to_columns(self) -> dict[str, list[Any]]:
        """The table column by column: ``{key: [one value per row]}`` for every key of
        :data:`COLUMNS`, in that order, values as in :meth:`to_records` (the status as text).
        A table the engine computed hands out copies of the lists it keeps, without a Python
        loop per row."""
        if self._columns is None:
            return _columns_of(self.rows)
        return {key: list(values) for key, values in self._columns.items()}

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (see the module docstring) as Python data."""
        metadata: dict[str, Any] = converter.unstructure(self.metadata)
        return {
            "schema": JSON_SCHEMA,
            "version": JSON_VERSION,
            "metadata": metadata,
            "rows": self.to_records(),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The table as JSON text in the documented schema (Chinese kept as is, UTF-8)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResultTable:
        """Read :meth:`to_dict` output (typed ``ValidationError`` on anything else)."""
        if not isinstance(data, Mapping) or data.get("schema") != JSON_SCHEMA:
            raise invalid(
                "invalid_result_json",
                f"不是指标结果文档 (schema 应为 {JSON_SCHEMA})",
                f"not an indicator result document (schema must be {JSON_SCHEMA})",
                "schema",
            )
        if data.get("version") != JSON_VERSION:
            raise invalid(
                "unsupported_version",
                f"不支持的版本, 支持 {JSON_VERSION}",
                f"unsupported version; supported: {JSON_VERSION}",
                "version",
            )
        try:
            metadata = _build(TableMetadata, data.get("metadata") or {}, "metadata")
            rows = tuple(
                _build(ResultRow, row, f"rows[{i}]") for i, row in enumerate(data.get("rows", []))
            )
        except MinzuError:
            raise
        except (TypeError, ValueError, AttributeError) as error:
            raise invalid(
                "invalid_result_json",
                "指标结果文档格式错误",
                f"malformed indicator result document: {error}",
                None,
            ) from None
        return cls(rows, metadata)

    @classmethod
    def from_json(cls, text: str) -> ResultTable:
        """Read what :meth:`to_json` wrote."""
        try:
            data = json.loads(text)
        except ValueError:
            raise invalid(
                "invalid_result_json", "不是有效的 JSON", "not valid JSON", None
            ) from None
        return cls.from_dict(data)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with the :data:`COLUMNS` keys as columns (missing numbers are
        NaN); the metadata is in ``df.attrs["metadata"]``.

        pandas is an optional dependency (``pip install pandas``); without it this raises
        :class:`MissingDependencyError` (code ``missing_dependency``).
        """
        pd = require_module("pandas", "pip install pandas", "导出 pandas 表", "to_pandas")
        if self._columns is not None:  # column lists, no Python loop per row
            frame = pd.DataFrame(self._columns, columns=list(_KEYS))
        else:
            frame = pd.DataFrame.from_records(self.to_records(), columns=list(_KEYS))
        for key in (*_VALUE_KEYS, *_PCT_KEYS, *_COUNT_KEYS):
            frame[key] = frame[key].astype("float64")
        frame.attrs["metadata"] = converter.unstructure(self.metadata)
        return frame

    def _header(self, header: str) -> list[str]:
        if header == "key":
            return list(_KEYS)
        if header == "zh":
            return [zh for _, zh, _ in COLUMNS]
        if header == "en":
            return [en for _, _, en in COLUMNS]
        if header == "both":
            return [f"{zh} {en}" for _, zh, en in COLUMNS]
        raise invalid(
            "invalid_choice",
            "表头须为 key/zh/en/both",
            "header must be key, zh, en or both",
            "header",
        )

    def to_csv(
        self,
        path_or_buffer: str | os.PathLike[str] | IO[str] | IO[bytes],
        *,
        header: Literal["key", "zh", "en", "both"] = "key",
    ) -> None:
        """Write the rows as CSV, UTF-8 **with a byte-order mark** (``utf-8-sig``).

        The BOM is what makes Excel on Windows read the file as UTF-8, so Chinese names show
        correctly instead of mojibake; ``pandas.read_csv`` and Python's ``utf-8-sig`` codec
        skip it. Columns are :data:`COLUMNS`; the header row uses the keys (``header="key"``,
        default), the Chinese labels (``"zh"``), the English labels (``"en"``) or both
        (``"both"``: ``"单位名称 Unit"``). Missing numbers are empty cells; values carry the
        row's decimals. ``path_or_buffer`` is a path, a text stream (the BOM is written as
        U+FEFF) or a binary stream (UTF-8 bytes with the BOM).
        """
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self._header(header))
        for row in self.rows:
            writer.writerow([_format(row, key) for key in _KEYS])
        text = "\ufeff" + out.getvalue()
        if isinstance(path_or_buffer, str | os.PathLike):
            Path(path_or_buffer).write_bytes(text.encode("utf-8"))
            return
        if isinstance(path_or_buffer, io.TextIOBase):
            path_or_buffer.write(text)
            return
        stream: Any = path_or_buffer
        try:
            stream.write(text.encode("utf-8"))
        except TypeError:
            stream.write(text)

    def to_xlsx(self, path: str | os.PathLike[str], *, sheet_name: str = "指标结果") -> None:
        """Write an Excel workbook: sheet ``sheet_name`` with the rows (a header row whose
        cells read ``"单位名称\\nUnit"`` — Chinese above English —, frozen; numbers as numbers
        with the row's decimals; missing numbers empty) and a sheet ``元数据`` with the
        metadata.

        openpyxl is an optional dependency (``pip install openpyxl``); without it this raises
        :class:`MissingDependencyError`.
        """
        openpyxl = require_module("openpyxl", "pip install openpyxl", "导出 Excel", "to_xlsx")
        styles = require_module("openpyxl.styles", "pip install openpyxl", "导出 Excel", "to_xlsx")
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = sheet_name[:31]
        sheet.append([f"{zh}\n{en}" for _, zh, en in COLUMNS])
        for cell in sheet[1]:
            cell.font = styles.Font(bold=True)
            cell.alignment = styles.Alignment(wrap_text=True, vertical="top")
        for row in self.rows:
            values: list[Any] = []
            for key in _KEYS:
                value = getattr(row, key)
                values.append(value.value if isinstance(value, Status) else value)
            sheet.append(values)
            excel_row = sheet.max_row
            for index, key in enumerate(_KEYS, start=1):
                cell = sheet.cell(row=excel_row, column=index)
                if key in _VALUE_KEYS and cell.value is not None:
                    cell.number_format = "0" if row.decimals == 0 else "0." + "0" * row.decimals
                elif key in _PCT_KEYS and cell.value is not None:
                    cell.number_format = "0.00"
        widths = {"indicator_name_zh": 24, "indicator_name_en": 30, "unit_name": 20}
        for index, key in enumerate(_KEYS, start=1):
            letter = openpyxl.utils.get_column_letter(index)
            sheet.column_dimensions[letter].width = widths.get(key, 14)
        sheet.freeze_panes = "A2"
        meta = workbook.create_sheet("元数据")
        meta.append(["项目\nItem", "值\nValue"])
        data = converter.unstructure(self.metadata)
        for key, zh, en in _LABELS:
            value = data[key]
            if isinstance(value, list):
                value = "; ".join(value)
            elif isinstance(value, dict):
                value = "; ".join(f"{k}={v}" for k, v in value.items())
            meta.append([f"{zh} {en}", value])
        meta.column_dimensions["A"].width = 28
        meta.column_dimensions["B"].width = 40
        workbook.save(os.fspath(path))

    def to_markdown(self) -> str:
        """A Markdown table for reading (Chinese and English headers; ``—`` for no value, with
        the status in its own column). Breakdown and comparison columns appear only when some
        row has them."""
        columns: list[tuple[str, str]] = [
            ("indicator", "指标 Indicator"),
            ("unit", "单位 Unit"),
            ("period", "期间 Period"),
        ]
        if any(row.breakdown is not None for row in self.rows):
            columns.append(("breakdown", "分组 Breakdown"))
        columns += [
            ("value", "值 Value"),
            ("numerator", "分子 Numerator"),
            ("denominator", "分母 Denominator"),
            ("status", "状态 Status"),
        ]
        if any(row.has_comparisons for row in self.rows):
            columns += [
                ("previous_value", "上期 Previous"),
                ("previous_change_pct", "环比% vs prev."),
                ("last_year_value", "上年同期 Last year"),
                ("last_year_change_pct", "同比% vs last year"),
            ]
        lines = [
            "| " + " | ".join(label for _, label in columns) + " |",
            "|" + "|".join("---:" if key not in _TEXT_MD else "---" for key, _ in columns) + "|",
        ]
        for row in self.rows:
            cells = []
            for key, _ in columns:
                cells.append(_markdown_cell(self._md_value(row, key)))
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    @staticmethod
    def _md_value(row: ResultRow, key: str) -> str:
        if key == "indicator":
            return row.indicator_name_zh
        if key == "unit":
            return row.unit_name or row.unit_code
        if key == "status":
            if row.reason_zh and row.reason_zh != row.status.reason_zh:
                return f"{row.status.label_zh} ({row.reason_zh})"
            return row.status.label_zh
        if key == "value" and row.value is None:
            return "—"
        text = _format(row, key)
        return text if text else "—"


_TEXT_MD: Final = frozenset({"indicator", "unit", "period", "breakdown", "status"})


def _build(cls: type[Any], data: Any, path: str) -> Any:
    if not isinstance(data, Mapping):
        raise invalid("invalid_result_json", "应为映射", "expected a mapping", path)
    names = {a.name for a in attrs.fields(cls) if a.init}
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except MinzuError as error:
        raise prefixed(error, path) from None


# -- table operations ----------------------------------------------------------------------------
def suppress(table: ResultTable, threshold: int, *, suppress_zero: bool = False) -> ResultTable:
    """Disclosure control (披露控制) for publication: hide small counts.

    A row whose numerator or denominator is below ``threshold`` — and above 0, unless
    ``suppress_zero`` — loses its value, numerator, denominator and comparison columns, gets
    status ``suppressed`` and a reason naming the threshold (``"分子或分母小于 5, 已隐藏"``).
    Zeros stay by default: a zero is not a person. Rows already without a value keep their
    status but lose small counts too. The table's metadata records the threshold.

    Apply it to every table *before* :func:`with_comparisons`, so comparison columns never
    come from hidden counts. It does not do complementary suppression: a parent's total minus
    its other children can still reveal a hidden child, so publish one level at a time or check
    totals.
    """
    limit = _threshold(threshold)
    assert limit is not None

    def small(count: float | None) -> bool:
        if count is None:
            return False
        return count < limit and (suppress_zero or count != 0)

    rows = []
    for row in table.rows:
        if not (small(row.numerator) or small(row.denominator)):
            rows.append(row)
            continue
        hidden: dict[str, Any] = dict.fromkeys(_COMPARISON_KEYS)
        status = Status.SUPPRESSED if row.status is Status.OK else row.status
        reason_zh = f"分子或分母小于 {limit}, 按披露控制规则隐藏"
        reason_en = f"numerator or denominator below {limit}, hidden by disclosure control"
        rows.append(
            attrs.evolve(
                row,
                value=None,
                numerator=None,
                denominator=None,
                status=status,
                reason_zh=reason_zh if status is Status.SUPPRESSED else row.reason_zh,
                reason_en=reason_en if status is Status.SUPPRESSED else row.reason_en,
                **hidden,
            )
        )
    return ResultTable(tuple(rows), attrs.evolve(table.metadata, suppression_threshold=limit))


def with_comparisons(
    current: ResultTable,
    previous: ResultTable | None = None,
    last_year: ResultTable | None = None,
) -> ResultTable:
    """``current`` with the comparison columns filled (环比 and 同比).

    For a row of period *P*, the base row is the row of ``previous`` with the same indicator,
    unit and breakdown and period ``P.previous()``, and the row of ``last_year`` with period
    ``P.same_period_last_year()`` (tables may hold several periods; a row without a matching
    base keeps ``None``). ``*_value`` is the base value; ``*_change`` is ``value − base`` in
    the indicator's unit, rounded to the row's decimals; ``*_change_pct`` is ``(value − base) ÷
    |base| × 100`` rounded to 2 places, ``None`` when the base is 0. Any ``None`` on either side
    gives ``None``.
    """

    def index(table: ResultTable | None) -> dict[tuple[str, str, str | None, str], ResultRow]:
        return {} if table is None else {row.key: row for row in table.rows}

    before, year_ago = index(previous), index(last_year)
    rows = []
    for row in current.rows:
        period = row.period_obj
        updates: dict[str, Any] = {}
        for prefix, base_index, base_period in (
            ("previous", before, period.previous),
            ("last_year", year_ago, period.same_period_last_year),
        ):
            if not base_index:
                continue
            try:
                base_text = base_period().label
            except MinzuError:
                continue
            base = base_index.get((row.indicator_id, row.unit_code, row.breakdown, base_text))
            base_value = None if base is None else base.value
            change, pct = _change(row.value, base_value, row.decimals)
            updates[f"{prefix}_value"] = base_value
            updates[f"{prefix}_change"] = change
            updates[f"{prefix}_change_pct"] = pct
        rows.append(attrs.evolve(row, **updates) if updates else row)
    return ResultTable(tuple(rows), current.metadata)
