"""Purposes of processing (处理目的): why a unit of work reads personal data in clear.

PIPL Art. 6 and 28 require a specific, declared purpose for processing sensitive personal
information. A unit of work that reads a sensitive field group (see
:mod:`minzu_core.privacy.permissions`) in clear declares one :class:`Purpose`; without one those
groups come back masked, exactly as without the permission. The purpose is written into every
audit entry (:mod:`minzu_core.privacy.audit`).

Purposes come from a :class:`PurposeVocabulary`. :data:`DEFAULT_PURPOSES` holds the purposes of a
district office; a host extends it by building a new vocabulary and passing it where a
vocabulary is accepted — there is no global registry to mutate::

    vocabulary = DEFAULT_PURPOSES.extend(Purpose("legal_aid", "法律援助", "legal aid"))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

import minzu_core.fields as fields
from minzu_core.errors import ValidationError

__all__ = [
    "AUDIT_REVIEW",
    "DATA_SUBJECT_REQUEST",
    "DEFAULT_PURPOSES",
    "LEDGER_MANAGEMENT",
    "MEDIATION",
    "SERVICE_HANDLING",
    "STATISTICS",
    "Purpose",
    "PurposeVocabulary",
]

SERVICE_HANDLING = "service_handling"
MEDIATION = "mediation"
STATISTICS = "statistics"
LEDGER_MANAGEMENT = "ledger_management"
DATA_SUBJECT_REQUEST = "data_subject_request"
AUDIT_REVIEW = "audit_review"


@attrs.frozen
class Purpose:
    """One purpose of processing: a stable code and its Chinese and English labels.

    Attributes:
        code: stable machine code, e.g. ``"service_handling"`` (lower-case letters, digits and
            ``_``, at most 32 characters; recorded in audit entries).
        label_zh: the Chinese label, e.g. ``"服务办理"``.
        label_en: the English label.
        description: what the purpose covers (shown to users choosing it; optional).
    """

    code: str = attrs.field(converter=fields.to_vocabulary_code)
    label_zh: str = attrs.field(converter=fields.to_text)
    label_en: str = attrs.field(converter=fields.to_text)
    description: str = attrs.field(default="", converter=fields.to_text_or_empty)


def _purposes(values: Iterable[Purpose]) -> tuple[Purpose, ...]:
    items = fields.as_records(Purpose, values, "purposes")
    codes = [p.code for p in items]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise fields.invalid(
            "duplicate_purpose",
            f"处理目的重复: {', '.join(duplicates)}",
            f"duplicate purpose: {', '.join(duplicates)}",
            "purposes",
            purposes=duplicates,
        )
    return items


@attrs.frozen
class PurposeVocabulary:
    """The purposes a deployment accepts (immutable; :meth:`extend` returns a new one)."""

    purposes: tuple[Purpose, ...] = attrs.field(converter=_purposes)

    def __iter__(self) -> Iterator[Purpose]:
        return iter(self.purposes)

    def __len__(self) -> int:
        return len(self.purposes)

    def __contains__(self, value: object) -> bool:
        if isinstance(value, Purpose):
            return value in self.purposes
        return any(p.code == value for p in self.purposes)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the purposes, in declaration order."""
        return tuple(p.code for p in self.purposes)

    def extend(self, *purposes: Purpose) -> PurposeVocabulary:
        """A new vocabulary with ``purposes`` added (a duplicate code is refused)."""
        return PurposeVocabulary((*self.purposes, *purposes))

    def get(self, value: Purpose | str, *, field: str = "purpose") -> Purpose:
        """The purpose named by a :class:`Purpose`, its code, or either label.

        Raises ``ValidationError(code="unknown_purpose")`` for anything not in the vocabulary.
        """
        if isinstance(value, Purpose) and value in self.purposes:
            return value
        text = value.code if isinstance(value, Purpose) else str(value).strip()
        folded = text.lower()
        for purpose in self.purposes:
            if folded in (purpose.code, purpose.label_en.lower()) or text == purpose.label_zh:
                return purpose
        raise ValidationError(
            f"未知的处理目的, 可选: {', '.join(self.codes)}",
            f"unknown purpose of processing; allowed: {', '.join(self.codes)}",
            code="unknown_purpose",
            field=field,
            details={"allowed": list(self.codes)},
        )


#: The purposes of a district ethnic-affairs office.
DEFAULT_PURPOSES = PurposeVocabulary(
    (
        Purpose(
            SERVICE_HANDLING,
            "服务办理",
            "service handling",
            "handling a service request at a service window (registration, jobs, schooling …)",
        ),
        Purpose(
            MEDIATION,
            "矛盾调解",
            "dispute mediation",
            "preventing and mediating a dispute under the People's Mediation Law",
        ),
        Purpose(
            STATISTICS,
            "统计分析",
            "statistical analysis",
            "aggregate indicators and reports; needs no personal field in clear",
        ),
        Purpose(
            LEDGER_MANAGEMENT,
            "台账管理",
            "ledger management",
            "keeping the personal-information ledger accurate (registration, moves, duplicates)",
        ),
        Purpose(
            DATA_SUBJECT_REQUEST,
            "权利请求",
            "data subject request",
            "answering a person exercising their rights (PIPL Art. 44-47: access, copy, erasure)",
        ),
        Purpose(
            AUDIT_REVIEW,
            "审计核查",
            "audit review",
            "reviewing the audit trail and investigating an incident",
        ),
    )
)
