"""Extension fields must be declared; religion and risk scores cannot be (issue 13, part 6)."""

from __future__ import annotations

import pytest

from minzu_core.errors import ValidationError
from minzu_core.privacy import (
    DEFAULT_PURPOSES,
    ExtensionField,
    ExtensionRegistry,
    ProhibitedFieldError,
    Purpose,
    Sensitivity,
    UndeclaredFieldError,
    prohibited_term,
)

LANGUAGE = ExtensionField(
    "preferred_language",
    "service_handling",
    "personal",
    label_zh="首选服务语言",
    label_en="preferred service language",
)


def test_declared_fields_are_accepted() -> None:
    registry = ExtensionRegistry((LANGUAGE,))
    assert LANGUAGE.sensitivity is Sensitivity.PERSONAL
    assert "preferred_language" in registry
    assert registry.check({"preferred_language": "维吾尔语"}) == {"preferred_language": "维吾尔语"}
    assert registry.get("preferred_language") is LANGUAGE
    assert registry.sensitive() == ()
    bigger = registry.declare(
        ExtensionField("disability_support", "service_handling", "敏感个人信息")
    )
    assert [f.name for f in bigger.sensitive()] == ["disability_support"]
    assert "disability_support" not in registry  # immutable


def test_undeclared_keys_are_refused_without_the_value() -> None:
    registry = ExtensionRegistry((LANGUAGE,))
    with pytest.raises(UndeclaredFieldError) as info:
        registry.check({"preferred_language": "蒙古语", "hometown_note": "张三家住某村"})
    assert info.value.code == "undeclared_extension_field"
    assert info.value.details["name"] == "hometown_note"
    assert "张三" not in str(info.value) and "张三" not in repr(info.value.details)
    with pytest.raises(UndeclaredFieldError):
        ExtensionRegistry().check({"anything": 1})


@pytest.mark.parametrize(
    ("name", "label_zh", "label_en"),
    [
        ("religion", "", ""),
        ("religious_affiliation", "", ""),
        ("belief", "", ""),
        ("faith_group", "", ""),
        ("zongjiao", "宗教", ""),
        ("xinyang", "宗教信仰", ""),
        ("note", "信仰情况", ""),
        ("risk_score", "", ""),
        ("person_risk", "", ""),
        ("fengxian", "风险等级", ""),
        ("pingfen", "综合评分", ""),
        ("level", "", "Risk level"),
        ("tag", "", "threat profiling"),
    ],
)
def test_religion_and_risk_scores_cannot_be_declared(
    name: str, label_zh: str, label_en: str
) -> None:
    with pytest.raises(ProhibitedFieldError) as info:
        ExtensionField(name, "service_handling", "sensitive", label_zh=label_zh, label_en=label_en)
    error = info.value
    assert isinstance(error, ValidationError)
    assert error.code == "prohibited_extension_field"
    assert "原则 7" in error.message_zh and "principle 7" in error.message_en
    assert "服务而非监控" in error.message_zh and "service, not surveillance" in error.message_en
    assert error.details["principle"] == 7


def test_prohibited_keys_are_refused_even_undeclared() -> None:
    with pytest.raises(ProhibitedFieldError):
        ExtensionRegistry((LANGUAGE,)).check({"religion": "x"})
    assert prohibited_term("preferred_language", "首选服务语言") is None
    assert prohibited_term("RELIGION") == "religion"
    assert prohibited_term("ＲＩＳＫ") == "risk"  # full-width letters fold


def test_declarations_are_validated() -> None:
    with pytest.raises(ValidationError) as name:
        ExtensionField("Bad Name", "service_handling", "general")
    assert name.value.code == "invalid_code"
    with pytest.raises(ValidationError) as sensitivity:
        ExtensionField("x", "service_handling", "secret")
    assert sensitivity.value.code == "invalid_choice"
    with pytest.raises(ValidationError) as purpose:
        ExtensionField("x", " ", "general")
    assert purpose.value.code == "invalid_code"
    unknown = ExtensionField("legal_aid_case", "legal_aid", "personal")
    with pytest.raises(ValidationError) as vocabulary:
        ExtensionRegistry((unknown,))
    assert vocabulary.value.code == "unknown_purpose"
    extended = DEFAULT_PURPOSES.extend(Purpose("legal_aid", "法律援助", "legal aid"))
    assert "legal_aid_case" in ExtensionRegistry((unknown,), extended)
    with pytest.raises(ValidationError) as twice:
        ExtensionRegistry((LANGUAGE, LANGUAGE))
    assert twice.value.code == "duplicate_extension_field"
