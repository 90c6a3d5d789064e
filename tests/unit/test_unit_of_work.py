"""The unit of work, scope and the store registry, on the memory store (fast)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import attrs
import pytest

from minzu_core import CST, Actor, FixedClock, available_schemes, open_store
from minzu_core.codes import DivisionCode, mask_resident_id
from minzu_core.errors import (
    DuplicateError,
    MinzuError,
    PermissionDeniedError,
    UnknownStoreError,
    ValidationError,
)
from minzu_core.hierarchy import Unit
from minzu_core.privacy import intersect_scope
from minzu_core.store import Store
from minzu_core.testing.samples import SAMPLE_UNITS, sample_person

ADMIN = Actor.system("admin")


@pytest.fixture
def store() -> Store:
    clock = FixedClock(datetime(2019, 12, 16, 9, tzinfo=CST), tick=timedelta(seconds=1))
    s = open_store("memory://", clock=clock)
    with s.unit_of_work(ADMIN) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="测试")
        uow.commit()
    return s


def test_registry_lists_schemes() -> None:
    assert {"memory", "sqlite"} <= set(available_schemes())


def test_unknown_scheme_names_installed() -> None:
    with pytest.raises(UnknownStoreError) as err:
        open_store("oracle://x")
    assert err.value.code == "unknown_store"
    assert "memory" in str(err.value) and "sqlite" in str(err.value)
    with pytest.raises(UnknownStoreError) as err:
        open_store("no-scheme")
    assert err.value.code == "malformed_store_url"


def test_named_memory_store_is_shared() -> None:
    a = open_store("memory://shared-test")
    b = open_store("memory://shared-test")
    assert a.backend is b.backend
    assert open_store("memory://").backend is not open_store("memory://").backend


def test_uow_outside_with_block(store: Store) -> None:
    uow = store.unit_of_work(ADMIN)
    with pytest.raises(MinzuError) as err:
        uow.people.count()
    assert err.value.code == "unit_of_work_not_active"


def test_commit_then_continue(store: Store) -> None:
    one, two = sample_person(seq=1), sample_person(seq=2)
    with store.unit_of_work(ADMIN) as uow:
        uow.people.add(one, reason="登记")
        uow.commit()
        uow.people.add(two, reason="登记")
        # leaves without a second commit: only the first is kept
    with store.unit_of_work(ADMIN) as uow:
        assert uow.people.find(one.id) is not None
        assert uow.people.find(two.id) is None


def test_birth_date_and_arrival_not_in_future(store: Store) -> None:
    future = attrs.evolve(sample_person(with_id=False), birth_date=date(2019, 12, 17))
    with store.unit_of_work(ADMIN) as uow:
        with pytest.raises(ValidationError) as err:
            uow.people.add(future, reason="登记")
        assert err.value.code == "birth_date_in_future"
        with pytest.raises(ValidationError) as err:
            uow.people.add(sample_person(arrival=date(2020, 1, 1)), reason="登记")
        assert err.value.code == "arrival_in_future"


def test_guardian_must_exist(store: Store) -> None:
    import uuid

    child = attrs.evolve(sample_person(with_id=False), guardian_id=uuid.uuid4())
    with store.unit_of_work(ADMIN) as uow, pytest.raises(ValidationError) as err:
        uow.people.add(child, reason="登记")
    assert err.value.code == "guardian_not_found"


def test_scoped_actor_needs_residence(store: Store) -> None:
    cadre = Actor.for_units("cadre", "360103001")
    homeless = attrs.evolve(sample_person(), residences=())
    with store.unit_of_work(cadre) as uow, pytest.raises(PermissionDeniedError):
        uow.people.add(homeless, reason="登记")
    with store.unit_of_work(ADMIN) as uow:
        uow.people.add(homeless, reason="登记")


def test_actor_scope_rules() -> None:
    actor = Actor.for_units("a", "360103001", "360103001001", "360103101")
    assert actor.scope == (DivisionCode.parse("360103001"), DivisionCode.parse("360103101"))
    assert actor.covers(DivisionCode.parse("360103001002"))
    assert not actor.covers(DivisionCode.parse("360103002001"))
    assert actor.can_read_unit(DivisionCode.parse("360103"))
    assert not actor.can_read_unit(DivisionCode.parse("360102"))
    xihu = DivisionCode.parse("360103")
    assert intersect_scope(actor, xihu) == actor.scope
    assert intersect_scope(actor, DivisionCode.parse("360103001002")) == (
        DivisionCode.parse("360103001002"),
    )
    assert intersect_scope(actor, DivisionCode.parse("360102")) == ()
    assert intersect_scope(Actor.system(), None) is None
    assert Actor(id="nobody", scope=()).covers(xihu) is False


def test_no_personal_data_in_errors_or_logs(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """Provoke the errors a ledger write can raise; none may carry the ID, phone or name."""
    caplog.set_level(logging.DEBUG)
    person = sample_person(seq=5)
    assert person.id_number is not None and person.phone is not None
    secrets = [person.id_number, person.phone, person.name, person.id_number[6:14]]
    messages: list[str] = []
    with store.unit_of_work(ADMIN) as uow:
        stored = uow.people.add(person, reason="登记")
        messages.append(repr(stored) + str(stored))
        for action in (
            lambda: uow.people.add(
                attrs.evolve(person, id=__import__("uuid").uuid4()), reason="重复"
            ),
            lambda: uow.people.save(attrs.evolve(stored, version=7), reason="旧版本"),
            lambda: uow.people.add(sample_person(seq=6, unit="360103001000"), reason="层级"),
        ):
            with pytest.raises(MinzuError) as err:
                action()
            messages.append(str(err.value) + repr(err.value) + repr(err.value.to_dict()))
        uow.commit()
    cadre = Actor.for_units("cadre", "360103101")
    with store.unit_of_work(cadre) as uow, pytest.raises(PermissionDeniedError) as err:
        uow.people.find_by_id_number(person.id_number)
    messages.append(str(err.value) + repr(err.value.to_dict()))
    history = store.unit_of_work(ADMIN)
    with history as uow:
        messages.extend(repr(r) for r in uow.people.history(person.id))
    messages.extend(r.getMessage() for r in caplog.records)
    text = "\n".join(messages)
    for secret in secrets:
        assert secret not in text
    assert mask_resident_id(person.id_number) in text


def test_duplicate_error_is_masked(store: Store) -> None:
    person = sample_person(seq=9)
    with store.unit_of_work(ADMIN) as uow:
        uow.people.add(person, reason="登记")
        with pytest.raises(DuplicateError) as err:
            uow.people.add(attrs.evolve(person, id=__import__("uuid").uuid4()), reason="登记")
    assert err.value.field == "id_number"
    assert err.value.message_en and err.value.message_zh


def test_every_repository_requires_a_reason_and_typed_ids(store: Store) -> None:
    """Windows, requests and disputes refuse a blank reason before writing anything, and a
    malformed id is a typed error naming the field."""
    from minzu_core.disputes import Dispute, Party
    from minzu_core.services import ServiceWindow

    window = ServiceWindow(
        unit_code="360103001", name="窗口", opened=date(2019, 1, 1), categories={"other"}
    )
    dispute = Dispute.register(
        origin_unit="360103001001",
        parties=[Party(name="甲"), Party(name="乙")],
        category="邻里",
        severity="一般",
        source="排查",
        registered_at=datetime(2019, 12, 1, tzinfo=CST),
        actor_id="a",
    )
    with store.unit_of_work(ADMIN) as uow:
        for action in (
            lambda: uow.services.add_window(window, reason=" "),
            lambda: uow.disputes.register(dispute, reason=""),
        ):
            with pytest.raises(ValidationError) as err:
                action()
            assert err.value.code == "reason_required"
        with pytest.raises(ValidationError) as err:
            uow.disputes.get("not-a-uuid")
        assert (err.value.code, err.value.field) == ("invalid_id", "dispute_id")
        uow.commit()
    with store.unit_of_work(ADMIN) as uow:
        assert uow.services.windows() == [] and uow.disputes.count() == 0


def test_case_actions_cannot_be_dated_in_the_future(store: Store) -> None:
    """Like submit and register, an action on a request or a dispute may not be dated after
    the clock's now (the demo-year helper found act() accepted it)."""
    from minzu_core.disputes import Dispute, Party
    from minzu_core.services import ServiceRequest, ServiceWindow

    admin = Actor.system("test")
    with store.unit_of_work(admin) as uow:
        now = uow.clock()
        person = uow.people.add(sample_person(unit="360103001001"), reason="测试")
        window = uow.services.add_window(
            ServiceWindow(
                unit_code="360103001", name="窗口", opened=date(2019, 1, 1), categories={"other"}
            ),
            reason="测试",
        )
        request = uow.services.submit(
            ServiceRequest.submit(
                window,
                applicant_id=person.id,
                category="other",
                received_at=now - timedelta(days=2),
                actor_id=admin.id,
            )
        )
        with pytest.raises(ValidationError) as caught:
            uow.services.act(request, "accept", at=now + timedelta(days=1))
        assert caught.value.code == "event_in_future" and caught.value.field == "at"
        accepted = uow.services.act(request, "accept", at=now - timedelta(days=1))
        assert accepted.state == "accepted"
        dispute = uow.disputes.register(
            Dispute.register(
                origin_unit="360103001001",
                parties=[Party(name="甲"), Party(name="乙")],
                category="neighbour",
                severity="ordinary",
                source="application",
                registered_at=now - timedelta(days=2),
                actor_id=admin.id,
            )
        )
        with pytest.raises(ValidationError) as caught:
            uow.disputes.act(dispute, "accept", at=now + timedelta(hours=1))
        assert caught.value.code == "event_in_future"


def test_lookup_by_id_number_judges_the_birth_date_by_the_store_clock() -> None:
    """A number born after the store's today is refused, even if the system clock is later."""
    from minzu_core.codes import make_resident_id

    store = open_store("memory://", clock=FixedClock(datetime(2019, 12, 16, 9, tzinfo=CST)))
    born_2020 = make_resident_id("360103", date(2020, 5, 1), 12)
    born_2018 = make_resident_id("360103", date(2018, 5, 1), 12)
    with store.unit_of_work(Actor.system("t")) as uow:
        assert uow.people.find_by_id_number(born_2018) is None
        with pytest.raises(ValidationError) as raised:
            uow.people.find_by_id_number(born_2020)
    assert raised.value.code == "invalid_resident_id" and raised.value.field == "id_number"
    assert raised.value.details == {"reason": "birth_date_in_future"}
    store.close()
