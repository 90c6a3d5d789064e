"""Shared fixtures: real database servers for the SQL adapter, and the chart font.

The PostgreSQL and MariaDB/MySQL suites take their server URLs from ``MINZU_TEST_POSTGRES_URL``
and ``MINZU_TEST_MYSQL_URL``. Without them the tests are skipped with a reason, except when
``MINZU_REQUIRE_DATABASES=1`` (set by ``.ci/run``): then a missing URL or an unreachable server
fails the run, because in CI skipping a database suite is a failure, not a pass.

Every test gets its own PostgreSQL schema or MariaDB database (``minzu_t_<random>``), dropped
afterwards, so runs never see each other's rows.

Charts need matplotlib, fontTools (for the glyph check) and an operating-system font that shows
Chinese. The ``chart_support`` fixture skips a test that needs them, with the install hint —
except in CI (``MINZU_CI=1``, set by ``.ci/run``, which installs the font): there a missing piece
fails the test, so CI never passes with a chart test skipped.

Hypothesis runs under one of two profiles (see ``docs/adapters.md``, "The fuzz suite"): ``ci``,
the default, derandomized (a fixed seed: every run tries the same examples) with
:data:`CI_EXAMPLES` examples per test that sets no count of its own; ``deep``
(``HYPOTHESIS_PROFILE=deep``), for nightly or release runs: :data:`DEEP_EXAMPLES` examples,
random, no deadline.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from hypothesis import settings

#: Examples per test under the ``ci`` profile (tests with their own ``max_examples`` keep it):
#: the public fuzz suite's four tests on the five stores take about a minute and a half with it.
CI_EXAMPLES = 100
#: Examples per test under the ``deep`` profile.
DEEP_EXAMPLES = 2000

settings.register_profile("ci", derandomize=True, max_examples=CI_EXAMPLES)
settings.register_profile("deep", max_examples=DEEP_EXAMPLES, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SERVER_ENV = {"postgresql": "MINZU_TEST_POSTGRES_URL", "mysql": "MINZU_TEST_MYSQL_URL"}


def _required() -> bool:
    return os.environ.get("MINZU_REQUIRE_DATABASES") == "1"


def _unavailable(message: str) -> None:
    if _required():
        pytest.fail(f"{message} (MINZU_REQUIRE_DATABASES=1: a skipped database suite fails CI)")
    pytest.skip(message)


def _chart_unavailable(message: str) -> None:
    if os.environ.get("MINZU_CI") == "1":
        pytest.fail(f"{message} — required in CI (MINZU_CI=1)")
    pytest.skip(message)


def require_chart_support() -> None:
    """Skip (fail in CI) unless matplotlib, fontTools and a CJK font are all available."""
    for name, install in (
        ("matplotlib", "pip install matplotlib"),
        ("fontTools", "pip install fonttools"),
    ):
        try:
            __import__(name)
        except ImportError:
            _chart_unavailable(f"optional dependency {name} is not installed ({install})")
    from minzu_core.indicators.charts import MissingFontError, find_cjk_font

    try:
        find_cjk_font()
    except MissingFontError:
        _chart_unavailable("no CJK font found (apt-get install fonts-noto-cjk)")


@pytest.fixture(scope="session")
def chart_support() -> None:
    """A test that draws charts: skipped without the font (with the hint), failed in CI."""
    require_chart_support()


@pytest.fixture(params=["memory://", "sqlite://"])
def sample_store(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A memory and a SQLite store (``minzu_core.store.Store``) with the sample hierarchy of
    :mod:`minzu_core.testing.samples`, closed afterwards."""
    from minzu_core.hierarchy.model import Unit
    from minzu_core.store.factory import open_store
    from minzu_core.testing.samples import ADMIN, SAMPLE_UNITS

    opened = open_store(request.param)
    with opened.unit_of_work(ADMIN) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="建立")
        uow.commit()
    yield opened
    opened.close()


@attrs.frozen
class FreshDatabase:
    """A private, empty place on a real server: open a store there with ``url`` and
    ``options`` (for PostgreSQL ``options["schema"]`` names the schema)."""

    kind: str
    url: str
    options: dict[str, object]
    name: str


def _server_url(kind: str) -> str:
    env = SERVER_ENV[kind]
    url = os.environ.get(env)
    if not url:
        _unavailable(f"{env} is not set: the {kind} suite needs a real server")
    assert url is not None
    return url


_ENGINES: dict[str, object] = {}


def _admin_engine(kind: str) -> object:
    import sqlalchemy as sa

    if kind not in _ENGINES:
        url = _server_url(kind)
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            engine.dispose()
            _unavailable(f"the {kind} server at {engine.url!r} is unreachable: {exc.orig!r}")
        _ENGINES[kind] = engine
    return _ENGINES[kind]


def create_place(kind: str) -> FreshDatabase:
    """A new empty PostgreSQL schema or MariaDB database (skips or fails as described above
    when the server is not configured); drop it with :func:`drop_place`."""
    import sqlalchemy as sa

    engine = _admin_engine(kind)
    assert isinstance(engine, sa.Engine)
    name = f"minzu_t_{uuid.uuid4().hex[:12]}"
    with engine.connect() as conn:
        if kind == "postgresql":
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        else:
            conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    base = engine.url
    if kind == "postgresql":
        return FreshDatabase(kind, base.render_as_string(False), {"schema": name}, name)
    return FreshDatabase(kind, base.set(database=name).render_as_string(False), {}, name)


def drop_place(db: FreshDatabase) -> None:
    """Drop a place made by :func:`create_place`."""
    import sqlalchemy as sa

    engine = _admin_engine(db.kind)
    assert isinstance(engine, sa.Engine)
    with engine.connect() as conn:
        if db.kind == "postgresql":
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{db.name}" CASCADE'))
        else:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{db.name}`"))


@pytest.fixture
def fresh_database() -> Iterator[Callable[[str], FreshDatabase]]:
    """Factory: ``fresh_database("postgresql" | "mysql")`` → a new empty schema/database,
    dropped at the end of the test."""
    made: list[FreshDatabase] = []

    def make(kind: str) -> FreshDatabase:
        db = create_place(kind)
        made.append(db)
        return db

    yield make
    for db in made:
        drop_place(db)


@pytest.fixture(scope="session")
def server_engines() -> dict[str, object]:
    """The admin engines by server kind (each created by the first ``create_place(kind)``)."""
    return _ENGINES


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Dispose of the admin engines."""
    for engine in _ENGINES.values():
        engine.dispose()  # type: ignore[attr-defined]


class ServerCandidate:
    """Mixin for the stateful machines of :mod:`minzu_core.testing.stateful`: the candidate
    store is a fresh PostgreSQL schema or MariaDB database (``BACKEND``), dropped afterwards."""

    BACKEND = "postgresql"
    _place: FreshDatabase | None = None

    def open_candidate(self, clock: Any) -> Any:
        from minzu_core import open_store

        self._place = create_place(self.BACKEND)
        return open_store(self._place.url, clock=clock, **self._place.options)

    def close_candidate(self) -> None:
        if self._place is not None:
            drop_place(self._place)
            self._place = None


def load_benchmark(name: str) -> Any:
    """The module ``benchmarks/<name>.py`` (benchmarks are scripts, not a package), loaded once
    and registered as ``minzu_benchmark_<name>``."""
    import importlib.util
    import sys
    from pathlib import Path

    module_name = f"minzu_benchmark_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
