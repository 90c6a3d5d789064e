"""Reporting periods: parsing, canonical text, bounds and comparisons (DESIGN §5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minzu_core.clock import CST
from minzu_core.errors import ValidationError
from minzu_core.indicators import Period, PeriodKind, parse_period
from minzu_core.serialization import structure, unstructure


# -- strategies --------------------------------------------------------------------------------
def periods() -> st.SearchStrategy[Period]:
    years = st.integers(1, 9999)
    dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
    ranges = st.tuples(dates, dates).map(lambda ds: Period.range(min(ds), max(ds)))
    return st.one_of(
        years.map(Period.year),
        st.tuples(years, st.integers(1, 4)).map(lambda yq: Period.quarter(*yq)),
        st.tuples(years, st.integers(1, 12)).map(lambda ym: Period.month(*ym)),
        dates.map(Period.day),
        ranges,
    )


def inner_periods() -> st.SearchStrategy[Period]:
    """Periods away from the ends of the calendar (previous/last year always exist)."""
    return periods().filter(lambda p: p.start.year >= 3 and p.end.year <= 9998)


# -- parsing -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2019", PeriodKind.YEAR, date(2019, 1, 1), date(2019, 12, 31)),
        ("2019Q1", PeriodKind.QUARTER, date(2019, 1, 1), date(2019, 3, 31)),
        ("2019Q4", PeriodKind.QUARTER, date(2019, 10, 1), date(2019, 12, 31)),
        ("2020-02", PeriodKind.MONTH, date(2020, 2, 1), date(2020, 2, 29)),
        ("2019-02", PeriodKind.MONTH, date(2019, 2, 1), date(2019, 2, 28)),
        ("2019-12", PeriodKind.MONTH, date(2019, 12, 1), date(2019, 12, 31)),
        ("2019-12-16", PeriodKind.DAY, date(2019, 12, 16), date(2019, 12, 16)),
        ("2019-01-01/2019-06-30", PeriodKind.RANGE, date(2019, 1, 1), date(2019, 6, 30)),
        ("2019-12-16/2019-12-16", PeriodKind.RANGE, date(2019, 12, 16), date(2019, 12, 16)),
    ],
)
def test_parse_each_kind(text: str, kind: PeriodKind, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert str(period) == text == period.label
    assert Period.parse(text) == period


def test_parse_is_lenient_about_spaces_and_case_but_writes_canonical_text() -> None:
    assert str(parse_period(" 2019q4 ")) == "2019Q4"
    assert str(parse_period("2019-01-01 / 2019-06-30")) == "2019-01-01/2019-06-30"
    period = parse_period("2019Q4")
    assert parse_period(period) is period


@pytest.mark.parametrize(
    "text",
    [
        "2019Q5",
        "2019Q0",
        "2019Q10",
        "2019-13",
        "2019-00",
        "2019-02-30",
        "2019-04-31",
        "2019-02-29",
        "2019-06-30/2019-01-01",
        "2019-01-01/",
        "/2019-01-01",
        "2019-01-01/2019-13-01",
        "garbage",
        "",
        "19",
        "0000",
        "2019-1",
        "2019-01-1",
        "2019/2020",
        "２０１９",  # full-width digits
        "٢٠١٩",  # Arabic-Indic digits: "\d" would accept them
        "2019Q4 2019",
    ],
)
def test_invalid_periods_are_typed_errors(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_period(text)
    error = info.value
    assert error.code == "invalid_period"
    assert error.field == "period"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message_zh)
    assert error.message_en.isascii() or "–" in error.message_en


def test_non_text_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        parse_period(2019)  # type: ignore[arg-type]
    assert info.value.code == "invalid_period"


@pytest.mark.parametrize(
    ("start", "end", "kind"),
    [
        (date(2019, 1, 1), date(2019, 3, 30), "quarter"),
        (date(2019, 2, 1), date(2019, 4, 30), "quarter"),
        (date(2019, 1, 2), date(2019, 1, 31), "month"),
        (date(2019, 1, 1), date(2019, 12, 30), "year"),
        (date(2019, 1, 1), date(2019, 1, 2), "day"),
        (date(2019, 1, 2), date(2019, 1, 1), "range"),
    ],
)
def test_constructor_checks_the_shape(start: date, end: date, kind: str) -> None:
    with pytest.raises(ValidationError) as info:
        Period(start, end, kind)
    assert info.value.code == "invalid_period"


def test_constructor_refuses_bad_kind_and_datetimes() -> None:
    with pytest.raises(ValidationError):
        Period(date(2019, 1, 1), date(2019, 1, 1), "week")
    with pytest.raises(ValidationError):
        Period(datetime(2019, 1, 1, tzinfo=CST), date(2019, 1, 2))


def test_constructors_validate_numbers() -> None:
    with pytest.raises(ValidationError):
        Period.quarter(2019, 5)
    with pytest.raises(ValidationError):
        Period.month(2019, 13)
    with pytest.raises(ValidationError):
        Period.year(10000)


@given(periods())
def test_round_trip_through_text(period: Period) -> None:
    assert parse_period(str(period)) == period
    assert str(parse_period(str(period))) == str(period)


@given(periods())
def test_round_trip_through_the_converter(period: Period) -> None:
    data = unstructure(period)
    assert data == str(period)
    assert structure(data, Period) == period


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_every_date_parses_as_a_day(day: date) -> None:
    assert parse_period(day.isoformat()) == Period.day(day)


# -- labels ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("2019", "2019年", "2019"),
        ("2019Q4", "2019年第4季度", "2019 Q4"),
        ("2019-12", "2019年12月", "Dec 2019"),
        ("2019-12-16", "2019年12月16日", "16 Dec 2019"),
        ("2019-01-01/2019-06-30", "2019年1月1日至2019年6月30日", "1 Jan 2019 – 30 Jun 2019"),
    ],
)
def test_labels(text: str, zh: str, en: str) -> None:
    period = parse_period(text)
    assert (period.label_zh, period.label_en) == (zh, en)
    assert period.kind.label_zh and period.kind.label_en


# -- membership and bounds ---------------------------------------------------------------------
def test_contains_dates_inclusive() -> None:
    q4 = parse_period("2019Q4")
    assert q4.contains(date(2019, 10, 1)) and q4.contains(date(2019, 12, 31))
    assert not q4.contains(date(2019, 9, 30)) and not q4.contains(date(2020, 1, 1))
    assert date(2019, 11, 5) in q4
    assert "2019-11-05" not in q4
    assert q4.days == 92


def test_timestamps_use_cst_half_open_bounds() -> None:
    year = parse_period("2019")
    assert year.start_datetime() == datetime(2019, 1, 1, tzinfo=CST)
    assert year.end_datetime() == datetime(2020, 1, 1, tzinfo=CST)
    assert year.start_datetime().utcoffset() == timedelta(hours=8)
    # 2019-12-31 16:00 UTC is 2020-01-01 00:00 in Beijing: outside 2019.
    assert not year.contains(datetime(2019, 12, 31, 16, 0, tzinfo=UTC))
    assert year.contains(datetime(2019, 12, 31, 15, 59, 59, tzinfo=UTC))
    # 2018-12-31 16:00 UTC is 2019-01-01 00:00 in Beijing: inside.
    assert year.contains(datetime(2018, 12, 31, 16, 0, tzinfo=UTC))
    with pytest.raises(ValidationError) as info:
        year.contains(datetime(2019, 6, 1))
    assert info.value.code == "naive_datetime"


@given(
    inner_periods(),
    st.datetimes(
        min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(CST)
    ),
    st.sampled_from([CST, UTC, timezone(timedelta(hours=-5))]),
)
def test_contains_agrees_with_the_bounds(period: Period, moment: datetime, tz: timezone) -> None:
    moment = moment.astimezone(tz)
    inside = period.start_datetime() <= moment < period.end_datetime()
    assert period.contains(moment) == inside


def test_end_of_calendar_is_a_typed_error() -> None:
    last = Period.day(date(9999, 12, 31))
    with pytest.raises(ValidationError) as info:
        last.end_datetime()
    assert info.value.code == "period_out_of_range"
    for first in (Period.year(1), Period.day(date(1, 1, 1)), Period.quarter(1, 1)):
        with pytest.raises(ValidationError) as info:
            first.previous()
        assert info.value.code == "period_out_of_range"
        with pytest.raises(ValidationError):
            first.same_period_last_year()


# -- comparisons -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "previous", "last_year"),
    [
        ("2019", "2018", "2018"),
        ("2019Q1", "2018Q4", "2018Q1"),
        ("2019Q3", "2019Q2", "2018Q3"),
        ("2019-01", "2018-12", "2018-01"),
        ("2020-03", "2020-02", "2019-03"),
        ("2019-03-01", "2019-02-28", "2018-03-01"),
        ("2020-03-01", "2020-02-29", "2019-03-01"),
        ("2020-02-29", "2020-02-28", "2019-02-28"),
        ("2019-01-01/2019-06-30", "2018-07-04/2018-12-31", "2018-01-01/2018-06-30"),
        ("2021-01-01/2021-02-28", "2020-11-03/2020-12-31", "2020-01-01/2020-02-29"),
        ("2020-01-01/2020-02-29", "2019-11-02/2019-12-31", "2019-01-01/2019-02-28"),
        ("2020-02-29/2020-03-10", "2020-02-18/2020-02-28", "2019-02-28/2019-03-10"),
        ("2020-02-29/2020-02-29", "2020-02-28/2020-02-28", "2019-02-28/2019-02-28"),
    ],
)
def test_previous_and_same_period_last_year(text: str, previous: str, last_year: str) -> None:
    period = parse_period(text)
    assert str(period.previous()) == previous
    assert str(period.same_period_last_year()) == last_year


@given(inner_periods())
def test_previous_is_adjacent_and_of_the_same_kind(period: Period) -> None:
    assume((period.start - date(1, 1, 1)).days >= period.days)
    before = period.previous()
    assert before.kind is period.kind
    assert before.end + timedelta(days=1) == period.start
    if period.kind is PeriodKind.RANGE:
        assert before.days == period.days


@given(inner_periods())
def test_same_period_last_year_is_one_year_back(period: Period) -> None:
    back = period.same_period_last_year()
    assert back.kind is period.kind
    assert back.start.year == period.start.year - 1
    assert back.end.year == period.end.year - 1
    assert back.start.month == period.start.month
    assert back.end.month == period.end.month
    assert abs(back.days - period.days) <= 1
    if period.kind in (PeriodKind.YEAR, PeriodKind.QUARTER, PeriodKind.MONTH):
        assert str(back)[4:] == str(period)[4:]  # the same quarter or month
