"""Stateful property test of the dispute lifecycle on the memory store and SQLite.

Random sequences of actions on random disputes; after every step: only allowed transitions
succeed, a refused action changes nothing, the history replays to the state, escalation never
moves a dispute down or out of the chain of its origin unit, and both stores agree.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from conftest import FreshDatabase, create_place, drop_place
from minzu_core import CST, Actor, FixedClock, open_store
from minzu_core.disputes import CHANNELS, DISPUTE_LIFECYCLE, OPEN_STATES, Dispute, Party
from minzu_core.errors import MinzuError
from minzu_core.hierarchy import Unit
from minzu_core.store import Store
from minzu_core.testing.samples import SAMPLE_UNITS

ADMIN = Actor.system("stateful")
T0 = datetime(2019, 3, 1, 9, tzinfo=CST)
ACTIONS = sorted({t.action for t in DISPUTE_LIFECYCLE.transitions} - {"register"})
ORIGINS = ["360103001001", "360103101200", "360103001000"]
TARGETS = ["360103001", "360103101", "360103", "360100", "360000", "360103001001"]
STEPS = {"n": 0}


class DisputesAgree(RuleBasedStateMachine):
    disputes = Bundle("disputes")

    def __init__(self) -> None:
        super().__init__()
        clock_at = T0 + timedelta(days=800)
        self.stores = [
            open_store("memory://", clock=FixedClock(clock_at)),
            self._second_store(clock_at),
        ]
        for store in self.stores:
            with store.unit_of_work(ADMIN) as uow:
                uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="r")
                uow.commit()
        self.now = T0
        self.model: dict[uuid.UUID, Dispute] = {}

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

    def _each(self, action: Any) -> Any:
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
        return out[0]

    @rule(
        target=disputes,
        origin=st.sampled_from(ORIGINS),
        hours=st.integers(1, 72),
        ethnic=st.booleans(),
        mass=st.booleans(),
    )
    def register(self, origin: str, hours: int, ethnic: bool, mass: bool) -> uuid.UUID:
        STEPS["n"] += 1
        self.now += timedelta(hours=hours)
        dispute = Dispute.register(
            origin_unit=origin,
            parties=[Party(name="甲"), Party(name="乙")],
            category="邻里",
            severity="一般",
            source="排查",
            registered_at=self.now,
            actor_id=ADMIN.id,
            ethnic_factor=ethnic,
            mass=mass,
        )
        outcome = self._each(lambda uow: uow.disputes.register(dispute))
        assert outcome[0] == "ok"
        self.model[dispute.id] = outcome[1]
        return dispute.id

    @rule(
        did=disputes,
        action=st.sampled_from(ACTIONS),
        days=st.integers(0, 40),
        to=st.sampled_from(TARGETS),
        complete_channels=st.booleans(),
        party=st.integers(0, 2),
        form=st.sampled_from(["written", "oral"]),
    )
    def act(
        self,
        did: uuid.UUID,
        action: str,
        days: int,
        to: str,
        complete_channels: bool,
        party: int,
        form: str,
    ) -> None:
        STEPS["n"] += 1
        before = self.model[did]
        at = before.events[-1].at + timedelta(days=days)
        data: dict[str, Any] = {
            "to": to,
            "channel": "judicial",
            "party": party,
            "mediators": ["m"],
            "summary": "s",
            "form": form,
            "terms": "t",
            "reason": "r",
            "court": "c",
            "channels_notified": list(CHANNELS if complete_channels else CHANNELS[:2]),
        }
        allowed = action in DISPUTE_LIFECYCLE.allowed(before.state)
        outcome = self._each(lambda uow: uow.disputes.act(did, action, at=at, **data))
        if outcome[0] == "ok":
            assert allowed
            after: Dispute = outcome[1]
            assert after.events[: len(before.events)] == before.events
            assert after.version == before.version + 1
            self.model[did] = after
        else:
            for store in self.stores:  # a refused action changes nothing
                with store.unit_of_work(ADMIN) as uow:
                    assert uow.disputes.get(did) == before

    @invariant()
    def histories_replay_and_escalation_goes_up(self) -> None:
        for dispute in self.model.values():
            assert DISPUTE_LIFECYCLE.replay(dispute.events) == dispute.state
            current = dispute.origin_unit
            for event in dispute.events:
                if event.action == "escalate":
                    target = Unit.create(event.data["to"], "x").code
                    assert target.is_ancestor_of(current) and target.is_ancestor_of(
                        dispute.origin_unit
                    )
                    current = target
            assert dispute.handling_unit == current

    @invariant()
    def stores_agree(self) -> None:
        if not self.model:
            return
        listed = self._each(lambda uow: uow.disputes.list())
        assert listed[1] == sorted(self.model.values(), key=lambda d: (d.registered_at, str(d.id)))
        latest = max(d.events[-1].at for d in self.model.values())
        for as_of in (latest, latest + timedelta(days=31)):
            overdue = self._each(lambda uow, t=as_of: [d.id for d in uow.disputes.overdue(t)])
            assert set(overdue[1]) == {d.id for d in self.model.values() if d.is_overdue(as_of)}
        for within in ("360103001", "360103101"):
            self._each(
                lambda uow, w=within: uow.disputes.count(handled_within=w, states=OPEN_STATES)
            )
        self._each(lambda uow: uow.disputes.count(escalated=True, ethnic_factor=True))


_SETTINGS = settings(
    max_examples=int(os.environ.get("MINZU_STATEFUL_EXAMPLES", "25")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_SERVER_SETTINGS = settings(_SETTINGS, max_examples=max(_SETTINGS.max_examples // 3, 5))

TestDisputesAgree = DisputesAgree.TestCase
TestDisputesAgree.settings = _SETTINGS


class DisputesAgreePostgres(DisputesAgree):
    BACKEND = "postgresql"


class DisputesAgreeMariaDb(DisputesAgree):
    BACKEND = "mysql"


TestDisputesAgreePostgres = DisputesAgreePostgres.TestCase
TestDisputesAgreePostgres.settings = _SERVER_SETTINGS
TestDisputesAgreeMariaDb = DisputesAgreeMariaDb.TestCase
TestDisputesAgreeMariaDb.settings = _SERVER_SETTINGS


def test_report_steps() -> None:
    """Runs after the machine (file order) and prints how many steps it executed."""
    print(f"\ndispute stateful steps executed: {STEPS['n']}")
