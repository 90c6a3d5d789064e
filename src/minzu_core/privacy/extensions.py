"""Extension fields (扩展字段): declared before use, for a stated purpose and sensitivity.

A deployment may record more about a person than the model holds — but only through an
:class:`ExtensionRegistry` of :class:`ExtensionField` declarations (name, purpose, sensitivity).
:meth:`ExtensionRegistry.check` refuses a key that was not declared. A declaration of religion,
belief or faith, or of a person-level risk score or profile, is refused outright with
``ProhibitedFieldError`` (``code="prohibited_extension_field"``), citing DESIGN principle 7:
服务而非监控 — service, not surveillance. The library records what services need.

The registry is an immutable value the host builds and passes; :meth:`ExtensionRegistry.declare`
returns a new registry.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

import minzu_core.fields as fields
from minzu_core.errors import ValidationError
from minzu_core.labels import LabelledEnum
from minzu_core.privacy.purposes import DEFAULT_PURPOSES, PurposeVocabulary

__all__ = [
    "PROHIBITED_TERMS",
    "ExtensionField",
    "ExtensionRegistry",
    "ProhibitedFieldError",
    "Sensitivity",
    "UndeclaredFieldError",
    "prohibited_term",
]


def _is_code(value: object) -> bool:
    try:
        fields.as_vocabulary_code(value, "name")
    except ValidationError:
        return False
    return True


#: Words that may not appear in an extension field's name or labels (DESIGN principle 7): religion
#: and belief, and person-level risk scoring or profiling. Matched case-insensitively, in the
#: name with its underscores, and in the labels.
PROHIBITED_TERMS: tuple[str, ...] = (
    # religion, belief (宗教信仰)
    "宗教",
    "信仰",
    "信教",
    "教派",
    "religion",
    "religious",
    "belief",
    "faith",
    "creed",
    "denomination",
    # person-level risk scores and profiling (风险评分、画像)
    "风险",
    "评分",
    "危险",
    "画像",
    "risk",
    "danger",
    "threat",
    "profiling",
    "suspicion",
)


class Sensitivity(LabelledEnum):
    """How sensitive an extension field is (PIPL Art. 28 sensitive personal information)."""

    GENERAL = "general", "一般信息", "not personal"
    PERSONAL = "personal", "个人信息", "personal information"
    SENSITIVE = "sensitive", "敏感个人信息", "sensitive personal information"


class ProhibitedFieldError(ValidationError):
    """An extension field the library refuses by design (DESIGN principle 7)."""

    default_code = "prohibited_extension_field"


class UndeclaredFieldError(ValidationError):
    """An extension key that no declaration covers."""

    default_code = "undeclared_extension_field"


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def prohibited_term(*texts: str) -> str | None:
    """The first prohibited term found in ``texts`` (names or labels), or ``None``."""
    for text in texts:
        folded = _folded(text)
        spaced = folded.replace("_", " ").replace("-", " ")
        for term in PROHIBITED_TERMS:
            if term in folded or term in spaced:
                return term
    return None


def _prohibited(term: str, field: str) -> ProhibitedFieldError:
    return ProhibitedFieldError(
        "不得声明或记录宗教信仰、个人风险评分类字段 (设计原则 7: 服务而非监控)",
        "a field for religion, belief or a person-level risk score cannot be declared or"
        " recorded (DESIGN principle 7: service, not surveillance)",
        field=field,
        details={"term": term, "principle": 7},
    )


@attrs.frozen
class ExtensionField:
    """The declaration of one extension field of persons.

    Attributes:
        name: the key, e.g. ``"preferred_language"``.
        purpose: the purpose code it serves (from a :class:`PurposeVocabulary`).
        sensitivity: general / personal / sensitive.
        label_zh, label_en: how it is shown.
        description: why the service needs it.

    Raises ``ProhibitedFieldError`` if the name or a label is about religion, belief or a
    person-level risk score (DESIGN principle 7).
    """

    name: str = attrs.field(converter=fields.to_vocabulary_code)
    purpose: str = attrs.field(converter=fields.to_vocabulary_code)
    sensitivity: Sensitivity = attrs.field(converter=fields.to_choice)
    label_zh: str = attrs.field(default="", converter=fields.to_text_or_empty)
    label_en: str = attrs.field(default="", converter=fields.to_text_or_empty)
    description: str = attrs.field(default="", converter=fields.to_text_or_empty)

    def __attrs_post_init__(self) -> None:
        term = prohibited_term(self.name, self.label_zh, self.label_en, self.description)
        if term is not None:
            raise _prohibited(term, "name")


def _fields(values: Iterable[ExtensionField]) -> tuple[ExtensionField, ...]:
    items = fields.as_records(ExtensionField, values, "fields")
    names = [f.name for f in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(
            f"扩展字段重复声明: {', '.join(duplicates)}",
            f"extension fields declared twice: {', '.join(duplicates)}",
            code="duplicate_extension_field",
            field="fields",
            details={"names": duplicates},
        )
    return items


@attrs.frozen
class ExtensionRegistry:
    """The extension fields a deployment declared (immutable)."""

    fields: tuple[ExtensionField, ...] = attrs.field(default=(), converter=_fields)
    vocabulary: PurposeVocabulary = attrs.field(default=DEFAULT_PURPOSES, repr=False)

    def __attrs_post_init__(self) -> None:
        for item in self.fields:
            self.vocabulary.get(item.purpose, field=f"extensions.{item.name}.purpose")

    def __iter__(self) -> Iterator[ExtensionField]:
        return iter(self.fields)

    def __contains__(self, name: object) -> bool:
        return any(f.name == name for f in self.fields)

    def declare(self, *fields: ExtensionField) -> ExtensionRegistry:
        """A new registry with ``fields`` added (a name declared twice is refused)."""
        return attrs.evolve(self, fields=(*self.fields, *fields))

    def get(self, name: str) -> ExtensionField:
        """The declaration of ``name``; ``UndeclaredFieldError`` if there is none."""
        for item in self.fields:
            if item.name == name:
                return item
        term = prohibited_term(name) if isinstance(name, str) else None
        if term is not None:
            raise _prohibited(term, "extensions")
        raise UndeclaredFieldError(
            "扩展字段未声明, 须先声明名称、目的和敏感度",
            "undeclared extension field: declare its name, purpose and sensitivity first",
            field="extensions",
            details={
                "name": name if _is_code(name) else "?",
                "declared": [f.name for f in self.fields],
            },
        )

    def check(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` (the extension data of one person) if every key is declared; otherwise
        ``UndeclaredFieldError`` (or ``ProhibitedFieldError``) naming no value."""
        for key in values:
            self.get(key)
        return dict(values)

    def sensitive(self) -> tuple[ExtensionField, ...]:
        """The declarations of sensitivity ``sensitive`` (masked like a field group)."""
        return tuple(f for f in self.fields if f.sensitivity is Sensitivity.SENSITIVE)
