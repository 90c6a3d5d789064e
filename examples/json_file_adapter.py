"""A tiny third-party storage adapter: the memory store, saved to a JSON file on every commit.

It shows everything an adapter needs (see docs/adapters.md):

1. a backend implementing ``minzu_core.store.StoreBackend`` (``url``, ``begin``, ``close``) and a
   session implementing ``StoreSession`` — here by wrapping the in-memory adapter;
2. the library's one cattrs converter (``minzu_core.serialization``) to turn aggregates into JSON
   — here through the memory store's ``dump``/``load``, which use it for every record kind;
3. a factory ``(url, **options) -> backend`` to register under the ``minzu_core.stores``
   entry-point group (``jsonfile = "json_file_adapter:open_json_file_store"``);
4. a test module that subclasses ``minzu_core.testing.StoreContract``
   (``tests/contract/test_example_adapter.py`` runs the whole contract suite against this file).

Run: python examples/json_file_adapter.py
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from minzu_adapters.memory import MemoryBackend, MemorySession, reject_options
from minzu_core import Actor
from minzu_core.demo import run_demo
from minzu_core.store import Store


class JsonFileSession(MemorySession):
    """A memory session whose commit also writes the whole store to the backend's file."""

    def __init__(self, backend: JsonFileBackend) -> None:
        super().__init__(backend)
        self._file_backend = backend

    def commit(self) -> None:
        """Commit in memory (checks versions and uniqueness), then save the file atomically."""
        with self._file_backend.lock:
            super().commit()
            self._file_backend.save()


class JsonFileBackend(MemoryBackend):
    """The memory store, loaded from and saved to one JSON file."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"jsonfile://{path}")
        self.path = path
        if path.exists():
            self.load(json.loads(path.read_text(encoding="utf-8")))

    def begin(self) -> JsonFileSession:
        """Start a session."""
        return JsonFileSession(self)

    def save(self) -> None:
        """Write the committed state to the file (a temporary file, then an atomic rename)."""
        data = self.dump()
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
        os.replace(tmp, self.path)


def open_json_file_store(url: str, **options: Any) -> JsonFileBackend:
    """The entry-point factory for ``jsonfile:///path/to/store.json``."""
    reject_options(options, "该存储", "jsonfile store")
    return JsonFileBackend(Path(url.partition("://")[2]))


def main() -> None:
    """Build the demo district in a JSON file, reopen the file, and read everything back."""
    path = Path(tempfile.mkdtemp()) / "ledger.json"
    store = Store(open_json_file_store(f"jsonfile://{path}"))
    built = run_demo(store, persons=50)
    reopened = Store(open_json_file_store(f"jsonfile://{path}"))
    again = run_demo(reopened, persons=50)  # idempotent: it finds everything in the file
    assert again.units_added == again.persons_added == 0
    assert (again.persons_present, again.rows) == (built.persons_added, built.rows)
    admin = Actor.system("example")
    with store.unit_of_work(admin) as written, reopened.unit_of_work(admin) as read:
        people = read.people.list()
        print(f"{path.name}: {path.stat().st_size} bytes; reloaded {len(people)} persons")
        assert people == written.people.list()


if __name__ == "__main__":
    main()
