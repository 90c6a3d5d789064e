"""SQL-adapter-specific tests (SQLite); the shared behaviour is covered by the contract suite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateIndex, CreateTable

from minzu_adapters.memory import open_memory_store
from minzu_adapters.sql import SqlBackend, build_metadata, open_sql_store, translate_errors
from minzu_core.clock import CST
from minzu_core.codes.divisions import Level
from minzu_core.errors import (
    ConcurrencyError,
    ConnectionLostError,
    DataTooLongError,
    DuplicateError,
    StoreError,
)
from minzu_core.hierarchy import Unit, UnitQuery
from minzu_core.history import ChangeKind, ChangeRecord
from minzu_core.ledger import (
    HouseholdRegistration,
    Person,
    PersonQuery,
    PersonStatus,
    Residence,
    ResidenceStatus,
)
from minzu_core.privacy import Actor
from minzu_core.serialization import unstructure
from minzu_core.store import StoreBackend, StoreSession, open_store
from minzu_core.testing.samples import SAMPLE_UNITS, sample_person


@pytest.fixture
def backend() -> Iterator[SqlBackend]:
    store = open_sql_store("sqlite://")
    yield store
    store.close()


class StatementCounter:
    """Counts the statements an engine sends to the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    @property
    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]


def _dump(store: SqlBackend) -> dict[str, list[tuple[Any, ...]]]:
    """The full contents of every table, sorted."""
    with store.engine.connect() as conn:
        return {
            t.name: sorted(tuple(row) for row in conn.execute(select(t)))
            for t in store.tables.all()
        }


def _units() -> list[Unit]:
    return [Unit.create(code, name, version=1) for code, name in SAMPLE_UNITS]


# -- opening and the sqlite:// store -------------------------------------------------------------
def test_fits_the_ports(backend: SqlBackend) -> None:
    assert isinstance(backend, StoreBackend)
    session = backend.begin()
    assert isinstance(session, StoreSession)
    session.close()
    assert backend.url == "sqlite://"
    assert backend.engine.hide_parameters


def test_bound_parameters_never_reach_logs_or_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``hide_parameters`` stays on even when the caller asks otherwise, and with echo and the
    SQLAlchemy logger at DEBUG no ID number, phone or name of a stored person is logged."""
    import logging

    store = open_store(f"sqlite:///{tmp_path / 'p.db'}", hide_parameters=False, echo=True)
    assert store.backend.engine.hide_parameters  # type: ignore[attr-defined]
    person = sample_person()
    with (
        caplog.at_level(logging.DEBUG, logger="sqlalchemy"),
        store.unit_of_work(Actor.system("t")) as uow,
    ):
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="r")
        uow.people.add(person, reason="登记")
        uow.commit()
    store.close()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "INSERT INTO" in logged  # the statements were logged …
    assert person.id_number is not None and person.phone is not None
    for secret in (person.id_number, person.phone, person.name):  # … their parameters not
        assert secret not in logged


def test_memory_url_isolates_sessions(backend: SqlBackend) -> None:
    writer, reader = backend.begin(), backend.begin()
    person = sample_person()
    writer.insert_person(person)
    assert writer.get_person(person.id) == person
    assert reader.get_person(person.id) is None
    assert reader.count_persons(PersonQuery()) == 0
    writer.commit()
    # The reader's transaction keeps its snapshot (a real BEGIN preceded its first SELECT) …
    assert reader.count_persons(PersonQuery()) == 0
    reader.rollback()
    # … and a new transaction sees the committed person.
    assert reader.get_person(person.id) == person
    writer.close()
    reader.close()


def test_memory_url_temp_file_removed_on_close() -> None:
    store = open_sql_store("sqlite://")
    path = store.temp_dir
    assert path is not None and os.path.isdir(path)
    assert (os.stat(path).st_mode & 0o077) == 0  # private to the current user
    session = store.begin()
    session.insert_unit(_units()[0])
    session.commit()
    session.close()
    assert os.listdir(path)
    store.close()
    assert not os.path.exists(path)
    store.close()  # idempotent


def test_two_memory_urls_are_separate_stores() -> None:
    one, two = open_sql_store("sqlite://"), open_sql_store("sqlite:///:memory:")
    try:
        assert one.temp_dir != two.temp_dir
        s = one.begin()
        s.insert_unit(_units()[0])
        s.commit()
        s.close()
        t = two.begin()
        assert t.query_units(UnitQuery()) == []
        t.close()
    finally:
        one.close()
        two.close()


def test_file_store_persists_and_uses_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    store = open_sql_store(url)
    session = store.begin()
    session.insert_unit(_units()[0])
    session.commit()
    session.close()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    store.close()
    again = open_sql_store(url, create_tables=False)
    session = again.begin()
    assert [u.name for u in session.query_units(UnitQuery())] == ["江西省"]
    session.close()
    again.close()
    assert store.temp_dir is None


def test_unreachable_database_is_connection_lost(tmp_path: Path) -> None:
    with pytest.raises(ConnectionLostError) as err:
        open_sql_store(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    assert err.value.code == "connection_lost"
    assert "missing" not in str(err.value)


def test_password_masked() -> None:
    store = open_sql_store(
        "postgresql+psycopg://clerk:s3cret@localhost:1/ledger", create_tables=False
    )
    try:  # no connection is made
        assert "s3cret" not in store.url and "clerk" in store.url
        assert "s3cret" not in repr(store)
    finally:
        store.close()


# -- metadata --------------------------------------------------------------------------------------
def test_metadata_prefix_and_schema() -> None:
    md, tables = build_metadata(prefix="app_", schema="ledger")
    assert md.schema == "ledger"
    assert {t.name for t in tables.all()} == {
        "app_units",
        "app_unit_changes",
        "app_unit_change_successors",
        "app_persons",
        "app_residences",
        "app_service_windows",
        "app_service_requests",
        "app_case_events",
        "app_disputes",
        "app_bodies",
        "app_officials",
        "app_official_ranks",
        "app_technicians",
        "app_technician_titles",
        "app_appointments",
        "app_org_settings",
        "app_activity_types",
        "app_activities",
        "app_training_courses",
        "app_enrollments",
        "app_demonstration_sites",
        "app_site_statuses",
        "app_honours",
        "app_volunteer_members",
        "app_volunteer_hours",
        "app_history",
        "app_audit_entries",
        "app_audit_subjects",
        "app_audit_head",
    }
    assert all(t.schema == "ledger" for t in tables.all())
    assert tables.persons.fullname == "ledger.app_persons"
    fk = next(iter(tables.residences.foreign_keys))
    assert fk.column.table is tables.persons
    for table in tables.all():
        names = [i.name for i in table.indexes] + [c.name for c in table.constraints if c.name]
        assert all(str(n).startswith(("ix_app_", "uq_app_", "pk_app_", "fk_app_")) for n in names)
        assert all(len(str(n)) <= 63 for n in names)
    # Nothing global: each call builds fresh objects.
    md2, tables2 = build_metadata()
    assert md2 is not md and tables2.persons is not tables.persons
    assert tables2.persons.name == "minzu_persons" and tables2.persons.schema is None


@pytest.mark.parametrize("prefix", ["Bad", "1x_", "a-b_", "x" * 21])
def test_metadata_rejects_bad_prefix(prefix: str) -> None:
    with pytest.raises(ValueError):
        build_metadata(prefix=prefix)


def test_metadata_empty_prefix_and_longest_prefix() -> None:
    _, tables = build_metadata(prefix="")
    assert tables.persons.name == "persons"
    _, tables = build_metadata(prefix="p" * 20)
    assert tables.unit_change_successors.name.startswith("p" * 20)


def test_prefixed_store_creates_its_tables(tmp_path: Path) -> None:
    store = open_sql_store(f"sqlite:///{tmp_path / 'host.db'}", prefix="mz_")
    names = set(inspect(store.engine).get_table_names())
    assert {"mz_persons", "mz_residences", "mz_units", "mz_history"} <= names
    indexes = {i["name"] for i in inspect(store.engine).get_indexes("mz_residences")}
    assert {"ix_mz_residences_unit_arrival", "ix_mz_residences_person"} <= indexes
    store.close()


def test_ddl_is_portable() -> None:
    """The DDL compiles for PostgreSQL and MySQL with the intended portable types."""
    _, tables = build_metadata()
    pg_dialect = create_engine("postgresql+psycopg://").dialect  # no connection is made
    my_dialect = create_engine("mysql+pymysql://").dialect
    pg = "\n".join(str(CreateTable(t).compile(dialect=pg_dialect)) for t in tables.all())
    my = "\n".join(str(CreateTable(t).compile(dialect=my_dialect)) for t in tables.all())
    assert 'COLLATE "C"' in pg and "TIMESTAMP WITHOUT TIME ZONE" in pg
    assert "DATETIME(6)" in my and "MEDIUMTEXT" in my and "COLLATE utf8mb4_bin" in my
    assert "VARCHAR(18)" in my and "ENGINE=InnoDB" in my
    assert "WHERE" not in pg  # no partial indexes
    for table in tables.all():
        for index in table.indexes:
            assert "WHERE" not in str(CreateIndex(index).compile(dialect=pg_dialect))


# -- error translation -----------------------------------------------------------------------------
def test_duplicate_active_id_number(backend: SqlBackend) -> None:
    first = sample_person(seq=5)
    second = attrs.evolve(sample_person(seq=5), id=uuid.uuid4())
    number = first.id_number
    assert number is not None
    session = backend.begin()
    session.insert_person(first)
    with pytest.raises(DuplicateError) as err:
        session.insert_person(second)  # straight to the database: no check in Python
    assert err.value.code == "duplicate_id_number"
    assert err.value.field == "id_number"
    # The driver's error (its message quotes the number) is not chained: no cause, and its
    # context is suppressed (no traceback shows it).
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert isinstance(err.value.__context__, IntegrityError)
    assert err.value.details["driver_error"]
    for text in (str(err.value), repr(err.value), str(err.value.to_dict())):
        assert number not in text and number[-4:] not in text
    # The failed write changed nothing; the session goes on.
    session.commit()
    assert session.count_persons(PersonQuery()) == 1
    assert session.get_person(second.id) is None
    session.close()


def test_merged_person_frees_the_id_number(backend: SqlBackend) -> None:
    keep = attrs.evolve(sample_person(seq=6), version=1)
    session = backend.begin()
    session.insert_person(keep)
    merged = attrs.evolve(keep, status=PersonStatus.MERGED, merged_into=uuid.uuid4(), version=2)
    session.update_person(merged, 1)
    again = attrs.evolve(sample_person(seq=6), id=uuid.uuid4())
    session.insert_person(again)
    assert keep.id_number is not None
    found = session.find_active_by_id_number(keep.id_number)
    assert found is not None and found.id == again.id
    session.close()


def test_duplicate_person_id_and_unit(backend: SqlBackend) -> None:
    person = sample_person()
    session = backend.begin()
    session.insert_person(person)
    with pytest.raises(DuplicateError) as err:
        session.insert_person(attrs.evolve(person, id_number=None))
    assert err.value.code == "duplicate_id"
    unit = _units()[0]
    session.insert_unit(unit)
    with pytest.raises(DuplicateError) as err:
        session.insert_unit(unit)
    assert err.value.code == "duplicate_unit"
    session.close()


def test_stale_update(backend: SqlBackend) -> None:
    person = attrs.evolve(sample_person(), version=1)
    session = backend.begin()
    session.insert_person(person)
    session.update_person(attrs.evolve(person, phone="13900002222", version=2), 1)
    with pytest.raises(ConcurrencyError) as err:
        session.update_person(attrs.evolve(person, phone="13900003333", version=2), 1)
    assert err.value.code == "stale_version"
    assert err.value.details == {"stored_version": 2, "given_version": 1}
    assert "13900003333" not in str(err.value)
    with pytest.raises(ConcurrencyError):
        session.update_person(attrs.evolve(sample_person(seq=99), version=2), 1)  # unknown
    loaded = session.get_person(person.id)
    assert loaded is not None and loaded.phone == "13900002222" and loaded.version == 2
    unit = _units()[0]
    session.insert_unit(unit)
    with pytest.raises(ConcurrencyError) as err:
        session.update_unit(attrs.evolve(unit, name="新名", version=3), 2)
    assert err.value.code == "stale_version"
    session.close()


def test_stale_snapshot(backend: SqlBackend) -> None:
    """SQLite: a transaction whose snapshot predates another commit cannot write
    (SQLITE_BUSY_SNAPSHOT, at once, no busy wait). For a versioned update of a record that
    really changed this is reported as ``stale_version`` (as on PostgreSQL/MySQL), otherwise as
    ``write_conflict``; either way the session must be rolled back."""
    units = _units()
    setup = backend.begin()
    setup.insert_unit(units[0])
    setup.commit()
    setup.close()
    one, two = backend.begin(), backend.begin()
    assert one.get_unit_versions(units[0].code) == two.get_unit_versions(units[0].code)
    one.update_unit(attrs.evolve(units[0], name="甲", version=2), 1)
    one.commit()
    started = datetime.now(UTC)
    with pytest.raises(ConcurrencyError) as err:
        two.update_unit(attrs.evolve(units[0], name="乙", version=2), 1)
    assert err.value.code == "stale_version"
    assert err.value.details == {"stored_version": 2, "given_version": 1}
    assert datetime.now(UTC) - started < timedelta(seconds=2)
    with pytest.raises(ConcurrencyError) as err:
        two.insert_unit(units[1])
    assert err.value.code == "transaction_aborted"
    two.rollback()
    assert [u.name for u in two.get_unit_versions(units[0].code)] == ["甲"]
    two.close()
    # An unrelated write from a stale snapshot is a plain write conflict.
    three = backend.begin()
    assert three.get_unit_versions(units[0].code)
    one.insert_unit(units[1])
    one.commit()
    with pytest.raises(ConcurrencyError) as err:
        three.insert_unit(units[2])
    assert err.value.code == "write_conflict"
    three.close()
    one.close()


def test_write_conflict_aborts_the_session_until_rollback(tmp_path: Path) -> None:
    """A write that waited out the busy timeout is a conflict; the database may have dropped the
    transaction, so the session refuses further work (no partial commit) until rollback."""
    store = open_sql_store(f"sqlite:///{tmp_path / 'busy.db'}", sqlite_busy_timeout=0.05)
    holder, other = store.begin(), store.begin()
    try:
        holder.insert_unit(_units()[0])  # holds the write lock, uncommitted
        with pytest.raises(ConcurrencyError) as err:
            other.insert_unit(_units()[1])
        assert err.value.code == "write_conflict"
        with pytest.raises(ConcurrencyError) as err:
            other.count_persons(PersonQuery())
        assert err.value.code == "transaction_aborted"
        with pytest.raises(ConcurrencyError) as err:
            other.commit()
        assert err.value.code == "transaction_aborted"
        holder.commit()
        other.rollback()
        other.insert_unit(_units()[1])  # usable again
        other.commit()
        assert [u.code.value for u in other.query_units(UnitQuery())] == [
            SAMPLE_UNITS[0][0],
            SAMPLE_UNITS[1][0],
        ]
    finally:
        holder.close()
        other.close()
        store.close()


def test_data_too_long(backend: SqlBackend) -> None:
    person = sample_person()
    long_address = "某路" * 200
    residence = attrs.evolve(person.residences[0], address=long_address)
    session = backend.begin()
    with pytest.raises(DataTooLongError) as err:
        session.insert_person(attrs.evolve(person, residences=(residence,)))
    assert err.value.field == "residences.address"
    assert long_address[:20] not in str(err.value)
    assert session.get_person(person.id) is None
    session.close()


def test_translate_errors_without_values() -> None:
    store = open_sql_store("sqlite://")
    try:
        with (
            store.engine.connect() as conn,
            pytest.raises(StoreError) as err,
            translate_errors(),
        ):
            conn.exec_driver_sql("SELECT * FROM no_such_table WHERE x = ?", ("秘密",))
        assert err.value.code == "store_error"
        assert "秘密" not in str(err.value) and "no_such_table" not in str(err.value)
        assert err.value.details["driver_error"] == "OperationalError"
    finally:
        store.close()


# -- pushed-down queries ---------------------------------------------------------------------------
def test_count_persons_is_one_select(backend: SqlBackend) -> None:
    session = backend.begin()
    for seq in range(1, 6):
        session.insert_person(sample_person(seq=seq))
    query = PersonQuery(prefixes=("360103001",), as_of=date(2020, 1, 1), minority=True)
    with StatementCounter(backend.engine) as counter:
        assert session.count_persons(query) == 5
    assert len(counter.statements) == 1
    assert counter.selects[0].lstrip().upper().startswith("SELECT COUNT(*)")
    session.close()


@pytest.mark.parametrize("page", [1, 5, 20])
def test_query_persons_constant_statements(backend: SqlBackend, page: int) -> None:
    session = backend.begin()
    for seq in range(1, 31):
        person = sample_person(seq=seq)
        moved = person.move(
            attrs.evolve(person.residences[0], id=uuid.uuid4(), arrival=date(2019, 1, 1))
        )
        session.insert_person(moved)
    with StatementCounter(backend.engine) as counter:
        found = session.query_persons(PersonQuery(prefixes=("36",), limit=page, offset=2))
    assert len(found) == page
    assert all(len(p.residences) == 2 for p in found)
    assert len(counter.statements) == 1
    assert [str(p.id) for p in found] == sorted(str(p.id) for p in found)
    session.close()


def test_prefix_filters(backend: SqlBackend) -> None:
    session = backend.begin()
    a = sample_person(seq=1, unit="360103001001")
    b = sample_person(seq=2, unit="360103101200")
    session.insert_person(a)
    session.insert_person(b)

    def ids(*prefixes: str) -> set[uuid.UUID]:
        return {p.id for p in session.query_persons(PersonQuery(prefixes=prefixes))}

    assert ids() == set()
    assert ids("") == {a.id, b.id}
    assert ids("360103001") == {a.id}
    assert ids("360103001001") == {a.id}
    assert ids("3601031", "99") == {b.id}
    assert ids("36%") == set()  # LIKE wildcards are escaped
    session.close()


# -- rollback and round trips ----------------------------------------------------------------------
def test_rollback_restores_every_table(backend: SqlBackend) -> None:
    session = backend.begin()
    for unit in _units():
        session.insert_unit(unit)
    kept = attrs.evolve(sample_person(seq=1), version=1)
    session.insert_person(kept)
    session.commit()
    before = _dump(backend)

    session.insert_person(sample_person(seq=2))
    session.update_person(attrs.evolve(kept, phone="13900002222", version=2), 1)
    session.update_unit(attrs.evolve(_units()[0], name="改", version=2), 1)
    session.append_history(
        ChangeRecord(
            entity_type="person",
            entity_id=str(kept.id),
            version=2,
            at=datetime(2020, 1, 1, 8, tzinfo=CST),
            actor_id="tester",
            kind=ChangeKind.UPDATED,
            reason="测试",
            snapshot=unstructure(kept),
        )
    )
    assert _dump(backend) == before  # nothing visible to other connections yet
    session.rollback()
    assert _dump(backend) == before
    session.close()


def test_history_round_trip_is_aware(backend: SqlBackend) -> None:
    person = sample_person()
    record = ChangeRecord(
        entity_type="person",
        entity_id=str(person.id),
        version=1,
        at=datetime(2020, 1, 1, 8, 30, 15, 123456, tzinfo=CST),
        actor_id="tester",
        kind=ChangeKind.CREATED,
        reason="登记",
        snapshot=unstructure(person),
    )
    session = backend.begin()
    session.append_history(record)
    with pytest.raises(DuplicateError) as err:
        session.append_history(attrs.evolve(record, id=uuid.uuid4()))
    assert err.value.code == "duplicate_history"
    session.commit()
    [loaded] = session.list_history("person", str(person.id))
    assert loaded == record
    assert loaded.at.utcoffset() == record.at.utcoffset() == timedelta(hours=8)
    assert "阿依古丽" not in repr(loaded)
    session.close()


def test_empty_household_round_trips(backend: SqlBackend) -> None:
    with_empty = attrs.evolve(sample_person(seq=1), household=HouseholdRegistration())
    without = attrs.evolve(sample_person(seq=2), household=None, residences=())
    session = backend.begin()
    session.insert_person(with_empty)
    session.insert_person(without)
    assert session.get_person(with_empty.id) == with_empty
    assert session.get_person(without.id) == without
    assert session.query_persons(PersonQuery(prefixes=("36",))) == [with_empty]
    session.close()


def test_session_after_close_refuses(backend: SqlBackend) -> None:
    session = backend.begin()
    session.close()
    with pytest.raises(StoreError):
        session.count_persons(PersonQuery())
    backend.close()
    with pytest.raises(StoreError):
        backend.begin()


# -- differential: the SQL store answers exactly like the memory reference ----------------------
_COMMUNITIES = ("360103001001", "360103001002", "360103101001", "360103101200", "360104001001")
_PREFIXES = ("", "36", "3601", "360103", "360103001", "360103001002", "360104", "99", "3601031")
_DAYS = st.dates(date(2015, 1, 1), date(2020, 12, 31))


@st.composite
def _people(draw: st.DrawFn) -> list[Person]:
    people = []
    for seq in range(1, draw(st.integers(0, 7)) + 1):
        arrival = draw(_DAYS)
        person = attrs.evolve(
            sample_person(
                seq=seq,
                unit=draw(st.sampled_from(_COMMUNITIES)),
                status=draw(st.sampled_from(ResidenceStatus)),
                ethnicity=draw(st.sampled_from(("01", "03", "05"))),
                arrival=arrival,
                with_id=draw(st.booleans()),
            ),
            name=draw(st.sampled_from(("甲", "乙"))),
            version=1,
        )
        if draw(st.booleans()):
            later = arrival + timedelta(days=draw(st.integers(1, 900)))
            person = person.move(
                Residence(
                    unit_code=draw(st.sampled_from(_COMMUNITIES)),
                    status=draw(st.sampled_from(ResidenceStatus)),
                    arrival=later,
                    departure=draw(st.none() | st.just(later + timedelta(days=30))),
                )
            )
        if draw(st.booleans()):
            person = attrs.evolve(person, status=PersonStatus.MERGED, merged_into=uuid.uuid4())
        people.append(person)
    return people


_person_queries = st.builds(
    PersonQuery,
    prefixes=st.none() | st.lists(st.sampled_from(_PREFIXES), max_size=2).map(tuple),
    as_of=st.none() | _DAYS,
    status=st.none() | st.sampled_from(ResidenceStatus),
    minority=st.none() | st.booleans(),
    ethnicity=st.none() | st.sampled_from(("01", "05", "99")),
    name=st.none() | st.sampled_from(("甲", "丙")),
    birth_date=st.none() | st.just(date(1990, 1, 3)),
    active_only=st.booleans(),
    limit=st.none() | st.integers(0, 4),
    offset=st.integers(0, 3),
)


@st.composite
def _unit_versions(draw: st.DrawFn) -> list[Unit]:
    units = []
    for code, name in SAMPLE_UNITS:
        if not draw(st.booleans()):
            continue
        split = draw(st.none() | _DAYS)
        if split is None:
            units.append(Unit.create(code, name, version=1))
        else:
            units.append(Unit.create(code, name, valid_to=split, version=1))
            units.append(Unit.create(code, name + "新", valid_from=split, version=1))
    return units


_unit_queries = st.builds(
    UnitQuery,
    prefixes=st.none() | st.lists(st.sampled_from(_PREFIXES), max_size=2).map(tuple),
    level=st.none() | st.sampled_from(Level),
    as_of=st.none() | _DAYS,
)


@pytest.fixture(scope="module")
def shared_store() -> Iterator[SqlBackend]:
    store = open_sql_store("sqlite://")
    yield store
    store.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=_people(), queries=st.lists(_person_queries, min_size=1, max_size=5))
def test_person_queries_match_memory(
    shared_store: SqlBackend, people: list[Person], queries: list[PersonQuery]
) -> None:
    memory = open_memory_store().begin()
    sql = shared_store.begin()
    try:
        for person in people:
            memory.insert_person(person)
            sql.insert_person(person)
        for query in queries:
            assert sql.query_persons(query) == memory.query_persons(query)
            assert sql.count_persons(query) == memory.count_persons(query)
        for person in people:
            assert sql.get_person(person.id) == person
    finally:
        sql.close()  # rolls back: the shared store stays empty


@settings(max_examples=60, deadline=None)
@given(units=_unit_versions(), queries=st.lists(_unit_queries, min_size=1, max_size=5))
def test_unit_queries_match_memory(
    shared_store: SqlBackend, units: list[Unit], queries: list[UnitQuery]
) -> None:
    memory = open_memory_store().begin()
    sql = shared_store.begin()
    try:
        for unit in units:
            memory.insert_unit(unit)
            sql.insert_unit(unit)
        for query in queries:
            assert sql.query_units(query) == memory.query_units(query)
        for unit in units:
            assert sql.get_unit_versions(unit.code) == memory.get_unit_versions(unit.code)
    finally:
        sql.close()
