"""The example third-party adapter (examples/json_file_adapter.py) passes the contract suite."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from minzu_core.store import StoreBackend
from minzu_core.testing import StoreContract

_PATH = Path(__file__).resolve().parents[2] / "examples" / "json_file_adapter.py"
_spec = importlib.util.spec_from_file_location("json_file_adapter", _PATH)
assert _spec is not None and _spec.loader is not None
json_file_adapter = importlib.util.module_from_spec(_spec)
sys.modules["json_file_adapter"] = json_file_adapter
_spec.loader.exec_module(json_file_adapter)


class TestJsonFileStore(StoreContract):
    @pytest.fixture
    def store_backend(self, tmp_path: Path) -> Iterator[StoreBackend]:
        backend = json_file_adapter.open_json_file_store(f"jsonfile://{tmp_path / 's.json'}")
        yield backend
        backend.close()


def test_reopened_file_has_everything(tmp_path: Path) -> None:
    """What one backend committed, a new backend on the same file sees, history included."""
    from minzu_core import Actor
    from minzu_core.hierarchy import Unit
    from minzu_core.store import Store
    from minzu_core.testing.samples import SAMPLE_UNITS, sample_person

    url = f"jsonfile://{tmp_path / 's.json'}"
    admin = Actor.system("t")
    store = Store(json_file_adapter.open_json_file_store(url))
    person = sample_person()
    with store.unit_of_work(admin) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="r")
        uow.people.add(person, reason="登记")
        uow.commit()
    again = Store(json_file_adapter.open_json_file_store(url))
    with again.unit_of_work(admin) as uow:
        assert uow.people.get(person.id).version == 1
        assert [r.reason for r in uow.people.history(person.id)] == ["登记"]
        assert uow.people.find_by_id_number(person.id_number or "") is not None
        assert len(uow.units.list()) == len(SAMPLE_UNITS)
