"""The ``minzu`` command (命令行).

``minzu demo`` builds the Xihu District demo on a store and prints the per-township counts;
``minzu units load`` loads an NBS-format division file; ``minzu stores`` lists the installed
storage adapters; ``minzu schema create|upgrade|current`` manages a SQL store's tables. Errors
print one line (Chinese and English) and exit with status 2.
"""

from __future__ import annotations

import sys
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from minzu_core import __version__
from minzu_core.errors import MinzuError, StoreError

if TYPE_CHECKING:
    from minzu_core.ports import SchemaManaged


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

_out = Console()
_err = Console(stderr=True)

StoreOption = Annotated[str, typer.Option("--store", help="Store URL, e.g. sqlite:///minzu.db")]
SqlStoreOption = Annotated[
    str, typer.Option("--store", help="SQL store URL, e.g. postgresql+psycopg://host/db")
]
PrefixOption = Annotated[str, typer.Option("--prefix", help="Table-name prefix.")]
SchemaOption = Annotated[
    str | None, typer.Option("--schema", help="Database schema (default: the connection's).")
]


def _friendly(func: Any) -> Any:
    """Turn a MinzuError into a one-line message and exit status 2 (no traceback)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MinzuError as exc:
            _err.print(f"错误 error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        _out.print(f"minzu-core {__version__}")
        raise typer.Exit(0)


@app.command()
@_friendly
def demo(
    store: StoreOption = "sqlite:///minzu-demo.db",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic ledger.")] = 2019,
    persons: Annotated[int, typer.Option(help="Ledger records to generate.", min=1)] = 1500,
) -> None:
    """演示: build Xihu District (2019-12-16) and print minority residents and floating
    population per township."""
    from minzu_core.demo import DEMO_AS_OF, run_demo
    from minzu_core.store import open_store

    with (
        open_store(store) as opened,
        Progress(
            TextColumn("台账 ledger"),
            BarColumn(),
            MofNCompleteColumn(),
            console=_err,
            transient=True,
            disable=not _err.is_terminal,
        ) as bar,
    ):
        task = bar.add_task("ledger", total=persons)
        result = run_demo(
            opened,
            seed=seed,
            persons=persons,
            progress=lambda done: bar.update(task, completed=done),
        )
    table = Table(
        title=f"南昌市西湖区 Xihu District, Nanchang — {DEMO_AS_OF.isoformat()}",
        caption=(
            f"units added {result.units_added}; persons added {result.persons_added}, "
            f"already present {result.persons_present}"
        ),
    )
    table.add_column("代码 code")
    table.add_column("街道(镇) township")
    table.add_column("少数民族常住人口\nminority residents", justify="right")
    table.add_column("少数民族流动人口\nminority floating", justify="right")
    for row in result.rows:
        table.add_row(row.code, row.name, str(row.minority_residents), str(row.minority_floating))
    table.add_section()
    table.add_row("", "合计 total", str(result.total_residents), str(result.total_floating))
    _out.print(table)


@units_app.command("load")
@_friendly
def units_load(
    source: Annotated[
        str, typer.Argument(help="NBS-format CSV file, or a shipped edition: jiangxi-2019")
    ],
    store: StoreOption = "sqlite:///minzu.db",
    reason: Annotated[str, typer.Option(help="Why the units are loaded.")] = "导入区划 load",
) -> None:
    """Load division units (parents first); units already stored are skipped."""
    from minzu_core.hierarchy import EDITIONS, load_edition, read_nbs_csv
    from minzu_core.privacy import Actor
    from minzu_core.store import open_store

    units = load_edition(source) if source in EDITIONS else read_nbs_csv(Path(source))
    added = 0
    with open_store(store) as opened, opened.unit_of_work(Actor.system("minzu-cli")) as uow:
        for unit in sorted(units, key=lambda u: (u.level.depth, u.code.value)):
            if not uow.units.versions(unit.code):
                uow.units.add(unit, reason=reason)
                added += 1
        uow.commit()
    _out.print(f"{added} units added, {len(units) - added} already present")


def _schema_backend(store: str, prefix: str, schema: str | None) -> SchemaManaged:
    """Open ``store`` without creating tables; it must manage a versioned schema."""
    from minzu_core.ports import SchemaManaged
    from minzu_core.store import open_store

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


@schema_app.command("create")
@_friendly
def schema_create(
    store: SqlStoreOption, prefix: PrefixOption = "minzu_", schema: SchemaOption = None
) -> None:
    """Create the tables in a new database and stamp the newest revision."""
    backend = _schema_backend(store, prefix, schema)
    try:
        revision = backend.schema_create()
    finally:
        backend.close()
    _out.print(f"tables created, schema at revision {revision}")


@schema_app.command("upgrade")
@_friendly
def schema_upgrade(
    store: SqlStoreOption,
    prefix: PrefixOption = "minzu_",
    schema: SchemaOption = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Upgrade the tables to the newest (or the given) revision; a no-op when up to date."""
    backend = _schema_backend(store, prefix, schema)
    try:
        before, _ = backend.schema_revision()
        after = backend.schema_upgrade(revision)
    finally:
        backend.close()
    if before == after:
        _out.print(f"schema already at revision {after}")
    else:
        _out.print(f"schema upgraded from {before or 'none'} to {after}")


@schema_app.command("current")
@_friendly
def schema_current(
    store: SqlStoreOption, prefix: PrefixOption = "minzu_", schema: SchemaOption = None
) -> None:
    """Print the revision the database is at and the newest one."""
    backend = _schema_backend(store, prefix, schema)
    try:
        current, head = backend.schema_revision()
    finally:
        backend.close()
    _out.print(f"current {current or 'none'}, head {head}")


@app.command()
def stores() -> None:
    """List the installed storage adapters (URL schemes)."""
    from minzu_core.store import available_schemes

    for scheme in available_schemes():
        _out.print(scheme)


def main(argv: list[str] | None = None) -> None:
    """Run the ``minzu`` command."""
    app(args=argv if argv is not None else sys.argv[1:], prog_name="minzu")


if __name__ == "__main__":  # pragma: no cover
    main()
