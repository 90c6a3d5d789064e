"""Stateful machines that compare a store with the memory store (状态机一致性测试).

Each machine is a hypothesis :class:`~hypothesis.stateful.RuleBasedStateMachine` that runs random
sequences of operations on two stores at once — the in-memory store, which is the reference
semantics, and a *candidate* — and asserts after every step that both gave the same answer (the
same result, or the same typed error with the same code and field), plus the invariants of the
domain (a refused action changes nothing, a history replays to the current state, …).

* :class:`LedgerAgree` — persons: add, change, move, stale saves, merges, scope; lists, counts
  and histories;
* :class:`ServiceRequestsAgree` — the service-request lifecycle: every action at random times,
  due dates and the open/overdue queries;
* :class:`DisputesAgree` — the dispute lifecycle: escalation up the chain, overdue and counts.

The candidate is SQLite in memory unless a subclass says otherwise. A third-party adapter runs
the same machines on its own store::

    from hypothesis import settings
    from minzu_core import open_store
    from minzu_core.testing.stateful import DisputesAgree

    class MyStoreDisputes(DisputesAgree):
        def open_candidate(self, clock):
            return open_store("mystore://test", clock=clock)

    TestMyStoreDisputes = MyStoreDisputes.TestCase
    TestMyStoreDisputes.settings = settings(max_examples=25, deadline=None)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, TypeVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from minzu_core.clock import CST, Clock, FixedClock
from minzu_core.disputes.model import CHANNELS, DISPUTE_LIFECYCLE, Dispute, Party
from minzu_core.disputes.model import OPEN_STATES as DISPUTE_OPEN_STATES
from minzu_core.errors import MinzuError
from minzu_core.hierarchy.model import Unit
from minzu_core.ledger.model import Person, Residence, ResidenceStatus
from minzu_core.privacy.actor import Actor
from minzu_core.serialization import unstructure
from minzu_core.services.model import (
    OPEN_STATES,
    SERVICE_LIFECYCLE,
    CalendarDays,
    ServiceCategory,
    ServiceRequest,
    ServiceWindow,
)
from minzu_core.store.factory import Store, open_store
from minzu_core.testing.samples import SAMPLE_UNITS, sample_person

__all__ = ["DisputesAgree", "LedgerAgree", "ServiceRequestsAgree", "StoresAgree"]

ADMIN = Actor.system("stateful")
C = TypeVar("C")


class StoresAgree(RuleBasedStateMachine):
    """The base of the machines: two stores (memory, then the candidate) with the sample
    hierarchy of :data:`~minzu_core.testing.samples.SAMPLE_UNITS`, and :meth:`each`, which runs
    one unit of work on both and asserts that they agree.

    Subclasses set :attr:`START` (the clock's time) and :attr:`TICK` (how far the clock moves on
    each reading; ``None``: it stands still), and override :meth:`open_candidate` (and
    :meth:`close_candidate` for clean-up) to test another store.
    """

    START: ClassVar[datetime] = datetime(2019, 12, 16, 9, tzinfo=CST)
    TICK: ClassVar[timedelta | None] = None
    #: Steps executed by each machine class, for reports (``{class name: steps}``).
    steps: ClassVar[dict[str, int]] = {}

    def __init__(self) -> None:
        super().__init__()
        self.stores = [
            open_store("memory://", clock=self._clock()),
            self.open_candidate(self._clock()),
        ]
        for store in self.stores:
            with store.unit_of_work(ADMIN) as uow:
                uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="初始化")
                self.prepare(uow)
                uow.commit()

    def _clock(self) -> Clock:
        return FixedClock(self.START, self.TICK) if self.TICK else FixedClock(self.START)

    def open_candidate(self, clock: Clock) -> Store:
        """The store compared with the memory store (default: SQLite in memory)."""
        return open_store("sqlite://", clock=clock)

    def close_candidate(self) -> None:
        """Release what :meth:`open_candidate` made (a database, a directory …)."""

    def prepare(self, uow: Any) -> None:
        """Store what every example starts from, besides the sample units (in one unit of
        work on each store)."""

    def teardown(self) -> None:
        """Close both stores, then :meth:`close_candidate`."""
        for store in self.stores:
            store.close()
        self.close_candidate()

    def count_step(self) -> None:
        """Count one executed step for this machine class."""
        name = type(self).__name__
        self.steps[name] = self.steps.get(name, 0) + 1

    def each(
        self, action: Callable[[Any], Any], *, actor: Actor = ADMIN, commit: bool = True
    ) -> Any:
        """Run ``action(uow)`` in one unit of work on each store and assert the outcomes agree.

        Returns ``("ok", result)`` (the memory store's result) or ``("error", error class name,
        code, field)``. Results are compared in their unstructured (JSON-ready) form.
        """
        outcomes: list[tuple[Any, ...]] = []
        compared: list[tuple[Any, ...]] = []
        for store in self.stores:
            try:
                with store.unit_of_work(actor) as uow:
                    result = action(uow)
                    if commit:
                        uow.commit()
                outcomes.append(("ok", result))
                compared.append(("ok", unstructure(result)))
            except MinzuError as exc:
                error = ("error", type(exc).__name__, exc.code, exc.field)
                outcomes.append(error)
                compared.append(error)
        assert compared[0] == compared[1], compared
        return outcomes[0]

    def opened(
        self, model: dict[uuid.UUID, C], case_id: uuid.UUID, open_case: Callable[[Any], C]
    ) -> uuid.UUID:
        """Open a case with ``open_case(uow)`` on each store (it must succeed on both), record
        the stored case in ``model`` and return its id (for a bundle)."""
        outcome = self.each(open_case)
        assert outcome[0] == "ok"
        model[case_id] = outcome[1]
        return case_id

    def assert_stored(self, read: Callable[[Any], object], expected: object) -> None:
        """Both stores hold ``expected``, as ``read(uow)`` returns it (e.g. after a refused
        action, the case as it was before)."""
        for store in self.stores:
            with store.unit_of_work(ADMIN) as uow:
                assert read(uow) == expected


# -- the ledger ----------------------------------------------------------------------------------

LIVING_UNITS = ["360103001001", "360103001002", "360103101001", "360103101200"]
NOT_LIVING = ["360103001000", "360103001099"]  # a township; a unit that does not exist
SCOPED = ["360103001", "360103101", "360103001002"]
SCOPES: list[str | None] = [None, *SCOPED]
DATES = st.dates(min_value=date(2015, 1, 1), max_value=date(2019, 12, 31))


class LedgerAgree(StoresAgree):
    """Persons added, changed, moved, saved stale and merged, by actors of several scopes; the
    lists, counts and histories of both stores agree after every step."""

    TICK = timedelta(seconds=1)
    people = Bundle("people")

    def __init__(self) -> None:
        super().__init__()
        self.seq = 0

    @rule(
        target=people,
        unit=st.sampled_from(LIVING_UNITS + NOT_LIVING),
        status=st.sampled_from(ResidenceStatus),
        ethnicity=st.sampled_from(["01", "03", "05", "22"]),
        with_id=st.booleans(),
        reuse_id=st.booleans(),
        arrival=DATES,
        commit=st.booleans(),
        scope=st.sampled_from(SCOPES),
    )
    def add(
        self,
        unit: str,
        status: ResidenceStatus,
        ethnicity: str,
        with_id: bool,
        reuse_id: bool,
        arrival: date,
        commit: bool,
        scope: str | None,
    ) -> uuid.UUID:
        """Add a person (possibly reusing an ID number, outside scope, or not committed)."""
        self.count_step()
        if not reuse_id:
            self.seq += 1
        person = sample_person(
            unit=unit,
            status=status,
            ethnicity=ethnicity,
            seq=max(self.seq, 1),
            arrival=arrival,
            with_id=with_id,
        )
        actor = ADMIN if scope is None else Actor.for_units("cadre", scope)
        self.each(lambda uow: uow.people.add(person, reason="登记"), actor=actor, commit=commit)
        return person.id

    @rule(
        pid=people,
        phone=st.sampled_from(["13900000001", "13900000002", None]),
        correction=st.booleans(),
    )
    def change_phone(self, pid: uuid.UUID, phone: str | None, correction: bool) -> None:
        """Change (or correct) a phone number."""
        self.count_step()

        def act(uow: Any) -> Person:
            p = uow.people.get(pid)
            return uow.people.save(  # type: ignore[no-any-return]
                attrs.evolve(p, phone=phone), reason="电话", correction=correction
            )

        self.each(act)

    @rule(
        pid=people,
        unit=st.sampled_from(LIVING_UNITS + NOT_LIVING),
        arrival=DATES,
        scope=st.sampled_from(SCOPES),
    )
    def move(self, pid: uuid.UUID, unit: str, arrival: date, scope: str | None) -> None:
        """Move a person to another unit (a new residence episode)."""
        self.count_step()
        actor = ADMIN if scope is None else Actor.for_units("cadre", scope)
        # One episode object (one id) for both stores.
        episode = Residence(unit_code=unit, status=ResidenceStatus.FLOATING, arrival=arrival)

        def act(uow: Any) -> Person:
            p = uow.people.get(pid)
            return uow.people.save(p.move(episode), reason="搬迁")  # type: ignore[no-any-return]

        self.each(act, actor=actor)

    @rule(pid=people, stale_by=st.integers(min_value=1, max_value=2))
    def stale_save(self, pid: uuid.UUID, stale_by: int) -> None:
        """Save a person read before someone else's change (refused)."""
        self.count_step()

        def act(uow: Any) -> Person:
            p = uow.people.get(pid)
            return uow.people.save(  # type: ignore[no-any-return]
                attrs.evolve(p, version=p.version - stale_by), reason="旧"
            )

        self.each(act)

    @rule(keep=people, dup=people)
    def merge(self, keep: uuid.UUID, dup: uuid.UUID) -> None:
        """Merge two records (or refuse to)."""
        self.count_step()
        self.each(
            lambda uow: uow.people.merge(uow.people.get(keep), uow.people.get(dup), reason="合并")
        )

    @invariant()
    def same_ledger(self) -> None:
        """Both stores list the same persons, for every scope."""
        self.each(lambda uow: uow.people.list())
        for scope in SCOPED:
            self.each(lambda uow: uow.people.list(), actor=Actor.for_units("cadre", scope))

    @invariant()
    def same_counts(self) -> None:
        """Both stores count the same, as of two dates and for each status."""
        for as_of in (date(2017, 1, 1), date(2019, 12, 16)):
            for status in (None, *ResidenceStatus):

                def count(uow: Any, a: date = as_of, s: ResidenceStatus | None = status) -> Any:
                    return uow.people.count(within="360103", as_of=a, status=s, minority=True)

                self.each(count)

    @invariant()
    def same_history(self) -> None:
        """Both stores keep the same change history of every person."""

        def histories(uow: Any) -> list[Any]:
            return [
                [
                    (r.version, r.kind, r.reason, r.actor_id, r.at, r.snapshot)
                    for r in uow.people.history(p.id)
                ]
                for p in uow.people.list()
            ]

        self.each(histories)


# -- service requests ------------------------------------------------------------------------

_T0_SERVICES = datetime(2019, 6, 1, 9, tzinfo=CST)
SERVICE_ACTIONS = [t.action for t in SERVICE_LIFECYCLE.transitions if t.action != "submit"]
SERVICE_DATA: dict[str, Any] = {
    "reason": "原因",
    "documents": ["材料"],
    "to": "区人社局",
    "outcome": "办结",
}


class ServiceRequestsAgree(StoresAgree):
    """Random actions on random service requests: only allowed transitions succeed, a refused
    action changes nothing, the history replays to the current state, the due date is acceptance
    + the promised limit + the paused time, and both stores agree (including the open and
    overdue queries each store evaluates itself)."""

    START = _T0_SERVICES + timedelta(days=400)
    requests = Bundle("requests")

    def __init__(self) -> None:
        self.window = ServiceWindow(
            unit_code="360103001",
            name="南浦街道窗口",
            opened=date(2019, 1, 1),
            categories=set(ServiceCategory),
            time_limits={"legal_aid": 3},
        )
        self.person = sample_person(seq=1)
        super().__init__()
        self.now = _T0_SERVICES
        self.model: dict[uuid.UUID, ServiceRequest] = {}

    def prepare(self, uow: Any) -> None:
        """The window and the applicant."""
        uow.services.add_window(self.window, reason="r")
        uow.people.add(self.person, reason="r")

    @rule(target=requests, category=st.sampled_from(ServiceCategory), hours=st.integers(1, 48))
    def submit(self, category: ServiceCategory, hours: int) -> uuid.UUID:
        """Submit a request."""
        self.count_step()
        self.now += timedelta(hours=hours)
        request = ServiceRequest.submit(
            self.window,
            applicant_id=self.person.id,
            category=category,
            received_at=self.now,
            actor_id=ADMIN.id,
        )
        return self.opened(self.model, request.id, lambda uow: uow.services.submit(request))

    @rule(
        rid=requests,
        action=st.sampled_from(SERVICE_ACTIONS),
        hours=st.integers(0, 96),
        satisfaction=st.sampled_from(["satisfied", "basically_satisfied", "dissatisfied"]),
        backwards=st.booleans(),
    )
    def act(
        self, rid: uuid.UUID, action: str, hours: int, satisfaction: str, backwards: bool
    ) -> None:
        """Take any action on a request, at a later (or, rarely, an earlier) time."""
        self.count_step()
        before = self.model[rid]
        at = before.events[-1].at + (
            timedelta(hours=-1) if backwards and hours == 0 else timedelta(hours=hours)
        )
        data = dict(SERVICE_DATA, satisfaction=satisfaction)
        allowed = action in SERVICE_LIFECYCLE.allowed(before.state)
        outcome = self.each(lambda uow: uow.services.act(rid, action, at=at, **data))
        if outcome[0] == "ok":
            assert allowed and at >= before.events[-1].at
            after = outcome[1]
            assert after.version == before.version + 1
            assert after.events[: len(before.events)] == before.events
            self.model[rid] = after
            self.now = max(self.now, at)
        else:
            assert not allowed or at < before.events[-1].at or action == "reopen"
            self.assert_stored(lambda uow: uow.services.get(rid), before)  # nothing changed

    @invariant()
    def histories_replay_and_times_add_up(self) -> None:
        """Each history replays to its state; due = accepted + limit + paused."""
        for request in self.model.values():
            assert SERVICE_LIFECYCLE.replay(request.events) == request.state
            accepted, limit = request.accepted_at, request.time_limit_days
            if accepted is not None and limit is not None:
                assert request.due_at() == accepted + timedelta(days=limit) + request.paused()
                assert request.due_at(calendar=CalendarDays()) == request.due_at()

    @invariant()
    def stores_agree(self) -> None:
        """Lists, open and overdue requests agree with the model."""
        if not self.model:
            return
        latest = max(r.events[-1].at for r in self.model.values())
        for as_of in (latest, latest + timedelta(days=5), latest + timedelta(days=30)):

            def overdue_ids(uow: Any, t: datetime = as_of) -> list[uuid.UUID]:
                return [r.id for r in uow.services.overdue(t)]

            overdue = self.each(overdue_ids)
            expected = sorted(
                (r for r in self.model.values() if r.is_overdue(as_of)),
                key=lambda r: (r.received_at, str(r.id)),
            )
            assert overdue[1] == [r.id for r in expected]
        listed = self.each(lambda uow: uow.services.list())
        assert listed[1] == sorted(self.model.values(), key=lambda r: (r.received_at, str(r.id)))
        open_ids = self.each(lambda uow: [r.id for r in uow.services.open_requests()])
        assert set(open_ids[1]) == {r.id for r in self.model.values() if r.state in OPEN_STATES}


# -- disputes ------------------------------------------------------------------------------------

_T0_DISPUTES = datetime(2019, 3, 1, 9, tzinfo=CST)
DISPUTE_ACTIONS = sorted({t.action for t in DISPUTE_LIFECYCLE.transitions} - {"register"})
ORIGINS = ["360103001001", "360103101200", "360103001000"]
TARGETS = ["360103001", "360103101", "360103", "360100", "360000", "360103001001"]


class DisputesAgree(StoresAgree):
    """Random actions on random disputes: only allowed transitions succeed, a refused action
    changes nothing, the history replays to the state, escalation never moves a dispute down or
    out of the chain of its origin unit, and both stores agree."""

    START = _T0_DISPUTES + timedelta(days=800)
    disputes = Bundle("disputes")

    def __init__(self) -> None:
        super().__init__()
        self.now = _T0_DISPUTES
        self.model: dict[uuid.UUID, Dispute] = {}

    @rule(
        target=disputes,
        origin=st.sampled_from(ORIGINS),
        hours=st.integers(1, 72),
        ethnic=st.booleans(),
        mass=st.booleans(),
    )
    def register(self, origin: str, hours: int, ethnic: bool, mass: bool) -> uuid.UUID:
        """Register a dispute."""
        self.count_step()
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
        return self.opened(self.model, dispute.id, lambda uow: uow.disputes.register(dispute))

    @rule(
        did=disputes,
        action=st.sampled_from(DISPUTE_ACTIONS),
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
        """Take any action on a dispute."""
        self.count_step()
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
        outcome = self.each(lambda uow: uow.disputes.act(did, action, at=at, **data))
        if outcome[0] == "ok":
            assert allowed
            after: Dispute = outcome[1]
            assert after.events[: len(before.events)] == before.events
            assert after.version == before.version + 1
            self.model[did] = after
        else:
            self.assert_stored(lambda uow: uow.disputes.get(did), before)  # nothing changed

    @invariant()
    def histories_replay_and_escalation_goes_up(self) -> None:
        """Each history replays; escalations go up the origin's chain."""
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
        """Lists, overdue disputes and counts agree."""
        if not self.model:
            return
        listed = self.each(lambda uow: uow.disputes.list())
        assert listed[1] == sorted(self.model.values(), key=lambda d: (d.registered_at, str(d.id)))
        latest = max(d.events[-1].at for d in self.model.values())
        for as_of in (latest, latest + timedelta(days=31)):

            def overdue_ids(uow: Any, t: datetime = as_of) -> list[uuid.UUID]:
                return [d.id for d in uow.disputes.overdue(t)]

            overdue = self.each(overdue_ids)
            assert set(overdue[1]) == {d.id for d in self.model.values() if d.is_overdue(as_of)}
        for within in ("360103001", "360103101"):

            def open_count(uow: Any, w: str = within) -> Any:
                return uow.disputes.count(handled_within=w, states=DISPUTE_OPEN_STATES)

            self.each(open_count)
        self.each(lambda uow: uow.disputes.count(escalated=True, ethnic_factor=True))
