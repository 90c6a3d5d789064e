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
from datetime import date
from pathlib import Path
from typing import Any

from minzu_adapters.memory import MemoryBackend, MemorySession, reject_options
from minzu_core import Actor
from minzu_core.hierarchy import Unit
from minzu_core.ledger import Person, Residence
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
    """Store a person, reopen the file, and read the person back."""
    path = Path(tempfile.mkdtemp()) / "ledger.json"
    admin = Actor.system("example")
    store = Store(open_json_file_store(f"jsonfile://{path}"))
    with store.unit_of_work(admin) as uow:
        uow.units.add_many(
            [
                Unit.create(c, n)
                for c, n in [
                    ("360000", "江西省"),
                    ("360100", "南昌市"),
                    ("360103", "西湖区"),
                    ("360103009", "丁公路街道"),
                    ("360103009001", "示例社区"),
                ]
            ],
            reason="建立区划",
        )
        person = uow.people.add(
            Person(
                name="马丽",
                ethnicity="03",
                residences=[
                    Residence(unit_code="360103009001", status="常住", arrival=date(2015, 1, 1))
                ],
            ),
            reason="登记",
        )
        uow.commit()
    reopened = Store(open_json_file_store(f"jsonfile://{path}"))
    with reopened.unit_of_work(admin) as uow:
        again = uow.people.get(person.id)
        print(f"{path.name}: {path.stat().st_size} bytes; reloaded {again!r}")
        assert again == person


if __name__ == "__main__":
    main()
