"""The privacy part of the storage contract (隐私契约测试): field permissions and masking, the
purpose of processing, masked values never stored, the audit trail (every write and every
clear read, a chain that verifies, reads kept when a unit of work rolls back, queries by person
and actor, the audit view limited to the roles that hold it), and declared extension fields.

Mixed into :class:`~minzu_core.testing.StoreContract`; it needs the ``store`` fixture.
"""

from __future__ import annotations

import itertools
from datetime import date

import attrs
import pytest

from minzu_core.codes.resident_id import make_resident_id
from minzu_core.errors import PermissionDeniedError, ValidationError
from minzu_core.ledger.model import Person, Residence, ResidenceStatus
from minzu_core.privacy.actor import Actor
from minzu_core.privacy.audit import AuditOperation
from minzu_core.privacy.extensions import ExtensionField, ExtensionRegistry, ProhibitedFieldError
from minzu_core.privacy.permissions import (
    ANALYST,
    AUDITOR,
    COMMUNITY_CADRE,
    MEDIATOR,
    FieldGroup,
    SensitiveField,
    is_masked,
)
from minzu_core.store.factory import Store
from minzu_core.testing.samples import ADMIN, COMMUNITY_A, sample_person

__all__ = ["PrivacyContract"]

CADRE = Actor.for_units("privacy-cadre", "360103001", roles={COMMUNITY_CADRE})
ANALYST_ACTOR = Actor.for_units("privacy-analyst", "360103001", roles={ANALYST})
MEDIATOR_ACTOR = Actor.for_units("privacy-mediator", "360103001", roles={MEDIATOR})
NO_ROLES = Actor.for_units("privacy-nobody", "360103001")
AUDITOR_ACTOR = Actor.for_units("privacy-auditor", "360103001", roles={AUDITOR})


def _add(store: Store, person: Person) -> Person:
    with store.unit_of_work(ADMIN) as uow:
        stored = uow.people.add(person, reason="契约测试: 登记")
        uow.commit()
    return stored


def _minor(seq: int = 7) -> Person:
    born = date(2012, 5, 1)  # under 14 on the contract clock's day (2019-12-16)
    return Person(
        name="小明",
        ethnicity="05",
        id_number=make_resident_id("360103", born, seq),
        phone="13900001111",
        residences=(
            Residence(
                unit_code=COMMUNITY_A,
                status=ResidenceStatus.RESIDENT,
                arrival=date(2015, 1, 1),
                address="南昌市西湖区某路 2 号",
            ),
        ),
    )


class PrivacyContract:
    """Permissions, masking, purposes and the audit trail on every store."""

    # -- masking and purpose -------------------------------------------------------------------
    def test_clear_read_needs_permission_and_purpose(self, store: Store) -> None:
        stored = _add(store, sample_person(seq=401))
        number = stored.id_number
        assert number is not None
        with store.unit_of_work(CADRE) as uow:  # no purpose: masked
            seen = uow.people.get(stored.id)
            assert is_masked(seen.name) and seen.name[0] == stored.name[0]
            assert seen.id_number == number[:4] + "*" * 10 + number[-4:]
            assert seen.phone == "138****1234"
            assert is_masked(seen.birth_date)
            assert seen.ethnicity == stored.ethnicity  # aggregates need it: never masked
            assert seen.residences[0].unit_code == stored.residences[0].unit_code
            assert is_masked(seen.residences[0].address)
        with store.unit_of_work(CADRE, purpose="台账管理") as uow:
            assert uow.people.get(stored.id) == stored
            assert uow.people.find_by_id_number(number) == stored
            assert uow.people.list(within=COMMUNITY_A) == [stored]
        for actor, purpose in ((ANALYST_ACTOR, "统计分析"), (NO_ROLES, "台账管理")):
            with store.unit_of_work(actor, purpose=purpose) as uow:
                seen = uow.people.get(stored.id)
                assert seen.id_number != number and is_masked(seen.id_number)
                assert seen.phone == "138****1234"
        with store.unit_of_work(MEDIATOR_ACTOR, purpose="服务办理") as uow:  # not its purpose
            assert is_masked(uow.people.get(stored.id).phone)
        with pytest.raises(ValidationError) as err:
            store.unit_of_work(CADRE, purpose="好奇")
        assert err.value.code == "unknown_purpose"

    def test_minor_records_need_the_minors_group(self, store: Store) -> None:
        child = _add(store, _minor())
        with store.unit_of_work(MEDIATOR_ACTOR, purpose="矛盾调解") as uow:
            seen = uow.people.get(child.id)
            assert is_masked(seen.name) and is_masked(seen.id_number) and is_masked(seen.phone)
        with store.unit_of_work(CADRE, purpose="台账管理") as uow:
            assert uow.people.get(child.id) == child

    def test_masked_values_are_never_stored(self, store: Store) -> None:
        stored = _add(store, sample_person(seq=402))
        with store.unit_of_work(CADRE) as uow:  # reads masked, changes a non-personal field
            seen = uow.people.get(stored.id)
            changed = attrs.evolve(seen, language="fluent")
            uow.people.save(changed, reason="契约测试: 更新语言水平")
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            now = uow.people.get(stored.id)
        assert now.language is not None and now.language.value == "fluent"
        assert (now.name, now.id_number, now.phone, now.birth_date) == (
            stored.name,
            stored.id_number,
            stored.phone,
            stored.birth_date,
        )
        assert now.residences[0].address == stored.residences[0].address
        assert now.household == stored.household
        with store.unit_of_work(ADMIN) as uow:
            masked = attrs.evolve(sample_person(seq=403), phone="138****1234")
            with pytest.raises(ValidationError) as err:
                uow.people.add(masked, reason="契约测试")
        assert err.value.code == "masked_value"

    def test_writes_need_the_groups_they_change(self, store: Store) -> None:
        stored = _add(store, sample_person(seq=404))
        with store.unit_of_work(NO_ROLES) as uow:
            with pytest.raises(PermissionDeniedError) as err:
                uow.people.add(sample_person(seq=405), reason="契约测试")
            assert err.value.code == "field_group_denied"
        with store.unit_of_work(MEDIATOR_ACTOR, purpose="矛盾调解") as uow:
            seen = uow.people.get(stored.id)
            with pytest.raises(PermissionDeniedError) as err:
                uow.people.save(attrs.evolve(seen, phone="13900002222"), reason="契约测试")
            assert err.value.code == "field_group_denied"
            assert err.value.details["field_groups"] == ["contact"]
        with store.unit_of_work(CADRE) as uow:  # writing needs no purpose, only the permission
            seen = uow.people.get(stored.id)
            uow.people.save(attrs.evolve(seen, phone="13900002222"), reason="契约测试: 新电话")
            uow.commit()
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.get(stored.id).phone == "13900002222"

    # -- audit trail ---------------------------------------------------------------------------
    def test_writes_and_clear_reads_are_audited(self, store: Store) -> None:
        stored = _add(store, sample_person(seq=406))
        pid = str(stored.id)
        with store.unit_of_work(CADRE) as uow:  # masked read: nothing to audit
            uow.people.get(stored.id)
            uow.commit()
        with store.unit_of_work(CADRE, purpose="台账管理", reason="核对台账") as uow:
            uow.people.get(stored.id)
            uow.people.get(stored.id)  # the same read twice is one entry
        # left without commit: the read is audited all the same
        with store.unit_of_work(ADMIN) as uow:
            about = uow.audit.who_saw(pid)
        ops = [(e.operation, e.actor_id) for e in about]
        assert ops == [
            (AuditOperation.CREATE, ADMIN.id),
            (AuditOperation.READ, CADRE.id),
        ]
        created, read = about
        assert created.field_groups == {FieldGroup.IDENTITY, FieldGroup.CONTACT}
        assert read.field_groups == {FieldGroup.IDENTITY, FieldGroup.CONTACT}
        assert read.purpose == "ledger_management" and read.reason == "核对台账"
        assert store.verify_audit() == []
        # no personal data in any entry
        text = repr(about) + "".join(e.reason for e in about)
        assert stored.name not in text and str(stored.id_number) not in text

    def test_audit_view_needs_the_audit_role(self, store: Store) -> None:
        _add(store, sample_person(seq=407))
        with store.unit_of_work(CADRE) as uow:
            with pytest.raises(PermissionDeniedError) as err:
                uow.audit.entries()
            assert err.value.code == "audit_denied"
        with store.unit_of_work(AUDITOR_ACTOR) as uow:
            entries = uow.audit.entries(actor_id=ADMIN.id)
        assert entries and {e.actor_id for e in entries} == {ADMIN.id}
        assert [e.seq for e in entries] == sorted(e.seq for e in entries)

    def test_failed_unit_of_work_keeps_only_its_reads(self, store: Store) -> None:
        stored = _add(store, sample_person(seq=408))
        with store.unit_of_work(ADMIN) as uow:
            before = uow.audit.last()
        assert before is not None
        with pytest.raises(RuntimeError), store.unit_of_work(CADRE, purpose="台账管理") as uow:
            seen = uow.people.get(stored.id)
            uow.people.save(attrs.evolve(seen, phone="13900003333"), reason="契约测试")
            raise RuntimeError("the unit of work fails")
        with store.unit_of_work(ADMIN) as uow:
            after = uow.audit.entries(after_seq=before.seq)
            assert uow.people.get(stored.id).phone == stored.phone
        assert [e.operation for e in after] == [AuditOperation.READ]
        assert store.verify_audit() == []

    def test_chain_spans_units_of_work(self, store: Store) -> None:
        for seq in range(410, 415):
            _add(store, sample_person(seq=seq))
        with store.unit_of_work(ADMIN) as uow:
            entries = uow.audit.entries()
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        assert all(a.hash == b.prev_hash for a, b in itertools.pairwise(entries))
        assert store.verify_audit() == []
        assert store.verify_audit(head="0" * 64) != []  # a head kept elsewhere must match

    # -- extension fields: declared, for a purpose; service, not surveillance --------------------
    def test_extension_fields_must_be_declared(self, store: Store) -> None:
        registry = ExtensionRegistry(
            (
                ExtensionField("preferred_language", "service_handling", "general"),
                ExtensionField("hardship_note", "service_handling", "sensitive"),
            )
        )
        declared = Store(store.backend, clock=store.clock, extensions=registry)
        values = {"preferred_language": "维吾尔语", "hardship_note": "低保户"}
        with declared.unit_of_work(ADMIN) as uow:
            with pytest.raises(ValidationError) as err:  # the store's default: nothing declared
                uow.people.add(
                    attrs.evolve(sample_person(seq=420), extensions={"shoe_size": 42}),
                    reason="契约测试",
                )
            assert err.value.code == "undeclared_extension_field"
            stored = uow.people.add(
                attrs.evolve(sample_person(seq=421), extensions=values), reason="契约测试"
            )
            uow.commit()
        # a store without the declaration refuses them too
        with store.unit_of_work(ADMIN) as uow, pytest.raises(ValidationError):
            uow.people.add(
                attrs.evolve(sample_person(seq=422), extensions=values), reason="契约测试"
            )
        with declared.unit_of_work(ADMIN) as uow:
            assert uow.people.get(stored.id).extensions == values
        with declared.unit_of_work(CADRE) as uow:  # no purpose: the sensitive value is masked
            seen = uow.people.get(stored.id)
            assert seen.extensions["preferred_language"] == "维吾尔语"
            assert is_masked(seen.extensions["hardship_note"], SensitiveField.NARRATIVE)
            uow.people.save(attrs.evolve(seen, language="fluent"), reason="契约测试")
            uow.commit()
        with declared.unit_of_work(CADRE, purpose="台账管理") as uow:
            assert uow.people.get(stored.id).extensions == values  # the mask was not stored
        with pytest.raises(ProhibitedFieldError) as refused:
            registry.declare(ExtensionField("religion", "service_handling", "sensitive"))
        assert "principle 7" in refused.value.message_en
