"""Stateful property test of the service-request lifecycle on the memory store and SQLite.

Random sequences of actions on random requests; after every step: only allowed transitions
succeed, a refused action changes nothing, the history replays to the current state, the due date
equals acceptance + the promised limit + the paused time, and both stores agree (including the
open/overdue queries that each store evaluates itself).
"""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from conftest import FreshDatabase, create_place, drop_place
from minzu_core import CST, Actor, FixedClock, open_store
from minzu_core.errors import MinzuError
from minzu_core.hierarchy import Unit
from minzu_core.services import (
    OPEN_STATES,
    SERVICE_LIFECYCLE,
    CalendarDays,
    ServiceCategory,
    ServiceRequest,
    ServiceWindow,
)
from minzu_core.store import Store
from minzu_core.testing.samples import SAMPLE_UNITS, sample_person

ADMIN = Actor.system("stateful")
T0 = datetime(2019, 6, 1, 9, tzinfo=CST)
ACTIONS = [t.action for t in SERVICE_LIFECYCLE.transitions if t.action != "submit"]
DATA: dict[str, Any] = {
    "reason": "原因",
    "documents": ["材料"],
    "to": "区人社局",
    "outcome": "办结",
}
STEPS = {"n": 0}


class ServiceRequestsAgree(RuleBasedStateMachine):
    requests = Bundle("requests")

    def __init__(self) -> None:
        super().__init__()
        clock_at = T0 + timedelta(days=400)
        self.stores = [
            open_store("memory://", clock=FixedClock(clock_at)),
            self._second_store(clock_at),
        ]
        self.window = ServiceWindow(
            unit_code="360103001",
            name="南浦街道窗口",
            opened=date(2019, 1, 1),
            categories=set(ServiceCategory),
            time_limits={"legal_aid": 3},
        )
        self.person = sample_person(seq=1)
        for store in self.stores:
            with store.unit_of_work(ADMIN) as uow:
                uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="r")
                uow.services.add_window(self.window, reason="r")
                uow.people.add(self.person, reason="r")
                uow.commit()
        self.now = T0
        self.model: dict[uuid.UUID, ServiceRequest] = {}

    #: Which SQL backend is compared with the memory store (subclasses set it).
    BACKEND = "sqlite"

    def _second_store(self, clock_at: datetime) -> Store:
        self._place: FreshDatabase | None = None
        if self.BACKEND == "sqlite":
            return open_store("sqlite://", clock=FixedClock(clock_at))
        self._place = create_place(self.BACKEND)
        return open_store(self._place.url, clock=FixedClock(clock_at), **self._place.options)

    def teardown(self) -> None:
        for store in self.stores:
            store.close()
        if self._place is not None:
            drop_place(self._place)

    def _each(self, action: Any) -> list[Any]:
        out = []
        for store in self.stores:
            try:
                with store.unit_of_work(ADMIN) as uow:
                    result = action(uow)
                    uow.commit()
                out.append(("ok", result))
            except MinzuError as exc:
                out.append(("error", type(exc).__name__, exc.code))
        assert out[0] == out[1], out
        return out[0]  # type: ignore[no-any-return]

    @rule(target=requests, category=st.sampled_from(ServiceCategory), hours=st.integers(1, 48))
    def submit(self, category: ServiceCategory, hours: int) -> uuid.UUID:
        STEPS["n"] += 1
        self.now += timedelta(hours=hours)
        request = ServiceRequest.submit(
            self.window,
            applicant_id=self.person.id,
            category=category,
            received_at=self.now,
            actor_id=ADMIN.id,
        )
        outcome = self._each(lambda uow: uow.services.submit(request))
        assert outcome[0] == "ok"
        self.model[request.id] = outcome[1]
        return request.id

    @rule(
        rid=requests,
        action=st.sampled_from(ACTIONS),
        hours=st.integers(0, 96),
        satisfaction=st.sampled_from(["satisfied", "basically_satisfied", "dissatisfied"]),
        backwards=st.booleans(),
    )
    def act(
        self, rid: uuid.UUID, action: str, hours: int, satisfaction: str, backwards: bool
    ) -> None:
        STEPS["n"] += 1
        before = self.model[rid]
        at = before.events[-1].at + (
            timedelta(hours=-1) if backwards and hours == 0 else timedelta(hours=hours)
        )
        data = dict(DATA, satisfaction=satisfaction)
        allowed = action in SERVICE_LIFECYCLE.allowed(before.state)
        outcome = self._each(lambda uow: uow.services.act(rid, action, at=at, **data))
        if outcome[0] == "ok":
            assert allowed and at >= before.events[-1].at
            after = outcome[1]
            assert after.version == before.version + 1
            assert after.events[: len(before.events)] == before.events
            self.model[rid] = after
            self.now = max(self.now, at)
        else:
            assert not allowed or at < before.events[-1].at or action == "reopen"
            for store in self.stores:  # a refused action changes nothing
                with store.unit_of_work(ADMIN) as uow:
                    assert uow.services.get(rid) == before

    @invariant()
    def histories_replay_and_times_add_up(self) -> None:
        for request in self.model.values():
            assert SERVICE_LIFECYCLE.replay(request.events) == request.state
            accepted, limit = request.accepted_at, request.time_limit_days
            if accepted is not None and limit is not None:
                assert request.due_at() == accepted + timedelta(days=limit) + request.paused()
                assert request.due_at(calendar=CalendarDays()) == request.due_at()

    @invariant()
    def stores_agree(self) -> None:
        if not self.model:
            return
        latest = max(r.events[-1].at for r in self.model.values())
        for as_of in (latest, latest + timedelta(days=5), latest + timedelta(days=30)):
            overdue = self._each(lambda uow, t=as_of: [r.id for r in uow.services.overdue(t)])
            expected = sorted(
                (r for r in self.model.values() if r.is_overdue(as_of)),
                key=lambda r: (r.received_at, str(r.id)),
            )
            assert overdue[1] == [r.id for r in expected]
        listed = self._each(lambda uow: uow.services.list())
        assert listed[1] == sorted(self.model.values(), key=lambda r: (r.received_at, str(r.id)))
        open_ids = self._each(lambda uow: [r.id for r in uow.services.open_requests()])
        assert set(open_ids[1]) == {r.id for r in self.model.values() if r.state in OPEN_STATES}


_SETTINGS = settings(
    max_examples=int(os.environ.get("MINZU_STATEFUL_EXAMPLES", "25")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_SERVER_SETTINGS = settings(_SETTINGS, max_examples=max(_SETTINGS.max_examples // 3, 5))

TestServiceRequestsAgree = ServiceRequestsAgree.TestCase
TestServiceRequestsAgree.settings = _SETTINGS


class ServiceRequestsAgreePostgres(ServiceRequestsAgree):
    BACKEND = "postgresql"


class ServiceRequestsAgreeMariaDb(ServiceRequestsAgree):
    BACKEND = "mysql"


TestServiceRequestsAgreePostgres = ServiceRequestsAgreePostgres.TestCase
TestServiceRequestsAgreePostgres.settings = _SERVER_SETTINGS
TestServiceRequestsAgreeMariaDb = ServiceRequestsAgreeMariaDb.TestCase
TestServiceRequestsAgreeMariaDb.settings = _SERVER_SETTINGS


def test_report_steps() -> None:
    """Runs after the machine (file order) and prints how many steps it executed."""
    print(f"\nservice-request stateful steps executed: {STEPS['n']}")
