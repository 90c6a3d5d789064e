"""Every example under examples/ runs to completion."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_hierarchy_diff_output() -> None:
    path = next(p for p in EXAMPLES if p.name == "hierarchy_diff.py")
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, check=True
    ).stdout
    assert "townships of 西湖区: 12 in 2020, 10 in 2023" in out
    assert "桃花镇 (360103101) maps to 桃花街道 (360103014)" in out


def test_indicator_report_shows_the_seed_figures() -> None:
    path = next(p for p in EXAMPLES if p.name == "indicator_report.py")
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, check=True
    ).stdout
    assert "服务窗口覆盖率 service window coverage: 100.00" in out
    assert "少数民族副科级以上干部数 minority officials at deputy section level or above: 6" in out
    assert "minority technicians with intermediate title or above: 3" in out
    assert "责任落实率 responsibility coverage: 100.00" in out
    assert "schema minzu-core/indicator-results v1" in out
