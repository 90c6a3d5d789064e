"""The synthetic province generator and the benchmark baselines (benchmarks/baselines.py).

A small province is generated once per module; the tests check that it is reproducible, that
every row loads through the store as a domain object whose derived columns are what the domain
computes, that the rows are byte-for-byte what the SQL adapter itself writes for the same
objects, and that the hand-written SQL and the pandas baselines agree with each other and with
a tiny dataset built through the public API and counted by hand.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import select

from conftest import load_benchmark
from minzu_core.clock import CST, FixedClock
from minzu_core.demo.province import generate_province, province_layout
from minzu_core.disputes import CHANNELS, Dispute, DisputeIndex, Party
from minzu_core.hierarchy import Unit, load_edition
from minzu_core.ledger import Person, PersonQuery, Residence
from minzu_core.privacy import Actor
from minzu_core.serialization import structure
from minzu_core.services import RequestIndex, ServiceCategory, ServiceRequest, ServiceWindow
from minzu_core.store import Store, open_store

pytest.importorskip("pandas")

SIZES = {"persons": 3000, "requests": 3000, "disputes": 600}


def _generate(path: Path | str, *, seed: int, workers: int) -> Any:
    return generate_province(
        path,
        persons=SIZES["persons"],
        requests=SIZES["requests"],
        disputes=SIZES["disputes"],
        seed=seed,
        workers=workers,
    )


ACTOR = Actor.system("test")


baselines = load_benchmark("baselines")


def _digest(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the ordered contents of every table."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'minzu%'"
                " ORDER BY name"
            )
        ]
        result = {}
        for table in tables:
            rows = sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{table}"'))
            h = hashlib.sha256("\n".join(rows).encode())
            result[table] = (len(rows), h.hexdigest())
        return result
    finally:
        conn.close()


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("province") / "province.db"
    summary = _generate(path, seed=7, workers=0)
    assert summary.persons == SIZES["persons"]
    assert summary.townships > 1700
    assert summary.case_events > 3 * (SIZES["requests"] + SIZES["disputes"])
    return path


@pytest.fixture(scope="module")
def digest(province: Path) -> dict[str, tuple[int, str]]:
    return _digest(province)


@pytest.fixture
def store(province: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{province}")
    yield s
    s.close()


# -- the generator ------------------------------------------------------------------------------
def test_same_seed_same_contents_whatever_the_workers(
    tmp_path: Path, digest: dict[str, tuple[int, str]]
) -> None:
    again = tmp_path / "again.db"
    _generate(f"sqlite:///{again}", seed=7, workers=2)
    assert _digest(again) == digest


def test_other_seed_other_contents(tmp_path: Path, digest: dict[str, tuple[int, str]]) -> None:
    other = tmp_path / "other.db"
    _generate(other, seed=8, workers=0)
    changed = _digest(other)
    for table in ("minzu_persons", "minzu_service_requests", "minzu_disputes"):
        assert changed[table][0] == digest[table][0]
        assert changed[table][1] != digest[table][1]


def test_refuses_to_overwrite(province: Path) -> None:
    with pytest.raises(FileExistsError):
        generate_province(province, persons=10, requests=0, disputes=0)


def test_a_failed_run_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "requests":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_province(
            path, persons=100, requests=20_000, disputes=0, workers=0, progress=progress
        )
    assert not path.exists()


def test_counts_and_shape(province: Path) -> None:
    layout = province_layout(persons=SIZES["persons"], seed=7)
    conn = sqlite3.connect(province)
    try:

        def one(sql: str) -> Any:
            return conn.execute(sql).fetchone()[0]

        assert one("SELECT count(*) FROM minzu_persons") == SIZES["persons"]
        assert one("SELECT count(*) FROM minzu_residences") == SIZES["persons"]
        assert one("SELECT count(*) FROM minzu_service_requests") == SIZES["requests"]
        assert one("SELECT count(*) FROM minzu_disputes") == SIZES["disputes"]
        townships = len(load_edition("jiangxi-2019")) - 112  # less province, 11 + 100
        assert one("SELECT count(*) FROM minzu_units WHERE level = 'township'") == townships
        assert one("SELECT count(*) FROM minzu_units WHERE valid_from IS NOT NULL") == 0
        assert one("SELECT count(*) FROM minzu_service_windows") == len(layout.windows)
        # every residence is in a stored community/village; every request at a stored window
        assert (
            one(
                "SELECT count(*) FROM minzu_residences r LEFT JOIN minzu_units u"
                " ON u.code = r.unit_code AND u.level = 'village' WHERE u.code IS NULL"
            )
            == 0
        )
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # the distributions the docstring promises, roughly
        floating = one("SELECT avg(status = 'floating') FROM minzu_residences")
        assert 0.55 < floating < 0.65
        han = one("SELECT avg(ethnicity = '01') FROM minzu_persons")
        assert 0.02 < han < 0.06
        accepted = one("SELECT avg(accepted_at IS NOT NULL) FROM minzu_service_requests")
        assert 0.85 < accepted < 0.95
        resolved = one("SELECT avg(resolved_at IS NOT NULL) FROM minzu_service_requests")
        assert 0.72 < resolved < 0.88
        on_time = one("SELECT avg(resolved_on_time) FROM minzu_service_requests")
        assert 0.7 < on_time < 0.95
        escalated = one("SELECT count(*) FROM minzu_disputes WHERE handling_unit <> origin_unit")
        assert escalated > 0
        assert one("SELECT count(*) FROM minzu_persons WHERE status = 'merged'") > 0
        # stored formats: timestamps as naive UTC text with microseconds, dates as ISO text
        received = one("SELECT received_at FROM minzu_service_requests LIMIT 1")
        assert datetime.strptime(received, "%Y-%m-%d %H:%M:%S.%f")
        arrival = one("SELECT arrival FROM minzu_residences LIMIT 1")
        assert date.fromisoformat(arrival)
        # no event after the end of the year (CST), none before the start of the previous one
        first, last = conn.execute("SELECT min(at), max(at) FROM minzu_case_events").fetchone()
        assert first >= "2017-12-31 16:00:00" and last < "2019-12-31 16:00:00"
    finally:
        conn.close()


def _sample(conn: sqlite3.Connection, table: str, n: int) -> list[str]:
    return [r[0] for r in conn.execute(f"SELECT id FROM {table} ORDER BY id LIMIT {n}")]


def test_every_case_loads_and_its_columns_are_the_domain_values(store: Store) -> None:
    backend: Any = store.backend
    t = backend.tables
    with backend.engine.connect() as conn:
        request_rows = {r.id: r._mapping for r in conn.execute(select(t.service_requests))}
        dispute_rows = {r.id: r._mapping for r in conn.execute(select(t.disputes))}
    request_fields = [a.name for a in attrs.fields(RequestIndex)]
    dispute_fields = [a.name for a in attrs.fields(DisputeIndex)]
    with store.unit_of_work(ACTOR) as uow:
        requests = uow.services.list()
        disputes = uow.disputes.list()
        assert len(requests) == SIZES["requests"] and len(disputes) == SIZES["disputes"]
        for request in requests:
            row = request_rows[str(request.id)]
            stored = structure({f: row[f] for f in request_fields}, RequestIndex)
            assert stored == RequestIndex.of(request, store.calendar)
            assert request.version == len(request.events)
        for dispute in disputes:
            row = dispute_rows[str(dispute.id)]
            stored_d = structure({f: row[f] for f in dispute_fields}, DisputeIndex)
            assert stored_d == DisputeIndex.of(dispute)
        states = {r.state for r in requests}
        assert {"declined", "resolved", "followed_up", "closed", "withdrawn"} <= states
        outcomes = {d.outcome for d in disputes}
        assert outcomes == {None, "agreement", "terminated"}
        # persons load too (their ID number, birth date and gender agree: Person checks it)
        people = uow.people.list(limit=200)
        assert len(people) == 200
        assert all(len(p.residences) == 1 for p in people)


def test_rows_are_what_the_sql_adapter_writes(province: Path, tmp_path: Path) -> None:
    """Load a sample through the store, write it again with the adapter's own primitives into
    a new store, and compare the raw stored rows."""
    source = sqlite3.connect(province)
    sample = {
        "minzu_service_requests": _sample(source, "minzu_service_requests", 40),
        "minzu_disputes": _sample(source, "minzu_disputes", 40),
    }
    copy_path = tmp_path / "copy.db"
    original = open_store(f"sqlite:///{province}")
    copy = open_store(f"sqlite:///{copy_path}")
    try:
        with original.unit_of_work(ACTOR) as uow:
            requests = [uow.services.get(i) for i in sample["minzu_service_requests"]]
            disputes = [uow.disputes.get(i) for i in sample["minzu_disputes"]]
            window_ids = {r.window_id for r in requests}
            windows = [uow.services.get_window(w) for w in window_ids]
            person_ids = {r.applicant_id for r in requests} | {
                p.person_id for d in disputes for p in d.parties if p.person_id is not None
            }
            people = [uow.people.get(p) for p in person_ids]
            units = [
                u
                for code in {r.unit_code for r in people[0].residences}
                | {w.unit_code for w in windows}
                for u in uow.units.versions(code)
            ]
        with copy.unit_of_work(ACTOR) as uow:
            session = uow.session
            for unit in units:
                session.insert_unit(unit)
            for window in windows:
                session.insert_window(window)
            for person in people:
                session.insert_person(person)
            for request in requests:
                session.insert_request(request, RequestIndex.of(request, copy.calendar))
            for dispute in disputes:
                session.insert_dispute(dispute, DisputeIndex.of(dispute))
            uow.commit()
    finally:
        original.close()
        copy.close()
    target = sqlite3.connect(copy_path)
    try:
        checks = {
            "minzu_service_requests": ("id", sample["minzu_service_requests"]),
            "minzu_disputes": ("id", sample["minzu_disputes"]),
            "minzu_case_events": (
                "case_id",
                sample["minzu_service_requests"] + sample["minzu_disputes"],
            ),
            "minzu_service_windows": ("id", [str(w.id) for w in windows]),
            "minzu_persons": ("id", [str(p.id) for p in people]),
            "minzu_residences": ("person_id", [str(p.id) for p in people]),
            "minzu_units": ("code", [u.code.value for u in units]),
        }
        for table, (key, ids) in checks.items():
            marks = ", ".join("?" for _ in ids)
            sql = f"SELECT * FROM {table} WHERE {key} IN ({marks}) ORDER BY 1, 2"
            ours = source.execute(sql, ids).fetchall()
            theirs = target.execute(sql, ids).fetchall()
            assert ours, table
            assert ours == theirs, table
    finally:
        source.close()
        target.close()


# -- the baselines ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "period", [(date(2019, 1, 1), date(2019, 12, 31)), (date(2018, 7, 1), date(2019, 3, 31))]
)
def test_sql_and_pandas_baselines_agree(province: Path, period: tuple[date, date]) -> None:
    sql = baselines.sql_baseline(str(province), *period)
    frame = baselines.pandas_baseline(str(province), *period)
    assert set(sql) == set(baselines.INDICATORS)
    assert sql == frame
    for indicator in baselines.INDICATORS:
        if indicator != "ethnic_factor_incidents":  # rare: 1 in 500 disputes
            assert sql[indicator], indicator
    total = sum(n for n, _ in sql["ledger_completeness"].values())
    present = sum(d for _, d in sql["ledger_completeness"].values())
    assert 0.8 < total / present < 0.97


def test_period_bounds_are_cst_midnights_in_stored_utc_text() -> None:
    bounds = baselines.period_bounds(date(2019, 1, 1), date(2019, 12, 31))
    assert bounds == {
        "start": "2019-01-01",
        "end": "2019-12-31",
        "t0": "2018-12-31 16:00:00.000000",
        "t1": "2019-12-31 16:00:00.000000",
    }
    with pytest.raises(ValueError):
        baselines.period_bounds(date(2019, 2, 1), date(2019, 1, 31))


def _at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CST)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """Two townships of Donghu District, built through the public API:

    * 360102001 has a window (open) and four ledger persons; 360102002 had a window that closed
      on 2019-06-30 and has one floating person without a phone;
    * requests at 360102001: r1 accepted 2019-01-01 00:30 CST (in 2019, though 2018 in UTC),
      resolved on time, followed up satisfied; r2 accepted 2018-12-31 23:30 CST, resolved late
      in 2019, followed up dissatisfied; r3 accepted 2019-12-31 23:59 CST, open;
    * disputes at 360102002: d1 agreement within the target; d2 (ethnic factor, mass)
      terminated after 40 days; d3 registered 2018-12-31 23:59 CST.
    """
    path = tmp_path / "tiny.db"
    store = open_store(f"sqlite:///{path}", clock=FixedClock(_at(2020, 1, 10)))
    edition = {u.code.value: u for u in load_edition("jiangxi-2019")}
    codes = ["360000000000", "360100000000", "360102000000", "360102001000", "360102002000"]
    units = [attrs.evolve(edition[c], valid_from=None) for c in codes]
    units += [Unit.create("360102001001", "公园第1社区"), Unit.create("360102002001", "滕王阁社区")]
    t1, t2 = "360102001000", "360102002000"

    def person(n: int, ethnicity: str, unit: str, status: str, **extra: Any) -> Person:
        residence = {"arrival": date(2015, 1, 1), "address": "某路1号", **extra.pop("res", {})}
        return Person(
            name=f"测试{n}",
            ethnicity=ethnicity,
            birth_date=date(1990, 1, n),
            gender="male",
            phone=extra.pop("phone", "13800000000"),
            residences=(
                Residence(
                    unit_code=unit,
                    status=status,
                    origin="653101" if status == "floating" else None,
                    **residence,
                ),
            ),
            id=uuid.UUID(int=n),
        )

    people = [
        person(1, "05", "360102001001", "resident"),  # A: minority resident, complete
        person(2, "01", "360102001001", "resident"),  # B: 汉族 resident, complete
        person(
            3, "03", "360102002001", "floating", phone=None, res={"arrival": date(2019, 3, 1)}
        ),  # C: minority floating, arrived in 2019, no phone
        person(
            4,
            "05",
            "360102001001",
            "floating",
            res={"arrival": date(2018, 6, 1), "departure": date(2019, 5, 1)},
        ),  # D: left in 2019
    ]
    w1 = ServiceWindow(
        unit_code=t1, name="窗口", opened=date(2017, 1, 1), categories=list(ServiceCategory)
    )
    w2 = ServiceWindow(
        unit_code=t2,
        name="窗口",
        opened=date(2017, 1, 1),
        closed=date(2019, 6, 30),
        categories=list(ServiceCategory),
    )
    reg = ServiceCategory.REGISTRATION  # promised within 5 days
    with store.unit_of_work(ACTOR) as uow:
        for unit in units:
            uow.units.add(unit, reason="test")
        for p in people:
            uow.people.add(p, reason="test")
        uow.services.add_window(w1, reason="test")
        uow.services.add_window(w2, reason="test")
        s = uow.services

        def request(received: datetime) -> ServiceRequest:
            built = ServiceRequest.submit(
                w1,
                applicant_id=people[0].id,
                category=reg,
                received_at=received,
                actor_id=ACTOR.id,
            )
            return s.submit(built)

        r1 = request(_at(2019, 1, 1, 0, 10))
        s.act(r1, "accept", at=_at(2019, 1, 1, 0, 30))
        s.act(r1.id, "start", at=_at(2019, 1, 1, 1))
        s.act(r1.id, "resolve", at=_at(2019, 1, 3), outcome="ok")
        s.act(r1.id, "follow_up", at=_at(2019, 1, 5), satisfaction="satisfied")
        r2 = request(_at(2018, 12, 31, 23))
        s.act(r2, "accept", at=_at(2018, 12, 31, 23, 30))
        s.act(r2.id, "start", at=_at(2019, 1, 2))
        s.act(r2.id, "resolve", at=_at(2019, 1, 20), outcome="ok")
        s.act(r2.id, "follow_up", at=_at(2019, 1, 25), satisfaction="dissatisfied")
        r3 = request(_at(2019, 12, 31, 23, 50))
        s.act(r3, "accept", at=_at(2019, 12, 31, 23, 59))

        d = uow.disputes
        parties = (Party(person_id=people[2].id), Party(name="张三"))

        def dispute(
            registered: datetime, ethnic_factor: bool = False, mass: bool = False
        ) -> Dispute:
            built = Dispute.register(
                origin_unit=t2,
                parties=parties,
                category="neighbour",
                severity="ordinary",
                source="application",
                registered_at=registered,
                actor_id=ACTOR.id,
                ethnic_factor=ethnic_factor,
                mass=mass,
            )
            return d.register(built)

        d1 = dispute(_at(2019, 2, 1, 9))
        d.act(d1.id, "accept", at=_at(2019, 2, 1, 10))
        d.act(d1.id, "session", at=_at(2019, 2, 5), mediators=["李四"], summary="s")
        d.act(d1.id, "agree", at=_at(2019, 2, 10), form="oral", terms="t")
        d2 = dispute(_at(2019, 3, 1, 9), ethnic_factor=True, mass=True)
        d.act(d2.id, "accept", at=_at(2019, 3, 1, 10))
        d.act(d2.id, "session", at=_at(2019, 3, 5), mediators=["李四"], summary="s")
        d.act(
            d2.id,
            "terminate",
            at=_at(2019, 3, 1, 10) + timedelta(days=40),
            reason="r",
            channels_notified=list(CHANNELS),
        )
        dispute(_at(2018, 12, 31, 23, 59))
        uow.commit()
    store.close()
    return path


def test_baselines_on_a_tiny_hand_checked_store(tiny: Path) -> None:
    a, b = "360102001", "360102002"
    expected = {
        "minority_residents": {a: (1.0, None)},
        "minority_floating": {b: (1.0, None)},
        "floating_arrivals": {b: (1.0, None)},
        "floating_departures": {a: (1.0, None)},
        "ledger_completeness": {a: (2.0, 2.0), b: (0.0, 1.0)},
        "window_coverage": {a: (1.0, 1.0), b: (0.0, 1.0)},
        "service_requests": {a: (2.0, None)},
        "service_resolution_rate": {a: (2.0, 2.0)},
        "service_on_time_rate": {a: (1.0, 2.0)},
        "service_satisfaction_rate": {a: (1.0, 2.0)},
        "disputes_registered": {b: (2.0, None)},
        "dispute_success_rate": {b: (1.0, 2.0)},
        "dispute_within_target_rate": {b: (1.0, 2.0)},
        "ethnic_factor_incidents": {b: (1.0, None)},
    }
    period = (date(2019, 1, 1), date(2019, 12, 31))
    assert baselines.sql_baseline(str(tiny), *period) == expected
    assert baselines.pandas_baseline(str(tiny), *period) == expected
    # 2018: r2 accepted, d3 registered; D arrived; nobody floating present from 2019 yet
    y2018 = baselines.sql_baseline(str(tiny), date(2018, 1, 1), date(2018, 12, 31))
    assert y2018 == baselines.pandas_baseline(str(tiny), date(2018, 1, 1), date(2018, 12, 31))
    assert y2018["service_requests"] == {a: (1.0, None)}
    assert y2018["disputes_registered"] == {b: (1.0, None)}
    assert y2018["floating_arrivals"] == {a: (1.0, None)}
    assert y2018["minority_floating"] == {a: (1.0, None)}
    assert y2018["window_coverage"] == {a: (1.0, 1.0), b: (1.0, 1.0)}


# -- other stores -------------------------------------------------------------------------------
def _contents(store: Store) -> tuple[Any, ...]:
    """Everything a store holds of the dataset, as domain objects in a fixed order."""
    with store.unit_of_work(ACTOR) as uow:
        units = sorted(uow.units.list(), key=lambda u: u.code.value)
        people = uow.session.query_persons(PersonQuery(active_only=False))  # merged ones too
        windows = sorted(uow.services.windows(), key=lambda w: str(w.id))
        requests = sorted(uow.services.list(), key=lambda r: str(r.id))
        disputes = sorted(uow.disputes.list(), key=lambda d: str(d.id))
    return units, people, windows, requests, disputes


@pytest.mark.parametrize("kind", ["memory", "postgresql", "mysql"])
def test_any_store_gets_the_same_records_through_the_bulk_port(
    kind: str, tmp_path: Path, fresh_database: Any
) -> None:
    sizes = {"persons": 400, "requests": 300, "disputes": 80}
    generate_province(tmp_path / "p.db", seed=11, workers=0, **sizes)
    if kind == "memory":
        url, options = f"memory://province-{uuid.uuid4().hex}", {}
    else:
        db = fresh_database(kind)
        url, options = db.url, db.options
    summary = generate_province(url, seed=11, workers=0, **sizes, **options)
    assert summary.file_size is None and summary.persons == 400
    reference = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    other = open_store(url, **options)
    try:
        assert _contents(other) == _contents(reference)
        with pytest.raises(ValueError, match="already holds"):
            generate_province(url, seed=11, workers=0, **sizes, **options)
    finally:
        reference.close()
        other.close()
    if kind != "memory":  # the baselines, ported to the server, give the SQLite figures
        period = (date(2019, 1, 1), date(2019, 12, 31))
        expected = baselines.sql_baseline(str(tmp_path / "p.db"), *period)
        schema = options.get("schema")
        for baseline in (
            baselines.sql_baseline,
            baselines.sql_table_baseline,
            baselines.pandas_baseline,
        ):
            assert baseline(url, *period, schema=schema) == expected, baseline.__name__


def _server_rows(url: str, options: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row of every table of the store at ``url``, in a fixed order."""
    store = open_store(url, **options)
    try:
        backend: Any = store.backend
        with backend.engine.connect() as conn:
            return {
                table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for table in backend.tables.all()
            }
    finally:
        store.close()


def test_copy_stores_the_rows_executemany_stores(
    fresh_database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the bulk port loads with COPY: the stored rows, column by column, are those
    of the multi-row INSERTs it uses elsewhere."""
    from minzu_adapters.sql.bulk import BulkStorage

    sizes = {"persons": 300, "requests": 200, "disputes": 60}
    copied, inserted = fresh_database("postgresql"), fresh_database("postgresql")
    generate_province(copied.url, seed=5, workers=0, **sizes, **copied.options)
    monkeypatch.setattr(BulkStorage, "use_copy", False)
    generate_province(inserted.url, seed=5, workers=0, **sizes, **inserted.options)
    by_copy = _server_rows(copied.url, copied.options)
    by_insert = _server_rows(inserted.url, inserted.options)
    assert by_copy.keys() == by_insert.keys()
    for name, rows in by_copy.items():
        assert rows == by_insert[name], name
    assert len(by_copy["minzu_persons"]) == sizes["persons"]
    assert len(by_copy["minzu_case_events"]) > 3 * (sizes["requests"] + sizes["disputes"])


def test_copy_refuses_a_stored_row_and_keeps_nothing_of_the_batch(fresh_database: Any) -> None:
    """A unique violation inside COPY is the store's DuplicateError, and the batch's SAVEPOINT
    leaves nothing of it behind while the transaction goes on."""
    from minzu_core.errors import DuplicateError
    from minzu_core.store.bulk import BulkBatch, write_batch

    db = fresh_database("postgresql")
    province, prefecture = load_edition("jiangxi-2019")[:2]
    store = open_store(db.url, **db.options)
    try:
        with store.unit_of_work(ACTOR) as uow:
            write_batch(uow.session, BulkBatch(units=[province]))
            with pytest.raises(DuplicateError):
                write_batch(uow.session, BulkBatch(units=[prefecture, province]))
            assert uow.units.find(prefecture.code) is None
            assert uow.units.find(province.code) is not None
            uow.commit()
    finally:
        store.close()
