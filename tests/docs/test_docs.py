"""Every ```python block in README.md and docs/*.md runs (blocks of one file share a namespace)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_snippets_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = BLOCK.findall(page.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, block in enumerate(blocks, start=1):
        code = compile(block, f"{page.name}[block {number}]", "exec")
        exec(code, namespace)


def test_every_docs_page_has_snippets() -> None:
    for page in PAGES:
        if page.name != "index.md":
            assert BLOCK.search(page.read_text(encoding="utf-8")), page.name
