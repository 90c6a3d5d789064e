"""Bulk-write tests of the storage contract suite (mixed into :class:`StoreContract`): what
``uow.bulk()`` stores is what the one-by-one path stores, every rule still applies, and a refused
record or a failed block leaves nothing behind."""

from __future__ import annotations

from datetime import date, datetime

import attrs
import pytest

from minzu_core.clock import CST
from minzu_core.errors import DuplicateError, PermissionDeniedError, StoreError, ValidationError
from minzu_core.hierarchy.model import Unit
from minzu_core.privacy.actor import Actor
from minzu_core.privacy.permissions import COMMUNITY_CADRE
from minzu_core.services.model import ServiceCategory, ServiceRequest, ServiceWindow
from minzu_core.store.factory import Store
from minzu_core.testing.samples import ADMIN, COMMUNITY_A, COMMUNITY_B, TOWN_VILLAGE, sample_person

__all__ = ["BulkContract"]

_AT = datetime(2019, 6, 3, 9, 30, tzinfo=CST)


class BulkContract:
    """``uow.bulk()``: the same records and history as one-by-one adds, the same rules, atomic."""

    def test_bulk_add_stores_what_single_adds_store(self, store: Store) -> None:
        people = [
            sample_person(seq=300 + k, unit=(COMMUNITY_A, COMMUNITY_B)[k % 2]) for k in range(25)
        ]
        with store.unit_of_work(ADMIN) as uow:
            with uow.bulk() as batch:
                added = [uow.people.add(p, reason="台账导入") for p in people]
            assert len(batch) == 25 and batch.counts()["history"] == 25
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.count() == 25
            for person in added:
                assert person.version == 1
                assert uow.people.get(person.id) == person
            history = uow.people.history(added[0].id)
            assert [(h.version, h.kind.value, h.reason, h.actor_id) for h in history] == [
                (1, "created", "台账导入", ADMIN.id)
            ]

    def test_units_parents_first_in_one_block(self, store: Store) -> None:
        with store.unit_of_work(ADMIN) as uow:
            with uow.bulk():
                uow.units.add(Unit.create("360103102000", "新设镇"), reason="区划调整")
                uow.units.add(Unit.create("360103102001", "新设社区"), reason="区划调整")
                uow.people.add(sample_person(seq=340, unit="360103102001"), reason="登记")
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert [u.code.value for u in uow.units.children("360103102")] == ["360103102001"]
            assert uow.people.count(within="360103102") == 1

    def test_rules_apply_and_a_refused_record_is_not_kept(self, store: Store) -> None:
        with store.unit_of_work(ADMIN) as uow:
            uow.people.add(sample_person(seq=350), reason="登记")
            uow.commit()
        cadre = Actor.for_units("nanpu", "360103001", roles={COMMUNITY_CADRE})
        with store.unit_of_work(cadre) as uow:
            with uow.bulk() as batch:
                uow.people.add(sample_person(seq=351), reason="导入")
                with pytest.raises(DuplicateError) as dup:  # the same ID number as one stored
                    uow.people.add(sample_person(seq=350), reason="导入")
                assert dup.value.code == "duplicate_id_number"
                with pytest.raises(DuplicateError):  # the same ID number twice in the block
                    uow.people.add(sample_person(seq=351), reason="导入")
                with pytest.raises(PermissionDeniedError):  # outside the cadre's scope
                    uow.people.add(sample_person(seq=352, unit=TOWN_VILLAGE), reason="导入")
                with pytest.raises(ValidationError) as bad:  # no such unit
                    uow.people.add(sample_person(seq=353, unit="360103001009"), reason="导入")
                assert bad.value.code == "unit_not_found"
                uow.people.add(sample_person(seq=354, unit=COMMUNITY_B), reason="导入")
            assert batch.counts()["persons"] == 2
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.count() == 3

    def test_a_failed_block_writes_nothing(self, store: Store) -> None:
        with store.unit_of_work(ADMIN) as uow:
            with pytest.raises(RuntimeError), uow.bulk():
                uow.people.add(sample_person(seq=360), reason="导入")
                raise RuntimeError("the import stopped")
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.count() == 0
            assert uow.people.find_by_id_number(sample_person(seq=360).id_number or "") is None

    def test_a_block_only_adds(self, store: Store) -> None:
        with store.unit_of_work(ADMIN) as uow:
            stored = uow.people.add(sample_person(seq=370), reason="登记")
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            with uow.bulk():
                with pytest.raises(StoreError) as err:
                    uow.people.save(attrs.evolve(stored, phone="13900001111"), reason="更正")
                assert err.value.code == "bulk_add_only"
                with pytest.raises(StoreError) as err:
                    uow.commit()
                assert err.value.code == "bulk_open"
                with pytest.raises(StoreError) as err, uow.bulk():
                    pass
                assert err.value.code == "bulk_open"
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.get(stored.id) == stored

    def test_cases_carried_through_their_lifecycle_in_one_block(self, store: Store) -> None:
        with store.unit_of_work(ADMIN) as uow:
            with uow.bulk() as batch:
                window = uow.services.add_window(
                    ServiceWindow(
                        unit_code="360103001",
                        name="南浦街道民族工作服务窗口",
                        opened=date(2019, 1, 1),
                        categories={ServiceCategory.EMPLOYMENT},
                    ),
                    reason="设立窗口",
                )
                applicant = uow.people.add(sample_person(seq=380), reason="登记")
                request = uow.services.submit(
                    ServiceRequest.submit(
                        window,
                        applicant_id=applicant.id,
                        category=ServiceCategory.EMPLOYMENT,
                        received_at=_AT,
                        actor_id=ADMIN.id,
                        description="求职登记",
                    )
                )
                request = uow.services.act(request, "accept", at=_AT.replace(hour=10))
                request = uow.services.act(request, "start", at=_AT.replace(hour=11))
                request = uow.services.act(
                    request, "resolve", at=_AT.replace(day=5), outcome="已推荐岗位"
                )
            assert batch.counts() == {
                "units": 0,
                "persons": 1,
                "windows": 1,
                "requests": 1,
                "disputes": 0,
                "history": 3,
            }
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            stored = uow.services.get(request.id)
            assert stored == request
            assert [e.action for e in stored.events] == ["submit", "accept", "start", "resolve"]
            assert uow.services.count(states={"resolved"}) == 1
