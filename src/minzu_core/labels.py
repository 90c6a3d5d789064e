"""Enums with Chinese and English labels (中英文标签枚举)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from minzu_core.errors import ValidationError

__all__ = ["Choice", "Graded", "LabelledEnum"]


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


#: The name the organisation and activities vocabularies use for :class:`LabelledEnum`.
Choice = LabelledEnum


class Graded(LabelledEnum):
    """A :class:`LabelledEnum` whose members are ordered as declared (``order`` 1, 2, …)."""

    @property
    def order(self) -> int:
        """1 for the lowest grade, 2 for the next …"""
        return type(self)._member_names_.index(self.name) + 1

    def _other(self, other: object) -> int | None:
        return other.order if type(other) is type(self) and isinstance(other, Graded) else None

    def __lt__(self, other: object) -> bool:
        o = self._other(other)
        return NotImplemented if o is None else self.order < o

    def __le__(self, other: object) -> bool:
        o = self._other(other)
        return NotImplemented if o is None else self.order <= o

    def __gt__(self, other: object) -> bool:
        o = self._other(other)
        return NotImplemented if o is None else self.order > o

    def __ge__(self, other: object) -> bool:
        o = self._other(other)
        return NotImplemented if o is None else self.order >= o
