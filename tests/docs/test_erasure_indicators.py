"""Erasure keeps the aggregates (PIPL Art. 47, DESIGN §6): on the demo store (Xihu District with
its synthetic year), every catalog indicator of the past periods 2018 and 2019, by township,
is unchanged after erasing 100 persons — except ledger completeness, which must change (the
erased records are no longer complete).

The 100 persons are chosen to touch everything an erasure rewrites: every applicant of a
service request and every ledger party of a dispute first (their texts are redacted), then
complete records present in the periods.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from minzu_core import CST, Actor, FixedClock, Store, open_store
from minzu_core.demo import populate_demo_year, run_demo
from minzu_core.disputes.ports import DisputeQuery
from minzu_core.indicators import compute
from minzu_core.ledger.ports import PersonQuery
from minzu_core.services.ports import RequestQuery
from minzu_core.store.rights import erase_person, is_erased

NOW = datetime(2019, 12, 16, 9, 0, tzinfo=CST)
ADMIN = Actor.system("test-erasure-indicators")
PERIODS = ("2018", "2019")
ERASED = 100
#: The only indicators an erasure may change.
CHANGED = {"ledger_completeness"}


def _catalog(store: Store) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Every row of the whole catalog for the past periods, by township: key → figures."""
    found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    with store.unit_of_work(ADMIN) as uow:
        for period in PERIODS:
            table = compute(uow, period=period, unit="360103", by="township")
            for row in table.rows:
                key = (row.period, row.indicator_id, row.unit_code, row.breakdown)
                assert key not in found
                found[key] = (row.value, row.numerator, row.denominator, row.status.value)
    return found


def _chosen(store: Store) -> list[uuid.UUID]:
    """100 persons: applicants and dispute parties first, then others present in 2018-2019."""
    chosen: list[uuid.UUID] = []
    with store.unit_of_work(ADMIN) as uow:
        session = uow.session
        for request in session.query_requests(RequestQuery()):
            chosen.append(request.applicant_id)
        for dispute in session.query_disputes(DisputeQuery()):
            chosen.extend(p.person_id for p in dispute.parties if p.person_id is not None)
        applicants = list(dict.fromkeys(chosen))[: ERASED // 2]
        present = session.query_persons(PersonQuery(as_of=date(2019, 6, 30)))
        others = [p.id for p in present if p.id not in applicants]
    return (applicants + others)[:ERASED]


@pytest.fixture(scope="module", params=["memory://", "sqlite://"])
def demo(request: pytest.FixtureRequest) -> Iterator[Store]:
    store = open_store(request.param, clock=FixedClock(NOW))
    run_demo(store)
    populate_demo_year(store)
    yield store
    store.close()


def test_erasing_100_persons_changes_only_ledger_completeness(demo: Store) -> None:
    before = _catalog(demo)
    chosen = _chosen(demo)
    assert len(set(chosen)) == ERASED
    redacted = 0
    for person_id in chosen:
        with demo.unit_of_work(ADMIN, purpose="data_subject_request") as uow:
            report = erase_person(uow, person_id, reason="测试: 删除后指标不变")
            uow.commit()
        assert not report.already_erased
        redacted += report.service_requests + report.disputes
    assert redacted > 0  # the free texts of requests or disputes were rewritten too
    with demo.unit_of_work(ADMIN) as uow:
        assert all(is_erased(uow.people.get(p)) for p in chosen)
    after = _catalog(demo)
    assert after.keys() == before.keys()
    changed = {key for key in before if before[key] != after[key]}
    assert {key[1] for key in changed} == CHANGED
    # completeness fell (never rose) wherever it changed, and the district row changed
    for key in changed:
        assert after[key][1] is not None and before[key][1] is not None
        assert after[key][1] < before[key][1]  # fewer complete records
        assert after[key][2] == before[key][2]  # the same records counted
    assert any(key[2] == "360103000000" for key in changed)
    assert json.dumps(sorted(map(str, changed)))  # keys are plain values
