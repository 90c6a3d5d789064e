"""Indicator results: ratio of sums, zero vs missing, suppression, comparisons and exports."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minzu_core.errors import ValidationError
from minzu_core.indicators import (
    CATALOG_BY_ID,
    COLUMNS,
    JSON_SCHEMA,
    MissingDependencyError,
    Period,
    ResultRow,
    ResultTable,
    Status,
    TableMetadata,
    ratio,
    round_half_up,
    suppress,
    with_comparisons,
)

ROOT = Path(__file__).resolve().parents[2]
KEYS = [key for key, _, _ in COLUMNS]


def optional(module: str) -> Any:
    """Import an optional dependency; skip without it, except in CI (MINZU_CI=1) where the
    optional dependencies are required and a skip would hide a broken export."""
    try:
        return __import__(module)
    except ImportError:
        if os.environ.get("MINZU_CI") == "1":
            pytest.fail(f"{module} is required in CI (MINZU_CI=1): pip install {module}")
        pytest.skip(f"optional dependency {module} is not installed (pip install {module})")


RATE = CATALOG_BY_ID["dispute_success_rate"]
COUNT = CATALOG_BY_ID["activities_held"]
UNITS = [
    ("110101001000", "东华门街道"),
    ("110101002000", "景山街道"),
    ("110101003000", "交道口街道"),
    ("110101004000", "安定门街道"),
]


def rate_row(
    code: str, name: str, period: str | Period, num: float | None, den: float | None
) -> ResultRow:
    return ResultRow.compute(
        RATE, unit_code=code, unit_name=name, period=period, numerator=num, denominator=den
    )


def sample_table() -> ResultTable:
    inputs = [(8, 10), (0, 0), (2, 3), (None, None)]
    rows = [rate_row(c, n, "2019Q4", a, b) for (c, n), (a, b) in zip(UNITS, inputs, strict=True)]
    rows.append(
        ResultRow.compute(
            COUNT,
            unit_code="110101001000",
            unit_name="东华门街道",
            period="2019Q4",
            numerator=0,
            breakdown="safety_education",
        )
    )
    metadata = TableMetadata(
        title_zh="东城区 2019年第4季度",
        title_en="Dongcheng 2019 Q4",
        scope_code="110101",
        scope_name="东城区",
        level="township",
        generated_at=datetime(2020, 1, 5, 1, 0, tzinfo=UTC),
        hierarchy_as_of=date(2019, 12, 31),
        notes=["试算 | trial"],
        extra={"engine": "test"},
    )
    return ResultTable(rows, metadata)


# -- ratio -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((1, 3, 100, 2), {}, (33.33, Status.OK)),
        ((2, 3, 100, 2), {}, (66.67, Status.OK)),
        ((1, 8, 100, 0), {}, (13.0, Status.OK)),  # 12.5 rounds half up
        ((2.675, None, 1, 2), {}, (2.68, Status.OK)),  # round() would give 2.67
        ((-1, 8, 100, 0), {}, (-13.0, Status.OK)),  # halves away from zero
        ((0, 5, 100, 2), {}, (0.0, Status.OK)),  # a real zero
        ((0, 0, 100, 2), {}, (None, Status.NO_DENOMINATOR)),
        ((7, 0, 100, 2), {}, (None, Status.NO_DENOMINATOR)),
        ((7, 0.0, 100, 2), {}, (None, Status.NO_DENOMINATOR)),
        ((None, 5, 100, 2), {}, (None, Status.NO_DATA)),
        ((float("nan"), 5, 100, 2), {}, (None, Status.NO_DATA)),
        ((3, None, 100, 2), {"has_denominator": True}, (None, Status.NO_DATA)),
        ((3, None, 1, 0), {}, (3.0, Status.OK)),
        ((12, None, 1, 0), {"has_denominator": False}, (12.0, Status.OK)),
        ((3, 7, 1000, 1), {}, (428.6, Status.OK)),
        ((10**18, 3, 100, 4), {}, (3.333333333333333e19, Status.OK)),
    ],
)
def test_ratio(args: tuple[Any, ...], kwargs: dict[str, Any], expected: tuple[Any, Status]) -> None:
    assert ratio(*args, **kwargs) == expected


@given(
    st.integers(0, 10**9),
    st.integers(1, 10**9),
    st.sampled_from([1, 100, 1000]),
    st.integers(0, 6),
)
def test_ratio_is_the_rounded_quotient(num: int, den: int, factor: int, decimals: int) -> None:
    value, status = ratio(num, den, factor, decimals)
    assert status is Status.OK and value is not None
    assert abs(value - num * factor / den) <= 0.5 * 10**-decimals * (1 + 1e-9) + 1e-9 * abs(value)


@given(st.one_of(st.none(), st.integers(0, 10**6), st.floats(0, 1e6)))
def test_a_zero_denominator_never_gives_zero(num: float | None) -> None:
    value, status = ratio(num, 0, 100, 2)
    assert value is None
    assert status in (Status.NO_DENOMINATOR, Status.NO_DATA)


def test_ratio_of_sums_is_not_the_mean_of_ratios() -> None:
    # Two townships: 1/1 and 1/9. The county's rate is 2/10 = 20 %, not (100 % + 11 %) / 2.
    county_num, county_den = 1 + 1, 1 + 9
    assert ratio(county_num, county_den, 100, 1) == (20.0, Status.OK)


def test_round_half_up() -> None:
    assert round_half_up(0.125, 2) == 0.13
    assert round_half_up(2.5, 0) == 3.0
    assert round_half_up(-2.5, 0) == -3.0
    assert round_half_up(1.005, 2) == 1.01


# -- rows --------------------------------------------------------------------------------------
def test_row_compute_and_defaults() -> None:
    row = rate_row("110101001", "东华门街道", Period.quarter(2019, 4), 8, 10)
    assert row.unit_code == "110101001000"
    assert row.period == "2019Q4"
    assert row.period_obj == Period.quarter(2019, 4)
    assert (row.value, row.status, row.decimals) == (80.0, Status.OK, 2)
    assert (row.reason_zh, row.reason_en) == ("", "")
    assert row.key == ("dispute_success_rate", "110101001000", None, "2019Q4")
    zero = rate_row("110101002000", "景山街道", "2019q4", 0, 0)
    assert (zero.value, zero.status) == (None, Status.NO_DENOMINATOR)
    assert "分母" in zero.reason_zh and "denominator" in zero.reason_en
    count = ResultRow.compute(
        COUNT, unit_code="110101", unit_name="东城区", period="2019", numerator=4
    )
    assert (count.value, count.denominator, count.decimals) == (4.0, None, 0)
    # A count indicator: a missing numerator is no data, a zero is a value.
    assert (
        ResultRow.compute(
            COUNT, unit_code="110101", unit_name="", period="2019", numerator=None
        ).status
        is Status.NO_DATA
    )


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"value": None, "status": "ok"}, "invalid_result", "value"),
        ({"value": 1.0, "status": "suppressed"}, "invalid_result", "value"),
        ({"status": "weird"}, "invalid_status", "status"),
        ({"unit_code": "99"}, None, "unit_code"),
        ({"period": "2019Q5"}, "invalid_period", "period"),
        ({"value": "80"}, "invalid_number", "value"),
        ({"numerator": float("inf")}, "invalid_number", "numerator"),
        ({"decimals": 11}, "invalid_decimals", "decimals"),
    ],
)
def test_row_validation(changes: dict[str, Any], code: str | None, field: str) -> None:
    row = rate_row("110101001000", "东华门街道", "2019Q4", 8, 10)
    with pytest.raises(ValidationError) as info:
        attrs.evolve(row, **changes)
    assert info.value.field == field
    if code:
        assert info.value.code == code


def test_table_rows_are_unique_and_selectable() -> None:
    table = sample_table()
    with pytest.raises(ValidationError) as info:
        ResultTable((*table.rows, table.rows[0]))
    assert info.value.code == "duplicate_result"
    assert len(table) == 5
    assert table.indicator_ids == ("dispute_success_rate", "activities_held")
    assert table.periods == ("2019Q4",)
    assert len(table.select("dispute_success_rate")) == 4
    assert len(table.select("activities_held")) == 0
    assert len(table.select("activities_held", breakdown="safety_education")) == 1
    assert len(table.select(any_breakdown=True)) == 5
    assert len(table.select(unit_code="110101001", any_breakdown=True)) == 2
    assert len(table.select(period="2019Q3")) == 0
    assert (
        len(
            ResultTable.concat(
                [
                    table.select("dispute_success_rate"),
                    table.select("activities_held", breakdown="safety_education"),
                ]
            )
        )
        == 5
    )
    assert next(iter(table)) is table.rows[0]


# -- suppression -------------------------------------------------------------------------------
def test_suppress_hides_small_counts_with_the_reason() -> None:
    table = with_comparisons(
        sample_table(), previous=ResultTable([rate_row(*UNITS[2], "2019Q3", 1, 2)])
    )
    hidden = suppress(table, 5)
    by_unit = {(r.indicator_id, r.unit_code): r for r in hidden}
    ok = by_unit["dispute_success_rate", "110101001000"]
    assert (ok.value, ok.status) == (80.0, Status.OK)  # 8 and 10 are not small
    zero = by_unit["dispute_success_rate", "110101002000"]
    assert (zero.status, zero.numerator, zero.denominator) == (Status.NO_DENOMINATOR, 0, 0)
    small = by_unit["dispute_success_rate", "110101003000"]
    assert (small.value, small.numerator, small.denominator) == (None, None, None)
    assert small.status is Status.SUPPRESSED
    assert "5" in small.reason_zh and "5" in small.reason_en
    assert not small.has_comparisons  # a comparison would reveal the hidden value
    assert by_unit["dispute_success_rate", "110101004000"].status is Status.NO_DATA
    assert by_unit["activities_held", "110101001000"].value == 0.0  # zeros stay
    assert hidden.metadata.suppression_threshold == 5
    assert "已隐藏" in hidden.to_markdown() and "小于 5" in hidden.to_markdown()


def test_suppress_zero_and_threshold_validation() -> None:
    hidden = suppress(sample_table(), 5, suppress_zero=True)
    by_unit = {(r.indicator_id, r.unit_code): r for r in hidden}
    zero = by_unit["dispute_success_rate", "110101002000"]
    assert (zero.status, zero.numerator) == (Status.NO_DENOMINATOR, None)
    assert by_unit["activities_held", "110101001000"].status is Status.SUPPRESSED
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValidationError) as info:
            suppress(sample_table(), bad)  # type: ignore[arg-type]
        assert info.value.code == "invalid_threshold"


@given(
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=8),
    st.integers(1, 10),
)
def test_no_published_count_is_below_the_threshold(
    pairs: list[tuple[int, int]], threshold: int
) -> None:
    rows = [
        rate_row(f"1101010{i + 1:02d}000", f"街道{i}", "2019", a, b)
        for i, (a, b) in enumerate(pairs)
    ]
    for row in suppress(ResultTable(rows), threshold):
        for count in (row.numerator, row.denominator):
            assert count is None or count == 0 or count >= threshold
        if row.status is Status.OK:
            assert row.value is not None


# -- comparisons -------------------------------------------------------------------------------
def test_with_comparisons() -> None:
    current = ResultTable(
        [
            rate_row(*UNITS[0], "2019Q4", 8, 10),
            rate_row(*UNITS[1], "2019Q4", 1, 4),
            rate_row(*UNITS[2], "2019Q4", 0, 0),
        ]
    )
    previous = ResultTable(
        [
            rate_row(*UNITS[0], "2019Q3", 6, 10),
            rate_row(*UNITS[1], "2019Q3", 0, 3),
            rate_row(*UNITS[2], "2019Q3", 1, 2),
            rate_row(*UNITS[0], "2019Q2", 1, 10),
        ]
    )
    last_year = ResultTable(
        [rate_row(*UNITS[0], "2018Q4", 2, 3), rate_row(*UNITS[1], "2019Q4", 1, 1)]
    )
    table = with_comparisons(current, previous, last_year)
    first, second, third = table.rows
    assert (first.previous_value, first.previous_change, first.previous_change_pct) == (
        60.0,
        20.0,
        33.33,
    )
    assert (first.last_year_value, first.last_year_change, first.last_year_change_pct) == (
        66.67,
        13.33,
        19.99,
    )
    # Base 0 %: a change of 25 points, no percentage change.
    assert (second.previous_value, second.previous_change, second.previous_change_pct) == (
        0.0,
        25.0,
        None,
    )
    # The last-year table has no 2018Q4 row for this unit (its 2019Q4 row is not a base).
    assert (second.last_year_value, second.last_year_change) == (None, None)
    # No current value: the base is shown, the change is not.
    assert (third.previous_value, third.previous_change, third.previous_change_pct) == (
        50.0,
        None,
        None,
    )
    assert table.metadata == current.metadata
    md = table.to_markdown()
    assert "环比" in md and "同比" in md
    # Without bases nothing changes.
    assert with_comparisons(current) == current


def test_comparisons_for_ranges_and_multi_period_tables() -> None:
    rows = [rate_row(*UNITS[0], p, a, 10) for p, a in [("2019Q1", 1), ("2019Q2", 2), ("2019Q3", 3)]]
    table = ResultTable(rows)
    compared = with_comparisons(table, previous=table)
    assert [r.previous_value for r in compared] == [None, 10.0, 20.0]
    half = rate_row(*UNITS[0], "2019-01-01/2019-06-30", 5, 10)
    before = rate_row(*UNITS[0], "2018-07-04/2018-12-31", 4, 10)
    year_ago = rate_row(*UNITS[0], "2018-01-01/2018-06-30", 5, 10)
    out = with_comparisons(
        ResultTable([half]), ResultTable([before]), ResultTable([year_ago])
    ).rows[0]
    assert (out.previous_change, out.last_year_change, out.last_year_change_pct) == (10.0, 0.0, 0.0)
    # The first representable year has no previous year: left empty, not an error.
    first = rate_row(*UNITS[0], "0001", 1, 2)
    assert not with_comparisons(ResultTable([first]), ResultTable([first])).rows[0].has_comparisons


# -- JSON --------------------------------------------------------------------------------------
def test_json_schema_is_stable() -> None:
    table = with_comparisons(sample_table(), previous=sample_table())
    data = json.loads(table.to_json())
    assert list(data) == ["schema", "version", "metadata", "rows"]
    assert (data["schema"], data["version"]) == (JSON_SCHEMA, 1)
    assert list(data["metadata"]) == [
        "title_zh",
        "title_en",
        "scope_code",
        "scope_name",
        "level",
        "generated_at",
        "hierarchy_as_of",
        "suppression_threshold",
        "notes",
        "extra",
    ]
    assert data["metadata"]["scope_code"] == "110101000000"
    assert data["metadata"]["generated_at"] == "2020-01-05T09:00:00+08:00"
    assert data["metadata"]["hierarchy_as_of"] == "2019-12-31"
    for row in data["rows"]:
        assert list(row) == KEYS
    zero = data["rows"][1]
    assert (zero["value"], zero["numerator"], zero["denominator"], zero["status"]) == (
        None,
        0,
        0,
        "no_denominator",
    )
    assert "调解成功率" in table.to_json()  # Chinese kept readable (ensure_ascii=False)


def test_json_schema_is_documented() -> None:
    from minzu_core.indicators import results

    page = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
    for key in [*KEYS, "schema", "version", "metadata", "suppression_threshold", "hierarchy_as_of"]:
        assert f'"{key}"' in (results.__doc__ or ""), key
        assert f'"{key}"' in page, key
    for status in Status:
        assert status.value in page


def test_json_round_trip() -> None:
    table = with_comparisons(suppress(sample_table(), 3), previous=sample_table())
    again = ResultTable.from_json(table.to_json())
    assert again == table
    assert ResultTable.from_dict(table.to_dict()) == table


@pytest.mark.parametrize(
    ("mutate", "code", "field"),
    [
        (lambda d: d.update(schema="other"), "invalid_result_json", "schema"),
        (lambda d: d.update(version=2), "unsupported_version", "version"),
        (lambda d: d["rows"][0].update(unit_code="99"), None, "rows[0].unit_code"),
        (lambda d: d["rows"][1].update(status="ok"), "invalid_result", "rows[1].value"),
        (lambda d: d["rows"].append("x"), "invalid_result_json", "rows[5]"),
        (
            lambda d: d["metadata"].update(suppression_threshold=0),
            "invalid_threshold",
            "metadata.threshold",
        ),
    ],
)
def test_from_json_errors_are_typed(mutate: Any, code: str | None, field: str) -> None:
    data = sample_table().to_dict()
    mutate(data)
    with pytest.raises(ValidationError) as info:
        ResultTable.from_dict(data)
    assert info.value.field == field
    if code:
        assert info.value.code == code
    with pytest.raises(ValidationError) as info:
        ResultTable.from_json("not json")
    assert info.value.code == "invalid_result_json"


NUMBERS = st.one_of(st.none(), st.integers(0, 10**6), st.just(0.0), st.floats(1e-6, 1e9))


@st.composite
def tables(draw: st.DrawFn) -> ResultTable:
    rows = []
    for i in range(draw(st.integers(0, 6))):
        num, den = draw(NUMBERS), draw(NUMBERS)
        decimals = draw(st.integers(0, 4))
        value, status = ratio(num, den, draw(st.sampled_from([1, 100])), decimals)
        rows.append(
            ResultRow(
                indicator_id=draw(st.sampled_from(["a", "b_rate"])),
                indicator_name_zh=draw(st.text('率数民族|,\n"', min_size=1, max_size=6)),
                indicator_name_en=draw(st.text(max_size=6)),
                unit_code=f"4401{i + 1:02d}000000",
                unit_name=draw(st.text(max_size=6)),
                period=draw(
                    st.sampled_from(
                        ["2019", "2019Q4", "2019-12", "2019-12-16", "2019-01-01/2019-06-30"]
                    )
                ),
                value=value,
                numerator=num,
                denominator=den,
                status=status,
                breakdown=draw(st.none() | st.text(max_size=4)),
                decimals=decimals,
                previous_value=draw(NUMBERS),
                last_year_change_pct=draw(st.none() | st.floats(-1e6, 1e6)),
            )
        )
    metadata = TableMetadata(
        title_zh=draw(st.text(max_size=8)),
        generated_at=draw(
            st.none()
            | st.datetimes(
                min_value=datetime(2000, 1, 1),
                max_value=datetime(2100, 1, 1),
                timezones=st.just(timezone(timedelta(hours=8))),
            )
        ),
        suppression_threshold=draw(st.none() | st.integers(1, 20)),
        notes=tuple(draw(st.lists(st.text(max_size=5), max_size=2))),
        extra=draw(st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2)),
    )
    return ResultTable(tuple(rows), metadata)


@given(tables())
def test_any_table_round_trips_through_json(table: ResultTable) -> None:
    assert ResultTable.from_json(table.to_json()) == table
    assert ResultTable.from_json(table.to_json(indent=None)) == table


@given(tables())
def test_any_table_exports_to_csv_and_markdown(table: ResultTable) -> None:
    buffer = io.StringIO()
    table.to_csv(buffer)
    rows = list(csv.reader(io.StringIO(buffer.getvalue().lstrip("\ufeff"))))
    assert rows[0] == KEYS and len(rows) == len(table) + 1
    assert len(table.to_markdown().splitlines()) == len(table) + 2


# -- CSV, Markdown -----------------------------------------------------------------------------
def test_csv_is_utf8_with_bom(tmp_path: Path) -> None:
    table = sample_table()
    path = tmp_path / "out.csv"
    table.to_csv(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == KEYS
    assert rows[0]["unit_name"] == "东华门街道"
    assert rows[0]["value"] == "80.00" and rows[0]["numerator"] == "8"
    assert rows[1]["value"] == "" and rows[1]["status"] == "no_denominator"
    assert rows[3]["numerator"] == ""
    assert rows[4]["value"] == "0" and rows[4]["breakdown"] == "safety_education"
    binary = io.BytesIO()
    table.to_csv(binary)
    assert binary.getvalue() == raw
    text_buffer = io.StringIO()
    table.to_csv(text_buffer)
    assert text_buffer.getvalue().encode("utf-8") == raw
    with open(tmp_path / "stream.csv", "wb") as stream:
        table.to_csv(stream)
    assert (tmp_path / "stream.csv").read_bytes() == raw


@pytest.mark.parametrize(
    ("header", "first"),
    [
        ("key", "indicator_id"),
        ("zh", "指标代码"),
        ("en", "Indicator ID"),
        ("both", "指标代码 Indicator ID"),
    ],
)
def test_csv_headers(header: Any, first: str) -> None:
    buffer = io.StringIO()
    sample_table().to_csv(buffer, header=header)
    assert buffer.getvalue().lstrip("\ufeff").split(",")[0] == first


def test_csv_rejects_unknown_header() -> None:
    with pytest.raises(ValidationError):
        sample_table().to_csv(io.StringIO(), header="fr")  # type: ignore[arg-type]


def test_markdown() -> None:
    md = sample_table().to_markdown()
    lines = md.splitlines()
    assert lines[0].startswith("| 指标 Indicator | 单位 Unit | 期间 Period | 分组 Breakdown |")
    assert "| 调解成功率 | 东华门街道 | 2019Q4 | — | 80.00 | 8 | 10 | 正常 |" in md
    assert "| — | 0 | 0 | 分母为零 |" in md
    assert "| — | — | — | 无数据 |" in md
    assert "环比" not in md  # no comparison columns without comparisons
    piped = ResultTable([attrs.evolve(sample_table().rows[0], unit_name="甲|乙")]).to_markdown()
    assert "甲\\|乙" in piped


# -- optional dependencies ---------------------------------------------------------------------
def test_to_pandas() -> None:
    pd = optional("pandas")
    frame = sample_table().to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == KEYS
    assert frame.loc[0, "value"] == 80.0
    assert math.isnan(frame.loc[1, "value"])  # no value is NaN, never 0
    assert frame.loc[1, "numerator"] == 0.0
    assert frame.loc[0, "unit_name"] == "东华门街道"
    assert frame.attrs["metadata"]["scope_name"] == "东城区"
    assert ResultTable().to_pandas().empty


def test_csv_reads_back_with_pandas(tmp_path: Path) -> None:
    pd = optional("pandas")
    sample_table().to_csv(tmp_path / "x.csv")
    frame = pd.read_csv(tmp_path / "x.csv", dtype={"unit_code": str})
    assert list(frame.columns) == KEYS  # the BOM is not glued to the first column name
    assert frame.loc[0, "unit_code"] == "110101001000"


def test_to_xlsx(tmp_path: Path) -> None:
    openpyxl = optional("openpyxl")
    path = tmp_path / "out.xlsx"
    sample_table().to_xlsx(path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["指标结果"]
    header = [cell.value for cell in sheet[1]]
    assert header[4] == "单位名称\nUnit"
    assert all("\n" in h for h in header)
    first = [cell.value for cell in sheet[2]]
    assert first[KEYS.index("value")] == 80.0
    assert first[KEYS.index("unit_name")] == "东华门街道"
    assert sheet.cell(row=2, column=KEYS.index("value") + 1).number_format == "0.00"
    zero = [cell.value for cell in sheet[3]]
    assert zero[KEYS.index("value")] is None and zero[KEYS.index("status")] == "no_denominator"
    assert sheet.freeze_panes == "A2"
    meta = {row[0].value: row[1].value for row in workbook["元数据"].iter_rows(min_row=2)}
    assert meta["范围单位 Scope"] == "东城区"
    assert meta["备注 Notes"] == "试算 | trial"


@pytest.mark.parametrize(
    ("module", "call"),
    [
        ("pandas", lambda t, p: t.to_pandas()),
        ("openpyxl", lambda t, p: t.to_xlsx(p / "x.xlsx")),
    ],
)
def test_missing_optional_dependency_is_a_typed_error(
    module: str, call: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes "import module" fail
    with pytest.raises(MissingDependencyError) as info:
        call(sample_table(), tmp_path)
    assert info.value.code == "missing_dependency"
    assert info.value.details["module"] == module
    assert f"pip install {module}" in info.value.message_en
    assert isinstance(info.value, ImportError)


# -- ratios in bulk and tables kept as columns (the engine's fast path) -------------------------
def _same(a: float | None, b: float | None) -> bool:
    return repr(a) == repr(b)  # 0.0 and -0.0 differ; None only equals None


def _check_bulk(
    numerators: list[float | None],
    denominators: list[float | None] | None,
    factor: float,
    decimals: int,
) -> None:
    from minzu_core.indicators.results import _ratios

    values, statuses = _ratios(numerators, denominators, factor, decimals)
    pairs = zip(numerators, denominators or [None] * len(numerators), strict=True)
    for (num, den), value, status in zip(pairs, values, statuses, strict=True):
        expected = ratio(num, den, factor, decimals, has_denominator=denominators is not None)
        assert _same(value, expected[0]) and status == expected[1].value, (num, den, factor)


COUNTS = st.one_of(
    st.integers(0, 1000),
    st.integers(0, 10**6),
    st.sampled_from([0, 1, 2**53 - 1, 2**53, 10**15 - 1, 10**15, 10**16, 10**18]),
).map(float)
ENTRIES = st.one_of(
    COUNTS,
    st.none(),
    st.floats(allow_nan=True, allow_infinity=False, width=64),
    st.floats(-1e6, 1e6),
    st.just(-0.0),
)
FACTORS = st.sampled_from([1.0, 100.0, 1000.0, 0.0, 3.0, 0.5, 1e-3, 10.0**15])


@given(
    st.lists(st.tuples(COUNTS, COUNTS), max_size=30),
    FACTORS,
    st.integers(0, 10),
)
def test_bulk_ratios_of_counts_equal_ratio(
    pairs: list[tuple[float, float]], factor: float, decimals: int
) -> None:
    numerators = [n for n, _ in pairs]
    _check_bulk(list(numerators), [d for _, d in pairs], factor, decimals)
    _check_bulk(list(numerators), None, factor, decimals)


@given(
    st.lists(st.tuples(ENTRIES, ENTRIES), max_size=30),
    FACTORS,
    st.integers(0, 10),
)
def test_bulk_ratios_of_anything_equal_ratio(
    pairs: list[tuple[float | None, float | None]], factor: float, decimals: int
) -> None:
    try:
        expected = [ratio(n, d, factor, decimals, has_denominator=True) for n, d in pairs]
        alone = [ratio(n, None, factor, decimals, has_denominator=False) for n, _ in pairs]
    except ValidationError:
        return  # beyond the representable range: ratio raises, row by row as in bulk
    assert expected is not None and alone is not None
    _check_bulk([n for n, _ in pairs], [d for _, d in pairs], factor, decimals)
    _check_bulk([n for n, _ in pairs], None, factor, decimals)


@pytest.mark.parametrize(
    ("numerator", "denominator", "factor", "decimals"),
    [
        (1.0, 8.0, 1.0, 2),  # 0.125: the half goes up
        (2675.0, 1000.0, 1.0, 2),
        (5.0, 2.0, 1.0, 0),
        (1.0, 3.0, 100.0, 2),
        (2.0, 3.0, 100.0, 10),
        (1.0, 7.0, 100.0, 10),
        (999999999999999.0, 1000000000000000.0 - 1, 100.0, 10),
        (1.0, 2.0**49, 100.0, 10),  # a quotient with 49 decimals
        (0.0, 0.0, 100.0, 2),
        (3.0, 0.0, 100.0, 2),
        (0.0, 5.0, 100.0, 2),
    ],
)
def test_bulk_ratio_edge_cases(
    numerator: float, denominator: float, factor: float, decimals: int
) -> None:
    _check_bulk([numerator], [denominator], factor, decimals)
    _check_bulk([numerator, 0.5], [denominator, 1.0], factor, decimals)  # entry by entry


def _columns_of(table: ResultTable) -> dict[str, list[Any]]:
    return {key: [row.to_dict()[key] for row in table.rows] for key in KEYS}


def test_a_table_kept_as_columns_is_the_table_of_its_rows() -> None:
    table = sample_table()
    columnar = ResultTable._trusted_columns(_columns_of(table), table.metadata)
    assert len(columnar) == len(table)
    assert columnar.to_columns() == _columns_of(table) == table.to_columns()
    assert columnar.to_records() == table.to_records()
    assert columnar.indicator_ids == table.indicator_ids and columnar.periods == table.periods
    assert columnar.rows == table.rows  # built on first read
    assert columnar == table and table == columnar
    assert attrs.evolve(columnar, metadata=TableMetadata()).rows == table.rows
    copied = columnar.to_columns()
    copied["value"][0] = -1.0
    assert columnar.to_columns()["value"][0] != -1.0  # to_columns hands out copies
    with pytest.raises(AttributeError):
        columnar.no_such_attribute  # type: ignore[attr-defined]  # noqa: B018
    empty = ResultTable._trusted_columns({key: [] for key in KEYS}, TableMetadata())
    assert len(empty) == 0 and empty.rows == () and empty == ResultTable()


def test_a_table_kept_as_columns_to_pandas() -> None:
    pd = optional("pandas")
    table = sample_table()
    columnar = ResultTable._trusted_columns(_columns_of(table), table.metadata)
    pd.testing.assert_frame_equal(columnar.to_pandas(), table.to_pandas())
    empty = ResultTable._trusted_columns({key: [] for key in KEYS}, TableMetadata())
    assert empty.to_pandas().empty
    assert list(empty.to_pandas().columns) == KEYS
