"""The 台账 import benchmark (benchmarks/ledger_import.py) runs at a tiny size: its generator is
seeded and faulty in the proportion asked, its figures add up, and the baseline inserts exactly
the rows the import wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import load_benchmark

bench = load_benchmark("ledger_import")


def test_generator_is_seeded_and_faulty_as_asked() -> None:
    first = list(bench.ledger_rows(600, seed=7, fault_rate=0.05))
    assert first == list(bench.ledger_rows(600, seed=7, fault_rate=0.05))
    assert first != list(bench.ledger_rows(600, seed=8, fault_rate=0.05))
    clean = list(bench.ledger_rows(600, seed=7, fault_rate=0.0))
    numbers = [row[4].upper() for row in clean]
    assert len(set(numbers)) == len(numbers)  # unique ID numbers without faults
    faulty = sum(a != b for a, b in zip(first, clean, strict=True))
    assert 10 <= faulty <= 50  # about 5 % of 600


def test_tiny_run_accounts_for_every_row(tmp_path: Path) -> None:
    figures = bench.run([300, 600], seed=11, fault_rate=0.05, xlsx_rows=50, directory=tmp_path)
    json.dumps(figures)  # JSON-ready
    assert [size["rows"] for size in figures["sizes"]] == [300, 600]
    for size in figures["sizes"]:
        summary = size["summary"]
        assert summary["read"] == size["rows"]
        outcomes = ("created", "updated", "unchanged", "rejected", "held")
        assert sum(summary[k] for k in outcomes) == summary["read"]
        assert 0 < summary["rejected"] < size["rows"] * 0.15  # the faults, and only they
        # the baseline stored the same rows: one person and one residence per created row
        written = size["tables_written"]
        assert written["minzu_persons"] == summary["created"]
        assert written["minzu_residences"] == summary["created"]
        assert size["import_rows_per_s"] > 0 and size["baseline_rows_per_s"] > 0
        assert size["ratio"] == pytest.approx(size["import_seconds"] / size["baseline_seconds"],
                                              rel=0.1, abs=0.2)  # fmt: skip
        assert size["peak_rss_mib"] > 10
    assert figures["rss_ratio"] > 0
    xlsx = figures["xlsx"]
    assert xlsx["openpyxl_read_only"]["rows_per_s"] > 0
    assert list(tmp_path.iterdir()) == []  # its files are removed


def test_command_line_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--sizes", "120", "--dir", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sizes"][0]["summary"]["read"] == 120
