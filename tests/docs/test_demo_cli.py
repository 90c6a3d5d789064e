"""The demo and the ``minzu`` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from minzu_core import open_store
from minzu_core.cli.app import app
from minzu_core.demo import DEMO_AS_OF, run_demo

runner = CliRunner()


def test_demo_builds_xihu_and_is_idempotent() -> None:
    store = open_store("memory://")
    first = run_demo(store, seed=7, persons=400)
    assert len(first.rows) == 12  # the seed's 12 街道(镇)
    assert [r.name for r in first.rows][-1] == "桃花镇"
    assert first.persons_added == 400 and first.persons_present == 0
    assert first.units_added > 3 + 12
    assert first.total_residents > 0 and first.total_floating > 0
    second = run_demo(store, seed=7, persons=400)
    assert second.units_added == 0 and second.persons_added == 0
    assert second.persons_present == 400
    assert second.rows == first.rows


def test_demo_counts_match_the_ledger() -> None:
    """The per-township counts equal a plain recount over every stored person."""
    from minzu_core import Actor
    from minzu_core.ledger import ResidenceStatus

    store = open_store("memory://")
    result = run_demo(store, seed=3, persons=300)
    with store.unit_of_work(Actor.system()) as uow:
        people = uow.people.list()
    for row in result.rows:
        expected = {status: 0 for status in ResidenceStatus}
        for p in people:
            r = p.residence_on(DEMO_AS_OF)
            if p.is_minority and r is not None and r.unit_code.value.startswith(row.code):
                expected[r.status] += 1
        assert row.minority_residents == expected[ResidenceStatus.RESIDENT]
        assert row.minority_floating == expected[ResidenceStatus.FLOATING]


def test_cli_demo_on_sqlite_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = runner.invoke(app, ["demo", "--store", url, "--persons", "200", "--seed", "5"])
    assert first.exit_code == 0, first.output
    assert "合计 total" in first.output and "桃花镇" in first.output
    assert "persons added 200" in first.output
    second = runner.invoke(app, ["demo", "--store", url, "--persons", "200", "--seed", "5"])
    assert second.exit_code == 0, second.output
    assert "persons added 0, already present 200" in second.output
    table = lambda out: out[: out.index("units added")].rstrip()  # noqa: E731
    assert table(first.output) == table(second.output)


def test_cli_help_and_stores() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "demo" in result.output
    result = runner.invoke(app, ["stores"])
    assert "memory" in result.output and "sqlite" in result.output


def test_cli_error_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--store", "oracle://x"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "unknown_store" in result.output


@pytest.mark.parametrize("source", ["jiangxi-2019"])
def test_cli_units_load(tmp_path: Path, source: str) -> None:
    url = f"sqlite:///{tmp_path / 'units.db'}"
    result = runner.invoke(app, ["units", "load", source, "--store", url])
    assert result.exit_code == 0, result.output
    assert "1895 units added" in result.output
    again = runner.invoke(app, ["units", "load", source, "--store", url])
    assert "0 units added, 1895 already present" in again.output


def test_cli_demo_prints_the_seed_figures(tmp_path: Path) -> None:
    """The report by township shows what the seed reports (issue 7): windows in all 12
    townships, 6 minority officials ≥ 副科级, 3 minority technicians ≥ 中级, more than 10
    safety-education activities, and a complete responsibility network."""
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    result = runner.invoke(app, ["demo", "--store", url])
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}

    def figures(label: str) -> list[str]:
        line = next(text for key, text in lines.items() if key.startswith(label))
        return [cell.strip() for cell in line.split("│")[2:-1]]

    assert figures("服务窗口覆盖率") == ["100.00", "12", "12"]
    assert figures("少数民族副科级以上干部数") == ["6", "6", ""]
    assert figures("中级以上职称少数民族专业技术") == ["3", "3", ""]
    assert int(figures("安全宣传教育活动次数")[0]) > 10
    assert figures("责任落实率") == ["100.00", "63", "63"]
    assert "桃花镇" in result.output and "合计 total" in result.output
