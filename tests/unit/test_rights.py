"""The rights of the person (minzu_core.store.rights): anonymisation of records and snapshots,
the retention policy, the redaction rule, records merged into an erased person, and a store
without the erasure port."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import attrs
import pytest

from minzu_core import CST, Actor, FixedClock, Store, open_store
from minzu_core.disputes.model import Dispute, Party
from minzu_core.errors import StoreError, ValidationError
from minzu_core.hierarchy import Unit
from minzu_core.ledger.model import Person, ResidenceStatus
from minzu_core.serialization import structure, unstructure
from minzu_core.store.rights import (
    DEFAULT_FLOATING_YEARS,
    ERASED_NAME,
    ERASED_TEXT,
    ErasureReport,
    RetentionPolicy,
    anonymise_snapshot,
    anonymised,
    erase_person,
    export_person,
    is_erased,
    redacted_dispute,
    redaction_keeps_facts,
)
from minzu_core.testing.samples import COMMUNITY_A, SAMPLE_UNITS, sample_person

ADMIN = Actor.system("test-rights")
NOW = datetime(2019, 12, 16, 9, 0, tzinfo=CST)


def _store() -> Store:
    store = open_store("memory://", clock=FixedClock(NOW, tick=timedelta(seconds=1)))
    with store.unit_of_work(ADMIN) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="r")
        uow.commit()
    return store


def test_anonymised_keeps_what_aggregates_need() -> None:
    person = sample_person(seq=11)
    anon = anonymised(person)
    assert is_erased(anon) and not is_erased(person)
    assert (anon.name, anon.id_number, anon.phone, anon.guardian_id) == (
        ERASED_NAME,
        None,
        None,
        None,
    )
    assert anon.household is not None and person.household is not None
    assert (anon.household.division_code, anon.household.address) == (
        person.household.division_code,
        None,
    )
    assert (anon.ethnicity, anon.gender, anon.language, anon.status, anon.id) == (
        person.ethnicity,
        person.gender,
        person.language,
        person.status,
        person.id,
    )
    assert anon.birth_date == date(person.birth_date.year, 1, 1)  # type: ignore[union-attr]
    (before,), (after,) = person.residences, anon.residences
    assert attrs.evolve(before, address=None, employer=None, employer_uscc=None) == after
    assert after.occupation == before.occupation


def test_snapshot_anonymisation_matches_the_record() -> None:
    person = attrs.evolve(sample_person(seq=12), version=3)
    snapshot = unstructure(person)
    assert anonymise_snapshot(snapshot) == unstructure(anonymised(person))
    assert structure(anonymise_snapshot(snapshot), Person) == anonymised(person)
    assert anonymise_snapshot({"action": "submit", "state": "submitted"}) == {
        "action": "submit",
        "state": "submitted",
    }


def test_an_added_identifier_makes_a_record_erasable_again() -> None:
    anon = anonymised(sample_person(seq=13))
    assert not is_erased(attrs.evolve(anon, phone="13900001111"))
    assert not is_erased(attrs.evolve(anon, name="某某"))


def test_retention_policy() -> None:
    assert RetentionPolicy().floating_years == DEFAULT_FLOATING_YEARS == 3
    assert RetentionPolicy().cutoff(date(2020, 2, 29)) == date(2017, 2, 28)
    assert RetentionPolicy(floating_years=5).cutoff(date(2019, 12, 16)) == date(2014, 12, 16)
    for bad in (0, -1, 101, True, "3"):
        with pytest.raises(ValidationError) as err:
            RetentionPolicy(floating_years=bad)  # type: ignore[arg-type]
        assert err.value.code == "invalid_retention"
    person = sample_person(seq=14, status=ResidenceStatus.FLOATING, arrival=date(2010, 1, 1))
    gone = attrs.evolve(person.residences[0], departure=date(2016, 1, 1))
    left = attrs.evolve(person, residences=(gone,))
    policy = RetentionPolicy()
    assert policy.applies_to(left, date(2019, 12, 16))
    assert not policy.applies_to(left, date(2018, 12, 16))  # not yet 3 years
    assert not policy.applies_to(person, date(2019, 12, 16))  # still present
    assert not policy.applies_to(anonymised(left), date(2019, 12, 16))  # already erased
    resident = attrs.evolve(left, residences=(attrs.evolve(gone, status="resident"),))
    assert not policy.applies_to(resident, date(2019, 12, 16))


def test_a_redaction_may_change_free_texts_only() -> None:
    pid = uuid.uuid4()
    dispute = Dispute.register(
        origin_unit=COMMUNITY_A,
        parties=[Party(person_id=pid, name="某甲"), Party(name="某乙")],
        category="经营/租赁",
        severity="一般",
        source="当事人申请",
        registered_at=NOW,
        actor_id="a",
        narrative="纠纷经过",
    )
    redacted = redacted_dispute(dispute, pid)
    assert redacted.narrative == ERASED_TEXT and [p.name for p in redacted.parties] == [
        None,
        "某乙",
    ]
    assert redaction_keeps_facts(dispute, redacted)
    assert not redaction_keeps_facts(dispute, attrs.evolve(redacted, version=2))
    assert not redaction_keeps_facts(dispute, attrs.evolve(dispute, parties=dispute.parties[::-1]))
    moved = dispute.act("accept", at=NOW + timedelta(hours=1), actor_id="a")
    assert not redaction_keeps_facts(dispute, moved)


def test_erasure_covers_records_merged_into_the_person() -> None:
    store = _store()
    with store.unit_of_work(ADMIN) as uow:
        keep = uow.people.add(sample_person(seq=21), reason="登记")
        duplicate = uow.people.add(sample_person(seq=22, with_id=False), reason="登记")
        uow.people.merge(keep, duplicate, reason="同一人")
        uow.commit()
    with store.unit_of_work(ADMIN) as uow:
        report = erase_person(uow, keep.id, reason="本人申请")
        uow.commit()
    assert report == ErasureReport(keep.id, False, 2, 3, 0, 0)
    assert report.to_dict()["records"] == 2
    with store.unit_of_work(ADMIN) as uow:
        assert is_erased(uow.people.get(keep.id)) and is_erased(uow.people.get(duplicate.id))
        merged = uow.people.get(duplicate.id)
        assert merged.merged_into == keep.id  # the merge link is kept
        snapshots = [h.snapshot["name"] for h in uow.people.history(duplicate.id)]
        assert snapshots == [ERASED_NAME] * 3
        erased = [e.entity_id for e in uow.audit.entries() if e.operation.value == "erase"]
    assert sorted(erased) == sorted([str(keep.id), str(duplicate.id)])


class _Plain:
    """A session without the erasure port (delegates the rest)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name in {"requests_of_applicant", "redact_request", "replace_history_snapshot"}:
            raise AttributeError(name)
        return getattr(self._inner, name)


def test_a_store_without_the_port_says_so() -> None:
    store = _store()
    with store.unit_of_work(ADMIN) as uow:
        person = uow.people.add(sample_person(seq=31), reason="登记")
        uow.commit()
    with store.unit_of_work(ADMIN) as uow:
        uow._session = _Plain(uow.session)
        for call in (
            lambda: export_person(uow, person.id),
            lambda: erase_person(uow, person.id, reason="r"),
        ):
            with pytest.raises(StoreError) as err:
                call()
            assert err.value.code == "erasure_unsupported"
