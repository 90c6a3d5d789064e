"""Concurrent writers (issue 16, part 4): N threads, each in its own units of work, act on the
service requests and disputes of one township at once, on a real server.

Every writer loops for ``--seconds``: it picks a case at random, reads it, takes the next action
its state allows (a request alternates ``request_documents`` / ``documents_received``, a dispute
adds a mediation ``session``) and commits. Two writers on the same case race: the loser gets the
typed ``ConcurrencyError`` (stale version) or, if the winner changed the state first, a
``TransitionError``; both are counted, nothing else may happen. After the run the events stored
are counted: the actions applied must equal the actions the writers saw committed (no lost
update, no duplicate event), and every case's history must replay.

    .venv/bin/python benchmarks/concurrency.py --store postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/concurrency.py --store mysql+pymysql://root@127.0.0.1:3306/test \\
        --writers 8 32 --seconds 10 --cases 20

A fresh PostgreSQL schema or MariaDB database is made for every run and dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import attrs
import sqlalchemy as sa

from minzu_core import Actor, open_store
from minzu_core.disputes import Dispute, Party
from minzu_core.errors import ConcurrencyError, TransitionError
from minzu_core.hierarchy import Unit
from minzu_core.services import ServiceCategory, ServiceRequest, ServiceWindow
from minzu_core.store import Store
from minzu_core.testing.samples import SAMPLE_UNITS, sample_person

ADMIN = Actor.system("concurrency-benchmark")
TOWNSHIP = "360103001"
COMMUNITY = "360103001001"


@contextmanager
def fresh_place(url: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """A new empty PostgreSQL schema or MariaDB/MySQL database on the server at ``url``:
    ``(url, options)`` for ``open_store``; dropped afterwards."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", hide_parameters=True)
    name = f"minzu_bench_{uuid.uuid4().hex[:10]}"
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        if postgres:
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        else:
            conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        if postgres:
            yield url, {"schema": name}
        else:
            yield engine.url.set(database=name).render_as_string(False), {}
    finally:
        with engine.connect() as conn:
            if postgres:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        engine.dispose()


@attrs.define
class Cases:
    """The ids of the requests and disputes the writers act on."""

    requests: list[uuid.UUID]
    disputes: list[uuid.UUID]


def prepare(store: Store, cases: int) -> Cases:
    """The sample hierarchy, one window, persons, ``cases`` requests in progress and ``cases``
    disputes under mediation, all at one township."""
    with store.unit_of_work(ADMIN) as uow:
        with uow.bulk():
            for code, name in SAMPLE_UNITS:
                uow.units.add(Unit.create(code, name), reason="基准测试")
            window = uow.services.add_window(
                ServiceWindow(
                    unit_code=TOWNSHIP,
                    name="南浦街道民族工作服务窗口",
                    opened=date.today() - timedelta(days=30),
                    categories={ServiceCategory.EMPLOYMENT},
                ),
                reason="基准测试",
            )
            people = [
                uow.people.add(sample_person(seq=500 + k, unit=COMMUNITY), reason="基准测试")
                for k in range(cases)
            ]
        uow.commit()
    requests, disputes = [], []
    with store.unit_of_work(ADMIN) as uow:
        for person in people:
            now = uow.clock()
            request = uow.services.submit(
                ServiceRequest.submit(
                    window,
                    applicant_id=person.id,
                    category=ServiceCategory.EMPLOYMENT,
                    received_at=now,
                    actor_id=ADMIN.id,
                )
            )
            request = uow.services.act(request, "accept")
            request = uow.services.act(request, "start")
            requests.append(request.id)
            dispute = uow.disputes.register(
                Dispute.register(
                    origin_unit=COMMUNITY,
                    category="邻里",
                    severity="一般",
                    source="排查",
                    registered_at=now,
                    actor_id=ADMIN.id,
                    parties=[Party(person_id=person.id), Party(name="邻居")],
                )
            )
            disputes.append(uow.disputes.act(dispute, "accept").id)
        uow.commit()
    return Cases(requests, disputes)


@attrs.define
class Tally:
    """What one writer saw."""

    committed: int = 0
    stale: int = 0
    transition: int = 0
    other: list[str] = attrs.Factory(list)


def _next_request_action(state: str) -> tuple[str, dict[str, Any]]:
    if state == "in_progress":
        return "request_documents", {"documents": "补充材料"}
    return "documents_received", {}


def writer(store: Store, cases: Cases, until: float, seed: int, tally: Tally) -> None:
    """Act on random cases until ``until`` (``time.monotonic``)."""
    rng = random.Random(seed)
    actor = Actor.system(f"writer-{seed}")
    while time.monotonic() < until:
        try:
            with store.unit_of_work(actor) as uow:
                if rng.random() < 0.5:
                    request = uow.services.get(rng.choice(cases.requests))
                    action, data = _next_request_action(request.state)
                    uow.services.act(request, action, **data)
                else:
                    dispute = uow.disputes.get(rng.choice(cases.disputes))
                    uow.disputes.act(dispute, "session", mediators=["调解员"], summary="调解记录")
                uow.commit()
            tally.committed += 1
        except ConcurrencyError:
            tally.stale += 1
        except TransitionError:
            tally.transition += 1
        except Exception as err:  # anything else is a failure of the library
            tally.other.append(f"{type(err).__name__}: {err}")


def stored_actions(store: Store, cases: Cases, before: int) -> int:
    """Events stored beyond the ``before`` events the cases had when the run began (every case
    is read back, so its history replays)."""
    with store.unit_of_work(ADMIN) as uow:
        events = sum(len(uow.services.get(i).events) for i in cases.requests)
        events += sum(len(uow.disputes.get(i).events) for i in cases.disputes)
    return events - before


def run(url: str, writers: int, seconds: float, cases: int, **options: Any) -> dict[str, Any]:
    """One run with ``writers`` threads for ``seconds`` on ``cases`` requests and disputes."""
    store = open_store(url, **options)
    try:
        ids = prepare(store, cases)
        before = stored_actions(store, ids, 0)
        tallies = [Tally() for _ in range(writers)]
        until = time.monotonic() + seconds
        threads = [
            threading.Thread(target=writer, args=(store, ids, until, k, tallies[k]))
            for k in range(writers)
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        committed = sum(t.committed for t in tallies)
        applied = stored_actions(store, ids, before)
    finally:
        store.close()
    return {
        "writers": writers,
        "seconds": round(elapsed, 2),
        "committed": committed,
        "applied": applied,
        "actions_per_second": round(committed / elapsed, 1),
        "stale_version": sum(t.stale for t in tallies),
        "transition_refused": sum(t.transition for t in tallies),
        "other_errors": [e for t in tallies for e in t.other],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="a PostgreSQL or MariaDB/MySQL URL")
    parser.add_argument("--writers", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--cases", type=int, default=20, help="requests and disputes each")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    results = []
    for count in args.writers:
        with fresh_place(args.store) as (url, options):
            results.append(run(url, count, args.seconds, args.cases, **options))
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        print("writers  actions/s  committed  applied  stale  refused  other")
        for r in results:
            print(
                f"{r['writers']:>7}  {r['actions_per_second']:>9}  {r['committed']:>9}  "
                f"{r['applied']:>7}  {r['stale_version']:>5}  {r['transition_refused']:>7}  "
                f"{len(r['other_errors']):>5}"
            )
    ok = all(r["committed"] == r["applied"] and not r["other_errors"] for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
