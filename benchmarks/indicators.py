"""The indicator benchmark (DESIGN §8): the catalog by township on a province-sized SQLite store.

    .venv/bin/python benchmarks/indicators.py [--db PATH] [--repeat 3] [--json]
        [--persons 1000000 --requests 1000000 --disputes 200000 --seed 2019]

Generates the province with :func:`minzu_core.demo.province.generate_province` if the file
does not exist (without ``--db``: ``/tmp/minzu-province-<persons>-<requests>-<disputes>-<seed>.db``;
20,000 persons take a few seconds, 1,000,000 a few minutes and about 2.5 GB), then times, on the
same file and in one process:

* **engine** — ``compute(uow, period="2019", unit="360000", by="township")`` over the 14
  indicators the baselines compute, the figures read from the table's columns
  (:meth:`~minzu_core.indicators.ResultTable.to_columns`); also with the ``ResultRow`` objects
  built (``table.rows``), and over the whole catalog (23 indicators);
* **sql/table** — hand-written SQL, one statement per table with a conditional count per
  measure (:func:`baselines.sql_table_baseline`): the baseline the engine is held to;
* **sql/measure** — hand-written SQL, one statement per measure (:func:`baselines.sql_baseline`);
* **pandas** — ``read_sql`` of the needed columns, then filtering and ``groupby`` in pandas.

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


def _count(path: str, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM minzu_{table}").fetchone()[0])
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 if the figures disagree, 2 on bad arguments."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", default=None, help="the SQLite file (generated if missing)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (at least 3)")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--disputes", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.repeat < 3:
        parser.error("--repeat must be at least 3")
    out = sys.stderr if args.json else sys.stdout

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    path = args.db or (
        f"/tmp/minzu-province-{args.persons}-{args.requests}-{args.disputes}-{args.seed}.db"
    )
    if not Path(path).exists():
        from minzu_core.demo.province import generate_province

        say(f"generating {path} …")
        began = time.perf_counter()
        generate_province(
            path,
            persons=args.persons,
            requests=args.requests,
            disputes=args.disputes,
            seed=args.seed,
        )
        say(f"  generated in {time.perf_counter() - began:.0f} s")
    sizes = {name: _count(path, name) for name in ("persons", "service_requests", "disputes")}
    wanted = {"persons": args.persons, "service_requests": args.requests, "disputes": args.disputes}
    if sizes != wanted:
        say(f"{path} holds {sizes}, not {wanted}: give another --db or the sizes it holds")
        return 2
    size = os.path.getsize(path) / 2**20
    machine = (
        f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · Python "
        f"{platform.python_version()} · SQLite {sqlite3.sqlite_version}"
    )
    say(f"{machine} · {path} {size:,.0f} MiB · period 2019 · scope {SCOPE} by township")
    start, end = PERIOD
    subset = tuple(baselines.INDICATORS)
    store = open_store(f"sqlite:///{path}")
    try:
        times, results = rounds(
            {
                "engine": lambda: engine_figures(store, subset),
                "engine+rows": lambda: engine_row_figures(store, subset),
                "catalog": lambda: engine_figures(store, None),
                "sql/table": lambda: baselines.sql_table_baseline(path, start, end),
                "sql/measure": lambda: baselines.sql_baseline(path, start, end),
                "pandas": lambda: baselines.pandas_baseline(path, start, end),
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
                    "db": path,
                    "db_mib": round(size),
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
