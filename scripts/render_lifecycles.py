"""Regenerate the Mermaid diagrams in docs/lifecycles.md from the lifecycle tables.

Run: python scripts/render_lifecycles.py        (tests/test_lifecycle.py fails when they drift)
"""

from __future__ import annotations

import re
from pathlib import Path

from minzu_core.lifecycle import Lifecycle

DOC = Path(__file__).resolve().parent.parent / "docs" / "lifecycles.md"


def lifecycles() -> list[Lifecycle]:
    """Every lifecycle the library defines."""
    from minzu_core.services import SERVICE_LIFECYCLE

    found = [SERVICE_LIFECYCLE]
    try:
        from minzu_core.disputes import DISPUTE_LIFECYCLE
    except ImportError:  # pragma: no cover - disputes not built yet
        pass
    else:
        found.append(DISPUTE_LIFECYCLE)
    return found


def render(text: str) -> str:
    """``text`` with every ``<!-- mermaid:NAME -->`` block replaced by the current diagram."""
    for lifecycle in lifecycles():
        block = f"<!-- mermaid:{lifecycle.name} -->\n```mermaid\n{lifecycle.mermaid()}```\n"
        pattern = re.compile(rf"<!-- mermaid:{lifecycle.name} -->\n```mermaid\n.*?```\n", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _m, b=block: b, text)
        else:
            text += f"\n## {lifecycle.name}\n\n{block}"
    return text


if __name__ == "__main__":
    DOC.write_text(render(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {DOC}")
