"""Every example under examples/ runs to completion (and some print what they promise)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.py"))

#: Lines some examples must print, by file name.
PRINTS: dict[str, tuple[str, ...]] = {
    "hierarchy_diff.py": (
        "townships of 西湖区: 12 in 2020, 10 in 2023",
        "桃花镇 (360103101) maps to 桃花街道 (360103014)",
    ),
    "indicator_report.py": (
        "服务窗口覆盖率 service window coverage: 100.00",
        "少数民族副科级以上干部数 minority officials at deputy section level or above: 6",
        "minority technicians with intermediate title or above: 3",
        "责任落实率 responsibility coverage: 100.00",
        "schema minzu-core/indicator-results v1",
    ),
}


def test_prints_name_examples() -> None:
    assert set(PRINTS) <= {p.name for p in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    for line in PRINTS.get(path.name, ()):
        assert line in done.stdout
