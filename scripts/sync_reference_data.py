"""Copy the shared reference data into the package (同步参考数据).

Copies ``ethnic-groups.csv`` and ``divisions/*.csv`` from the shared reference directory
(default ``../shared/reference`` relative to the repository root) into
``src/minzu_core/data/`` and writes ``src/minzu_core/data/SOURCES.json`` recording, for each
file, its source path, sha256, byte size and the date it was copied. A file whose content did
not change keeps its earlier copy date, so re-running the script is a no-op.

Usage::

    python scripts/sync_reference_data.py [SOURCE_DIR] [--dest DIR] [--check]

``--check`` writes nothing and exits with status 1 if the package data differs from the source.

A source file is refused (nothing is copied) when any of its names contains ``?`` or U+FFFD
(the replacement character): both are what a lost character turns into when a file passes
through a non-Unicode encoding, as happened to 麦㙦镇 (360824104000) in one copy of the 2019
edition.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "reference"
DEFAULT_DEST = REPO_ROOT / "src" / "minzu_core" / "data"
SOURCES_FILE = "SOURCES.json"


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_to_copy(source: Path) -> list[tuple[Path, str]]:
    """List ``(source file, destination path relative to the data dir)`` pairs, sorted."""
    pairs = [(source / "ethnic-groups.csv", "ethnic-groups.csv")]
    pairs += [(p, f"divisions/{p.name}") for p in sorted((source / "divisions").glob("*.csv"))]
    missing = [str(p) for p, _ in pairs if not p.is_file()]
    if missing or len(pairs) == 1:
        raise SystemExit(f"reference data not found under {source}: {missing or 'divisions/'}")
    return pairs


LOST_CHARACTERS = ("?", "\ufffd")


def damaged_names(path: Path) -> list[str]:
    """Return ``"file:line: code name"`` for each row whose ``name`` holds a lost character."""
    problems: list[str] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            name = row.get("name") or ""
            if any(mark in name for mark in LOST_CHARACTERS):
                problems.append(f"{path.name}:{line}: {row.get('code', '')} {name!r}")
    return problems


def _display_path(path: Path) -> str:
    """The source path relative to the repository root (portable between checkouts)."""
    return Path(os.path.relpath(path.resolve(), REPO_ROOT)).as_posix()


def sync(source: Path, dest: Path, *, check: bool = False) -> int:
    """Copy (or with ``check``, compare) the reference files; return the process exit status."""
    pairs = files_to_copy(source)
    damaged = [problem for src, _ in pairs for problem in damaged_names(src)]
    if damaged:
        print("refused: names with a lost character (? or U+FFFD):", file=sys.stderr)
        for problem in damaged:
            print(f"  {problem}", file=sys.stderr)
        return 2
    manifest_path = dest / SOURCES_FILE
    previous: dict[str, Any] = {}
    if manifest_path.is_file():
        previous = json.loads(manifest_path.read_text(encoding="utf-8")).get("files", {})
    today = datetime.date.today().isoformat()
    entries: dict[str, Any] = {}
    stale: list[str] = []
    for src, rel in pairs:
        digest = sha256_of(src)
        target = dest / rel
        if not target.is_file() or sha256_of(target) != digest:
            stale.append(rel)
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
        old = previous.get(rel, {})
        entries[rel] = {
            "source": _display_path(src),
            "sha256": digest,
            "bytes": src.stat().st_size,
            "copied": old.get("copied", today) if old.get("sha256") == digest else today,
        }
    manifest = {
        "description": "Reference data copied by scripts/sync_reference_data.py; do not edit.",
        "files": entries,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if check:
        current = manifest_path.read_text(encoding="utf-8") if manifest_path.is_file() else ""
        if stale or json.loads(current or "{}").get("files") != entries:
            print(f"package data is out of date: {stale or [SOURCES_FILE]}", file=sys.stderr)
            return 1
        print("package data is up to date")
        return 0
    manifest_path.write_text(text, encoding="utf-8")
    for rel in stale:
        print(f"copied {rel}")
    print(f"wrote {manifest_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    return sync(args.source, args.dest, check=args.check)


if __name__ == "__main__":
    raise SystemExit(main())
