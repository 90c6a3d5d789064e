"""The storage contract suite (存储适配器契约测试).

Every adapter — memory, SQLite, PostgreSQL, MariaDB, or a third party's — must pass these tests.
Subclass :class:`StoreContract` and override the ``store_backend`` fixture to yield a fresh,
empty backend (see :mod:`minzu_core.testing`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import attrs
import pytest

from minzu_core.clock import CST, FixedClock
from minzu_core.codes.divisions import Level
from minzu_core.errors import (
    DuplicateError,
    NotFoundError,
    PermissionDeniedError,
    TransitionError,
    ValidationError,
)
from minzu_core.hierarchy.model import Unit, UnitChange, UnitChangeKind
from minzu_core.history import ChangeKind
from minzu_core.ledger.model import (
    Person,
    PersonStatus,
    Residence,
    ResidenceStatus,
)
from minzu_core.privacy.actor import Actor
from minzu_core.services.model import ServiceCategory, ServiceRequest, ServiceWindow
from minzu_core.store.factory import Store
from minzu_core.store.ports import StoreBackend
from minzu_core.testing.contract_bulk import BulkContract
from minzu_core.testing.contract_disputes import DisputeContract
from minzu_core.testing.contract_exchange import ExchangeContract
from minzu_core.testing.contract_indicators import IndicatorContract
from minzu_core.testing.contract_interchange import InterchangeContract
from minzu_core.testing.contract_organisation import OrganisationContract
from minzu_core.testing.contract_privacy import PrivacyContract
from minzu_core.testing.contract_rights import RightsContract
from minzu_core.testing.contract_scope import ScopeContract
from minzu_core.testing.contract_support import act_in_turn, assert_stale_write_refused
from minzu_core.testing.fuzz import FuzzContract
from minzu_core.testing.samples import (
    ADMIN,
    COMMUNITY_A,
    COMMUNITY_B,
    SAMPLE_UNITS,
    TOWN_COMMUNITY,
    TOWN_VILLAGE,
    sample_person,
)

__all__ = ["SAMPLE_UNITS", "StoreContract", "sample_person"]


class StoreContract(
    DisputeContract,
    OrganisationContract,
    IndicatorContract,
    BulkContract,
    ScopeContract,
    PrivacyContract,
    RightsContract,
    InterchangeContract,
    ExchangeContract,
    FuzzContract,
):
    """The shared contract suite. Override ``store_backend`` to yield a fresh, empty backend."""

    @pytest.fixture
    def store_backend(self) -> Iterator[StoreBackend]:  # pragma: no cover - overridden
        """Yield a fresh, empty backend of the adapter under test (override this)."""
        raise NotImplementedError("override the store_backend fixture")
        yield

    @pytest.fixture
    def clock(self) -> FixedClock:
        """A deterministic clock that advances one second per reading."""
        return FixedClock(datetime(2019, 12, 16, 9, 0, tzinfo=CST), tick=timedelta(seconds=1))

    @pytest.fixture
    def store(self, store_backend: StoreBackend, clock: FixedClock) -> Store:
        """The store under test, with the sample hierarchy loaded."""
        store = Store(store_backend, clock=clock)
        with store.unit_of_work(ADMIN) as uow:
            uow.units.add_many(
                [Unit.create(code, name) for code, name in SAMPLE_UNITS], reason="契约测试数据"
            )
            uow.commit()
        return store

    # -- units ---------------------------------------------------------------------------------
    def test_unit_round_trip(self, store: Store) -> None:
        with store.unit_of_work(ADMIN) as uow:
            unit = uow.units.get("360103001001")
            assert unit == Unit.create("360103001001", "南浦第一社区", version=1)
            assert [u.code.value for u in uow.units.children("360103001")] == [
                "360103001001",
                "360103001002",
            ]
            assert [u.code.value for u in uow.units.ancestors("360103101200")] == [
                "360103101000",
                "360103000000",
                "360100000000",
                "360000000000",
            ]
            assert len(uow.units.subtree("360103000")) == 7
            assert len(uow.units.subtree("360103000", include_self=False)) == 6

    def test_unit_versions_and_changes(self, store: Store) -> None:
        day = date(2021, 6, 1)
        change = UnitChange(
            kind=UnitChangeKind.RECODED,
            effective=day,
            code="360103101000",
            successors=("360103014000",),
            old_name="桃花镇",
            new_name="桃花街道",
        )
        with store.unit_of_work(ADMIN) as uow:
            uow.units.apply_change(change, reason="撤镇设街道")
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.units.get("360103101", as_of=date(2020, 1, 1)).name == "桃花镇"
            assert uow.units.find("360103101", as_of=day) is None
            assert uow.units.get("360103014", as_of=day).name == "桃花街道"
            assert uow.units.changes(within="360103") == [change]
            townships = uow.units.list(within="360103", level=Level.TOWNSHIP, as_of=day)
            assert [u.code.value for u in townships] == ["360103001000", "360103014000"]
            hierarchy = uow.units.hierarchy(within="360103")
            assert [c.value for c in hierarchy.successors("360103101", day)] == ["360103014000"]

    def test_unit_rename_keeps_history(self, store: Store) -> None:
        day = date(2020, 1, 1)
        with store.unit_of_work(ADMIN) as uow:
            uow.units.apply_change(
                UnitChange(
                    kind=UnitChangeKind.RENAMED,
                    effective=day,
                    code="360103001001",
                    old_name="南浦第一社区",
                    new_name="南浦新社区",
                ),
                reason="更名",
            )
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.units.get("360103001001", as_of=date(2019, 6, 1)).name == "南浦第一社区"
            assert uow.units.get("360103001001").name == "南浦新社区"
            assert len(uow.units.versions("360103001001")) == 2
            history = uow.units.history("360103001001")
            assert [r.kind for r in history] == [ChangeKind.CREATED, ChangeKind.UPDATED]

    def test_unit_needs_parent_and_no_overlap(self, store: Store) -> None:
        with store.unit_of_work(ADMIN) as uow:
            with pytest.raises(ValidationError) as err:
                uow.units.add(Unit.create("360103002001", "无上级社区"), reason="测试")
            assert err.value.code == "parent_missing"
            with pytest.raises(DuplicateError):
                uow.units.add(Unit.create("360103001001", "重复"), reason="测试")

    def test_unit_stale_version(self, store: Store) -> None:
        assert_stale_write_refused(
            store,
            lambda uow: uow.units.get("360103001001"),
            lambda uow, unit: uow.units.save(
                attrs.evolve(unit, urban_rural_code="111"), reason="城乡分类"
            ),
            lambda uow, unit: uow.units.save(
                attrs.evolve(unit, urban_rural_code="112"), reason="城乡分类"
            ),
        )

    # -- persons -------------------------------------------------------------------------------
    def test_person_round_trip(self, store: Store) -> None:
        person = sample_person()
        with store.unit_of_work(ADMIN) as uow:
            stored = uow.people.add(person, reason="登记")
            uow.commit()
        assert stored.version == 1
        with store.unit_of_work(ADMIN) as uow:
            loaded = uow.people.get(person.id)
            assert loaded == stored
            assert loaded.gender is not None and loaded.birth_date is not None
            assert person.id_number is not None
            assert uow.people.find_by_id_number(person.id_number) == stored
            assert uow.people.find(uuid.uuid4()) is None
            with pytest.raises(NotFoundError):
                uow.people.get(uuid.uuid4())

    def test_person_without_id_and_guardian(self, store: Store) -> None:
        parent = sample_person(seq=2)
        child = attrs.evolve(
            sample_person(seq=3, with_id=False),
            name="小明",
            guardian_id=parent.id,
            birth_date=date(2012, 5, 1),
        )
        with store.unit_of_work(ADMIN) as uow:
            uow.people.add(parent, reason="登记")
            stored = uow.people.add(child, reason="登记")
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.get(child.id) == stored
            assert stored.guardian_id == parent.id

    @staticmethod
    def _assert_nobody_stored(store: Store, person: Person) -> None:
        """A new unit of work finds neither ``person`` nor anyone else."""
        with store.unit_of_work(ADMIN) as reader:
            assert reader.people.find(person.id) is None
            assert reader.people.count() == 0

    def test_rollback_on_exception(self, store: Store) -> None:
        person = sample_person()
        with pytest.raises(RuntimeError), store.unit_of_work(ADMIN) as uow:
            uow.people.add(person, reason="登记")
            raise RuntimeError("boom")
        self._assert_nobody_stored(store, person)

    def test_no_commit_means_rollback(self, store: Store) -> None:
        person = sample_person()
        with store.unit_of_work(ADMIN) as uow:
            uow.people.add(person, reason="登记")
        self._assert_nobody_stored(store, person)

    def test_uncommitted_work_is_invisible(self, store: Store) -> None:
        person = sample_person()
        with store.unit_of_work(ADMIN) as writer:
            writer.people.add(person, reason="登记")
            self._assert_nobody_stored(store, person)
            writer.commit()
        with store.unit_of_work(ADMIN) as reader:
            assert reader.people.find(person.id) is not None

    def test_duplicate_id_number_in_one_unit_of_work(self, store: Store) -> None:
        first = sample_person(seq=7)
        second = attrs.evolve(sample_person(seq=7), id=uuid.uuid4())
        with store.unit_of_work(ADMIN) as uow:
            uow.people.add(first, reason="登记")
            with pytest.raises(DuplicateError) as err:
                uow.people.add(second, reason="登记")
            assert err.value.code == "duplicate_id_number"
            assert first.id_number is not None and first.id_number not in str(err.value)
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.count() == 1
            assert uow.people.find(second.id) is None

    def test_duplicate_id_number_across_units_of_work(self, store: Store) -> None:
        first = sample_person(seq=8)
        second = attrs.evolve(sample_person(seq=8), id=uuid.uuid4())
        with store.unit_of_work(ADMIN) as one, store.unit_of_work(ADMIN) as two:
            one.people.add(first, reason="登记")
            one.commit()
            with pytest.raises(DuplicateError):
                two.people.add(second, reason="登记")
                two.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert [p.id for p in uow.people.list()] == [first.id]

    def test_stale_person_version(self, store: Store) -> None:
        person = sample_person()
        with store.unit_of_work(ADMIN) as uow:
            uow.people.add(person, reason="登记")
            uow.commit()
        assert_stale_write_refused(
            store,
            lambda uow: uow.people.get(person.id),
            lambda uow, p: uow.people.save(attrs.evolve(p, phone="13900002222"), reason="换号"),
            lambda uow, p: uow.people.save(attrs.evolve(p, phone="13900003333"), reason="换号"),
        )
        with store.unit_of_work(ADMIN) as uow:
            final = uow.people.get(person.id)
            assert final.phone == "13900002222"
            assert final.version == 2

    def test_history_kept(self, store: Store) -> None:
        person = sample_person()
        with store.unit_of_work(ADMIN) as uow:
            v1 = uow.people.add(person, reason="登记")
            v2 = uow.people.save(
                attrs.evolve(v1, phone="13900002222"), reason="更正电话", correction=True
            )
            moved = v2.move(
                Residence(
                    unit_code=COMMUNITY_B, status=ResidenceStatus.FLOATING, arrival=date(2019, 6, 1)
                )
            )
            v3 = uow.people.save(moved, reason="搬迁")
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            history = uow.people.history(person.id)
            assert [r.version for r in history] == [1, 2, 3]
            assert [r.kind for r in history] == [
                ChangeKind.CREATED,
                ChangeKind.CORRECTED,
                ChangeKind.UPDATED,
            ]
            assert [r.reason for r in history] == ["登记", "更正电话", "搬迁"]
            assert all(r.actor_id == ADMIN.id for r in history)
            assert history[0].at < history[1].at < history[2].at
            assert history[-1].snapshot["phone"] == "13900002222"
            assert len(history[-1].snapshot["residences"]) == 2
            assert uow.people.get(person.id) == v3
            assert len(v3.residences) == 2

    def test_queries(self, store: Store) -> None:
        people = [
            sample_person(seq=11, unit=COMMUNITY_A, status=ResidenceStatus.FLOATING),
            sample_person(seq=12, unit=COMMUNITY_A, status=ResidenceStatus.RESIDENT),
            sample_person(
                seq=13, unit=COMMUNITY_B, status=ResidenceStatus.RESIDENT, ethnicity="01"
            ),
            sample_person(
                seq=14,
                unit=TOWN_VILLAGE,
                status=ResidenceStatus.FLOATING,
                arrival=date(2019, 11, 1),
            ),
        ]
        with store.unit_of_work(ADMIN) as uow:
            for p in people:
                uow.people.add(p, reason="登记")
            left = uow.people.get(people[0].id)
            ended = attrs.evolve(
                left, residences=(attrs.evolve(left.residences[0], departure=date(2019, 7, 1)),)
            )
            uow.people.save(ended, reason="离开")
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.count() == 4
            assert uow.people.count(within="360103001") == 3
            assert uow.people.count(within="360103001", as_of=date(2019, 12, 31)) == 2
            assert uow.people.count(within="360103001", as_of=date(2019, 6, 30)) == 3
            assert uow.people.count(as_of=date(2019, 7, 1), status=ResidenceStatus.FLOATING) == 0
            assert uow.people.count(as_of=date(2019, 12, 1), status=ResidenceStatus.FLOATING) == 1
            assert uow.people.count(minority=True) == 3
            assert uow.people.count(minority=False) == 1
            assert uow.people.count(ethnicity="01") == 1
            assert uow.people.count(within=TOWN_VILLAGE, as_of=date(2019, 10, 31)) == 0
            listed = uow.people.list()
            assert [p.id for p in listed] == sorted((p.id for p in people), key=str)
            page = uow.people.list(limit=2, offset=1)
            assert [p.id for p in page] == [p.id for p in listed[1:3]]
            assert all(p.residences for p in page)

    def test_likely_duplicates_and_merge(self, store: Store) -> None:
        one = sample_person(seq=21, with_id=False)
        two = attrs.evolve(sample_person(seq=22, with_id=False), id=uuid.uuid4())
        with store.unit_of_work(ADMIN) as uow:
            a = uow.people.add(one, reason="登记")
            b = uow.people.add(two, reason="登记")
            assert [p.id for p in uow.people.likely_duplicates(a)] == [b.id]
            merged = uow.people.merge(a, b, reason="同一人")
            uow.commit()
        assert merged.status is PersonStatus.MERGED and merged.merged_into == a.id
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.count() == 1
            assert uow.people.likely_duplicates(a) == []
            assert uow.people.history(b.id)[-1].kind is ChangeKind.MERGED

    def test_id_number_reusable_after_merge(self, store: Store) -> None:
        keep = sample_person(seq=31)
        dup = attrs.evolve(sample_person(seq=31), id=uuid.uuid4(), id_number=None)
        with store.unit_of_work(ADMIN) as uow:
            k = uow.people.add(keep, reason="登记")
            d = uow.people.add(dup, reason="登记")
            uow.people.merge(k, d, reason="同一人")
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.find_by_id_number(keep.id_number or "") == k

    def test_invalid_residence_unit(self, store: Store) -> None:
        with store.unit_of_work(ADMIN) as uow:
            with pytest.raises(ValidationError) as err:
                uow.people.add(sample_person(unit="360103001099"), reason="登记")
            assert err.value.code == "unit_not_found"
            with pytest.raises(ValidationError) as err:
                uow.people.add(sample_person(unit="360103001000"), reason="登记")
            assert err.value.code == "residence_level"
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.count() == 0

    def test_reason_required(self, store: Store) -> None:
        with store.unit_of_work(ADMIN) as uow, pytest.raises(ValidationError) as err:
            uow.people.add(sample_person(), reason=" ")
        assert err.value.code == "reason_required"

    # -- scope ---------------------------------------------------------------------------------
    def test_scope_enforced(self, store: Store) -> None:
        inside = sample_person(seq=41, unit=COMMUNITY_A)
        outside = sample_person(seq=42, unit=TOWN_VILLAGE)
        with store.unit_of_work(ADMIN) as uow:
            uow.people.add(inside, reason="登记")
            uow.people.add(outside, reason="登记")
            uow.commit()
        cadre = Actor.for_units("nanpu-cadre", "360103001")
        with store.unit_of_work(cadre) as uow:
            assert [p.id for p in uow.people.list()] == [inside.id]
            assert uow.people.count() == 1
            assert uow.people.count(within="360103") == 1
            assert uow.people.count(within="360103101") == 0
            assert uow.people.get(inside.id).id == inside.id
            with pytest.raises(PermissionDeniedError):
                uow.people.get(outside.id)
            with pytest.raises(PermissionDeniedError):
                uow.people.find_by_id_number(outside.id_number or "")
            with pytest.raises(PermissionDeniedError):
                uow.people.add(sample_person(seq=43, unit=TOWN_COMMUNITY), reason="登记")
            loaded = uow.people.get(inside.id)
            moved = loaded.move(
                Residence(
                    unit_code=TOWN_COMMUNITY,
                    status=ResidenceStatus.FLOATING,
                    arrival=date(2019, 9, 1),
                )
            )
            with pytest.raises(PermissionDeniedError):
                uow.people.save(moved, reason="搬迁")
            with pytest.raises(PermissionDeniedError):
                uow.units.add(Unit.create("360103101002", "新社区"), reason="新建")
            with pytest.raises(PermissionDeniedError):
                uow.units.get("360103101000")
            assert uow.units.get("360103000000").name == "西湖区"  # an ancestor is readable
            assert [u.code.value for u in uow.units.list()] == [
                "360103001000",
                "360103001001",
                "360103001002",
            ]
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.count() == 2

    # -- service windows and requests ----------------------------------------------------------
    def _window(self, store: Store, **kw: object) -> ServiceWindow:
        args: dict[str, object] = {
            "unit_code": "360103001",
            "name": "南浦街道民族工作服务窗口",
            "opened": date(2019, 1, 1),
            "categories": {ServiceCategory.LEGAL_AID, ServiceCategory.EMPLOYMENT},
            "time_limits": {ServiceCategory.LEGAL_AID: 10},
        }
        args.update(kw)
        with store.unit_of_work(ADMIN) as uow:
            window = uow.services.add_window(ServiceWindow(**args), reason="设立窗口")  # type: ignore[arg-type]
            uow.commit()
        return window

    def _applicant(self, store: Store, seq: int = 61, unit: str = COMMUNITY_A) -> Person:
        with store.unit_of_work(ADMIN) as uow:
            person = uow.people.add(sample_person(seq=seq, unit=unit), reason="登记")
            uow.commit()
        return person

    def _submit(
        self, store: Store, window: ServiceWindow, applicant: Person, at: datetime, **kw: object
    ) -> ServiceRequest:
        category = kw.pop("category", ServiceCategory.LEGAL_AID)
        with store.unit_of_work(ADMIN) as uow:
            request = uow.services.submit(
                ServiceRequest.submit(
                    window,
                    applicant_id=applicant.id,
                    category=category,  # type: ignore[arg-type]
                    received_at=at,
                    actor_id=ADMIN.id,
                    description="欠薪",
                )
            )
            uow.commit()
        return request

    def test_window_round_trip(self, store: Store) -> None:
        window = self._window(store)
        assert window.version == 1
        with store.unit_of_work(ADMIN) as uow:
            assert uow.services.get_window(window.id) == window
            assert uow.services.windows(within="360103") == [window]
            assert uow.services.windows(open_on=date(2018, 12, 31)) == []
            closed = uow.services.save_window(
                attrs.evolve(window, closed=date(2020, 1, 1)), reason="撤并"
            )
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.services.get_window(window.id) == closed
            assert uow.services.windows(open_on=date(2020, 1, 1)) == []
            assert uow.services.windows(within="360103101") == []

    def test_window_needs_township_unit(self, store: Store) -> None:
        with store.unit_of_work(ADMIN) as uow:
            with pytest.raises(ValidationError) as err:
                uow.services.add_window(
                    ServiceWindow(
                        unit_code="360103002",
                        name="x",
                        opened=date(2019, 1, 1),
                        categories={"other"},
                    ),
                    reason="r",
                )
            assert err.value.code == "unit_not_found"

    def test_request_lifecycle_round_trip(self, store: Store, clock: FixedClock) -> None:
        window = self._window(store)
        applicant = self._applicant(store)
        t0 = datetime(2019, 12, 1, 9, 0, tzinfo=CST)
        request = self._submit(store, window, applicant, t0)
        steps: list[tuple[str, dict[str, object]]] = [
            ("accept", {}),
            ("start", {}),
            ("request_documents", {"documents": ["劳动合同"]}),
            ("documents_received", {}),
            ("refer", {"to": "区人社局"}),
            ("referral_returned", {}),
            ("resolve", {"outcome": "已追回工资"}),
            ("follow_up", {"satisfaction": "satisfied"}),
            ("close", {}),
        ]
        loaded = act_in_turn(
            store, lambda uow: uow.services, request, steps, start=t0, every=timedelta(hours=1)
        )
        assert loaded.state == "closed" and loaded.version == 1 + len(steps)
        assert loaded.time_limit_days == 10
        assert loaded.events[3].data == {"documents": ["劳动合同"]}
        assert loaded.events[3].note == "第3步"
        assert loaded.paused() == timedelta(hours=1)
        assert loaded.resolved_on_time() is True

    def test_request_rules(self, store: Store) -> None:
        window = self._window(store, closed=date(2019, 12, 1))
        applicant = self._applicant(store)
        outsider = self._applicant(store, seq=62, unit=TOWN_VILLAGE)
        t0 = datetime(2019, 11, 1, 9, tzinfo=CST)
        with store.unit_of_work(ADMIN) as uow:
            for kw, code in (
                ({"received_at": datetime(2019, 12, 1, 9, tzinfo=CST)}, "window_closed"),
                ({"category": ServiceCategory.SCHOOLING}, "category_not_offered"),
            ):
                args: dict[str, object] = {
                    "applicant_id": applicant.id,
                    "received_at": t0,
                    "category": ServiceCategory.LEGAL_AID,
                }
                args.update(kw)
                with pytest.raises(ValidationError) as err:
                    uow.services.submit(ServiceRequest.submit(window, actor_id="a", **args))  # type: ignore[arg-type]
                assert err.value.code == code
        cadre = Actor.for_units("nanpu", "360103001")
        with store.unit_of_work(cadre) as uow, pytest.raises(PermissionDeniedError):
            uow.services.submit(
                ServiceRequest.submit(
                    window,
                    applicant_id=outsider.id,
                    category="legal_aid",
                    received_at=t0,
                    actor_id="nanpu",
                )
            )
        request = self._submit(store, window, applicant, t0)
        with store.unit_of_work(ADMIN) as uow:
            with pytest.raises(TransitionError):
                uow.services.act(request.id, "resolve", at=t0 + timedelta(hours=1), outcome="x")
            with pytest.raises(ValidationError) as err:
                uow.services.act(request.id, "decline", at=t0 + timedelta(hours=1))
            assert err.value.field == "reason"
            with pytest.raises(ValidationError) as err:
                uow.services.act(request.id, "accept", at=t0 - timedelta(hours=1))
            assert err.value.code == "event_before_previous"
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.services.get(request.id) == request
        with store.unit_of_work(Actor.for_units("taohua", "360103101")) as uow:
            with pytest.raises(PermissionDeniedError):
                uow.services.get(request.id)
            assert uow.services.list() == []

    def test_request_stale_version(self, store: Store) -> None:
        window = self._window(store)
        applicant = self._applicant(store)
        t0 = datetime(2019, 12, 1, 9, tzinfo=CST)
        request = self._submit(store, window, applicant, t0)
        assert_stale_write_refused(
            store,
            lambda uow: uow.services.get(request.id),
            lambda uow, r: uow.services.act(r, "accept", at=t0 + timedelta(hours=1)),
            lambda uow, r: uow.services.act(r, "decline", at=t0 + timedelta(hours=1), reason="x"),
        )
        with store.unit_of_work(ADMIN) as uow:
            assert uow.services.get(request.id).state == "accepted"

    def test_request_queries(self, store: Store) -> None:
        window = self._window(store)
        other = self._window(
            store, unit_code="360103101", name="桃花镇窗口", categories={ServiceCategory.EMPLOYMENT}
        )
        applicant = self._applicant(store)
        t0 = datetime(2019, 11, 1, 9, tzinfo=CST)
        late = self._submit(store, window, applicant, t0)
        paused_early = self._submit(store, window, applicant, t0 + timedelta(minutes=1))
        paused_late = self._submit(store, window, applicant, t0 + timedelta(minutes=2))
        done = self._submit(
            store, window, applicant, t0 + timedelta(minutes=3), category=ServiceCategory.EMPLOYMENT
        )
        fresh = self._submit(
            store, other, applicant, t0 + timedelta(days=10), category=ServiceCategory.EMPLOYMENT
        )
        with store.unit_of_work(ADMIN) as uow:
            for r in (late, paused_early, paused_late, done):
                uow.services.act(r.id, "accept", at=t0 + timedelta(hours=1))
                uow.services.act(r.id, "start", at=t0 + timedelta(hours=2))
            # legal aid: due t0+1h+10d; employment: due t0+1h+10d (default limit 10)
            uow.services.act(
                paused_early.id, "request_documents", at=t0 + timedelta(days=2), documents=["x"]
            )
            uow.services.act(
                paused_late.id, "request_documents", at=t0 + timedelta(days=12), documents=["x"]
            )
            uow.services.act(done.id, "resolve", at=t0 + timedelta(days=3), outcome="ok")
            uow.commit()
        as_of = t0 + timedelta(days=20)
        with store.unit_of_work(ADMIN) as uow:

            def ids(requests: list[ServiceRequest]) -> list[uuid.UUID]:
                return [r.id for r in requests]

            assert ids(uow.services.overdue(as_of)) == [late.id, paused_late.id]
            assert uow.services.count_overdue(as_of) == 2
            assert ids(uow.services.overdue(t0 + timedelta(days=5))) == []
            assert ids(uow.services.open_requests()) == [
                late.id,
                paused_early.id,
                paused_late.id,
                fresh.id,
            ]
            assert ids(uow.services.open_requests(window_id=other.id)) == [fresh.id]
            assert uow.services.count(within="360103001") == 4
            assert uow.services.count(category="employment") == 2
            assert uow.services.count(states={"resolved"}) == 1
            assert (
                uow.services.count(
                    received_from=t0 + timedelta(minutes=2), received_to=t0 + timedelta(days=1)
                )
                == 2
            )
            assert ids(uow.services.list(limit=2, offset=1)) == [paused_early.id, paused_late.id]
