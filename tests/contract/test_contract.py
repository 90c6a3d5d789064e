"""Runs the shared storage contract suite against every adapter in this repository."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pytest

from minzu_adapters.memory import MemoryBackend, open_memory_store
from minzu_core.store import StoreBackend
from minzu_core.testing import StoreContract

if TYPE_CHECKING:
    from conftest import FreshDatabase


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


class _ServerStore(StoreContract):
    """A fresh database on the server of :attr:`DIALECT` (skipped when none is configured)."""

    DIALECT: ClassVar[str]

    @pytest.fixture
    def store_backend(
        self, fresh_database: Callable[[str], FreshDatabase]
    ) -> Iterator[StoreBackend]:
        from minzu_adapters.sql import open_sql_store

        db = fresh_database(self.DIALECT)
        backend = open_sql_store(db.url, **db.options)  # type: ignore[arg-type]
        yield backend
        backend.close()


class TestPostgresStore(_ServerStore):
    DIALECT = "postgresql"


class TestMariaDbStore(_ServerStore):
    DIALECT = "mysql"
