"""Reporting periods (统计期间).

A :class:`Period` is a span of calendar days in China Standard Time, both ends inclusive. Five
kinds have a canonical text form, which :func:`parse_period` reads and ``str(period)`` writes
back unchanged:

=============  ==========================  ==========================================
kind           canonical text              meaning
=============  ==========================  ==========================================
``year``       ``2019``                    2019-01-01 … 2019-12-31 (2019年)
``quarter``    ``2019Q4``                  2019-10-01 … 2019-12-31 (2019年第4季度)
``month``      ``2019-12``                 2019-12-01 … 2019-12-31 (2019年12月)
``day``        ``2019-12-16``              that day (2019年12月16日)
``range``      ``2019-01-01/2019-06-30``   an explicit span, both dates included
=============  ==========================  ==========================================

Years have four digits (0001–9999). Dates are CST calendar dates; to filter timestamps use
:meth:`Period.start_datetime` and :meth:`Period.end_datetime`, the half-open bounds
``[start 00:00 CST, the day after end 00:00 CST)``.

Comparisons: :meth:`Period.previous` is the period of the same kind just before (环比);
:meth:`Period.same_period_last_year` is the same span one year earlier (同比), with 29 February
mapped to 28 February.

Anything else is refused with ``ValidationError(code="invalid_period", field="period")``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, Final

import attrs

from minzu_core.clock import CST, require_aware
from minzu_core.errors import ValidationError
from minzu_core.labels import LabelledEnum
from minzu_core.serialization import converter

__all__ = ["Period", "PeriodKind", "parse_period"]


class PeriodKind(LabelledEnum, error_code="invalid_period"):
    """The kind of a period (期间类型): 年, 季度, 月, 日, 区间."""

    YEAR = "year", "年", "year"
    QUARTER = "quarter", "季度", "quarter"
    MONTH = "month", "月", "month"
    DAY = "day", "日", "day"
    RANGE = "range", "区间", "date range"


# ASCII digits only ("\d" would accept other scripts' digits).
_YEAR = r"(?P<year>[0-9]{4})"
_PATTERNS: Final = {
    PeriodKind.YEAR: re.compile(rf"{_YEAR}"),
    PeriodKind.QUARTER: re.compile(rf"{_YEAR}[Qq](?P<quarter>[0-9])"),
    PeriodKind.MONTH: re.compile(rf"{_YEAR}-(?P<month>[0-9]{{2}})"),
    PeriodKind.DAY: re.compile(rf"{_YEAR}-(?P<month>[0-9]{{2}})-(?P<day>[0-9]{{2}})"),
}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _error(
    zh: str, en: str, text: str | None = None, code: str = "invalid_period"
) -> ValidationError:
    details = {} if text is None else {"text": text[:64]}
    return ValidationError(zh, en, code=code, field="period", details=details)


def _out_of_range() -> ValidationError:
    return _error(
        "期间超出可表示的日期范围 (0001–9999 年)",
        "the period falls outside the representable dates (years 0001–9999)",
        code="period_out_of_range",
    )


def _year(value: int) -> int:
    if not 1 <= value <= 9999:
        raise _error("年份须为 0001–9999", "the year must be 0001–9999", str(value))
    return value


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def _is_year(start: date, end: date) -> bool:
    return (start.month, start.day) == (1, 1) and end == date(start.year, 12, 31)


def _is_quarter(start: date, end: date) -> bool:
    return (
        start.day == 1
        and start.month in (1, 4, 7, 10)
        and end == _last_day(start.year, start.month + 2)
    )


def _is_month(start: date, end: date) -> bool:
    return start.day == 1 and end == _last_day(start.year, start.month)


def _is_day(start: date, end: date) -> bool:
    return start == end


def _is_range(start: date, end: date) -> bool:
    return True


_SHAPES: Final[dict[PeriodKind, Callable[[date, date], bool]]] = {
    PeriodKind.YEAR: _is_year,
    PeriodKind.QUARTER: _is_quarter,
    PeriodKind.MONTH: _is_month,
    PeriodKind.DAY: _is_day,
    PeriodKind.RANGE: _is_range,
}


#: The text forms of each kind: (canonical, Chinese, English), over the start ``s``, the end
#: ``e``, the quarter ``q`` and the English month abbreviations ``s_month`` and ``e_month``.
_FORMS: Final = {
    PeriodKind.YEAR: ("{s.year:04d}", "{s.year}年", "{s.year}"),
    PeriodKind.QUARTER: ("{s.year:04d}Q{q}", "{s.year}年第{q}季度", "{s.year} Q{q}"),
    PeriodKind.MONTH: ("{s.year:04d}-{s.month:02d}", "{s.year}年{s.month}月", "{s_month} {s.year}"),
    PeriodKind.DAY: ("{s}", "{s.year}年{s.month}月{s.day}日", "{s.day} {s_month} {s.year}"),
    PeriodKind.RANGE: (
        "{s}/{e}",
        "{s.year}年{s.month}月{s.day}日至{e.year}年{e.month}月{e.day}日",
        "{s.day} {s_month} {s.year} – {e.day} {e_month} {e.year}",
    ),
}


def _kind(value: Any) -> PeriodKind:
    kind: PeriodKind = PeriodKind.parse(value, field="period")
    return kind


def _plain_date(value: Any) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _error("期间的起止须为日期", "period bounds must be dates")
    return value


@attrs.frozen
class Period:
    """A reporting period: the CST calendar days ``start`` … ``end`` (both inclusive).

    Build one with :func:`parse_period` or the constructors :meth:`year`, :meth:`quarter`,
    :meth:`month`, :meth:`day` and :meth:`range`; the plain constructor checks that ``start``
    and ``end`` have the shape ``kind`` says (a quarter starts on the first day of a quarter and
    ends on its last day, …). ``str(period)`` is the canonical text, and
    ``parse_period(str(p)) == p`` for every period.

    Attributes:
        start: the first day (inclusive).
        end: the last day (inclusive).
        kind: year, quarter, month, day or range.
    """

    start: date = attrs.field(converter=_plain_date)
    end: date = attrs.field(converter=_plain_date)
    kind: PeriodKind = attrs.field(default=PeriodKind.RANGE, converter=_kind)

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise _error(
                "期间的结束日期早于开始日期",
                "the period ends before it starts",
                f"{self.start.isoformat()}/{self.end.isoformat()}",
            )
        if not _SHAPES[self.kind](self.start, self.end):
            raise _error(
                f"起止日期不构成一个完整的{self.kind.label_zh}",
                f"start and end do not span exactly one {self.kind.label_en}",
                f"{self.start.isoformat()}/{self.end.isoformat()}",
            )

    # -- constructors --------------------------------------------------------------------------
    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year ``year`` (e.g. ``2019``)."""
        y = _year(year)
        return cls(date(y, 1, 1), date(y, 12, 31), PeriodKind.YEAR)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Quarter ``quarter`` (1–4) of ``year`` (e.g. ``2019Q4``)."""
        y = _year(year)
        if not 1 <= quarter <= 4:
            raise _error("季度须为 1–4", "the quarter must be 1–4", f"{year}Q{quarter}")
        first = 3 * (quarter - 1) + 1
        return cls(date(y, first, 1), _last_day(y, first + 2), PeriodKind.QUARTER)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """Month ``month`` (1–12) of ``year`` (e.g. ``2019-12``)."""
        y = _year(year)
        if not 1 <= month <= 12:
            raise _error("月份须为 01–12", "the month must be 01–12", f"{year}-{month}")
        return cls(date(y, month, 1), _last_day(y, month), PeriodKind.MONTH)

    @classmethod
    def day(cls, day: date) -> Period:
        """The single day ``day`` (e.g. ``2019-12-16``)."""
        return cls(day, day, PeriodKind.DAY)

    @classmethod
    def range(cls, start: date, end: date) -> Period:
        """The explicit span ``start`` … ``end``, both included (``end >= start``)."""
        return cls(start, end, PeriodKind.RANGE)

    @classmethod
    def parse(cls, text: str | Period) -> Period:
        """Same as :func:`parse_period`."""
        return parse_period(text)

    # -- text ----------------------------------------------------------------------------------
    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The canonical text: ``2019``, ``2019Q4``, ``2019-12``, ``2019-12-16`` or
        ``2019-01-01/2019-06-30`` (what ``str()`` gives and :func:`parse_period` reads)."""
        return self._text(0)

    @property
    def label_zh(self) -> str:
        """A Chinese label for display: ``2019年``, ``2019年第4季度``, ``2019年12月``,
        ``2019年12月16日``, ``2019年1月1日至2019年6月30日``."""
        return self._text(1)

    @property
    def label_en(self) -> str:
        """An English label for display: ``2019``, ``2019 Q4``, ``Dec 2019``, ``16 Dec 2019``,
        ``1 Jan 2019 – 30 Jun 2019``."""
        return self._text(2)

    def _text(self, form: int) -> str:
        s, e = self.start, self.end
        return _FORMS[self.kind][form].format(
            s=s,
            e=e,
            q=_quarter_of(s),
            s_month=calendar.month_abbr[s.month],
            e_month=calendar.month_abbr[e.month],
        )

    # -- membership ----------------------------------------------------------------------------
    @property
    def days(self) -> int:
        """The number of days in the period."""
        return (self.end - self.start).days + 1

    def contains(self, value: date | datetime) -> bool:
        """True if ``value`` falls in the period.

        A ``date`` is a CST calendar date: ``start <= value <= end``. A ``datetime`` must be
        timezone-aware and is tested against the half-open bounds
        ``start_datetime() <= value < end_datetime()`` (that is, its CST date is in the period).
        """
        if isinstance(value, datetime):
            moment = require_aware(value, "period")
            return self.start <= moment.astimezone(CST).date() <= self.end
        return self.start <= value <= self.end

    def __contains__(self, value: object) -> bool:
        return isinstance(value, date) and self.contains(value)

    def start_datetime(self) -> datetime:
        """The inclusive lower bound for timestamps: ``start`` at 00:00 CST."""
        return datetime.combine(self.start, time(0), tzinfo=CST)

    def end_datetime(self) -> datetime:
        """The *exclusive* upper bound for timestamps: the day after ``end`` at 00:00 CST.

        Filter timestamps with ``start_datetime() <= t < end_datetime()``.
        """
        if self.end == date.max:
            raise _out_of_range()
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=CST)

    # -- comparisons ---------------------------------------------------------------------------
    def previous(self) -> Period:
        """The period of the same kind just before (环比基期).

        ``2019`` → ``2018``, ``2019Q1`` → ``2018Q4``, ``2019-01`` → ``2018-12``,
        ``2019-03-01`` → ``2019-02-28``; a range of *n* days → the range of *n* days ending the
        day before it starts.
        """
        s = self.start
        try:
            if self.kind is PeriodKind.YEAR:
                return Period.year(s.year - 1)
            if self.kind is PeriodKind.QUARTER:
                q = _quarter_of(s)
                return Period.quarter(s.year, q - 1) if q > 1 else Period.quarter(s.year - 1, 4)
            if self.kind is PeriodKind.MONTH:
                return (
                    Period.month(s.year, s.month - 1)
                    if s.month > 1
                    else Period.month(s.year - 1, 12)
                )
            if self.kind is PeriodKind.DAY:
                return Period.day(s - timedelta(days=1))
            return Period.range(s - timedelta(days=self.days), s - timedelta(days=1))
        except (OverflowError, ValidationError):
            raise _out_of_range() from None

    def same_period_last_year(self) -> Period:
        """The same span one year earlier (同比基期).

        Years, quarters and months map to the same quarter or month of the previous year.
        A day maps to the same date one year earlier, 29 February to 28 February. For a range
        the start moves back one year (29 February → 28 February) and so does the end, except
        that an end on the last day of February stays on the last day of February, so
        ``2021-01-01/2021-02-28`` maps to ``2020-01-01/2020-02-29`` (the same two months).
        """
        s, e = self.start, self.end
        if s.year == 1:
            raise _out_of_range()
        if self.kind is PeriodKind.YEAR:
            return Period.year(s.year - 1)
        if self.kind is PeriodKind.QUARTER:
            return Period.quarter(s.year - 1, _quarter_of(s))
        if self.kind is PeriodKind.MONTH:
            return Period.month(s.year - 1, s.month)
        if self.kind is PeriodKind.DAY:
            return Period.day(_back_one_year(s))
        end = (
            _last_day(e.year - 1, 2)
            if e == _last_day(e.year, 2) and e.month == 2
            else _back_one_year(e)
        )
        return Period.range(_back_one_year(s), end)


def _back_one_year(day: date) -> date:
    if (day.month, day.day) == (2, 29):
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def _date_text(text: str, whole: str) -> date:
    if not _DATE.fullmatch(text):
        raise _error("日期格式须为 YYYY-MM-DD", "dates must be written YYYY-MM-DD", whole)
    y, m, d = (int(part) for part in text.split("-"))
    _year(y)
    if not 1 <= m <= 12:
        raise _error("月份须为 01–12", "the month must be 01–12", whole)
    if not 1 <= d <= calendar.monthrange(y, m)[1]:
        raise _error("日期不存在", "no such date", whole)
    return date(y, m, d)


def parse_period(text: str | Period) -> Period:
    """Read a period from its text: ``2019``, ``2019Q4``, ``2019-12``, ``2019-12-16`` or
    ``2019-01-01/2019-06-30`` (surrounding spaces are ignored; ``q`` may be lower case).

    A :class:`Period` is returned unchanged. Anything else — ``2019Q5``, ``2019-13``,
    ``2019-02-30``, a range that ends before it starts, other text — raises
    ``ValidationError(code="invalid_period", field="period")`` with Chinese and English messages.
    """
    if isinstance(text, Period):
        return text
    if not isinstance(text, str):
        raise _error("期间须为文本, 如 2019Q4", "a period must be text such as 2019Q4")
    raw = text.strip()
    if "/" in raw:
        first, _, second = raw.partition("/")
        start, end = _date_text(first.strip(), raw), _date_text(second.strip(), raw)
        if end < start:
            raise _error("期间的结束日期早于开始日期", "the range ends before it starts", raw)
        return Period.range(start, end)
    for kind, pattern in _PATTERNS.items():
        match = pattern.fullmatch(raw)
        if match is None:
            continue
        year = int(match["year"])
        if kind is PeriodKind.YEAR:
            return Period.year(year)
        if kind is PeriodKind.QUARTER:
            quarter = int(match["quarter"])
            if not 1 <= quarter <= 4:
                raise _error(
                    "季度须为 1–4 (如 2019Q4)", "the quarter must be 1–4 (e.g. 2019Q4)", raw
                )
            return Period.quarter(year, quarter)
        if kind is PeriodKind.MONTH:
            month = int(match["month"])
            if not 1 <= month <= 12:
                raise _error("月份须为 01–12 (如 2019-12)", "the month must be 01–12", raw)
            return Period.month(year, month)
        return Period.day(_date_text(raw, raw))
    raise _error(
        "无法识别的期间, 应为 2019、2019Q4、2019-12、2019-12-16 或 2019-01-01/2019-06-30",
        "unrecognised period: use 2019, 2019Q4, 2019-12, 2019-12-16 or 2019-01-01/2019-06-30",
        raw,
    )


# A period is stored and exchanged as its canonical text.
converter.register_unstructure_hook(Period, str)
converter.register_structure_hook(Period, lambda value, _: parse_period(value))
