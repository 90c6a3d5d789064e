"""The indicator benchmark (DESIGN §8): the catalog by township on a province-sized store.

    .venv/bin/python benchmarks/indicators.py [--db PATH | --store URL] [--repeat 3] [--json]
        [--persons 1000000 --requests 1000000 --disputes 200000 --seed 2019]

Generates the province with :func:`minzu_core.demo.province.generate_province` if the file
does not exist (without ``--db``: ``/tmp/minzu-province-<persons>-<requests>-<disputes>-<seed>.db``;
20,000 persons take a few seconds, 1,000,000 a few minutes and about 2.5 GB). With ``--store``
(``postgresql+psycopg://user@host/db`` or ``mysql+pymysql://user@host/db``) the province goes
to the server instead, through the store's bulk-write port (``COPY`` on PostgreSQL, multi-row
``INSERT`` on MariaDB/MySQL): into the PostgreSQL schema, or the MariaDB/MySQL database on the
same server, named ``minzu_bench_<persons>_<requests>_<disputes>_<seed>``, loaded on the first
run and reused by later ones (a place holding other sizes, from an interrupted load, is dropped
and loaded again). Then it times, on the same store and in one process:

* **engine** — ``compute(uow, period="2019", unit="360000", by="township")`` over the 14
  indicators the baselines compute, the figures read from the table's columns
  (:meth:`~minzu_core.indicators.ResultTable.to_columns`); also with the ``ResultRow`` objects
  built (``table.rows``), and over the whole catalog (23 indicators);
* **sql/table** — hand-written SQL, one statement per table with a conditional count per
  measure (:func:`baselines.sql_table_baseline`): the baseline the engine is held to;
* **sql/measure** — hand-written SQL, one statement per measure (:func:`baselines.sql_baseline`);
* **pandas** — ``read_sql`` of the needed columns, then filtering and ``groupby`` in pandas.

The baselines run the same statements on every database, through the plain driver
(:mod:`sqlite3`, psycopg, PyMySQL: :class:`baselines.Database`), not SQLAlchemy.

One warm-up round, then ``--repeat`` rounds (at least 3); each round runs every contender once,
in turn, so that a slow spell of a shared machine hits them all. The best time counts; the
median and the median of the per-round ratios are shown too. All four must give identical
numerators and denominators for every township; the ratios engine ÷ baseline are printed
(target: ≤ 1.5 against sql/table, < 1 against pandas). ``--json`` prints the figures as one
JSON object on stdout (the readable lines then go to stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import baselines

from minzu_core import Actor, Store, open_store
from minzu_core.indicators import ResultRow, ResultTable, compute

PERIOD = (date(2019, 1, 1), date(2019, 12, 31))
SCOPE = "360000"


def _figures(
    rows: Iterable[tuple[str, str, str | None, float | None, float | None]],
) -> baselines.Figures:
    """``(indicator, unit code, breakdown, numerator, denominator)`` in the baselines' shape."""
    figures: baselines.Figures = {}
    for indicator, unit_code, breakdown, numerator, denominator in rows:
        if unit_code.endswith("000000000") or breakdown is not None:
            continue  # the province's own row; breakdown groups
        numerator = numerator or 0.0
        if numerator == 0 and not denominator:
            continue  # the baselines list only townships with rows
        figures.setdefault(indicator, {})[unit_code[:9]] = (numerator, denominator)
    return figures


def _compute(store: Store, indicators: tuple[str, ...] | None) -> ResultTable:
    """The table by township (the store is opened once, as an application keeps it; each run
    is a new unit of work)."""
    with store.unit_of_work(Actor.system("benchmark")) as uow:
        return compute(uow, period="2019", unit=SCOPE, by="township", indicators=indicators or ())


def engine_figures(store: Store, indicators: tuple[str, ...] | None) -> baselines.Figures:
    """The engine's numerators and denominators by township, read from the table's columns."""
    c = _compute(store, indicators).to_columns()
    keys = ("indicator_id", "unit_code", "breakdown", "numerator", "denominator")
    return _figures(zip(*(c[key] for key in keys), strict=True))


def engine_row_figures(store: Store, indicators: tuple[str, ...] | None) -> baselines.Figures:
    """The same, read from the table's :class:`ResultRow` objects (built on first read)."""
    rows: tuple[ResultRow, ...] = _compute(store, indicators).rows
    return _figures(
        (r.indicator_id, r.unit_code, r.breakdown, r.numerator, r.denominator) for r in rows
    )


def _comparable(figures: baselines.Figures) -> baselines.Figures:
    """Only the baselines' indicators; townships whose numerator and denominator are both 0
    dropped (the engine lists every township, the baselines those with rows)."""
    result: baselines.Figures = {}
    for indicator in baselines.INDICATORS:
        kept = {
            key: (float(num), None if den is None else float(den))
            for key, (num, den) in figures.get(indicator, {}).items()
            if num or den
        }
        result[indicator] = dict(sorted(kept.items()))
    return result


def rounds(
    contenders: dict[str, Callable[[], Any]], repeat: int, say: Callable[[str], None]
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Every contender once as a warm-up, then ``repeat`` rounds of each once in turn: the
    times per contender (one per round) and each one's last result."""
    results = {name: run() for name, run in contenders.items()}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for number in range(1, repeat + 1):
        line = []
        for name, run in contenders.items():
            began = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - began)
            line.append(f"{name} {times[name][-1]:.3f}")
        say(f"  round {number}: " + ", ".join(line))
    return times, results


def _count(db: baselines.Database, table: str) -> int:
    return int(db.rows(f"SELECT count(*) FROM minzu_{table}", {})[0][0])


def _sizes(target: str, schema: str | None) -> dict[str, int] | None:
    """The persons, requests and disputes the store holds (``None``: it has no tables yet)."""
    db = baselines.Database(target, schema=schema)
    try:
        return {name: _count(db, name) for name in ("persons", "service_requests", "disputes")}
    except Exception:  # no tables yet (each driver raises its own error class)
        return None
    finally:
        db.close()


#: The tables the benchmark reads.
_READ = ("units", "persons", "residences", "service_windows", "service_requests", "disputes")


def _analyze(target: str, schema: str | None) -> None:
    """Fresh planner statistics on the server's tables: a bulk load leaves none until
    autovacuum gets to them, and the plans then assume nearly empty tables."""
    db = baselines.Database(target, schema=schema)
    try:
        tables = ", ".join(f"minzu_{name}" for name in _READ)
        db.run(f"ANALYZE {tables}" if db.dialect == "postgresql" else f"ANALYZE TABLE {tables}")
    finally:
        db.close()


def _server_version(target: str, schema: str | None) -> str:
    db = baselines.Database(target, schema=schema)
    try:
        version = str(db.rows("SELECT version()", {})[0][0])
    finally:
        db.close()
    return version.split(" on ")[0] if db.dialect == "postgresql" else f"MariaDB/MySQL {version}"


def _place(url: str, name: str, *, fresh: bool) -> tuple[str, dict[str, Any]]:
    """The store URL and options of the place ``name`` on the server of ``url`` (a PostgreSQL
    schema in its database, or a MariaDB/MySQL database), created if missing (``fresh``: dropped
    and created again)."""
    import sqlalchemy as sa

    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", hide_parameters=True)
    postgres = admin.dialect.name == "postgresql"
    if postgres:
        drop, create = (
            f'DROP SCHEMA IF EXISTS "{name}" CASCADE',
            f'CREATE SCHEMA IF NOT EXISTS "{name}"',
        )
    else:
        drop = f"DROP DATABASE IF EXISTS `{name}`"
        create = f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4"
    try:
        with admin.connect() as conn:
            for statement in (drop, create) if fresh else (create,):
                conn.execute(sa.text(statement))
    finally:
        admin.dispose()
    if postgres:
        return url, {"schema": name}
    return sa.make_url(url).set(database=name).render_as_string(False), {}


def _generate(
    target: str, args: argparse.Namespace, say: Callable[[str], None], **options: Any
) -> None:
    """Load the province of ``args``'s sizes into ``target`` (a file or a store URL)."""
    from minzu_core.demo.province import generate_province

    say(f"generating {target} {options or ''}…")
    began = time.perf_counter()
    generate_province(
        target,
        persons=args.persons,
        requests=args.requests,
        disputes=args.disputes,
        seed=args.seed,
        **options,
    )
    say(f"  generated in {time.perf_counter() - began:.0f} s")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 if the figures disagree, 2 on bad arguments."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", default=None, help="the SQLite file (generated if missing)")
    parser.add_argument(
        "--store",
        default=None,
        help="a PostgreSQL or MariaDB URL instead (postgresql+psycopg://…, mysql+pymysql://…):"
        " the province goes to a schema/database named after the sizes and seed, loaded once",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (at least 3)")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--disputes", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.repeat < 3:
        parser.error("--repeat must be at least 3")
    if args.db and args.store:
        parser.error("give --db or --store, not both")
    out = sys.stderr if args.json else sys.stdout

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    sizes_wanted = (args.persons, args.requests, args.disputes, args.seed)
    wanted = {"persons": args.persons, "service_requests": args.requests, "disputes": args.disputes}
    schema: str | None = None
    options: dict[str, Any] = {}
    size: float | None = None
    if args.store:
        # a place on the server named after the sizes and seed, loaded once, reused later
        place = "minzu_bench_" + "_".join(str(n) for n in sizes_wanted)
        target, options = _place(args.store, place, fresh=False)
        schema = options.get("schema")
        held = _sizes(target, schema)
        if held != wanted:
            if held is not None:  # an interrupted load: start again
                target, options = _place(args.store, place, fresh=True)
            _generate(target, args, say, **options)
        url, where = target, f"{place} (reused)" if held == wanted else place
        _analyze(target, schema)
        engine_version = _server_version(target, schema)
    else:
        target = args.db or (
            "/tmp/minzu-province-" + "-".join(str(n) for n in sizes_wanted) + ".db"
        )
        if not Path(target).exists():
            _generate(target, args, say)
        held = _sizes(target, None)
        if held != wanted:
            say(f"{target} holds {held}, not {wanted}: give another --db or the sizes it holds")
            return 2
        size = os.path.getsize(target) / 2**20
        url, where = f"sqlite:///{target}", f"{target} {size:,.0f} MiB"
        engine_version = f"SQLite {sqlite3.sqlite_version}"
    machine = (
        f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · Python "
        f"{platform.python_version()} · {engine_version}"
    )
    say(f"{machine} · {where} · period 2019 · scope {SCOPE} by township")
    start, end = PERIOD
    subset = tuple(baselines.INDICATORS)
    store = open_store(url, **options)
    try:
        times, results = rounds(
            {
                "engine": lambda: engine_figures(store, subset),
                "engine+rows": lambda: engine_row_figures(store, subset),
                "catalog": lambda: engine_figures(store, None),
                "sql/table": lambda: baselines.sql_table_baseline(
                    target, start, end, schema=schema
                ),
                "sql/measure": lambda: baselines.sql_baseline(target, start, end, schema=schema),
                "pandas": lambda: baselines.pandas_baseline(target, start, end, schema=schema),
            },
            args.repeat,
            say,
        )
    finally:
        store.close()
    labels = {
        "engine": "engine (14 indicators)",
        "engine+rows": "engine, rows built",
        "catalog": "engine (whole catalog)",
    }
    best = {name: min(values) for name, values in times.items()}
    median = {name: statistics.median(values) for name, values in times.items()}
    for name in times:
        label = labels.get(name, name)
        say(f"  {label:<24} best {best[name]:7.3f} s   median {median[name]:7.3f} s")
    expected = _comparable(results["sql/table"])
    agree = all(
        _comparable(results[name]) == expected
        for name in ("engine", "engine+rows", "sql/measure", "pandas")
    )
    say("figures: " + ("all agree" if agree else "DISAGREE"))

    def per_round(name: str, base: str) -> float:
        return statistics.median(a / b for a, b in zip(times[name], times[base], strict=True))

    ratios = {
        "engine/sql_table": best["engine"] / best["sql/table"],
        "engine/sql_measure": best["engine"] / best["sql/measure"],
        "engine/pandas": best["engine"] / best["pandas"],
        "engine_rows/sql_table": best["engine+rows"] / best["sql/table"],
        "catalog/sql_table": best["catalog"] / best["sql/table"],
    }
    round_ratios = {
        "engine/sql_table": per_round("engine", "sql/table"),
        "engine/pandas": per_round("engine", "pandas"),
    }
    say(
        f"  engine ÷ sql/table    {ratios['engine/sql_table']:5.2f}   (target ≤ 1.5; "
        f"median per round {round_ratios['engine/sql_table']:.2f})"
    )
    say(f"  engine ÷ sql/measure  {ratios['engine/sql_measure']:5.2f}")
    say(
        f"  engine ÷ pandas       {ratios['engine/pandas']:5.2f}   (target < 1; "
        f"median per round {round_ratios['engine/pandas']:.2f})"
    )
    say(f"  engine, rows built ÷ sql/table {ratios['engine_rows/sql_table']:5.2f}")
    say(f"  whole catalog ÷ sql/table {ratios['catalog/sql_table']:5.2f}")
    if args.json:
        print(
            json.dumps(
                {
                    "machine": machine,
                    "db": target if schema is None else f"{target} schema {schema}",
                    "db_mib": None if size is None else round(size),
                    "persons": args.persons,
                    "requests": args.requests,
                    "disputes": args.disputes,
                    "repeat": args.repeat,
                    "seconds": {
                        name: {"best": best[name], "median": median[name], "rounds": times[name]}
                        for name in times
                    },
                    "ratios": ratios,
                    "median_round_ratios": round_ratios,
                    "agree": agree,
                },
                ensure_ascii=False,
            )
        )
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
