"""Enums with Chinese and English labels (中英文标签枚举)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from minzu_core.errors import ValidationError

__all__ = ["LabelledEnum"]


class LabelledEnum(enum.Enum):
    """An enum whose members carry Chinese and English labels.

    Subclasses define ``_label_table()`` mapping each value to ``(label_zh, label_en)``; they
    may define ``_aliases()`` (extra spellings, e.g. ``">="`` for ``ge``) and ``_error_code()``
    (the code of the error :meth:`parse` raises; default ``invalid_choice``). :meth:`parse`
    accepts a member, its value or name (any case), either label, or an alias.
    """

    @property
    def label_zh(self) -> str:
        """The Chinese label."""
        return type(self)._label_table()[self.value][0]

    @property
    def label_en(self) -> str:
        """The English label."""
        return type(self)._label_table()[self.value][1]

    @classmethod
    def _label_table(cls) -> Mapping[str, tuple[str, str]]:
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {}

    @classmethod
    def _error_code(cls) -> str:
        return "invalid_choice"

    @classmethod
    def parse(cls, value: Any, *, field: str) -> Any:
        """Accept the member, its value or name (any case), either label, or an alias;
        otherwise raise ``ValidationError`` naming ``field`` and the allowed values."""
        if isinstance(value, cls):
            return value
        text = str(value).strip()
        text = cls._aliases().get(text, text)
        folded = text.lower()
        for member in cls:
            zh, en = cls._label_table()[member.value]
            if text == zh or folded in (str(member.value).lower(), member.name.lower(), en.lower()):
                return member
        allowed = [str(m.value) for m in cls]
        raise ValidationError(
            f"{field} 的取值无效, 可选: {', '.join(allowed)}",
            f"invalid value for {field}; allowed: {', '.join(allowed)}",
            code=cls._error_code(),
            field=field,
            details={"allowed": allowed},
        )
