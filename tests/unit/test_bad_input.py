"""Text no store can keep (issue 18): a lone surrogate (from broken UTF-16 sources) or a NUL is
refused at construction with ``invalid_text`` naming the field, on every text field and every
store alike (the SQL stores used to fail with ``UnicodeEncodeError``, memory stored it); a reason
that is not text is ``invalid_type``."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minzu_core.checks import require_reason, storable_text
from minzu_core.errors import ValidationError
from minzu_core.ledger.model import Person, Residence
from minzu_core.store.factory import Store
from minzu_core.testing.samples import ADMIN, sample_person


@pytest.mark.parametrize("bad", ["a\ud800", "\udfffb", "a\x00b"])
def test_unstorable_text_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        Person(name=bad, ethnicity="05")
    assert (err.value.code, err.value.field) == ("invalid_text", "name")
    with pytest.raises(ValidationError) as err:
        Residence(unit_code="360103001001", status="流动", arrival="2019-01-01", address=bad)
    assert err.value.field == "address"
    with pytest.raises(ValidationError) as err:
        require_reason(bad)
    assert (err.value.code, err.value.field) == ("invalid_text", "reason")


@given(st.text())
def test_text_that_encodes_as_utf8_without_nul_is_kept(text: str) -> None:
    try:
        text.encode("utf-8")
        storable = "\x00" not in text
    except UnicodeEncodeError:
        storable = False
    if storable:
        assert storable_text(text, "f") == text
    else:
        with pytest.raises(ValidationError):
            storable_text(text, "f")


@pytest.mark.parametrize("reason", [5, 1.5, b"bytes", ["x"]])
def test_a_reason_that_is_not_text(reason: Any) -> None:
    with pytest.raises(ValidationError) as err:
        require_reason(reason)
    assert (err.value.code, err.value.field) == ("invalid_type", "reason")


@pytest.fixture
def store(sample_store: Store) -> Store:
    """A memory and a SQLite store with the sample hierarchy (``sample_store``)."""
    return sample_store


def test_a_refused_reason_stores_nothing(store: Store) -> None:
    with store.unit_of_work(ADMIN) as uow:
        with pytest.raises(ValidationError):
            uow.people.add(sample_person(seq=5), reason="导入\ud800")
        uow.commit()
    with store.unit_of_work(ADMIN) as uow:
        assert uow.people.count() == 0


def test_wrong_types_at_the_edges_are_typed_errors() -> None:
    from datetime import datetime

    from minzu_core.clock import CST
    from minzu_core.hierarchy.model import Unit
    from minzu_core.lifecycle import Event

    with pytest.raises(ValidationError) as err:
        Unit.create("360103001009", "某社区", version=-1)
    assert (err.value.code, err.value.field) == ("negative_count", "version")
    at = datetime(2019, 6, 3, 9, 0, tzinfo=CST)
    for kwargs, field in [
        ({"action": 5, "at": at, "actor_id": "a"}, "action"),
        ({"action": "accept", "at": "2019-06-03 09:00", "actor_id": "a"}, "at"),
        ({"action": "accept", "at": at, "actor_id": None}, "actor_id"),
        ({"action": "accept", "at": at, "actor_id": "a", "note": "x\ud800"}, "note"),
        ({"action": "accept", "at": at, "actor_id": "a", "data": ["x"]}, "data"),
    ]:
        with pytest.raises(ValidationError) as err:
            Event(**kwargs)
        assert err.value.field == field


def test_list_filters_are_parsed_by_the_one_rule(store: Store) -> None:
    from minzu_core.ledger.model import ResidenceStatus

    with store.unit_of_work(ADMIN) as uow:
        uow.people.add(sample_person(seq=7), reason="登记")  # floating (流动)
        uow.commit()
    with store.unit_of_work(ADMIN) as uow:
        floating = uow.people.list(status=ResidenceStatus.FLOATING)
        assert len(floating) == 1
        for spelling in ("流动", "floating", "FLOATING"):
            assert uow.people.list(status=spelling) == floating
        assert uow.people.count(status="常住") == 0
        with pytest.raises(ValidationError) as err:
            uow.people.list(status="bogus")
        assert (err.value.code, err.value.field) == ("invalid_choice", "status")
        with pytest.raises(ValidationError):
            uow.people.list(minority="yes")


def test_an_instant_before_the_first_utc_moment_is_refused_not_clamped() -> None:
    from datetime import datetime

    from minzu_core.clock import CST, require_aware
    from minzu_core.lifecycle import Event

    with pytest.raises(ValidationError) as err:
        Event("submit", datetime(1, 1, 1, 3, 0, tzinfo=CST), "a")
    assert (err.value.code, err.value.field) == ("datetime_out_of_range", "at")
    assert require_aware(datetime(1, 1, 1, 9, 0, tzinfo=CST), "at").year == 1


def test_activity_type_filters_are_read_by_the_type_vocabulary(store: Store) -> None:
    from datetime import date

    from minzu_core.activities.model import Activity

    with store.unit_of_work(ADMIN) as uow:
        uow.activities.add(
            Activity("safety_education", "360103001", "安全宣传", date(2019, 5, 1), participants=3),
            reason="登记",
        )
        uow.commit()
    with store.unit_of_work(ADMIN) as uow:
        for spelling in ("safety_education", "安全宣传教育", "Safety Education"):
            assert uow.activities.count(type=spelling) == 1
            assert len(uow.activities.list(type=spelling)) == 1
        with pytest.raises(ValidationError) as err:  # not a label: an error, not a silent 0
            uow.activities.count(type="安全教育")
        assert (err.value.code, err.value.field) == ("unknown_activity_type", "type")
