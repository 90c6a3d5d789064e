"""The indicator benchmark (DESIGN §8): the catalog by township on a province-sized SQLite store.

    .venv/bin/python benchmarks/indicators.py [--db /tmp/province.db] [--repeat 3]
        [--persons 1000000 --requests 1000000 --disputes 200000 --seed 2019]

Generates the province with :func:`minzu_adapters.sql.province.generate_province` if the file
does not exist (a few minutes; about 2.5 GB), then times, on the same file and in one process:

* **engine** — ``compute(uow, period="2019", unit="360000", by="township")`` over the 14
  indicators the baselines compute, and over the whole catalog (23 indicators);
* **sql/table** — hand-written SQL, one statement per table with a conditional count per
  measure (:func:`baselines.sql_table_baseline`): the baseline the engine is held to;
* **sql/measure** — hand-written SQL, one statement per measure (:func:`baselines.sql_baseline`);
* **pandas** — ``read_sql`` of the needed columns, then filtering and ``groupby`` in pandas.

Each is run ``--repeat`` times after one warm-up; the best time counts (the machine is shared and
noisy). All four must give identical numerators and denominators for every township; the ratios
engine ÷ baseline are printed (target: ≤ 1.5 against sql/table, < 1 against pandas).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import baselines

from minzu_core import Actor, Store, open_store
from minzu_core.indicators import compute

PERIOD = (date(2019, 1, 1), date(2019, 12, 31))
SCOPE = "360000"


def engine_figures(store: Store, indicators: tuple[str, ...] | None) -> baselines.Figures:
    """The engine's numerators and denominators by township, in the baselines' shape (the
    store is opened once, as an application keeps it; each run is a new unit of work)."""
    with store.unit_of_work(Actor.system("benchmark")) as uow:
        table = compute(uow, period="2019", unit=SCOPE, by="township", indicators=indicators or ())
    figures: baselines.Figures = {}
    for row in table.rows:
        if row.unit_code.endswith("000000000") or row.breakdown is not None:
            continue  # the province's own row; breakdown groups
        numerator = row.numerator or 0.0
        denominator = row.denominator
        if numerator == 0 and not denominator:
            continue  # the baselines list only townships with rows
        figures.setdefault(row.indicator_id, {})[row.unit_code[:9]] = (numerator, denominator)
    return figures


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


def best_of(label: str, repeat: int, run: Callable[[], Any]) -> tuple[float, float, Any]:
    """(best, median, result) of ``repeat`` timed runs after one warm-up run."""
    result = run()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    best, median = min(times), statistics.median(times)
    print(f"  {label:<22} best {best:7.2f} s   median {median:7.2f} s", flush=True)
    return best, median, result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 if the figures disagree."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="/tmp/province.db")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--disputes", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args(argv)
    path = args.db
    if not Path(path).exists():
        from minzu_adapters.sql.province import generate_province

        print(f"generating {path} …", flush=True)
        began = time.perf_counter()
        generate_province(
            path,
            persons=args.persons,
            requests=args.requests,
            disputes=args.disputes,
            seed=args.seed,
        )
        print(f"  generated in {time.perf_counter() - began:.0f} s", flush=True)
    size = os.path.getsize(path) / 2**20
    print(
        f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · Python "
        f"{platform.python_version()} · SQLite {__import__('sqlite3').sqlite_version} · "
        f"{path} {size:,.0f} MiB · period 2019 · scope {SCOPE} by township"
    )
    start, end = PERIOD
    subset = tuple(baselines.INDICATORS)
    store = open_store(f"sqlite:///{path}")
    engine, _, engine_result = best_of(
        "engine (14 indicators)", args.repeat, lambda: engine_figures(store, subset)
    )
    whole, _, _ = best_of(
        "engine (whole catalog)", args.repeat, lambda: engine_figures(store, None)
    )
    store.close()
    table, _, table_result = best_of(
        "sql/table", args.repeat, lambda: baselines.sql_table_baseline(path, start, end)
    )
    measure, _, measure_result = best_of(
        "sql/measure", args.repeat, lambda: baselines.sql_baseline(path, start, end)
    )
    frame, _, frame_result = best_of(
        "pandas", args.repeat, lambda: baselines.pandas_baseline(path, start, end)
    )
    expected = _comparable(table_result)
    agree = all(
        _comparable(result) == expected for result in (engine_result, measure_result, frame_result)
    )
    print("figures: " + ("all four agree" if agree else "DISAGREE"))
    print(f"  engine ÷ sql/table    {engine / table:5.2f}   (target ≤ 1.5)")
    print(f"  engine ÷ sql/measure  {engine / measure:5.2f}")
    print(f"  engine ÷ pandas       {engine / frame:5.2f}   (target < 1)")
    print(f"  whole catalog ÷ sql/table {whole / table:5.2f}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
