"""The dependency rule of docs/architecture.md, checked on the source tree.

* No import cycle between modules of ``minzu_core`` or of ``minzu_adapters``, counting imports
  inside functions and under ``TYPE_CHECKING`` (a cycle there is still a design-level cycle).
* Dependencies run one way: the kernel (errors, clock, labels, codes, privacy, history,
  lifecycle, …) imports no context; a context imports no ``indicators``, ``store``, ``demo``,
  ``cli`` or ``testing``; ``indicators`` imports no ``store``/``demo``/``cli``; ``store`` imports
  no ``demo``/``cli``/``testing``.
* The domain imports neither SQLAlchemy nor an adapter.
* Every package imports on its own in a fresh interpreter (no hidden order dependence between
  package ``__init__`` modules).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "minzu_core": ROOT / "src" / "minzu_core",
    "minzu_adapters": ROOT / "adapters" / "minzu_adapters",
}

KERNEL = {
    "errors",
    "clock",
    "labels",
    "serialization",
    "history",
    "checks",
    "lifecycle",
    "repository",
    "fields",
    "codes",
    "privacy",
    "data",
}
CONTEXTS = {"hierarchy", "ledger", "organisation", "activities", "services", "disputes"}
#: For each top-level part of minzu_core, the parts it must never import.
FORBIDDEN = {
    **{k: CONTEXTS | {"indicators", "store", "demo", "cli", "testing"} for k in KERNEL},
    **{c: {"indicators", "store", "demo", "cli", "testing"} for c in CONTEXTS},
    "indicators": {"store", "demo", "cli", "testing"},
    "store": {"demo", "cli", "testing"},
}


def _module_name(package: str, path: Path) -> str:
    rel = path.relative_to(PACKAGES[package]).with_suffix("")
    parts = [package, *rel.parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(package: str) -> dict[str, Path]:
    return {
        _module_name(package, p): p
        for p in PACKAGES[package].rglob("*.py")
        if "migrations" not in p.parts
    }


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module of ``known`` that ``name`` imports, anywhere in the file."""
    found: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for target in targets:
            parts = target.split(".")
            for i in range(len(parts), 0, -1):
                candidate = ".".join(parts[:i])
                if candidate in known:
                    if candidate != name:
                        found.add(candidate)
                    # importing a.b.c runs the __init__ of a.b first: an edge to that package,
                    # unless it is one of this module's own packages (already being imported)
                    found.update(
                        pkg
                        for pkg in (".".join(parts[:j]) for j in range(1, i))
                        if pkg in known and not (name == pkg or name.startswith(pkg + "."))
                    )
                    break
    return found


def _graph(package: str) -> dict[str, set[str]]:
    modules = _modules(package)
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _leaf_edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without the package edges from a package ``__init__`` to its own modules
    (re-exports) — those are how a package shows its names, not a dependency of the design."""
    return {v: {w for w in ws if not w.startswith(v + ".")} for v, ws in graph.items()}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_import_cycle(package: str) -> None:
    graph = _graph(package)
    assert _cycles(graph) == []


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_dependencies_run_one_way() -> None:
    graph = _leaf_edges(_graph("minzu_core"))
    wrong = sorted(
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if _part(target) in FORBIDDEN.get(_part(module) or "", set())
    )
    assert wrong == []


def test_the_domain_imports_no_storage_library_or_adapter() -> None:
    offending = []
    for name, path in _modules("minzu_core").items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offending += [
                (name, n)
                for n in names
                if n.split(".")[0]
                in {"sqlalchemy", "alembic", "minzu_adapters", "psycopg", "pymysql"}
            ]
    assert offending == []


@pytest.mark.parametrize(
    "package",
    sorted(
        name
        for name in {**_modules("minzu_core"), **_modules("minzu_adapters")}
        if (PACKAGES[name.split(".")[0]] / Path(*name.split(".")[1:]) / "__init__.py").is_file()
    ),
)
def test_every_package_imports_on_its_own(package: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {package}"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
