"""The audit chain on real stores (issue 13, deliverable 3): tampering is found and named, and
eight concurrent writers on PostgreSQL and MariaDB still make one valid chain with no entry lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from minzu_core.clock import CST, FixedClock
from minzu_core.hierarchy.model import Unit
from minzu_core.privacy.actor import Actor
from minzu_core.privacy.audit import AuditProblemKind
from minzu_core.privacy.permissions import COMMUNITY_CADRE
from minzu_core.store.factory import Store, open_store
from minzu_core.testing.samples import ADMIN, SAMPLE_UNITS, sample_person

CADRE = Actor.for_units("audit-cadre", "360103001", roles={COMMUNITY_CADRE})


def _clock() -> FixedClock:
    return FixedClock(datetime(2019, 12, 16, 9, 0, tzinfo=CST), tick=timedelta(milliseconds=1))


def _with_units(store: Store) -> Store:
    with store.unit_of_work(ADMIN) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="测试数据")
        uow.commit()
    return store


@pytest.fixture(params=["memory", "sqlite", "postgresql", "mysql"])
def audited(request: pytest.FixtureRequest, fresh_database: Any, tmp_path: Any) -> Iterator[Any]:
    """(store, run_sql): a store with the sample units and a way to change its audit rows
    behind the library's back (``run_sql(statement_text)``; memory: a function on its state)."""
    kind = request.param
    if kind == "memory":
        store = open_store("memory://", clock=_clock())
    elif kind == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'audit.db'}", clock=_clock())
    else:
        db = fresh_database(kind)
        store = open_store(db.url, clock=_clock(), **db.options)
    try:
        yield kind, _with_units(store)
    finally:
        store.close()


def _tamper(kind: str, store: Store, change: Callable[[Any], None]) -> None:
    """Run ``change`` on the SQL connection (inside a transaction) or on the memory state."""
    backend: Any = store.backend
    if kind == "memory":
        change(backend.state.docs["audit"])
        return
    with backend.engine.begin() as conn:
        change((conn, backend.tables.audit_entries))


def test_tampering_is_named(audited: Any) -> None:
    kind, store = audited
    for seq in range(501, 506):
        with store.unit_of_work(ADMIN) as uow:
            uow.people.add(sample_person(seq=seq), reason="登记")
            uow.commit()
    assert store.verify_audit() == []
    with store.unit_of_work(ADMIN) as uow:
        entries = uow.audit.entries()
    target = entries[3]

    def alter(place: Any) -> None:
        if kind == "memory":
            key = f"{target.seq:012d}"
            import attrs

            place[key] = attrs.evolve(place[key], reason="改过的原因")
        else:
            conn, table = place
            conn.execute(
                sa.update(table).where(table.c.seq == target.seq).values(reason="改过的原因")
            )

    _tamper(kind, store, alter)
    problems = store.verify_audit()
    assert problems and problems[0].kind is AuditProblemKind.ALTERED
    assert problems[0].seq == target.seq
    assert problems[0].code == "audit_entry_altered"
    assert str(target.seq) in problems[0].message_en

    removed = entries[6]

    def remove(place: Any) -> None:
        if kind == "memory":
            del place[f"{removed.seq:012d}"]
        else:
            conn, table = place
            conn.execute(sa.delete(table).where(table.c.seq == removed.seq))

    _tamper(kind, store, remove)
    problems = store.verify_audit()
    kinds = [(p.kind, p.seq) for p in problems]
    assert (AuditProblemKind.MISSING, removed.seq) in kinds


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_eight_concurrent_writers_make_one_chain(kind: str, fresh_database: Any) -> None:
    db = fresh_database(kind)
    store = _with_units(open_store(db.url, **db.options))
    try:
        with store.unit_of_work(ADMIN) as uow:
            start = uow.audit.last()
        assert start is not None
        writers, rounds = 8, 130  # 8 x 130 = 1,040 units of work, each one or two entries
        errors: list[BaseException] = []
        barrier = threading.Barrier(writers)

        def work(writer: int) -> None:
            try:
                barrier.wait()
                for n in range(rounds):
                    seq = 1 + writer * rounds + n
                    with store.unit_of_work(CADRE) as uow:
                        added = uow.people.add(sample_person(seq=seq), reason="并发登记")
                        uow.commit()
                    if n % 4 == 0:  # a clear read, left without commit: audited anyway
                        with store.unit_of_work(CADRE, purpose="台账管理") as uow:
                            uow.people.get(added.id)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with store.unit_of_work(ADMIN) as uow:
            added_entries = uow.audit.entries(after_seq=start.seq)
        reads = writers * len(range(0, rounds, 4))
        assert len(added_entries) == writers * rounds + reads  # no entry lost
        assert len(added_entries) >= 1000
        seqs = [e.seq for e in added_entries]
        assert seqs == list(range(start.seq + 1, start.seq + 1 + len(seqs)))  # no gap, no dup
        assert store.verify_audit() == []
        by_actor = {e.entity_id for e in added_entries if e.operation.value == "create"}
        assert len(by_actor) == writers * rounds
    finally:
        store.close()
