"""The indicator engine: the catalog pinned, requests, statuses, modes, bad input, the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from typer.testing import CliRunner

from minzu_adapters.sql.indicators import _batch_key
from minzu_core import CST, Actor, FixedClock, open_store
from minzu_core.cli.app import app
from minzu_core.errors import NotFoundError, PermissionDeniedError, ValidationError
from minzu_core.hierarchy import Unit, UnitChange, UnitChangeKind
from minzu_core.indicators import (
    CATALOG,
    CATALOG_BY_ID,
    COLUMNS,
    Filter,
    HierarchyMode,
    Indicator,
    IndicatorRequest,
    Measure,
    ResultRow,
    ResultTable,
    Status,
    compute,
    indicator_from_json,
    indicator_to_json,
)
from minzu_core.indicators.engine import _Context, plan
from minzu_core.ledger import Person, Residence
from minzu_core.store import Store
from minzu_core.testing.contract_indicators import add_activities

CATALOG_FILE = Path(__file__).parents[1] / "data" / "catalog.json"
NOW = datetime(2020, 6, 30, 9, 0, tzinfo=CST)
ADMIN = Actor.system("engine-test")
REASON = "测试 test"
#: The townships of 西湖区, the breakdown most tests ask for.
TOWNSHIPS: dict[str, Any] = {"unit": "360103", "by": "township"}

# -- the catalog ----------------------------------------------------------------------------------
#: The pinned definitions, in the order of the design table (DESIGN §5); the ids are stable.
PINNED = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


def test_catalog_ids_are_the_design_table_in_order() -> None:
    assert [i.id for i in CATALOG] == [d["id"] for d in PINNED]


@pytest.mark.parametrize("indicator", CATALOG, ids=lambda i: i.id)
def test_catalog_definition_is_pinned(indicator: Indicator) -> None:
    """Every definition equals its pinned JSON (a change here is a change of meaning: update
    tests/data/catalog.json deliberately, with a CHANGELOG entry)."""
    pinned = {d["id"]: d for d in PINNED}
    assert indicator.to_dict() == pinned[indicator.id]
    assert indicator_from_json(indicator_to_json(indicator)) == indicator


def test_catalog_semantics_named_in_design() -> None:
    c = CATALOG_BY_ID
    assert c["window_coverage"].factor == 100 and c["window_coverage"].kind.value == "stock"
    assert c["service_requests"].numerator.date_field == "accepted_at"
    assert c["service_on_time_rate"].denominator == Measure.flow("service_request", "resolved_at")
    assert c["dispute_success_rate"].denominator is not None
    assert Filter("outcome", "in", ("agreement", "terminated")) in (
        c["dispute_success_rate"].denominator.filters
    )
    assert c["activities_held"].breakdown == "type"
    assert c["minority_cadres_deputy_section_plus"].numerator.filters[-1] == Filter(
        "rank", "ge", "deputy_section"
    )
    assert c["volunteer_hours"].numerator.aggregate.value == "sum"
    for indicator in CATALOG:
        assert indicator.name_zh and indicator.name_en and indicator.description


# -- a small store ----------------------------------------------------------------------------
def _small(url: str) -> Store:
    store = open_store(url, clock=FixedClock(NOW))
    with store.unit_of_work(ADMIN) as uow:
        uow.units.add_many(
            [
                Unit.create("360000", "江西省"),
                Unit.create("360100", "南昌市"),
                Unit.create("360103", "西湖区"),
                Unit.create("360103001", "南浦街道"),
                Unit.create("360103002", "朝阳洲街道"),
                Unit.create("360103101", "桃花镇"),
                Unit.create("360103001001", "社区一"),
                Unit.create("360103101001", "桃花社区"),
            ],
            reason=REASON,
        )
        uow.units.apply_change(
            UnitChange(
                UnitChangeKind.RECODED,
                date(2020, 1, 1),
                "360103101",
                successors=["360103014"],
                new_name="桃花街道",
            ),
            reason=REASON,
        )
        for code, ethnicity, status in (
            ("360103001001", "03", "resident"),
            ("360103001001", "05", "floating"),
            ("360103101001", "06", "resident"),
            ("360103101001", "01", "resident"),
        ):
            uow.people.add(
                Person(
                    name="马丽",
                    ethnicity=ethnicity,
                    phone="13900000000",
                    residences=[
                        Residence(
                            unit_code=code,
                            status=status,
                            arrival=date(2018, 5, 1),
                            address="测试路1号",
                            origin="653101" if status == "floating" else None,
                        )
                    ],
                ),
                reason=REASON,
            )
        add_activities(
            uow,
            [
                ("360103001", "safety_education", 40),
                ("360103001001", "unity_publicity", 10),
                ("360103101001", "safety_education", 25),
                ("360103", "other", 100),
            ],
            start=date(2019, 6, 1),
            title="活动",
            reason=REASON,
        )
        uow.commit()
    return store


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    opened = _small(request.param)
    yield opened
    opened.close()


def _rows(store: Store, **kwargs: Any) -> dict[tuple[str, str, str | None], Any]:
    with store.unit_of_work(ADMIN) as uow:
        table = compute(uow, **kwargs)
    return {(r.indicator_id, r.unit_code, r.breakdown): r for r in table.rows}


def test_counts_by_township_and_scope_total(store: Store) -> None:
    rows = _rows(store, period="2019", **TOWNSHIPS)
    assert rows[("minority_residents", "360103000000", None)].value == 2
    assert rows[("minority_residents", "360103001000", None)].value == 1
    assert rows[("minority_residents", "360103002000", None)].value == 0  # a real zero
    assert rows[("minority_residents", "360103101000", None)].value == 1
    assert rows[("minority_floating", "360103001000", None)].value == 1
    # the district's own activity counts in its total, not in any township's row
    assert rows[("activities_held", "360103000000", None)].value == 4
    assert ("activities_held", "360103000000", "other") in rows
    assert rows[("activities_held", "360103001000", None)].value == 2
    assert rows[("activities_held", "360103001000", "safety_education")].value == 1
    assert rows[("activity_participants", "360103101000", None)].value == 25


def test_zero_denominator_is_no_value_not_zero(store: Store) -> None:
    rows = _rows(store, period="2019", **TOWNSHIPS)
    rate = rows[("service_resolution_rate", "360103001000", None)]
    assert rate.value is None and rate.status is Status.NO_DENOMINATOR
    assert rate.numerator == 0 and rate.denominator == 0
    coverage = rows[("window_coverage", "360103002000", None)]
    assert coverage.value == 0 and coverage.status is Status.OK  # 0 of 1 township


def test_mapped_mode_follows_recorded_changes(store: Store) -> None:
    recorded = _rows(store, period="2019", **TOWNSHIPS, indicators=["activities_held"])
    mapped = _rows(
        store,
        period="2019",
        **TOWNSHIPS,
        indicators=["activities_held"],
        mode="mapped",
        mapped_on=date(2020, 6, 30),
    )
    assert recorded[("activities_held", "360103101000", None)].value == 1
    assert ("activities_held", "360103014000", None) not in recorded
    assert mapped[("activities_held", "360103014000", None)].value == 1
    assert mapped[("activities_held", "360103014000", None)].unit_name == "桃花街道"
    assert ("activities_held", "360103101000", None) not in mapped
    assert mapped[("activities_held", "360103000000", None)].value == 4


def test_suppression_and_comparisons(store: Store) -> None:
    with store.unit_of_work(ADMIN) as uow:
        table = compute(
            uow,
            IndicatorRequest(
                period="2019",
                **TOWNSHIPS,
                indicators=["activity_participants", "activities_held"],
                suppress_below=30,
                comparisons=True,
            ),
        )
    rows = {(r.indicator_id, r.unit_code, r.breakdown): r for r in table.rows}
    small = rows[("activity_participants", "360103101000", None)]
    assert small.status is Status.SUPPRESSED and small.value is None
    big = rows[("activity_participants", "360103000000", None)]
    assert big.value == 175 and big.last_year_value == 0 and big.last_year_change == 175
    assert table.metadata.suppression_threshold == 30


def test_user_defined_indicators_average_and_distinct(store: Store) -> None:
    average = _activities("平均参与人次", "average participants", "average", "participants")
    kinds = _activities("活动类型数", "activity kinds", "count_distinct", "type")
    rows = _rows(
        store,
        period="2019",
        **TOWNSHIPS,
        indicators=["average_participants", "activity_kinds"],
        extra=[average, kinds],
    )
    assert rows[("average_participants", "360103000000", None)].value == 43.75
    assert rows[("average_participants", "360103001000", None)].value == 25
    missing = rows[("average_participants", "360103002000", None)]
    assert missing.value is None and missing.status is Status.NO_DATA
    assert rows[("activity_kinds", "360103000000", None)].value == 3  # not 1 + 2 + 1
    assert rows[("activity_kinds", "360103001000", None)].value == 2


def test_scope_defaults_and_no_breakdown(store: Store) -> None:
    rows = _rows(store, period="2019-06", indicators=["activities_held"])
    assert rows[("activities_held", "360000000000", None)].value == 4
    scoped = Actor.for_units("township-clerk", "360103001")
    with store.unit_of_work(scoped) as uow:
        table = compute(uow, period="2019", indicators=["minority_residents"])
    assert [(r.unit_code, r.value) for r in table.rows] == [("360103001000", 1)]


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"period": "2019", "indicators": ["no_such"]}, NotFoundError, "unknown_indicator"),
        ({"period": "2019-13"}, ValidationError, "invalid_period"),
        ({"period": "2019", "unit": "440103"}, NotFoundError, "unknown_unit"),
        ({"period": "2019", "unit": "36010"}, ValidationError, "invalid_unit_code"),
        (
            {"period": "2019", "unit": "360103001", "by": "county"},
            ValidationError,
            "invalid_breakdown_level",
        ),
        ({"period": "2019", "by": "planet"}, ValidationError, "invalid_level"),
        ({"period": "2019", "mode": "sideways"}, ValidationError, "invalid_choice"),
        ({"period": "2019", "suppress_below": 0}, ValidationError, "invalid_threshold"),
        ({"period": "2019", "mapped_on": "soon"}, ValidationError, "invalid_date"),
    ],
)
def test_bad_requests_are_typed_errors(
    store: Store, kwargs: dict[str, Any], error: type[Exception], code: str
) -> None:
    with store.unit_of_work(ADMIN) as uow, pytest.raises(error) as caught:
        compute(uow, **kwargs)
    assert getattr(caught.value, "code", None) == code
    assert "/" in str(caught.value)  # Chinese / English


def test_unit_outside_the_actors_scope(store: Store) -> None:
    clerk = Actor.for_units("clerk", "360103001")
    with store.unit_of_work(clerk) as uow, pytest.raises(PermissionDeniedError) as caught:
        compute(uow, period="2019", unit="360103002")
    assert caught.value.code == "outside_scope"


def test_definition_naming_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Measure.flow("activity", "start", ("colour", "eq", "red"))
    assert caught.value.code == "unknown_field"
    assert caught.value.field == "filters[0].field"


# -- pushed down: one statement per measure and level ------------------------------------------
def test_sql_runs_one_grouped_statement_per_entity(tmp_path: Path) -> None:
    store = _small(f"sqlite:///{tmp_path / 'x.db'}")
    statements: list[str] = []
    engine = store.backend.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with store.unit_of_work(ADMIN) as uow:
        request = IndicatorRequest(period="2019", unit="360103", by="village")
        table = compute(uow, request)
        during = list(statements)
        scope = uow.units.get("360103")
        queries = plan(_Context(request, CATALOG, scope, (), ()))
    grouped = [s for s in during if "GROUP BY" in s]
    batches = {_batch_key(q) for q in queries}
    # docs/indicator-engine.md: 29 measures, 10 statements (one per entity: the activities'
    # counts by type and in all share one, the totals added up from the groups)
    assert (len(queries), len(batches), len(grouped)) == (29, 10, 10)
    assert sum("FROM minzu_activities" in statement for statement in grouped) == 1
    others = [s for s in during if "GROUP BY" not in s]
    # BEGIN, the scope unit, the breakdown level's units, the policy, names of own-level rows:
    # none of them reads the rows being counted.
    assert len(others) <= 10, others
    for name in ("persons", "residences", "service_requests", "disputes", "activities"):
        assert not any(f"minzu_{name}" in statement for statement in others)
    assert len(table.rows) > len(CATALOG)
    store.close()


# -- the CLI --------------------------------------------------------------------------------------
runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    _small(url).close()
    return url


def test_cli_indicators_formats(db: str, tmp_path: Path) -> None:
    base = ["indicators", "--store", db, "--period", "2019", "--unit", "360103"]
    shown = runner.invoke(app, [*base, "--by", "township"])
    assert shown.exit_code == 0, shown.output
    assert "activities_held" in shown.output
    as_json = runner.invoke(app, [*base, "--indicator", "activities_held", "--format", "json"])
    data = json.loads(as_json.stdout)
    assert data["schema"] == "minzu-core/indicator-results" and data["version"] == 1
    assert [r["value"] for r in data["rows"] if r["breakdown"] is None] == [4.0]
    csv_out = runner.invoke(app, [*base, "--format", "csv", "--indicator", "window_coverage"])
    assert csv_out.stdout.startswith("\ufeffindicator_id,")
    md = runner.invoke(app, [*base, "--format", "markdown"])
    assert md.exit_code == 0 and "|" in md.stdout
    target = tmp_path / "out.xlsx"
    xlsx = runner.invoke(app, [*base, "--format", "xlsx", "--output", str(target)])
    assert xlsx.exit_code == 0 and target.stat().st_size > 0


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (["--period", "2019X"], "invalid_period"),
        (["--period", "2019", "--indicator", "nope"], "unknown_indicator"),
        (["--period", "2019", "--unit", "440103"], "unknown_unit"),
        (["--period", "2019", "--unit", "360103001", "--by", "county"], "invalid_breakdown_level"),
        (["--period", "2019", "--format", "pdf"], "invalid_format"),
        (["--period", "2019", "--format", "xlsx"], "output_required"),
        (["--period", "2019", "--mode", "mapped", "--mapped-on", "soon"], "invalid_date"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(db: str, extra: list[str], code: str) -> None:
    result = runner.invoke(app, ["indicators", "--store", db, *extra])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert code in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("suffix", [".md", ".xlsx"])
def test_cli_report(db: str, tmp_path: Path, suffix: str, chart_support: None) -> None:
    target = tmp_path / f"report{suffix}"
    args = ["report", "--store", db, "--period", "2019", "--unit", "360103"]
    result = runner.invoke(app, [*args, "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.exists()
    charts = sorted((tmp_path / "report_charts").glob("*.png"))
    assert len(charts) == len(CATALOG)
    if suffix == ".md":
        text = target.read_text(encoding="utf-8")
        assert "## 总览 Overview" in text and "report_charts/window_coverage.png" in text


def test_hierarchy_mode_labels() -> None:
    assert HierarchyMode.parse("按记录时区划", field="mode") is HierarchyMode.AS_RECORDED


@pytest.mark.parametrize("indicator", CATALOG, ids=lambda i: i.id)
@pytest.mark.parametrize("figures", [(3.0, 4.0), (0.0, 0.0), (5.0, None), (2.5, 3.0)])
def test_engine_rows_equal_the_validated_constructor(
    indicator: Indicator, figures: tuple[float, float | None]
) -> None:
    """The engine builds rows without the converters; they must equal ResultRow.compute's."""
    numerator, denominator = figures
    if indicator.denominator is None:
        denominator = None
    fast = ResultRow._trusted(
        indicator, "360103000000", "西湖区", "2019", numerator, denominator, None
    )
    checked = ResultRow.compute(
        indicator,
        unit_code="360103",
        unit_name="西湖区",
        period="2019",
        numerator=numerator,
        denominator=denominator,
    )
    assert fast == checked


def test_comparisons_in_mapped_mode_use_the_same_units(store: Store) -> None:
    """A mapped 2020 table compares with 2019 mapped to the same (2020) units."""
    with store.unit_of_work(ADMIN) as uow:
        table = compute(
            uow,
            period="2020",
            **TOWNSHIPS,
            indicators=["activities_held"],
            mode="mapped",
            comparisons=True,
        )
    rows = {(r.unit_code, r.breakdown): r for r in table.rows}
    new_town = rows[("360103014000", None)]
    assert new_town.value == 0 and new_town.previous_value == 1  # 桃花镇's 2019 activity
    assert ("360103101000", None) not in rows


@pytest.mark.parametrize("suffix", [".md", ".xlsx"])
def test_cli_report_without_a_font_says_why(
    db: str, tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No CJK font: the report is written without charts and says so (output and file)."""
    pytest.importorskip("matplotlib")
    pytest.importorskip("openpyxl")
    monkeypatch.setenv("MINZU_CJK_FONT", str(tmp_path / "no-such-font.ttf"))
    target = tmp_path / f"report{suffix}"
    args = ["report", "--store", db, "--period", "2019", "--unit", "360103"]
    result = runner.invoke(app, [*args, "--output", str(target)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the terminal wraps long lines
    assert "with 0 charts" in said
    assert "未绘制图表 no charts" in said and "fonts-noto-cjk" in said
    assert not list((tmp_path / "report_charts").glob("*.png"))
    if suffix == ".md":
        text = target.read_text(encoding="utf-8")
        assert "未绘制图表 no charts" in text and "fonts-noto-cjk" in text
    else:
        import openpyxl

        book = openpyxl.load_workbook(target)
        assert "说明 notes" in book.sheetnames
        assert "fonts-noto-cjk" in str(book["说明 notes"]["A1"].value)


# -- the fast path: columns, bulk ratios, plain unit rows, columnar answers -------------------
FAST_REQUESTS = [
    {"period": "2019", "unit": "360103", "by": "township"},
    {"period": "2019", "unit": "360103", "by": "village"},
    {"period": "2019", "unit": "360000", "by": "county"},
    {"period": "2020", "unit": "360103", "by": "township"},
    {
        "period": "2019",
        "unit": "360103",
        "by": "township",
        "mode": "mapped",
        "mapped_on": "2020-06-30",
    },
    {"period": "2020", "unit": "360103", "by": "village", "mode": "mapped"},
    {"period": "2019-06"},
]


def _activities(
    name_zh: str,
    name_en: str,
    aggregate: str,
    field: str,
    breakdown: str | None = None,
    **options: Any,
) -> Indicator:
    """A user indicator aggregating ``field`` of the activities started in the period; its id
    is its English name."""
    measure = Measure.flow("activity", "start", aggregate=aggregate, field=field)
    return Indicator(
        name_en.replace(" ", "_"), name_zh, name_en, measure, breakdown=breakdown, **options
    )


def _extra() -> list[Indicator]:
    return [
        _activities("平均参与人次", "average participants", "average", "participants"),
        _activities("活动类型数", "activity kinds", "count_distinct", "type", "type"),
        _activities(
            "场均参与人次",
            "participants per activity",
            "sum",
            "participants",
            denominator=Measure.flow("activity", "start"),
            factor=1,
            decimals=3,
        ),
    ]


@pytest.mark.parametrize("kwargs", FAST_REQUESTS)
def test_engine_table_equals_rows_built_by_compute(store: Store, kwargs: dict[str, Any]) -> None:
    """The engine builds its table column by column; every row must equal the one
    ResultRow.compute (the validated constructor) gives for the same inputs, and every export
    must equal the row-by-row one."""
    extra = _extra()
    by_id = {**CATALOG_BY_ID, **{i.id: i for i in extra}}
    with store.unit_of_work(ADMIN) as uow:
        table = compute(uow, indicators=list(by_id), extra=extra, **kwargs)
    assert len(table) == len(table.rows) > 0
    for row in table.rows:
        inputs = ("unit_code", "unit_name", "period", "numerator", "denominator", "breakdown")
        checked = ResultRow.compute(
            by_id[row.indicator_id], **{name: getattr(row, name) for name in inputs}
        )
        assert row == checked
    rebuilt = ResultTable(table.rows, table.metadata)  # validated, kept as rows
    assert rebuilt == table and table == rebuilt
    assert table.to_records() == rebuilt.to_records()
    assert table.to_columns() == rebuilt.to_columns()
    assert list(table.to_columns()) == [key for key, _, _ in COLUMNS]
    assert table.to_json() == rebuilt.to_json()
    assert table.indicator_ids == rebuilt.indicator_ids
    assert table.periods == rebuilt.periods
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dev dependency
        return
    pd.testing.assert_frame_equal(table.to_pandas(), rebuilt.to_pandas())


class _PlainSession:
    """A session offering only the required aggregate port (no columnar answers, no plain
    unit rows), as a third-party store would."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def indicator_entities(self) -> frozenset[str]:
        result: frozenset[str] = self.inner.indicator_entities()
        return result

    def aggregate(self, queries: Any) -> Any:
        return self.inner.aggregate(queries)


@pytest.mark.parametrize("kwargs", FAST_REQUESTS)
def test_optional_ports_change_nothing(
    store: Store, kwargs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """aggregate_columns and indicator_units (the SQL store's) give the tables the plain port
    and ``uow.units`` give."""
    from minzu_core.indicators import engine

    extra = _extra()
    ids = [*CATALOG_BY_ID, *(i.id for i in extra)]
    with store.unit_of_work(ADMIN) as uow:
        fast = compute(uow, indicators=ids, extra=extra, **kwargs)
    monkeypatch.setattr(engine, "_session", lambda uow: _PlainSession(uow.session))
    with store.unit_of_work(ADMIN) as uow:
        plain = compute(uow, indicators=ids, extra=extra, **kwargs)
    assert fast.rows == plain.rows
    assert fast.metadata == plain.metadata


def test_sql_columnar_answers_are_the_rows(tmp_path: Path) -> None:
    store = _small(f"sqlite:///{tmp_path / 'x.db'}")
    extra = _extra()
    with store.unit_of_work(ADMIN) as uow:
        for by in (None, "township", "village"):
            request = IndicatorRequest(
                period="2019", unit="360103", by=by, indicators=[], extra=extra
            )
            scope = uow.units.get("360103")
            indicators = (*CATALOG, *extra)
            queries = plan(_Context(request, indicators, scope, (), ()))
            session: Any = uow.session
            columns = session.aggregate_columns(queries)
            assert [answer.rows() for answer in columns] == session.aggregate(queries)
            assert any(answer.rows() for answer in columns)
    store.close()


def test_one_statement_per_table_adds_up_like_the_memory_store(tmp_path: Path) -> None:
    """Measures with and without a breakdown share the table's statement where their groups
    add up exactly (counts, sums of integer columns); the rest keep statements of their own.
    Either way the figures are the memory store's."""
    extra = [
        *_extra(),
        _activities(
            "少数民族参与人次",
            "minority participants",
            "sum",
            "minority_participants",
            "type",
        ),
        _activities("组织单位数", "organisers", "count_distinct", "organiser_code", "type"),
    ]
    ids = ["activities_held", "activity_participants", *(i.id for i in extra)]
    tables = []
    for url in ("memory://", f"sqlite:///{tmp_path / 'x.db'}"):
        store = _small(url)
        for kwargs in FAST_REQUESTS:
            with store.unit_of_work(ADMIN) as uow:
                tables.append(compute(uow, indicators=ids, extra=extra, **kwargs).rows)
        store.close()
    half = len(tables) // 2
    assert tables[:half] == tables[half:]


def _safety_education(value: Any) -> Indicator:
    measure = Measure.flow("activity", "start", Filter("type", "eq", value))
    return Indicator("safety", "安全教育活动", "safety education activities", measure)


@pytest.mark.parametrize("spelling", ["safety_education", "安全宣传教育", " Safety Education "])
def test_an_activity_type_filter_takes_the_vocabulary_spellings(
    store: Store, spelling: str
) -> None:
    rows = _rows(store, period="2019", **TOWNSHIPS, indicators=[_safety_education(spelling)])
    assert rows[("safety", "360103001000", None)].value == 1
    assert rows[("safety", "360103101000", None)].value == 1
    assert rows[("safety", "360103000000", None)].value == 2


def test_an_unknown_activity_type_in_a_filter_is_a_typed_error(store: Store) -> None:
    with store.unit_of_work(ADMIN) as uow, pytest.raises(ValidationError) as err:
        compute(uow, period="2019", **TOWNSHIPS, indicators=[_safety_education("安全教育")])
    assert err.value.code == "invalid_filter_value"
    assert err.value.field == "safety.numerator.filters[0].value"
    assert "safety_education" in err.value.details["allowed"]
