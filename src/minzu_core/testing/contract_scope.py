"""Scope tests of the storage contract suite (mixed into :class:`StoreContract`): scope follows a
person's *current* place (the latest residence episode), and a record in scope cannot point at,
or reveal, a person outside it (issue 13, "holes found today")."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import attrs
import pytest

from minzu_core.clock import CST
from minzu_core.disputes.model import Dispute, Party
from minzu_core.errors import PermissionDeniedError
from minzu_core.ledger.model import Person, Residence, ResidenceStatus
from minzu_core.privacy.actor import Actor
from minzu_core.privacy.permissions import COMMUNITY_CADRE
from minzu_core.store.factory import Store
from minzu_core.testing.samples import ADMIN, COMMUNITY_A, TOWN_COMMUNITY, sample_person

__all__ = ["ScopeContract"]

# Community cadres of two townships, reading for ledger management (in clear).
NANPU = Actor.for_units("nanpu-cadre", "360103001", roles={COMMUNITY_CADRE})  # of COMMUNITY_A
TAOHUA = Actor.for_units("taohua-cadre", "360103101", roles={COMMUNITY_CADRE})  # TOWN_COMMUNITY
PURPOSE = "ledger_management"


def _moved(store: Store, seq: int) -> Person:
    """A person who lived in 南浦 (COMMUNITY_A) until 2019-06-01 and lives in 桃花 since."""
    person = sample_person(seq=seq, arrival=date(2018, 3, 1))
    first = attrs.evolve(person.residences[0], departure=date(2019, 6, 1))
    now = Residence(
        unit_code=TOWN_COMMUNITY, status=ResidenceStatus.FLOATING, arrival=date(2019, 6, 1)
    )
    with store.unit_of_work(ADMIN) as uow:
        stored = uow.people.add(attrs.evolve(person, residences=(first, now)), reason="迁居")
        uow.commit()
    return stored


class ScopeContract:
    """Scope by the current residence; links only to persons in scope."""

    def test_a_unit_the_person_left_no_longer_sees_the_record(self, store: Store) -> None:
        moved = _moved(store, 601)
        with store.unit_of_work(NANPU, purpose=PURPOSE) as uow:
            with pytest.raises(PermissionDeniedError):
                uow.people.get(moved.id)
            assert uow.people.likely_duplicates(attrs.evolve(moved, id=uuid.uuid4())) == []
            assert moved.id not in {p.id for p in uow.people.list()}
            assert uow.people.count(within=COMMUNITY_A) == 0
            with pytest.raises(PermissionDeniedError):  # nor change it (a new phone …)
                uow.people.save(attrs.evolve(moved, phone="13900009999"), reason="更正")
        with store.unit_of_work(TAOHUA, purpose=PURPOSE) as uow:
            assert uow.people.get(moved.id) == moved
            assert [p.id for p in uow.people.list()] == [moved.id]
        with store.unit_of_work(ADMIN) as uow:  # the history stays: past episodes still match
            assert uow.people.count(within=COMMUNITY_A) == 1

    def test_a_unit_cannot_drop_another_units_episode(self, store: Store) -> None:
        moved = _moved(store, 602)
        with store.unit_of_work(TAOHUA, purpose=PURPOSE) as uow:
            current = uow.people.get(moved.id)
            with pytest.raises(PermissionDeniedError) as err:
                uow.people.save(
                    attrs.evolve(current, residences=current.residences[1:]), reason="删除"
                )
            assert err.value.field == "residences"
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.get(moved.id).residences == moved.residences

    def test_no_link_to_a_person_outside_the_scope(self, store: Store) -> None:
        moved = _moved(store, 603)
        with store.unit_of_work(NANPU, purpose=PURPOSE) as uow:
            with pytest.raises(PermissionDeniedError) as err:
                uow.people.add(
                    attrs.evolve(sample_person(seq=604), guardian_id=moved.id), reason="登记"
                )
            assert (err.value.code, err.value.field) == ("outside_scope", "guardian_id")
            with pytest.raises(PermissionDeniedError) as err:
                uow.disputes.register(
                    Dispute.register(
                        origin_unit=COMMUNITY_A,
                        category="邻里",
                        severity="一般",
                        source="排查",
                        registered_at=datetime(2019, 10, 8, 9, 0, tzinfo=CST),
                        actor_id=NANPU.id,
                        parties=[Party(person_id=moved.id), Party(name="邻居")],
                    )
                )
            assert (err.value.code, err.value.field) == ("outside_scope", "parties[0]")
            uow.rollback()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.count() == 1 and uow.disputes.count() == 0
