"""The ``minzu`` command (命令行).

``minzu demo`` builds the Xihu District demo (a synthetic 2019) and prints its indicator report;
``minzu indicators`` computes indicators and ``minzu report`` writes the catalog as a report;
``minzu units load`` loads an NBS-format division file; ``minzu stores`` lists the installed
storage adapters; ``minzu schema create|upgrade|current`` manages a SQL store's tables. Errors
print one line (Chinese and English) and exit with status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from minzu_core import __version__
from minzu_core.cli.audit import audit_app
from minzu_core.cli.common import (
    PrefixOption,
    SchemaOption,
    SqlStoreOption,
    StoreOption,
    err_console,
    friendly,
    out_console,
)
from minzu_core.cli.exchange import exchange_app
from minzu_core.cli.keys import keys_app
from minzu_core.cli.ledger import ledger_app
from minzu_core.cli.rights import person_app, retention_app
from minzu_core.errors import StoreError

if TYPE_CHECKING:
    from minzu_core.store.ports import SchemaManaged


app = typer.Typer(
    name="minzu",
    help="minzu-core: 民族工作服务管理 ethnic-affairs service management.",
    no_args_is_help=True,
    add_completion=False,
)
units_app = typer.Typer(help="行政区划 Division units.", no_args_is_help=True)
app.add_typer(units_app, name="units")
schema_app = typer.Typer(
    help="数据库表结构 SQL schema: create or upgrade the store's tables (Alembic migrations).",
    no_args_is_help=True,
)
app.add_typer(schema_app, name="schema")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(person_app, name="person")
app.add_typer(retention_app, name="retention")
app.add_typer(ledger_app, name="ledger")
app.add_typer(exchange_app, name="exchange")


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        out_console.print(f"minzu-core {__version__}")
        raise typer.Exit(0)


@app.command()
@friendly
def demo(
    store: StoreOption = "sqlite:///minzu-demo.db",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 2019,
    persons: Annotated[int, typer.Option(help="Ledger records to generate.", min=1)] = 1500,
) -> None:
    """演示: build Xihu District as of 2019-12-16 with a synthetic year of every record kind and
    print the indicator report for the district by township."""
    from minzu_core.demo.xihu import DEMO_AS_OF, run_demo
    from minzu_core.demo.year import populate_demo_year
    from minzu_core.indicators import compute
    from minzu_core.privacy.actor import Actor
    from minzu_core.store.factory import open_store

    with (
        open_store(store) as opened,
        Progress(
            TextColumn("台账 ledger"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
            disable=not err_console.is_terminal,
        ) as bar,
    ):
        task = bar.add_task("ledger", total=persons)
        result = run_demo(
            opened,
            seed=seed,
            persons=persons,
            progress=lambda done: bar.update(task, completed=done),
        )
        year = populate_demo_year(opened, seed=seed)
        with opened.unit_of_work(Actor.system("minzu-demo")) as uow:
            report = compute(
                uow, period=f"2019-01-01/{DEMO_AS_OF.isoformat()}", unit="360103", by="township"
            )
    _print_demo(report, result, year.total_added, year.total_present)


_DEMO_COLUMNS = (
    ("minority_residents", "少数民族常住人口\nminority residents"),
    ("minority_floating", "少数民族流动人口\nminority floating"),
    ("window_coverage", "服务窗口覆盖率%\nwindow coverage"),
    ("responsibility_coverage", "责任落实率%\nresponsibility"),
    ("service_requests", "服务事项受理\nrequests"),
    ("service_resolution_rate", "办结率%\nresolved"),
    ("disputes_registered", "矛盾纠纷\ndisputes"),
    ("safety_education_activities", "安全宣传教育\nsafety education"),
)


def _shown(row: Any) -> str:
    if row is None:
        return ""
    if row.value is None:
        return f"— {row.status.label_en}"
    return f"{row.value:.{row.decimals}f}"


def _print_demo(report: Any, result: Any, added: int, present: int) -> None:
    meta = report.metadata
    by_key = {(r.indicator_id, r.unit_code): r for r in report.rows if r.breakdown is None}
    units: list[tuple[str, str]] = []
    for row in report.rows:
        if row.unit_code != meta.scope_code and (row.unit_code, row.unit_name) not in units:
            units.append((row.unit_code, row.unit_name))
    table = Table(
        title=f"南昌市西湖区 Xihu District, Nanchang — {report.rows[0].period}",
        caption=(
            f"units added {result.units_added}; persons added {result.persons_added}, "
            f"already present {result.persons_present}; "
            f"work records added {added}, already present {present}"
        ),
    )
    table.add_column("代码 code")
    table.add_column("街道(镇) township")
    for _, label in _DEMO_COLUMNS:
        table.add_column(label, justify="right")
    for code, name in units:
        table.add_row(
            code[:9],
            name,
            *(_shown(by_key.get((ind, code))) for ind, _ in _DEMO_COLUMNS),
        )
    table.add_section()
    table.add_row(
        "",
        "合计 total",
        *(_shown(by_key.get((ind, meta.scope_code))) for ind, _ in _DEMO_COLUMNS),
    )
    out_console.print(table)
    overview = Table(title=f"{meta.title_zh} / {meta.title_en}")
    overview.add_column("指标 indicator")
    overview.add_column("值 value", justify="right")
    overview.add_column("分子 numerator", justify="right")
    overview.add_column("分母 denominator", justify="right")
    for row in report.rows:
        if row.unit_code == meta.scope_code and row.breakdown is None:
            overview.add_row(
                f"{row.indicator_name_zh} {row.indicator_name_en}",
                _shown(row),
                "" if row.numerator is None else f"{row.numerator:g}",
                "" if row.denominator is None else f"{row.denominator:g}",
            )
    out_console.print(overview)


def _indicator_table(table: Any) -> Table:
    shown = Table(title=f"{table.metadata.title_zh} / {table.metadata.title_en}")
    for label in (
        "指标 indicator",
        "单位 unit",
        "分组 group",
        "值 value",
        "分子 num.",
        "分母 den.",
        "状态 status",
    ):
        shown.add_column(label, justify="right" if label[:1] in "值分" else "left")
    for row in table.rows:
        shown.add_row(
            row.indicator_id,
            f"{row.unit_name} {row.unit_code}",
            row.breakdown or "",
            "" if row.value is None else f"{row.value:.{row.decimals}f}",
            "" if row.numerator is None else f"{row.numerator:g}",
            "" if row.denominator is None else f"{row.denominator:g}",
            row.status.value,
        )
    return shown


def _request(
    period: str,
    unit: str | None,
    by: str | None,
    indicator: list[str] | None,
    mode: str,
    mapped_on: str | None,
    suppress_below: int | None,
    compare: bool,
    split: str = "first",
) -> Any:
    from minzu_core.indicators import IndicatorRequest

    return IndicatorRequest(
        period=period,
        unit=unit,
        by=by,
        indicators=tuple(indicator or ()),
        mode=mode,
        mapped_on=mapped_on,
        split=split,
        suppress_below=suppress_below,
        comparisons=compare,
    )


PeriodOption = Annotated[
    str,
    typer.Option("--period", help="2019, 2019Q4, 2019-12, 2019-12-16 or 2019-01-01/2019-06-30."),
]
UnitOption = Annotated[
    str | None, typer.Option("--unit", help="Scope unit code (default: the top unit).")
]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Breakdown level: prefecture, county, township, village."),
]
ModeOption = Annotated[
    str, typer.Option("--mode", help="Hierarchy: as_recorded, or mapped (to --mapped-on).")
]
MappedOnOption = Annotated[
    str | None, typer.Option("--mapped-on", help="Date of the units of --mode mapped.")
]
SplitOption = Annotated[
    str,
    typer.Option(
        "--split", help="--mode mapped: a split unit's facts go to its first successor, or keep."
    ),
]
SuppressOption = Annotated[
    int | None, typer.Option("--suppress-below", help="Hide counts below this.", min=1)
]
CompareOption = Annotated[
    bool, typer.Option("--compare", help="Add previous-period and last-year columns.")
]


@app.command()
@friendly
def indicators(
    store: StoreOption,
    period: PeriodOption,
    unit: UnitOption = None,
    by: ByOption = None,
    indicator: Annotated[
        list[str] | None,
        typer.Option("--indicator", help="Indicator id (repeatable; default: the catalog)."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="table, json, csv, xlsx or markdown.")
    ] = "table",
    output: Annotated[Path | None, typer.Option("--output", help="Write to this file.")] = None,
    mode: ModeOption = "as_recorded",
    mapped_on: MappedOnOption = None,
    split: SplitOption = "first",
    suppress_below: SuppressOption = None,
    compare: CompareOption = False,
) -> None:
    """指标: compute indicators for a unit and period (JSON: schema
    minzu-core/indicator-results v1)."""
    from minzu_core.errors import ValidationError
    from minzu_core.indicators import compute
    from minzu_core.privacy.actor import Actor
    from minzu_core.store.factory import open_store

    formats = ("table", "json", "csv", "xlsx", "markdown")
    if output_format not in formats:
        raise ValidationError(
            f"输出格式无效: {output_format!r}, 可选: {', '.join(formats)}",
            f"invalid format {output_format!r}; allowed: {', '.join(formats)}",
            code="invalid_format",
            field="format",
        )
    if output_format == "xlsx" and output is None:
        raise ValidationError(
            "xlsx 格式须指定 --output 文件",
            "the xlsx format needs --output FILE",
            code="output_required",
            field="output",
        )
    request = _request(period, unit, by, indicator, mode, mapped_on, suppress_below, compare, split)
    with open_store(store) as opened, opened.unit_of_work(Actor.system("minzu-cli")) as uow:
        table = compute(uow, request)
    if output_format == "xlsx":
        assert output is not None
        table.to_xlsx(output)
        err_console.print(f"{len(table)} rows written to {output}", markup=False)
        return
    if output_format == "table":
        if output is None:
            out_console.print(_indicator_table(table))
            return
        output_format = "markdown"
    if output_format == "json":
        text = table.to_json()
    elif output_format == "markdown":
        text = table.to_markdown()
    else:
        import io

        buffer = io.StringIO()
        table.to_csv(buffer)
        text = buffer.getvalue()
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        if output_format == "csv":
            table.to_csv(output)
        else:
            output.write_text(text, encoding="utf-8")
        err_console.print(f"{len(table)} rows written to {output}", markup=False)


@app.command()
@friendly
def report(
    store: StoreOption,
    period: PeriodOption,
    output: Annotated[Path, typer.Option("--output", help="The report: FILE.md or FILE.xlsx.")],
    unit: UnitOption = None,
    by: ByOption = "township",
    mode: ModeOption = "as_recorded",
    mapped_on: MappedOnOption = None,
    split: SplitOption = "first",
    suppress_below: SuppressOption = None,
    charts: Annotated[bool, typer.Option("--charts/--no-charts", help="Draw charts.")] = True,
) -> None:
    """报告: the whole catalog for a unit and period as a Markdown or XLSX report with charts."""
    from minzu_core.indicators import compute
    from minzu_core.indicators.report import write_report
    from minzu_core.privacy.actor import Actor
    from minzu_core.store.factory import open_store

    request = _request(period, unit, by, None, mode, mapped_on, suppress_below, False, split)
    with open_store(store) as opened, opened.unit_of_work(Actor.system("minzu-cli")) as uow:
        table = compute(uow, request)
    written = write_report(table, output, charts=charts)
    err_console.print(
        f"report written to {written.path} with {len(written.charts)} charts", markup=False
    )
    for note in written.notes:
        err_console.print(note, markup=False)


@units_app.command("load")
@friendly
def units_load(
    source: Annotated[
        str, typer.Argument(help="NBS-format CSV file, or a shipped edition: jiangxi-2019")
    ],
    store: StoreOption = "sqlite:///minzu.db",
    reason: Annotated[str, typer.Option(help="Why the units are loaded.")] = "导入区划 load",
) -> None:
    """Load division units (parents first); units already stored are skipped."""
    from minzu_core.hierarchy.editions import EDITIONS, load_edition, read_nbs_csv
    from minzu_core.privacy.actor import Actor
    from minzu_core.store.factory import open_store

    units = load_edition(source) if source in EDITIONS else read_nbs_csv(Path(source))
    added = 0
    with open_store(store) as opened, opened.unit_of_work(Actor.system("minzu-cli")) as uow:
        for unit in sorted(units, key=lambda u: (u.level.depth, u.code.value)):
            if not uow.units.versions(unit.code):
                uow.units.add(unit, reason=reason)
                added += 1
        uow.commit()
    out_console.print(f"{added} units added, {len(units) - added} already present")


def _schema_backend(store: str, prefix: str, schema: str | None) -> SchemaManaged:
    """Open ``store`` without creating tables; it must manage a versioned schema."""
    from minzu_core.store.factory import open_store
    from minzu_core.store.ports import SchemaManaged

    options: dict[str, Any] = {"create_tables": False, "prefix": prefix}
    if schema is not None:
        options["schema"] = schema
    try:
        backend = open_store(store, **options).backend
    except StoreError as err:
        if err.code != "unsupported_option":
            raise
        raise StoreError(
            "该存储没有可管理的表结构",
            "this store has no managed schema",
            code="schema_not_managed",
            field="store",
        ) from None
    if not isinstance(backend, SchemaManaged):
        backend.close()
        raise StoreError(
            "该存储没有可管理的表结构",
            "this store has no managed schema",
            code="schema_not_managed",
            field="store",
        )
    return backend


_T = TypeVar("_T")


def _on_schema(
    store: str, prefix: str, schema: str | None, work: Callable[[SchemaManaged], _T]
) -> _T:
    """``work(backend)`` on the store's schema-managed backend, closed afterwards."""
    backend = _schema_backend(store, prefix, schema)
    try:
        return work(backend)
    finally:
        backend.close()


@schema_app.command("create")
@friendly
def schema_create(
    store: SqlStoreOption, prefix: PrefixOption = "minzu_", schema: SchemaOption = None
) -> None:
    """Create the tables in a new database and stamp the newest revision."""
    revision = _on_schema(store, prefix, schema, lambda backend: backend.schema_create())
    out_console.print(f"tables created, schema at revision {revision}")


@schema_app.command("upgrade")
@friendly
def schema_upgrade(
    store: SqlStoreOption,
    prefix: PrefixOption = "minzu_",
    schema: SchemaOption = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Upgrade the tables to the newest (or the given) revision; a no-op when up to date."""

    def upgrade(backend: SchemaManaged) -> tuple[str | None, str | None]:
        before, _ = backend.schema_revision()
        return before, backend.schema_upgrade(revision)

    before, after = _on_schema(store, prefix, schema, upgrade)
    if before == after:
        out_console.print(f"schema already at revision {after}")
    else:
        out_console.print(f"schema upgraded from {before or 'none'} to {after}")


@schema_app.command("current")
@friendly
def schema_current(
    store: SqlStoreOption, prefix: PrefixOption = "minzu_", schema: SchemaOption = None
) -> None:
    """Print the revision the database is at and the newest one."""
    current, head = _on_schema(store, prefix, schema, lambda backend: backend.schema_revision())
    out_console.print(f"current {current or 'none'}, head {head}")


@app.command()
def stores() -> None:
    """List the installed storage adapters (URL schemes)."""
    from minzu_core.store.factory import available_schemes

    for scheme in available_schemes():
        out_console.print(scheme)


def main(argv: list[str] | None = None) -> None:
    """Run the ``minzu`` command."""
    app(args=argv if argv is not None else sys.argv[1:], prog_name="minzu")


if __name__ == "__main__":  # pragma: no cover
    main()
