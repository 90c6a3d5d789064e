"""Permissions as data, purposes and masking (issue 13, parts 1 and 2)."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from minzu_core.codes.resident_id import make_resident_id
from minzu_core.errors import PermissionDeniedError, ValidationError
from minzu_core.privacy import (
    ANALYST,
    AUDITOR,
    COMMUNITY_CADRE,
    DEFAULT_PERMISSION_POLICY,
    DEFAULT_PURPOSES,
    ETHNIC_AFFAIRS_OFFICER,
    MASKED_TEXT,
    MEDIATION,
    MEDIATOR,
    PRIVACY_OFFICER,
    SERVICE_HANDLING,
    STATISTICS,
    WINDOW_CLERK,
    FieldGroup,
    Grant,
    Operation,
    PermissionPolicy,
    PolicyRole,
    Purpose,
    SensitiveField,
    groups_of,
    is_masked,
    is_minor,
    mask_value,
    refuse_masked,
)
from minzu_core.privacy.permissions import FieldAccess

POLICY = DEFAULT_PERMISSION_POLICY
ALL = frozenset(FieldGroup)
ID_NUMBER = make_resident_id("360102", date(1990, 3, 7), 1)
SAMPLES = {
    SensitiveField.NAME: "张三",
    SensitiveField.ID_NUMBER: ID_NUMBER,
    SensitiveField.BIRTH_DATE: date(1990, 3, 7),
    SensitiveField.PHONE: "13812341234",
    SensitiveField.ADDRESS: "江西省南昌市西湖区朝阳中路 100 号",
    SensitiveField.GUARDIAN: uuid.UUID(int=7),
    SensitiveField.NARRATIVE: "两户因漏水发生争执",
}


# -- vocabularies ---------------------------------------------------------------------------------


def test_labels_are_bilingual_and_parse() -> None:
    assert FieldGroup.IDENTITY.label_zh == "身份信息"
    assert FieldGroup.parse("联系方式", field="g") is FieldGroup.CONTACT
    assert Operation.parse("WRITE", field="op") is Operation.WRITE
    with pytest.raises(ValidationError) as info:
        FieldGroup.parse("religion", field="g")
    assert info.value.code == "invalid_choice"


def test_purpose_vocabulary_lookup_and_extension() -> None:
    assert DEFAULT_PURPOSES.get("服务办理").code == SERVICE_HANDLING
    assert DEFAULT_PURPOSES.get("Dispute Mediation").code == MEDIATION
    assert DEFAULT_PURPOSES.get(" statistics ").label_zh == "统计分析"
    with pytest.raises(ValidationError) as info:
        DEFAULT_PURPOSES.get("legal_aid")
    assert info.value.code == "unknown_purpose"
    assert "service_handling" in info.value.details["allowed"]
    extended = DEFAULT_PURPOSES.extend(Purpose("legal_aid", "法律援助", "legal aid"))
    assert extended.get("法律援助").code == "legal_aid"
    assert "legal_aid" not in DEFAULT_PURPOSES  # the default is never mutated
    assert len(extended) == len(DEFAULT_PURPOSES) + 1
    with pytest.raises(ValidationError) as dup:
        extended.extend(Purpose("legal_aid", "法律援助", "legal aid"))
    assert dup.value.code == "duplicate_purpose"
    with pytest.raises(ValidationError) as bad:
        Purpose("Legal Aid", "法律援助", "legal aid")
    assert bad.value.code == "invalid_code"


# -- the policy -----------------------------------------------------------------------------------


def test_default_policy_round_trips_through_json() -> None:
    text = POLICY.to_json()
    data = json.loads(text)
    assert {r["code"] for r in data["roles"]} >= {ETHNIC_AFFAIRS_OFFICER, ANALYST, AUDITOR}
    assert PermissionPolicy.from_json(text) == POLICY
    assert PermissionPolicy.from_data(POLICY.to_data()) == POLICY
    POLICY.check_purposes()


def test_policy_refuses_undeclared_roles_and_unknown_purposes() -> None:
    with pytest.raises(ValidationError) as info:
        PermissionPolicy(roles=(), grants=(Grant("ghost", {"read"}, {"identity"}),))
    assert info.value.code == "unknown_role"
    role = PolicyRole("x", "甲", "x")
    with pytest.raises(ValidationError) as dup:
        PermissionPolicy(roles=(role, role), grants=())
    assert dup.value.code == "duplicate_role"
    odd = PermissionPolicy(
        roles=(role,), grants=(Grant("x", {"read"}, {"contact"}, {"legal_aid"}),)
    )
    with pytest.raises(ValidationError) as purpose:
        odd.check_purposes()
    assert purpose.value.code == "unknown_purpose"
    odd.check_purposes(DEFAULT_PURPOSES.extend(Purpose("legal_aid", "法律援助", "legal aid")))


def test_a_host_can_replace_the_policy() -> None:
    policy = PermissionPolicy(
        roles=(PolicyRole("volunteer", "志愿者", "volunteer"),),
        grants=(Grant("volunteer", {Operation.READ}, {FieldGroup.CONTACT}, {SERVICE_HANDLING}),),
    )
    access = policy.access({"volunteer"}, SERVICE_HANDLING)
    assert access.readable == {FieldGroup.CONTACT}
    assert access.writable == frozenset()
    assert POLICY.access({"volunteer"}, SERVICE_HANDLING).readable == frozenset()


def test_no_roles_means_no_field_group() -> None:
    access = POLICY.access((), SERVICE_HANDLING)
    assert access == FieldAccess(purpose=DEFAULT_PURPOSES.get(SERVICE_HANDLING))
    assert POLICY.access({"unknown_role"}).readable == frozenset()


def test_clear_reads_need_a_declared_purpose() -> None:
    without = POLICY.access({ETHNIC_AFFAIRS_OFFICER})
    assert without.readable == frozenset()
    assert without.writable == ALL  # writing does not depend on the purpose
    with_purpose = POLICY.access({ETHNIC_AFFAIRS_OFFICER}, "台账管理")
    assert with_purpose.readable == ALL
    assert with_purpose.purpose is not None and with_purpose.purpose.code == "ledger_management"


def test_the_purpose_must_be_one_the_grant_lists() -> None:
    # A mediator reads in clear for mediation only; nobody reads in clear for statistics.
    assert POLICY.access({MEDIATOR}, MEDIATION).readable == {
        FieldGroup.IDENTITY,
        FieldGroup.CONTACT,
        FieldGroup.NARRATIVE,
    }
    assert POLICY.access({MEDIATOR}, SERVICE_HANDLING).readable == frozenset()
    for role in (ETHNIC_AFFAIRS_OFFICER, COMMUNITY_CADRE, WINDOW_CLERK, MEDIATOR, ANALYST):
        assert POLICY.access({role}, STATISTICS).readable == frozenset(), role
    with pytest.raises(ValidationError) as info:
        POLICY.access({MEDIATOR}, "curiosity")
    assert info.value.code == "unknown_purpose"


@pytest.mark.parametrize(
    ("role", "purpose", "readable", "writable", "audit"),
    [
        (ETHNIC_AFFAIRS_OFFICER, MEDIATION, ALL, ALL, False),
        (
            COMMUNITY_CADRE,
            "ledger_management",
            ALL - {FieldGroup.NARRATIVE},
            ALL - {FieldGroup.NARRATIVE},
            False,
        ),
        (WINDOW_CLERK, SERVICE_HANDLING, ALL, ALL - {FieldGroup.MINORS}, False),
        (MEDIATOR, MEDIATION, ALL - {FieldGroup.MINORS}, {FieldGroup.NARRATIVE}, False),
        (ANALYST, STATISTICS, frozenset(), frozenset(), False),
        (AUDITOR, "audit_review", frozenset(), frozenset(), True),
        (PRIVACY_OFFICER, "data_subject_request", ALL, frozenset(), True),
    ],
)
def test_default_policy_table(
    role: str,
    purpose: str,
    readable: frozenset[FieldGroup],
    writable: frozenset[FieldGroup],
    audit: bool,
) -> None:
    access = POLICY.access({role}, purpose)
    assert (access.readable, access.writable, access.can_view_audit) == (readable, writable, audit)


def test_roles_combine() -> None:
    access = POLICY.access({MEDIATOR, AUDITOR}, MEDIATION)
    assert FieldGroup.NARRATIVE in access.readable
    assert access.can_view_audit


def test_unrestricted_access_is_a_flag() -> None:
    access = POLICY.access((), unrestricted=True)
    assert access.readable == access.writable == ALL
    assert access.can_view_audit and access.unrestricted
    assert access.purpose is None
    assert POLICY.access((), MEDIATION, unrestricted=True).purpose is not None


def test_require_write_names_the_missing_groups() -> None:
    access = POLICY.access({MEDIATOR}, MEDIATION)
    access.require_write({FieldGroup.NARRATIVE}, field="narrative")
    with pytest.raises(PermissionDeniedError) as info:
        access.require_write({FieldGroup.NARRATIVE, FieldGroup.IDENTITY}, field="person")
    assert info.value.code == "field_group_denied"
    assert info.value.details == {"field_groups": ["identity"]}
    with pytest.raises(PermissionDeniedError) as audit:
        access.require_audit_view()
    assert audit.value.code == "audit_denied"
    POLICY.access({AUDITOR}).require_audit_view()


# -- minors ---------------------------------------------------------------------------------------


def test_minors_need_the_minors_group_too() -> None:
    assert is_minor(date(2012, 6, 2), date(2026, 6, 1))
    assert not is_minor(date(2012, 6, 1), date(2026, 6, 1))  # 14th birthday
    assert not is_minor(None, date(2026, 6, 1))
    assert groups_of(SensitiveField.PHONE, minor=True) == {FieldGroup.CONTACT, FieldGroup.MINORS}
    mediator = POLICY.access({MEDIATOR}, MEDIATION)
    assert mediator.can_read(SensitiveField.PHONE)
    assert not mediator.can_read(SensitiveField.PHONE, minor=True)
    assert mediator.reveal(SensitiveField.PHONE, "13812341234", minor=True) == "138****1234"
    assert not mediator.can_write(SensitiveField.NARRATIVE, minor=True)
    cadre = POLICY.access({COMMUNITY_CADRE}, "ledger_management")
    assert cadre.reveal(SensitiveField.NAME, "张小明", minor=True) == "张小明"
    assert cadre.can_read(SensitiveField.GUARDIAN)


# -- masking --------------------------------------------------------------------------------------


def test_masked_values_are_never_blank_nor_raw() -> None:
    assert (
        mask_value(SensitiveField.ID_NUMBER, ID_NUMBER) == ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:]
    )
    assert mask_value(SensitiveField.NAME, "张三") == "张*"
    assert mask_value(SensitiveField.PHONE, "13812341234") == "138****1234"
    assert mask_value(SensitiveField.BIRTH_DATE, date(1990, 3, 7)) == "****-**-**"
    assert mask_value(SensitiveField.GUARDIAN, uuid.UUID(int=7)).count("*") == 32
    assert mask_value(SensitiveField.NARRATIVE, "两户因漏水发生争执") == MASKED_TEXT
    for field, value in SAMPLES.items():
        masked = mask_value(field, value)
        assert masked and masked != value and str(value) not in masked, field
        assert is_masked(masked, field), field
        assert not is_masked(value, field), field
    for short in ("张", "西湖", "南昌市西湖区"):  # short values are masked too
        for field in (SensitiveField.NAME, SensitiveField.ADDRESS):
            masked = mask_value(field, short)
            assert masked != short and is_masked(masked), (field, short)
    assert mask_value(SensitiveField.PHONE, None) is None
    assert mask_value(SensitiveField.NAME, "") == ""


def test_reveal_masks_without_read_permission() -> None:
    nobody = POLICY.access(())
    for field, value in SAMPLES.items():
        assert nobody.reveal(field, value) == mask_value(field, value)
    officer = POLICY.access({ETHNIC_AFFAIRS_OFFICER}, SERVICE_HANDLING)
    for field, value in SAMPLES.items():
        assert officer.reveal(field, value) == value


def test_a_masked_value_cannot_be_written_back() -> None:
    for field, value in SAMPLES.items():
        with pytest.raises(ValidationError) as info:
            refuse_masked(mask_value(field, value), field=field.value, kind=field)
        assert info.value.code == "masked_value"
        assert str(value) not in str(info.value)
        refuse_masked(value, field=field.value, kind=field)
    # A real note may contain "*"; only the mask marker counts in a narrative.
    refuse_masked("面积 3*4 米", field="notes", kind=SensitiveField.NARRATIVE)
    with pytest.raises(ValidationError):
        refuse_masked("面积 3*4 米", field="notes")
