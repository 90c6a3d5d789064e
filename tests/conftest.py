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


# -- the PII scan (issue 13): no raw ID number, phone or full name in logs, errors, reprs -----
#: Tests marked ``pii_allowed`` (they put raw data in a message on purpose): their occurrences
#: are counted apart and do not fail them. ``MINZU_PII_SCAN=0`` turns the scan off (to time the
#: suite without it).
PII_ALLOWED_MARKER = "pii_allowed"


def _pii_scanner() -> Any:
    from minzu_core.testing.pii import PiiScanner

    return PiiScanner()


_PII: dict[str, Any] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``pii_allowed`` marker and install the PII scanner for the session (its
    learning hooks see the test data of module-level constants and of every fixture)."""
    config.addinivalue_line(
        "markers",
        f"{PII_ALLOWED_MARKER}: the test puts raw personal data in a message on purpose "
        "(the PII scan counts it apart and does not fail the test)",
    )
    if os.environ.get("MINZU_PII_SCAN") == "0":  # for timing the suite without the scan
        return
    from minzu_core.testing.pii import ScanResult

    scanner = _pii_scanner()
    scanner.install()
    _PII.update(scanner=scanner, total=ScanResult(), allowed=ScanResult(), allowed_tests=[])


def pytest_unconfigure(config: pytest.Config) -> None:
    """Uninstall the PII scanner."""
    scanner = _PII.get("scanner")
    if scanner is not None:
        scanner.uninstall()


@pytest.fixture(autouse=True)
def pii_scan(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Scan every test (and its function-scoped fixtures) for raw personal data: every log
    record of the root and SQLAlchemy loggers at DEBUG, every library error message and the
    reprs of the records built; a finding fails the test (unless marked ``pii_allowed``)."""
    scanner = _PII.get("scanner")
    if scanner is None:  # MINZU_PII_SCAN=0
        yield None
        return
    with scanner.window() as result:
        yield result
    allowed = request.node.get_closest_marker(PII_ALLOWED_MARKER) is not None
    if allowed:
        _PII["allowed"].add(result)
        _PII["allowed_tests"].append(request.node.nodeid)
        return
    _PII["total"].add(result)
    if result.occurrences:
        pytest.fail(f"PII scan: {result.describe()}", pytrace=False)


def _shield_handlers() -> None:
    scanner = _PII.get("scanner")
    if scanner is not None:
        scanner.shield_handlers()


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Shield pytest's log capture handlers of the call phase from the scan's DEBUG records
    (they get what they would get without the scan; the scan is ~free for them)."""
    _shield_handlers()
    return (yield)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """As :func:`pytest_runtest_call`, for the teardown phase."""
    _shield_handlers()
    return (yield)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the PII scan figures; write them as JSON to ``$MINZU_PII_REPORT`` if set."""
    total = _PII.get("total")
    if total is None:
        return
    allowed = _PII["allowed"]
    line = (
        f"PII scan: {total.log_records} log records, {total.exception_messages} exception "
        f"messages, {total.reprs} reprs scanned; {total.occurrences} occurrences"
    )
    if _PII["allowed_tests"]:
        line += (
            f" (and {allowed.occurrences} in {len(_PII['allowed_tests'])} tests marked "
            f"{PII_ALLOWED_MARKER}, not counted)"
        )
    terminalreporter.write_line(line)
    for finding in total.findings:
        terminalreporter.write_line(f"  - {finding}")
    path = os.environ.get("MINZU_PII_REPORT")
    if path:
        import json

        figures = {
            "log_records": total.log_records,
            "exception_messages": total.exception_messages,
            "reprs": total.reprs,
            "occurrences": total.occurrences,
            "findings": [str(f) for f in total.findings],
            "allowed_tests": list(_PII["allowed_tests"]),
            "allowed_occurrences": allowed.occurrences,
        }
        with open(path, "w", encoding="utf-8") as out:
            json.dump(figures, out, ensure_ascii=False, indent=2)
