"""The 台账 import benchmark (issue 14, deliverable 5): validated rows per second of
:func:`minzu_core.interchange.importer.import_ledger` from CSV on SQLite, against raw
``executemany`` of the same rows into the same tables, and the peak memory at two sizes.

    .venv/bin/python benchmarks/ledger_import.py [--sizes 5000 25000] [--seed 2019]
        [--fault-rate 0.03] [--xlsx] [--xlsx-rows 20000] [--dir /tmp] [--json]

For each size:

* a seeded generator (:func:`write_ledger`) writes an N-row CSV ledger in the shape districts
  keep them: a title and a note row above the header, header synonyms (身份证号, 联系方式),
  民族 as name, name without 族 or code, dates in five spellings, communities by name or code,
  and ``--fault-rate`` of rows with a realistic fault (an ID number Excel turned into
  ``6.53101E+17``, an unknown community, a gender contradicting the ID number, an impossible
  date, the same ID number twice in the file, a missing name);
* in a child process of its own (so that its peak RSS, ``resource.getrusage``, is its own), the
  file is imported into a fresh SQLite file holding the hierarchy (40 communities), timed end to
  end: *import rows/s* = rows read ÷ seconds (every row is parsed and validated; the faulty ones
  are rejected, the rest stored);
* *parse only*: the same file read and every row parsed by the cell rules
  (:func:`~minzu_core.interchange.cells.parse_row`), nothing stored — the ceiling those rules
  put on the import;
* the **baseline** on the same run: the rows the import wrote (every table that grew: persons,
  residences, history, audit …), read back and inserted with the ``sqlite3`` module's
  ``executemany``, one statement per table, into a copy of the database as it was before the
  import, in one transaction — the cost of storing the same pre-validated rows and nothing else.
  *ratio* = import seconds ÷ baseline seconds (issue 14's target: ≤ 3).

``--xlsx`` also writes an ``--xlsx-rows`` ledger as XLSX (openpyxl write-only) and times reading
every cell with openpyxl's read-only mode and, if it is importable, python-calamine (not a
dependency of the project: it is skipped when absent). ``--json`` prints the figures as one JSON
object on stdout (the readable lines go to stderr). Nothing here is part of the test suite (the
smoke test runs it at a tiny size).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib
import importlib.util
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from minzu_core import CST, Actor, FixedClock, open_store
from minzu_core.codes import make_resident_id
from minzu_core.hierarchy import Unit
from minzu_core.interchange.cells import parse_row
from minzu_core.interchange.columns import split_header
from minzu_core.interchange.importer import import_ledger
from minzu_core.testing.samples import SAMPLE_UNITS

ACTOR = Actor.system("benchmark-import")
UNIT = "360103000000"
NOW = dt.datetime(2020, 1, 6, 9, tzinfo=CST)
#: Extra communities under 南浦街道 (the sample hierarchy has four village-level units).
EXTRA_COMMUNITIES = 36
HEADER = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "身份证号",
    "出生日期",
    "联系方式",
    "户籍地址",
    "户籍地区划代码",
    "现居住社区",
    "现居住地址",
    "人员类别",
    "来本地时间",
    "流动原因",
    "从业情况",
    "国家通用语言水平",
    "备注",
]
PREAMBLE = [["西湖区少数民族流动人员台账（基准测试）"], ["填表说明：带*为必填项"]]
ETHNICITIES = ["维吾尔族", "维吾尔", "05", "回族", "哈萨克族", "藏族", "蒙古族", "苗族", "土家族"]
NAMES = ["买买提", "艾力", "古丽", "阿依古丽", "努尔兰", "吐尔逊", "热依拉", "马小明", "扎西"]
ORIGINS = ["653101", "653121", "652801", "640104", "540102", "150102", "433101"]
REASONS = ["务工", "经商", "就学", "随迁"]
LANGUAGES = ["熟练", "基本掌握", "略懂", "不会", ""]
FAULTS = ("id_as_number", "unknown_community", "gender_mismatch", "bad_date", "dup_id", "no_name")
#: Distinct birth days the generator cycles through (with the sequence number: unique IDs).
_DAYS = 14_600


def communities() -> list[tuple[str, str]]:
    """The benchmark hierarchy: the sample units and :data:`EXTRA_COMMUNITIES` more."""
    extra = [(f"360103001{n:03d}", f"南浦第{n}社区") for n in range(3, 3 + EXTRA_COMMUNITIES)]
    return [*SAMPLE_UNITS, *extra]


def _village_units() -> list[tuple[str, str]]:
    return [(c, n) for c, n in communities() if not c.endswith("000")]


def _date_text(day: dt.date, rnd: random.Random) -> str:
    form = rnd.randrange(5)
    if form == 0:
        return day.isoformat()
    if form == 1:
        return f"{day.year}/{day.month}/{day.day}"
    if form == 2:
        return f"{day.year}.{day.month}.{day.day}"
    if form == 3:
        return f"{day.year}年{day.month}月{day.day}日"
    return str((day - dt.date(1899, 12, 30)).days)  # an Excel serial number


def ledger_rows(rows: int, *, seed: int, fault_rate: float) -> Iterator[list[Any]]:
    """The ``rows`` data rows of the seeded ledger (unique ID numbers; ``fault_rate`` of them
    with one fault of :data:`FAULTS`, drawn in turn)."""
    rnd = random.Random(seed)
    units = _village_units()
    base = dt.date(1960, 1, 1)
    previous_id = ""
    for i in range(rows):
        birth = base + dt.timedelta(days=(i * 7919) % _DAYS)
        sequence = i // _DAYS
        male = rnd.random() < 0.5
        sequence = sequence * 2 + (1 if male else 0)
        origin = ORIGINS[i % len(ORIGINS)]
        number = make_resident_id(origin, birth, sequence % 1000)
        code, name = units[rnd.randrange(len(units))]
        community = code if rnd.random() < 0.5 else name
        arrival = dt.date(2015, 1, 1) + dt.timedelta(days=rnd.randrange(1800))
        floating = rnd.random() < 0.7
        row: list[Any] = [
            i + 1,
            NAMES[rnd.randrange(len(NAMES))],
            "男" if male else "女",
            ETHNICITIES[rnd.randrange(len(ETHNICITIES))],
            number if rnd.random() < 0.95 else number.lower(),
            "",
            f"138{rnd.randrange(10**8):08d}" if rnd.random() < 0.8 else "",
            "户籍地某街道",
            origin,
            community,
            f"某路{rnd.randrange(1, 500)}号",
            "流动" if floating else "常住",
            _date_text(arrival, rnd),
            REASONS[rnd.randrange(len(REASONS))] if floating else "",
            "务工" if rnd.random() < 0.5 else "",
            LANGUAGES[rnd.randrange(len(LANGUAGES))],
            "",
        ]
        if rnd.random() < fault_rate:
            fault = FAULTS[i % len(FAULTS)]
            if fault == "id_as_number":
                row[4] = f"{int(number[:17]) / 10**17 * 10:.5f}E+17"
            elif fault == "unknown_community":
                row[9] = "火星社区"
            elif fault == "gender_mismatch":
                row[2] = "女" if male else "男"
            elif fault == "bad_date":
                row[12] = "2019-02-30"
            elif fault == "dup_id" and previous_id:
                row[4] = previous_id
            elif fault == "no_name":
                row[1] = ""
        previous_id = number
        yield row


def write_ledger(path: Path, rows: int, *, seed: int, fault_rate: float) -> Path:
    """Write the seeded ``rows``-row CSV ledger (UTF-8 with BOM) to ``path``."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows(PREAMBLE)
        writer.writerow(HEADER)
        writer.writerows(ledger_rows(rows, seed=seed, fault_rate=fault_rate))
    return path


def write_ledger_xlsx(path: Path, rows: int, *, seed: int, fault_rate: float) -> Path:
    """Write the same ledger as XLSX (openpyxl's write-only mode)."""
    from minzu_core.interchange.template import load_openpyxl

    openpyxl = load_openpyxl()[0]
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    for line in PREAMBLE:
        sheet.append(line)
    sheet.append(HEADER)
    for row in ledger_rows(rows, seed=seed, fault_rate=fault_rate):
        sheet.append(row)
    workbook.save(path)
    return path


def seeded_database(path: Path) -> Path:
    """A SQLite file holding the benchmark hierarchy and nothing else."""
    path.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{path}", clock=FixedClock(NOW, tick=dt.timedelta(0)))
    try:
        with store.unit_of_work(ACTOR) as uow:
            uow.units.add_many([Unit.create(c, n) for c, n in communities()], reason="建立")
            uow.commit()
    finally:
        store.close()
    return path


# -- one size, in a child process ----------------------------------------------------------------


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def import_once(ledger: Path, database: Path) -> dict[str, Any]:
    """Import ``ledger`` into ``database`` (timed) and return the summary, the seconds and this
    process's peak RSS."""
    store = open_store(f"sqlite:///{database}", clock=FixedClock(NOW, tick=dt.timedelta(0)))
    try:
        began = time.perf_counter()
        summary = import_ledger(store, ledger, actor=ACTOR, unit=UNIT, reason="基准测试导入")
        seconds = time.perf_counter() - began
    finally:
        store.close()
    return {
        "summary": summary.to_dict(),
        "seconds": seconds,
        "peak_rss_mib": round(_peak_rss_mib(), 1),
    }


def parse_only(ledger: Path) -> tuple[int, float]:
    """Read and parse every row of ``ledger`` (the header found, every cell parsed and checked
    by :func:`~minzu_core.interchange.cells.parse_row`), storing nothing: rows and seconds —
    the ceiling the cell rules put on the import, whatever the store does."""
    today = NOW.date()
    began = time.perf_counter()
    count = 0
    with ledger.open(encoding="utf-8-sig", newline="") as handle:
        header, data = split_header(csv.reader(handle))
        for number, cells in enumerate(data, start=header.data_start):
            parse_row(header.values(cells), row=number, today=today)
            count += 1
    return count, time.perf_counter() - began


def _child(ledger: Path, database: Path) -> dict[str, Any]:
    """:func:`import_once` in a fresh interpreter (its peak RSS is this import's alone)."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(ledger), str(database)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _tables(conn: sqlite3.Connection) -> list[str]:
    found = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY rowid"
    ).fetchall()
    return [name for (name,) in found]


def written_rows(before: Path, after: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every row ``after`` holds that ``before`` does not, by table (columns and rows)."""
    conn = sqlite3.connect(after)
    try:
        conn.execute("ATTACH DATABASE ? AS before", (str(before),))
        out: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for table in _tables(conn):
            columns = [r[1] for r in conn.execute(f'PRAGMA main.table_info("{table}")')]
            new = conn.execute(
                f'SELECT * FROM main."{table}" EXCEPT SELECT * FROM before."{table}"'
            ).fetchall()
            if new:
                out[table] = (columns, new)
        return out
    finally:
        conn.close()


def raw_executemany(
    database: Path, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]
) -> float:
    """Insert ``rows`` into ``database`` with ``executemany``, one statement per table and one
    transaction; the seconds. ``INSERT OR REPLACE``: a one-row table the import updates (the
    audit chain's head) is replaced, every other row is new."""
    conn = sqlite3.connect(database, isolation_level=None)
    try:
        began = time.perf_counter()
        conn.execute("BEGIN")
        for table, (columns, values) in rows.items():
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            conn.executemany(f'INSERT OR REPLACE INTO "{table}" ({names}) VALUES ({marks})', values)
        conn.execute("COMMIT")
        return time.perf_counter() - began
    finally:
        conn.close()


def measure(
    rows: int,
    *,
    seed: int,
    fault_rate: float,
    directory: Path,
    in_child: bool = True,
    say: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """The figures of one size: the import's rate, the baseline's, their ratio, the peak RSS."""
    ledger = write_ledger(
        directory / f"ledger-{rows}-{seed}.csv", rows, seed=seed, fault_rate=fault_rate
    )
    base = seeded_database(directory / f"ledger-import-{rows}-base.db")
    target = directory / f"ledger-import-{rows}-import.db"
    baseline_db = directory / f"ledger-import-{rows}-baseline.db"
    shutil.copyfile(base, target)
    shutil.copyfile(base, baseline_db)
    say(f"{rows:,} rows: importing {ledger.name} ({ledger.stat().st_size / 1e6:.1f} MB) …")
    result = _child(ledger, target) if in_child else import_once(ledger, target)
    parsed, parse_seconds = parse_only(ledger)
    written = written_rows(base, target)
    baseline = raw_executemany(baseline_db, written)
    summary = result["summary"]
    stored = int(summary["created"]) + int(summary["updated"])
    seconds = float(result["seconds"])
    for path in (base, target, baseline_db, ledger):
        path.unlink(missing_ok=True)
    figures = {
        "rows": rows,
        "summary": summary,
        "import_seconds": round(seconds, 3),
        "import_rows_per_s": round(int(summary["read"]) / seconds),
        "stored_rows_per_s": round(stored / seconds),
        "parse_only_rows_per_s": round(parsed / parse_seconds),
        "baseline_seconds": round(baseline, 3),
        "baseline_rows_per_s": round(stored / baseline) if baseline > 0 else None,
        "ratio": round(seconds / baseline, 1) if baseline > 0 else None,
        "tables_written": {t: len(v[1]) for t, v in written.items()},
        "peak_rss_mib": result["peak_rss_mib"],
    }
    say(
        f"  import {figures['import_rows_per_s']:,} rows/s ({seconds:.1f} s) · baseline "
        f"executemany {figures['baseline_rows_per_s']:,} rows/s ({baseline:.2f} s) · "
        f"ratio {figures['ratio']} · parsing alone {figures['parse_only_rows_per_s']:,} "
        f"rows/s · peak RSS {figures['peak_rss_mib']} MiB"
    )
    return figures


# -- XLSX reading ------------------------------------------------------------------------------


def _read_openpyxl(path: Path) -> int:
    from minzu_core.interchange.template import load_openpyxl

    workbook = load_openpyxl()[0].load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def _read_calamine(path: Path) -> int:
    calamine: Any = importlib.import_module("python_calamine")  # optional, untyped
    workbook = calamine.CalamineWorkbook.from_path(str(path))
    sheet = workbook.get_sheet_by_index(0)
    return sum(1 for _ in sheet.iter_rows())


def measure_xlsx(
    rows: int, *, seed: int, fault_rate: float, directory: Path, say: Callable[[str], None]
) -> dict[str, Any]:
    """Rows per second reading the XLSX ledger with each reader available."""
    path = write_ledger_xlsx(
        directory / f"ledger-{rows}-{seed}.xlsx", rows, seed=seed, fault_rate=fault_rate
    )
    readers: dict[str, Callable[[Path], int]] = {"openpyxl_read_only": _read_openpyxl}
    if importlib.util.find_spec("python_calamine") is None:
        say("  python-calamine is not installed: openpyxl only")
    else:
        readers["python_calamine"] = _read_calamine
    out: dict[str, Any] = {"rows": rows, "bytes": path.stat().st_size}
    for name, read in readers.items():
        began = time.perf_counter()
        count = read(path)
        seconds = time.perf_counter() - began
        out[name] = {"seconds": round(seconds, 3), "rows_per_s": round(count / seconds)}
        say(f"  XLSX {name}: {count / seconds:,.0f} rows/s ({seconds:.2f} s for {count:,} rows)")
    if "python_calamine" not in readers:
        out["python_calamine"] = None
    path.unlink(missing_ok=True)
    return out


def machine() -> str:
    """The machine and database the figures come from."""
    return (
        f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · SQLite {sqlite3.sqlite_version}"
    )


def run(
    sizes: list[int],
    *,
    seed: int = 2019,
    fault_rate: float = 0.03,
    xlsx_rows: int | None = None,
    directory: Path | None = None,
    in_child: bool = True,
    say: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every figure of the benchmark as one JSON-ready mapping."""
    with tempfile.TemporaryDirectory(dir=directory, prefix="minzu-ledger-import-") as tmp:
        where = Path(tmp)
        results = [
            measure(
                n, seed=seed, fault_rate=fault_rate, directory=where, in_child=in_child, say=say
            )
            for n in sizes
        ]
        out: dict[str, Any] = {"machine": machine(), "seed": seed, "fault_rate": fault_rate}
        out["sizes"] = results
        if len(results) >= 2:
            small, large = results[0], results[-1]
            out["rss_ratio"] = round(large["peak_rss_mib"] / small["peak_rss_mib"], 2)
        if xlsx_rows:
            out["xlsx"] = measure_xlsx(
                xlsx_rows, seed=seed, fault_rate=fault_rate, directory=where, say=say
            )
    return out


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 25_000])
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--fault-rate", type=float, default=0.03)
    parser.add_argument("--xlsx", action="store_true")
    parser.add_argument("--xlsx-rows", type=int, default=20_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("LEDGER", "DATABASE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(import_once(Path(args.child[0]), Path(args.child[1]))))
        return 0
    stream = sys.stderr if args.json else sys.stdout

    def say(line: str) -> None:
        print(line, file=stream, flush=True)

    say(machine())
    figures = run(
        args.sizes,
        seed=args.seed,
        fault_rate=args.fault_rate,
        xlsx_rows=args.xlsx_rows if args.xlsx else None,
        directory=args.dir,
        say=say,
    )
    if "rss_ratio" in figures:
        say(
            f"peak RSS {figures['sizes'][-1]['rows']:,} ÷ {figures['sizes'][0]['rows']:,}: "
            f"{figures['rss_ratio']}"
        )
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
