"""Enums with Chinese and English labels (中英文标签枚举)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from minzu_core.errors import ValidationError

__all__ = ["LabelledEnum"]


class LabelledEnum(enum.Enum):
    """An enum whose members carry Chinese and English labels.

    Subclasses define ``_label_table()`` mapping each value to ``(label_zh, label_en)``;
    :meth:`parse` accepts a member, its value or name, or either label.
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
    def parse(cls, value: Any, *, field: str) -> Any:
        """Accept the value, the member name, or the Chinese/English label."""
        if isinstance(value, cls):
            return value
        text = str(value).strip()
        for member in cls:
            zh, en = cls._label_table()[member.value]
            if text in (member.value, member.name, zh) or text.lower() == en.lower():
                return member
        raise ValidationError(
            f"{field} 的取值无效",
            f"invalid value for {field}",
            code="invalid_choice",
            field=field,
            details={"allowed": [m.value for m in cls]},
        )
