"""Memory and SQLite give identical results for the same random sequence of operations."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import attrs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from minzu_core import CST, Actor, FixedClock, open_store
from minzu_core.errors import MinzuError
from minzu_core.hierarchy import Unit
from minzu_core.ledger import Person, Residence, ResidenceStatus
from minzu_core.serialization import unstructure
from minzu_core.store import Store
from minzu_core.testing.samples import SAMPLE_UNITS, sample_person

ADMIN = Actor.system("stateful")
LIVING_UNITS = ["360103001001", "360103001002", "360103101001", "360103101200"]
NOT_LIVING = ["360103001000", "360103001099"]  # a township; a unit that does not exist
SCOPES = [None, "360103001", "360103101", "360103001002"]
DATES = st.dates(min_value=date(2015, 1, 1), max_value=date(2019, 12, 31))


def _outcome(store: Store, actor: Actor, action: Callable[[Any], Any], commit: bool) -> Any:
    try:
        with store.unit_of_work(actor) as uow:
            result = action(uow)
            if commit:
                uow.commit()
        return ("ok", unstructure(result) if result is not None else None)
    except MinzuError as exc:
        return ("error", type(exc).__name__, exc.code, exc.field)


class StoresAgree(RuleBasedStateMachine):
    people = Bundle("people")

    def __init__(self) -> None:
        super().__init__()
        start = datetime(2019, 12, 16, 9, tzinfo=CST)
        self.stores = [
            open_store("memory://", clock=FixedClock(start, timedelta(seconds=1))),
            open_store("sqlite://", clock=FixedClock(start, timedelta(seconds=1))),
        ]
        for store in self.stores:
            with store.unit_of_work(ADMIN) as uow:
                uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="初始化")
                uow.commit()
        self.seq = 0

    def teardown(self) -> None:
        for store in self.stores:
            store.close()

    def both(
        self, action: Callable[[Any], Any], *, actor: Actor = ADMIN, commit: bool = True
    ) -> Any:
        outcomes = [_outcome(s, actor, action, commit) for s in self.stores]
        assert outcomes[0] == outcomes[1], outcomes
        return outcomes[0]

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
        self.both(lambda uow: uow.people.add(person, reason="登记"), actor=actor, commit=commit)
        return person.id

    @rule(
        pid=people,
        phone=st.sampled_from(["13900000001", "13900000002", None]),
        correction=st.booleans(),
    )
    def change_phone(self, pid: uuid.UUID, phone: str | None, correction: bool) -> None:
        def act(uow: Any) -> Person:
            p = uow.people.get(pid)
            return uow.people.save(
                attrs.evolve(p, phone=phone), reason="电话", correction=correction
            )

        self.both(act)

    @rule(
        pid=people,
        unit=st.sampled_from(LIVING_UNITS + NOT_LIVING),
        arrival=DATES,
        scope=st.sampled_from(SCOPES),
    )
    def move(self, pid: uuid.UUID, unit: str, arrival: date, scope: str | None) -> None:
        actor = ADMIN if scope is None else Actor.for_units("cadre", scope)

        # One episode object (one id) for both stores.
        episode = Residence(unit_code=unit, status=ResidenceStatus.FLOATING, arrival=arrival)

        def act(uow: Any) -> Person:
            p = uow.people.get(pid)
            return uow.people.save(p.move(episode), reason="搬迁")

        self.both(act, actor=actor)

    @rule(pid=people, stale_by=st.integers(min_value=1, max_value=2))
    def stale_save(self, pid: uuid.UUID, stale_by: int) -> None:
        def act(uow: Any) -> Person:
            p = uow.people.get(pid)
            return uow.people.save(attrs.evolve(p, version=p.version - stale_by), reason="旧")

        self.both(act)

    @rule(keep=people, dup=people)
    def merge(self, keep: uuid.UUID, dup: uuid.UUID) -> None:
        self.both(
            lambda uow: uow.people.merge(uow.people.get(keep), uow.people.get(dup), reason="合并")
        )

    @invariant()
    def same_ledger(self) -> None:
        self.both(lambda uow: uow.people.list())
        for scope in SCOPES[1:]:
            self.both(lambda uow: uow.people.list(), actor=Actor.for_units("cadre", scope))

    @invariant()
    def same_counts(self) -> None:
        for as_of in (date(2017, 1, 1), date(2019, 12, 16)):
            for status in (None, *ResidenceStatus):
                self.both(
                    lambda uow, a=as_of, s=status: uow.people.count(
                        within="360103", as_of=a, status=s, minority=True
                    )
                )

    @invariant()
    def same_history(self) -> None:
        def histories(uow: Any) -> list[Any]:
            return [
                [
                    (r.version, r.kind, r.reason, r.actor_id, r.at, r.snapshot)
                    for r in uow.people.history(p.id)
                ]
                for p in uow.people.list()
            ]

        self.both(histories)


TestStoresAgree = StoresAgree.TestCase
TestStoresAgree.settings = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
