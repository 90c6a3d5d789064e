"""Runs the shared storage contract suite against every adapter in this repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from minzu_adapters.memory import MemoryBackend, open_memory_store
from minzu_core.ports import StoreBackend
from minzu_core.testing import StoreContract


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store_backend(self) -> Iterator[StoreBackend]:
        backend: MemoryBackend = open_memory_store("memory://")
        yield backend
        backend.close()


class TestSqliteMemoryStore(StoreContract):
    @pytest.fixture
    def store_backend(self) -> Iterator[StoreBackend]:
        from minzu_adapters.sql import open_sql_store

        backend = open_sql_store("sqlite://")
        yield backend
        backend.close()


class TestSqliteFileStore(StoreContract):
    @pytest.fixture
    def store_backend(self, tmp_path: Path) -> Iterator[StoreBackend]:
        from minzu_adapters.sql import open_sql_store

        backend = open_sql_store(f"sqlite:///{tmp_path / 'contract.db'}")
        yield backend
        backend.close()
