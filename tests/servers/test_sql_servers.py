"""The SQL store on real servers: URLs, isolation, concurrency, atomicity under faults, error
translation and index use — on SQLite (a file), PostgreSQL and MariaDB/MySQL.

Concurrency is proven with real connections: threads meet at a ``threading.Barrier`` after
loading and again right before their versioned ``UPDATE`` (a ``before_cursor_execute`` hook), so
both have passed every check in Python and really race inside the database.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
import sqlalchemy as sa

from minzu_adapters.sql import SqlBackend, open_sql_store, translate_errors
from minzu_core import errors, open_store
from minzu_core.codes.resident_id import make_resident_id
from minzu_core.hierarchy import Unit
from minzu_core.ledger import Person, PersonQuery
from minzu_core.privacy import Actor
from minzu_core.store import Store
from minzu_core.testing.samples import COMMUNITY_A, SAMPLE_UNITS, sample_person

if TYPE_CHECKING:
    from conftest import FreshDatabase

ADMIN = Actor.system("server-tests")
KINDS = ["sqlite", "postgresql", "mysql"]
SERVERS = ["postgresql", "mysql"]
RACE_ROUNDS = 50
#: A made-up resident ID number: it must never appear in an error message.
FAKE_ID_NUMBER = make_resident_id("653101", date(1987, 6, 5), 321)
WAIT = 15.0  # seconds a barrier waits before the test fails instead of hanging


@attrs.frozen
class Target:
    """Where a test opens its store: a SQLite file or a fresh schema/database on a server."""

    kind: str
    url: str
    options: dict[str, Any]

    def open(self, **extra: Any) -> SqlBackend:
        return open_sql_store(self.url, **{**self.options, **extra})


@pytest.fixture
def target(
    request: pytest.FixtureRequest,
    fresh_database: Callable[[str], FreshDatabase],
    tmp_path: Path,
) -> Target:
    kind: str = request.param
    if kind == "sqlite":
        return Target("sqlite", f"sqlite:///{tmp_path / 'store.db'}", {})
    db = fresh_database(kind)
    return Target(kind, db.url, dict(db.options))


@pytest.fixture
def backend(target: Target) -> Iterator[SqlBackend]:
    store = target.open()
    yield store
    store.close()


@pytest.fixture
def store(backend: SqlBackend) -> Store:
    """A store with the sample hierarchy loaded."""
    store = Store(backend)
    with store.unit_of_work(ADMIN) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="测试数据")
        uow.commit()
    return store


def _admin(server_engines: dict[str, object], kind: str) -> sa.Engine:
    engine = server_engines[kind]  # created by fresh_database(kind)
    assert isinstance(engine, sa.Engine)
    return engine


def t_audit(backend: SqlBackend) -> str:
    """The name of the audit entries table."""
    return backend.tables.audit_entries.name


def _dump(backend: SqlBackend) -> dict[str, list[str]]:
    """The full contents of every table of the store's schema (sorted rows)."""
    with backend.engine.connect() as conn:
        names = sorted(sa.inspect(conn).get_table_names(schema=backend.schema))
        assert backend.tables.persons.name in names
        return {
            name: sorted(
                repr(tuple(row))
                for row in conn.execute(
                    sa.select(sa.text("*")).select_from(sa.table(name, schema=backend.schema))
                )
            )
            for name in names
        }


def _wait(barrier: threading.Barrier) -> None:
    barrier.wait(timeout=WAIT)


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a racing thread hangs"


# -- 1. URLs -----------------------------------------------------------------------------------
def _urls(driver: str, dialect: str, *schemes: str) -> list[tuple[str, str, str]]:
    """``(url, driver, dialect)`` for a URL of each scheme (nothing listens on port 1)."""
    return [(f"{scheme}://u:pw@127.0.0.1:1/db", driver, dialect) for scheme in schemes]


@pytest.mark.parametrize(
    ("url", "driver", "dialect"),
    [
        *_urls("psycopg", "postgresql", "postgresql", "postgres", "postgres+psycopg"),
        *_urls("psycopg", "postgresql", "postgresql+psycopg"),
        *_urls("pymysql", "mysql", "mysql", "mysql+pymysql"),
        *_urls("pymysql", "mariadb", "mariadb"),
    ],
)
def test_driverless_urls_use_psycopg_and_pymysql(url: str, driver: str, dialect: str) -> None:
    backend = open_sql_store(url, create_tables=False)  # no connection is made
    try:
        assert backend.engine.dialect.driver == driver
        assert backend.engine.dialect.name == dialect
        assert "pw" not in backend.url and backend.url.startswith(url.split(":", 1)[0] + "://")
    finally:
        backend.close()
    if url.split("://")[0] in ("postgresql", "mysql", "mariadb"):
        via_entry_point = open_store(url, create_tables=False)
        try:
            assert isinstance(via_entry_point.backend, SqlBackend)
            assert via_entry_point.backend.engine.dialect.driver == driver
        finally:
            via_entry_point.close()


@pytest.mark.parametrize("kind", SERVERS)
def test_driverless_url_on_a_real_server(
    kind: str, fresh_database: Callable[[str], FreshDatabase]
) -> None:
    db = fresh_database(kind)
    url = sa.make_url(db.url)
    schemes = ["postgresql", "postgres"] if kind == "postgresql" else ["mysql", "mariadb"]
    for scheme in schemes:
        plain = url.set(drivername=scheme).render_as_string(hide_password=False)
        backend = open_sql_store(plain, **db.options)  # type: ignore[arg-type]
        try:
            session = backend.begin()
            try:
                assert session.count_persons(PersonQuery()) == 0
            finally:
                session.close()
        finally:
            backend.close()


# -- 2. isolation --------------------------------------------------------------------------------
@pytest.mark.parametrize("target", KINDS, indirect=True)
def test_isolation_level_is_explicit(target: Target, backend: SqlBackend) -> None:
    if target.kind == "sqlite":
        assert backend.isolation_level() == "SERIALIZABLE"
        return
    assert backend.isolation_level() == "READ COMMITTED"
    # Ask the server itself, inside a transaction of the store's pool.
    with backend.engine.connect() as conn:
        if target.kind == "postgresql":
            level = conn.exec_driver_sql("SHOW transaction_isolation").scalar()
            assert level == "read committed"
        else:
            variable = "tx_isolation" if conn.dialect.is_mariadb else "transaction_isolation"
            level = conn.exec_driver_sql(f"SELECT @@SESSION.{variable}").scalar()
            assert level == "READ-COMMITTED"
            modes = str(conn.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar())
            assert "STRICT_TRANS_TABLES" in modes or "STRICT_ALL_TABLES" in modes


@pytest.mark.parametrize("target", SERVERS, indirect=True)
def test_isolation_level_can_be_chosen_but_not_autocommit(target: Target) -> None:
    serializable = target.open(isolation_level="SERIALIZABLE")
    try:
        assert serializable.isolation_level() == "SERIALIZABLE"
    finally:
        serializable.close()
    with pytest.raises(errors.StoreError) as err:
        target.open(isolation_level="AUTOCOMMIT")
    assert err.value.code == "invalid_isolation_level"


@pytest.mark.parametrize("target", SERVERS, indirect=True)
def test_saves_of_different_persons_never_block_each_other(store: Store) -> None:
    """At READ COMMITTED, units of work saving different (index-neighbouring) persons, each
    replacing its residence episode, neither wait for nor deadlock with each other: every
    thread reaches the barrier placed between the residence DELETE and INSERT. (At InnoDB's
    REPEATABLE READ, gap locks make them wait and deadlock.)"""
    backend = store.backend
    assert isinstance(backend, SqlBackend)
    with store.unit_of_work(ADMIN) as uow:
        people = [uow.people.add(sample_person(seq=s), reason="登记") for s in range(1, 121)]
        uow.commit()
    chosen = sorted(people, key=lambda p: str(p.id))[50:56]
    barrier = threading.Barrier(len(chosen))
    local = threading.local()
    residences = backend.tables.residences.name

    def hold(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        into = statement.split("(", 1)[0] if statement.startswith("INSERT INTO") else ""
        if getattr(local, "armed", False) and residences in into:
            local.armed = False
            _wait(barrier)

    failures: list[BaseException] = []

    def work(person: Person) -> None:
        try:
            for round_ in range(8):
                with store.unit_of_work(ADMIN) as uow:
                    current = uow.people.get(person.id)
                    moved = attrs.evolve(current.residences[0], id=uuid.uuid4())
                    local.armed = True
                    uow.people.save(
                        attrs.evolve(current, phone=f"1390000{round_:04d}", residences=(moved,)),
                        reason="迁居",
                    )
                    uow.commit()
        except BaseException as err:
            failures.append(err)
            barrier.abort()

    sa.event.listen(backend.engine, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=work, args=(p,)) for p in chosen]
        for t in threads:
            t.start()
        _join(threads)
    finally:
        sa.event.remove(backend.engine, "before_cursor_execute", hold)
    assert failures == []


# -- 3. concurrency: two saves race --------------------------------------------------------------
class UpdateGate:
    """Holds an armed thread right before its versioned ``UPDATE`` of ``table`` until the other
    racing thread is there too."""

    def __init__(self, engine: sa.Engine, table: str) -> None:
        self.engine = engine
        self.table = table
        self.local = threading.local()
        self.passed = 0
        self._lock = threading.Lock()

    def arm(self, barrier: threading.Barrier | None) -> None:
        self.local.barrier = barrier

    def _hook(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        barrier = getattr(self.local, "barrier", None)
        head = statement.lstrip()[:7].upper()
        if barrier is not None and head.startswith("UPDATE") and self.table in statement:
            self.local.barrier = None
            _wait(barrier)
            with self._lock:
                self.passed += 1

    def __enter__(self) -> UpdateGate:
        sa.event.listen(self.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._hook)


@attrs.frozen
class Aggregate:
    """How to load, change, save and inspect one kind of aggregate in a race."""

    table: str
    load: Callable[[Any], Any]
    change: Callable[[Any, int, int], Any]
    save: Callable[[Any, Any], Any]
    history_versions: Callable[[Any], list[int]]


def _person_aggregate(store: Store) -> Aggregate:
    with store.unit_of_work(ADMIN) as uow:
        pid = uow.people.add(sample_person(), reason="登记").id
        uow.commit()
    return Aggregate(
        table="persons",
        load=lambda uow: uow.people.get(pid),
        change=lambda p, thread, round_: attrs.evolve(
            p,
            phone=f"139{thread:02d}{round_:06d}",
            residences=(attrs.evolve(p.residences[0], address=f"某路 {round_}-{thread} 号"),),
        ),
        save=lambda uow, p: uow.people.save(p, reason="更新联系方式"),
        history_versions=lambda uow: [r.version for r in uow.people.history(pid)],
    )


def _unit_aggregate(store: Store) -> Aggregate:
    return Aggregate(
        table="units",
        load=lambda uow: uow.units.get(COMMUNITY_A),
        change=lambda u, thread, round_: attrs.evolve(u, name=f"南浦第一社区{round_}-{thread}"),
        save=lambda uow, u: uow.units.save(u, reason="更正名称", correction=True),
        history_versions=lambda uow: [r.version for r in uow.units.history(COMMUNITY_A)],
    )


AGGREGATES = {"person": _person_aggregate, "unit": _unit_aggregate}


def _race(
    store: Store,
    agg: Aggregate,
    gate: UpdateGate,
    i: int,
    round_: int,
    loaded: threading.Barrier,
    at_update: threading.Barrier,
    outcomes: list[object],
) -> None:
    """One racer: load, meet the other, change, meet again at the UPDATE, save and commit."""
    try:
        with store.unit_of_work(ADMIN) as uow:
            current = agg.load(uow)
            _wait(loaded)
            gate.arm(at_update)
            try:
                saved = agg.save(uow, agg.change(current, i, round_))
                uow.commit()
            finally:
                gate.arm(None)
        outcomes[i] = saved
    except errors.ConcurrencyError as err:
        outcomes[i] = err
    except BaseException as err:
        outcomes[i] = err
        loaded.abort()
        at_update.abort()


@pytest.mark.parametrize("what", sorted(AGGREGATES))
@pytest.mark.parametrize("target", KINDS, indirect=True)
def test_two_saves_race_exactly_one_wins(target: Target, store: Store, what: str) -> None:
    backend = store.backend
    assert isinstance(backend, SqlBackend)
    agg = AGGREGATES[what](store)
    winners: Counter[int] = Counter()
    loser_codes: Counter[str] = Counter()
    with UpdateGate(backend.engine, f"{backend.prefix}{agg.table}") as gate:
        for round_ in range(RACE_ROUNDS):
            loaded, at_update = threading.Barrier(2), threading.Barrier(2)
            outcomes: list[object] = [None, None]
            threads = [
                threading.Thread(
                    target=_race, args=(store, agg, gate, i, round_, loaded, at_update, outcomes)
                )
                for i in range(2)
            ]
            for t in threads:
                t.start()
            _join(threads)
            won = [i for i, o in enumerate(outcomes) if isinstance(o, Person | Unit)]
            lost = [o for o in outcomes if isinstance(o, errors.ConcurrencyError)]
            assert len(won) == 1 and len(lost) == 1, (round_, outcomes)
            winners[won[0]] += 1
            loser_codes[lost[0].code] += 1
            with store.unit_of_work(ADMIN) as uow:
                stored = agg.load(uow)
                assert stored == outcomes[won[0]]
                assert stored.version == round_ + 2
                assert agg.history_versions(uow) == list(range(1, round_ + 3))
    if target.kind == "sqlite":
        # A transaction that has read cannot wait for SQLite's write lock: while the winner is
        # still uncommitted the loser is refused at once (a write conflict); after the
        # winner's commit it is reported stale.
        assert set(loser_codes) <= {"stale_version", "write_conflict"}
    else:
        # The server's own version check decided every round: the loser waited for the
        # winner's row lock, re-read the row and updated nothing.
        assert loser_codes == Counter({"stale_version": RACE_ROUNDS})
    assert gate.passed == 2 * RACE_ROUNDS  # both reached their UPDATE in every round
    print(f"\nrace {what} on {target.kind}: {RACE_ROUNDS} rounds, {dict(winners)} {loser_codes}")


@pytest.mark.parametrize("target", KINDS, indirect=True)
def test_racing_writers_retry_until_every_save_is_stored(target: Target, store: Store) -> None:
    threads_n, rounds = 4, 8
    agg = _person_aggregate(store)
    start = threading.Barrier(threads_n)
    successes: Counter[int] = Counter()
    conflicts: Counter[str] = Counter()
    failures: list[BaseException] = []
    lock = threading.Lock()

    def writer(t: int) -> None:
        try:
            for round_ in range(rounds):
                _wait(start)
                for _attempt in range(200):
                    try:
                        with store.unit_of_work(ADMIN) as uow:
                            agg.save(uow, agg.change(agg.load(uow), t, round_))
                            uow.commit()
                    except errors.ConcurrencyError as err:
                        with lock:
                            conflicts[err.code] += 1
                        continue
                    with lock:
                        successes[t] += 1
                    break
        except BaseException as err:
            failures.append(err)
            start.abort()

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(threads_n)]
    for t in threads:
        t.start()
    _join(threads)
    assert failures == []
    total = sum(successes.values())
    assert total == threads_n * rounds
    with store.unit_of_work(ADMIN) as uow:
        final = agg.load(uow)
        history = uow.people.history(final.id)
    assert final.version == 1 + total
    assert [r.version for r in history] == list(range(1, total + 2))
    phones = [r.snapshot["phone"] for r in history[1:]]
    expected = {f"139{t:02d}{r:06d}" for t in range(threads_n) for r in range(rounds)}
    assert sorted(phones) == sorted(expected)  # every successful save is in the history once
    assert history[-1].snapshot["phone"] == final.phone
    print(f"\nretry race on {target.kind}: {total} saves, conflicts {dict(conflicts)}")


# -- 4. atomicity under faults ---------------------------------------------------------------------
class InjectedFault(Exception):
    """Raised by a test hook in the middle of a commit."""


NEW_UNITS = (
    ("360103001003", "南浦第三社区"),
    ("360103001004", "南浦第四社区"),
    ("360103101201", "桃花二村委会"),
)


def _big_unit_of_work(store: Store, existing: Person, *, commit: bool = True) -> None:
    """One unit of work touching every table: an update (with its residences), three units,
    four persons, and their history rows — 20 INSERTs in all."""
    with store.unit_of_work(ADMIN) as uow:
        current = uow.people.get(existing.id)
        uow.people.save(attrs.evolve(current, phone="13912345678"), reason="更新")
        uow.units.add_many([Unit.create(c, n) for c, n in NEW_UNITS], reason="新建")
        for seq in range(100, 104):
            uow.people.add(sample_person(seq=seq, unit=NEW_UNITS[seq % 3][0]), reason="登记")
        if commit:
            uow.commit()


@pytest.fixture
def populated(store: Store) -> Person:
    with store.unit_of_work(ADMIN) as uow:
        person = uow.people.add(sample_person(seq=1), reason="登记")
        uow.people.add(sample_person(seq=2), reason="登记")
        uow.commit()
    return person


@pytest.mark.parametrize("fault", ["insert-1", "insert-13", "insert-20", "before-commit"])
@pytest.mark.parametrize("target", KINDS, indirect=True)
def test_fault_in_the_middle_of_a_commit_changes_nothing(
    store: Store, populated: Person, fault: str
) -> None:
    backend = store.backend
    assert isinstance(backend, SqlBackend)
    before = _dump(backend)
    seen = {"inserts": 0, "fired": False}
    armed = threading.Event()

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if armed.is_set() and statement.lstrip().upper().startswith("INSERT"):
            seen["inserts"] += 1
            if fault == f"insert-{seen['inserts']}":
                seen["fired"] = True
                raise InjectedFault(fault)

    def on_commit(conn: Any) -> None:
        if armed.is_set() and fault == "before-commit":
            seen["fired"] = True
            raise InjectedFault(fault)

    sa.event.listen(backend.engine, "before_cursor_execute", on_execute)
    sa.event.listen(backend.engine, "commit", on_commit)
    armed.set()
    try:
        with pytest.raises(InjectedFault):
            _big_unit_of_work(store, populated)
    finally:
        armed.clear()
        sa.event.remove(backend.engine, "before_cursor_execute", on_execute)
        sa.event.remove(backend.engine, "commit", on_commit)
    assert seen["fired"]
    after_fault = _dump(backend)
    audit = {t.name for t in (backend.tables.audit_entries, backend.tables.audit_subjects)}
    audit.add(backend.tables.audit_head.name)
    assert {n: r for n, r in after_fault.items() if n not in audit} == {
        n: r for n, r in before.items() if n not in audit
    }
    # What the failed unit of work read in clear stays audited; nothing of its writes does.
    with store.unit_of_work(ADMIN) as uow:
        kept = [e.operation.value for e in uow.audit.entries()][len(before[t_audit(backend)]) :]
    # (a fault at every commit also stops the reads' own append, in a transaction of its own)
    assert kept == ([] if fault == "before-commit" else ["read"])
    # The store is usable again, and the same unit of work now commits whole.
    _big_unit_of_work(store, populated)
    after = _dump(backend)
    grown = {name: len(after[name]) - len(before[name]) for name in after}
    t = backend.tables
    assert grown[t.units.name] == 3 and grown[t.persons.name] == 4
    assert grown[t.residences.name] == 4 and grown[t.history.name] == 8


def _backend_pid(kind: str, dbapi_connection: Any) -> int:
    if kind == "postgresql":
        return int(dbapi_connection.info.backend_pid)
    return int(dbapi_connection.thread_id())


def _kill(admin: sa.Engine, kind: str, pids: set[int]) -> None:
    """Terminate server connections from an admin connection, and wait until they are gone."""
    with admin.connect() as conn:
        for pid in pids:
            if kind == "postgresql":
                conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            else:
                conn.exec_driver_sql(f"KILL {int(pid)}")
        table = "pg_stat_activity" if kind == "postgresql" else "information_schema.PROCESSLIST"
        column = "pid" if kind == "postgresql" else "ID"
        query = sa.text(f"SELECT count(*) FROM {table} WHERE {column} IN :pids").bindparams(
            sa.bindparam("pids", expanding=True)
        )
        deadline = time.monotonic() + 10
        while conn.execute(query, {"pids": sorted(pids)}).scalar():
            assert time.monotonic() < deadline, "killed connections did not go away"
            time.sleep(0.02)


@pytest.mark.parametrize("target", SERVERS, indirect=True)
def test_connection_killed_mid_unit_of_work(
    target: Target,
    store: Store,
    populated: Person,
    server_engines: dict[str, object],
) -> None:
    backend = store.backend
    assert isinstance(backend, SqlBackend)
    before = _dump(backend)
    used: set[int] = set()

    def on_execute(conn: Any, *args: Any) -> None:
        used.add(_backend_pid(target.kind, conn.connection.dbapi_connection))

    sa.event.listen(backend.engine, "before_cursor_execute", on_execute)
    try:
        with store.unit_of_work(ADMIN) as uow:
            uow.people.add(sample_person(seq=50), reason="登记")
            uow.people.add(sample_person(seq=51), reason="登记")
            assert len(used) == 1
            _kill(_admin(server_engines, target.kind), target.kind, used)
            with pytest.raises(errors.ConnectionLostError) as err:
                uow.people.add(sample_person(seq=52), reason="登记")
            assert err.value.code == "connection_lost"
            with pytest.raises(errors.ConnectionLostError) as err:
                uow.commit()  # nothing half-stored: the transaction is refused, not committed
            assert err.value.code == "transaction_aborted"
    finally:
        sa.event.remove(backend.engine, "before_cursor_execute", on_execute)
    assert _dump(backend) == before
    _big_unit_of_work(store, populated)  # the same store works again
    assert (
        len(_dump(backend)[backend.tables.persons.name])
        == len(before[backend.tables.persons.name]) + 4
    )


@pytest.mark.parametrize("target", SERVERS, indirect=True)
def test_pooled_connections_killed_while_idle_are_replaced(
    target: Target, store: Store, server_engines: dict[str, object]
) -> None:
    backend = store.backend
    assert isinstance(backend, SqlBackend)
    checked_out: set[int] = set()
    opened: set[int] = set()

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_out.add(_backend_pid(target.kind, dbapi_connection))

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        opened.add(_backend_pid(target.kind, dbapi_connection))

    sa.event.listen(backend.engine, "checkout", on_checkout)
    sa.event.listen(backend.engine, "connect", on_connect)
    try:
        with store.unit_of_work(ADMIN) as uow, store.unit_of_work(ADMIN) as other:
            uow.people.add(sample_person(seq=60), reason="登记")
            assert other.people.count() == 0  # a second pooled connection
            uow.commit()
        pooled = set(checked_out)
        assert len(pooled) == 2
        _kill(_admin(server_engines, target.kind), target.kind, pooled)
        opened.clear()
        with store.unit_of_work(ADMIN) as uow:  # pre-ping replaces the dead connection
            uow.people.add(sample_person(seq=61), reason="登记")
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.count() == 2
        assert opened and not opened & pooled
    finally:
        sa.event.remove(backend.engine, "checkout", on_checkout)
        sa.event.remove(backend.engine, "connect", on_connect)


# -- 5. driver errors, translated ----------------------------------------------------------------
def _assert_no_values(err: errors.MinzuError, *values: str) -> None:
    texts = (str(err), err.message_zh, err.message_en, repr(err.details), repr(err.to_dict()))
    for value in values:
        for text in texts:
            assert value not in text


def _with_fake_id(seq: int) -> Person:
    return attrs.evolve(
        sample_person(seq=seq), id_number=FAKE_ID_NUMBER, birth_date=None, gender=None
    )


@pytest.mark.parametrize("target", KINDS, indirect=True)
def test_unique_violation_is_duplicate(backend: SqlBackend) -> None:
    first, second = _with_fake_id(1), _with_fake_id(2)
    one, two = backend.begin(), backend.begin()
    try:
        one.insert_person(first)
        one.commit()
        # The Python pre-check of the unit of work is bypassed: the database refuses.
        with pytest.raises(errors.DuplicateError) as err:
            two.insert_person(second)
        assert err.value.code == "duplicate_id_number"
        _assert_no_values(err.value, FAKE_ID_NUMBER, FAKE_ID_NUMBER[6:14])
        two.rollback()
        with pytest.raises(errors.DuplicateError) as err:
            two.insert_person(attrs.evolve(second, id=first.id, id_number=None))
        assert err.value.code == "duplicate_id"
        _assert_no_values(err.value, str(first.id))
        two.rollback()
    finally:
        one.close()
        two.close()


def _units_xy(backend: SqlBackend) -> tuple[Unit, Unit]:
    x, y = (Unit.create(c, n, version=1) for c, n in SAMPLE_UNITS[:2])
    session = backend.begin()
    try:
        session.insert_unit(x)
        session.insert_unit(y)
        session.commit()
    finally:
        session.close()
    return x, y


@pytest.mark.parametrize("target", KINDS, indirect=True)
def test_deadlock_is_write_conflict(target: Target) -> None:
    backend = target.open(sqlite_busy_timeout=0.2) if target.kind == "sqlite" else target.open()
    one, two = backend.begin(), backend.begin()
    try:
        x, y = _units_xy(backend)
        renamed = {u.code: attrs.evolve(u, name=u.name + "甲", version=2) for u in (x, y)}
        one.update_unit(renamed[x.code], 1)
        if target.kind == "sqlite":  # one writer at a time: the second waits, then gives up
            with pytest.raises(errors.ConcurrencyError) as err:
                two.update_unit(renamed[y.code], 1)
            assert err.value.code == "write_conflict"
            return
        two.update_unit(renamed[y.code], 1)
        ready = threading.Barrier(2)
        outcomes: dict[int, object] = {}

        def second(i: int, session: Any, unit: Unit) -> None:
            try:
                _wait(ready)
                session.update_unit(unit, 1)
                outcomes[i] = "ok"
            except errors.ConcurrencyError as err:
                outcomes[i] = err
                session.rollback()  # releases this side's locks: the other side goes on
            except BaseException as err:
                outcomes[i] = err
                ready.abort()

        threads = [
            threading.Thread(target=second, args=(0, one, renamed[y.code])),
            threading.Thread(target=second, args=(1, two, renamed[x.code])),
        ]
        for t in threads:
            t.start()
        _join(threads)
        conflicts = [o for o in outcomes.values() if isinstance(o, errors.ConcurrencyError)]
        assert len(conflicts) == 1 and list(outcomes.values()).count("ok") == 1, outcomes
        assert conflicts[0].code == "write_conflict"
        assert conflicts[0].details["driver_code"] in ("40P01", 1213)
        winner = one if outcomes[0] == "ok" else two
        winner.commit()
        check = backend.begin()
        try:
            assert [u.version for u in check.get_unit_versions(x.code)] == [2]
            assert [u.version for u in check.get_unit_versions(y.code)] == [2]
        finally:
            check.close()
    finally:
        one.close()
        two.close()
        backend.close()


@pytest.mark.parametrize("target", ["postgresql"], indirect=True)
def test_serialization_failure_is_write_conflict(target: Target) -> None:
    backend = target.open(isolation_level="SERIALIZABLE")
    one, two = backend.begin(), backend.begin()
    try:
        x, y = _units_xy(backend)
        # A concurrent update of a row this transaction's snapshot has read.
        for session in (one, two):
            session.get_unit_versions(x.code)
        one.update_unit(attrs.evolve(x, name="甲", version=2), 1)
        one.commit()
        with pytest.raises(errors.ConcurrencyError) as err:
            two.update_unit(attrs.evolve(x, name="乙", version=2), 1)
        assert err.value.code == "write_conflict"
        assert err.value.details["driver_code"] == "40001"
        two.rollback()
        # Write skew: each reads both units and changes the other one's.
        for session in (one, two):
            session.get_unit_versions(x.code)
            session.get_unit_versions(y.code)
        one.update_unit(attrs.evolve(y, name="丙", version=2), 1)
        two.update_unit(attrs.evolve(x, name="丁", version=3), 2)
        one.commit()
        with pytest.raises(errors.ConcurrencyError) as err:
            two.commit()
        assert err.value.code == "write_conflict"
        assert err.value.details["driver_code"] == "40001"
    finally:
        one.close()
        two.close()
        backend.close()


@pytest.mark.parametrize(
    "url", ["postgresql://postgres@127.0.0.1:1/test", "mysql://root@127.0.0.1:1/test"]
)
def test_unreachable_server_is_connection_lost(url: str) -> None:
    with pytest.raises(errors.ConnectionLostError) as err:
        open_sql_store(url)
    assert err.value.code == "connection_lost"
    backend = open_sql_store(url, create_tables=False)
    try:
        session = backend.begin()
        with pytest.raises(errors.ConnectionLostError):
            session.count_persons(PersonQuery())
        session.close()
        with pytest.raises(errors.ConnectionLostError):
            backend.isolation_level()
    finally:
        backend.close()


def _too_long_insert(backend: SqlBackend) -> errors.DataTooLongError:
    """Insert a person row whose name is too long, straight through ``translate_errors``
    (the adapter's length pre-check in Python is bypassed: the database must refuse)."""
    session = backend.begin()
    row, _ = session._person_rows(_with_fake_id(1))  # type: ignore[attr-defined]
    session.close()
    row["name"] = FAKE_ID_NUMBER * 35  # 630 characters: the column has 612
    with backend.engine.connect() as conn:
        with pytest.raises(errors.DataTooLongError) as err, translate_errors():
            conn.execute(sa.insert(backend.tables.persons), row)
        conn.rollback()
    assert err.value.code == "data_too_long"
    assert err.value.details["driver_code"] in ("22001", 1406)
    _assert_no_values(err.value, FAKE_ID_NUMBER)
    return err.value


@pytest.mark.parametrize("target", SERVERS, indirect=True)
def test_too_long_at_database_level_is_data_too_long(backend: SqlBackend) -> None:
    _too_long_insert(backend)


@pytest.mark.parametrize("target", ["mysql"], indirect=True)
def test_lax_mysql_sql_mode_is_made_strict(target: Target) -> None:
    """A server whose default ``sql_mode`` silently truncates: the store turns strict mode on
    for its own connections, so a too-long value is still an error, never cut short."""
    backend = target.open(connect_args={"init_command": "SET SESSION sql_mode = ''"})
    try:
        with backend.engine.connect() as conn:
            assert "STRICT_ALL_TABLES" in str(conn.exec_driver_sql("SELECT @@sql_mode").scalar())
        _too_long_insert(backend)
    finally:
        backend.close()


# -- 6. indexes for the hot paths (PostgreSQL EXPLAIN) -------------------------------------------
PERSONS_N = 40_000
TOWNSHIP = "360105003"  # 4 of 400 communities: about 1 % of the persons
COMMUNITY = "360105003002"  # about 0.25 %


def _fill(backend: SqlBackend) -> str:
    """40,000 persons over 400 communities (10 districts x 10 townships x 4), one current
    residence each and a departed earlier one for every tenth; returns one ID number."""
    rnd = random.Random(20240601)
    communities = [
        f"3601{d:02d}{t:03d}{c:03d}"
        for d in range(2, 12)
        for t in range(1, 11)
        for c in range(1, 5)
    ]
    persons: list[dict[str, Any]] = []
    residences: list[dict[str, Any]] = []
    for i in range(PERSONS_N):
        pid = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        born = date(1950, 1, 1) + timedelta(days=(i // 500) * 300 + rnd.randrange(300))
        number = make_resident_id("653101", born, i % 500)
        persons.append(
            {
                "id": pid,
                "name": "某某",
                "ethnicity": rnd.choice(["01", "01", "01", "03", "04", "05"]),
                "id_number": number,
                "active_id_number": number,
                "gender": "male" if int(number[16]) % 2 else "female",
                "birth_date": born,
                "phone": "13800001234",
                "has_household": True,
                "household_code": "653101000000",
                "household_address": "某街道",
                "language": "basic",
                "guardian_id": None,
                "status": "active",
                "merged_into": None,
                "version": 1,
            }
        )
        arrival = date(2012, 1, 1) + timedelta(days=rnd.randrange(4000))
        episodes = [(rnd.choice(communities), arrival, None)]
        if i % 10 == 0:
            episodes.append((rnd.choice(communities), arrival - timedelta(days=900), arrival))
        for unit_code, start, end in episodes:
            residences.append(
                {
                    "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                    "person_id": pid,
                    "unit_code": unit_code,
                    "status": rnd.choice(["resident", "floating"]),
                    "arrival": start,
                    "departure": end,
                    "address": "某路 1 号",
                    "origin": "653101000000",
                    "reason": "business",
                    "occupation": "餐饮",
                    "employer": "某店",
                    "employer_uscc": None,
                }
            )
    t = backend.tables
    with backend.engine.begin() as conn:
        conn.execute(sa.insert(t.persons), persons)
        conn.execute(sa.insert(t.residences), residences)
    with backend.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in (t.persons, t.residences):
            conn.exec_driver_sql(f'VACUUM ANALYZE "{backend.schema}"."{table.name}"')
    return str(persons[PERSONS_N // 3]["id_number"])


def _plan(backend: SqlBackend, call: Callable[[Any], object], *, ssd: bool) -> str:
    """EXPLAIN of the last statement ``call`` issues through a store session."""
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        captured.append((statement, parameters))

    session = backend.begin()
    sa.event.listen(backend.engine, "before_cursor_execute", capture)
    try:
        call(session)
    finally:
        sa.event.remove(backend.engine, "before_cursor_execute", capture)
        session.close()
    statement, parameters = captured[-1]
    assert statement.lstrip().upper().startswith("SELECT")
    with backend.engine.connect() as conn:
        if ssd:
            conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        conn.rollback()
    plan = "\n".join(str(r[0]) for r in rows)
    scans = [
        line.strip(" ->").split("  (")[0]
        for line in plan.splitlines()
        if "Scan" in line or "Join" in line or "Nested Loop" in line
    ]
    print(f"\n{'ssd' if ssd else 'default'}: {statement.split()[0]} … | {'; '.join(scans)}")
    return plan


@pytest.mark.parametrize("target", ["postgresql"], indirect=True)
def test_hot_paths_use_indexes_on_postgresql(backend: SqlBackend) -> None:
    number = _fill(backend)
    t = backend.tables
    seq_scans = (f"Seq Scan on {t.persons.name}", f"Seq Scan on {t.residences.name}")
    unit_index = f"ix_{backend.prefix}residences_unit_arrival"

    def no_seq_scan(plan: str) -> None:
        assert not any(s in plan for s in seq_scans), plan

    # Lookup by ID number: the unique index, then the residences by person.
    plan = _plan(backend, lambda s: s.find_active_by_id_number(number), ssd=False)
    no_seq_scan(plan)
    assert f"uq_{backend.prefix}persons_active_id_number" in plan, plan
    assert f"ix_{backend.prefix}residences_person" in plan, plan

    township = PersonQuery(prefixes=(TOWNSHIP,))
    community = PersonQuery(prefixes=(COMMUNITY,), as_of=date(2020, 1, 1))
    calls: list[Callable[[Any], object]] = [
        lambda s: s.count_persons(township),
        lambda s: s.query_persons(township),
        lambda s: s.count_persons(attrs.evolve(township, minority=True, as_of=date(2020, 1, 1))),
    ]
    for call in calls:
        # The residences are always found through the unit-code range of the subtree …
        default_plan = _plan(backend, call, ssd=False)
        assert f"Seq Scan on {t.residences.name}" not in default_plan, default_plan
        assert unit_index in default_plan, default_plan
        # … and, with index costs for data on SSD or in memory, the persons by primary key.
        no_seq_scan(_plan(backend, call, ssd=True))
    # A small subtree (one community) is index-only at the server's default costs too.
    no_seq_scan(_plan(backend, lambda s: s.count_persons(community), ssd=False))
    no_seq_scan(_plan(backend, lambda s: s.query_persons(community), ssd=False))
