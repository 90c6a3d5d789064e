"""Enums with Chinese and English labels (中英文标签枚举).

Every vocabulary of the library is a :class:`LabelledEnum`; each member is declared with its
value and both labels on one line::

    class Severity(Graded):
        ORDINARY = "ordinary", "一般", "ordinary"
        MAJOR = "major", "较大", "major"

and every vocabulary is read by the one rule of :meth:`LabelledEnum.parse`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from minzu_core.errors import ValidationError

__all__ = ["Choice", "Graded", "LabelledEnum"]


class LabelledEnum(enum.Enum):
    """An enum whose members carry Chinese and English labels.

    A member is declared as ``NAME = value, label_zh, label_en``. A subclass may name, as class
    keywords, ``aliases`` (extra spellings, e.g. ``{">=": "ge"}``) and ``error_code`` (the code
    of the error :meth:`parse` raises; default ``invalid_choice``). :meth:`parse` accepts a member,
    its value or name (any case), either label, or an alias; nothing else.
    """

    _value_: str
    #: The Chinese label (中文名称).
    label_zh: str
    #: The English label.
    label_en: str

    def __new__(cls, value: str, *labels: str) -> LabelledEnum:
        # ``*labels`` (not two parameters) so that ``Kind("value")``, the lookup by value,
        # type-checks; a member is always declared with both labels.
        if len(labels) != 2:  # pragma: no cover - a declaration error, caught at import
            raise TypeError(f"{cls.__name__}.{value}: declare value, label_zh, label_en")
        member = object.__new__(cls)
        member._value_ = value
        member.label_zh, member.label_en = labels
        return member

    def __init_subclass__(
        cls,
        *,
        error_code: str | None = None,
        aliases: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        # class Op(LabelledEnum, error_code="invalid_op", aliases={">=": "ge"}): the code of
        # parse's error and extra spellings, declared with the vocabulary (inherited).
        super().__init_subclass__(**kwargs)
        if error_code is not None:
            type.__setattr__(cls, "_vocabulary_error_code", error_code)
        if aliases is not None:
            type.__setattr__(cls, "_vocabulary_aliases", dict(aliases))

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        found: Mapping[str, str] = getattr(cls, "_vocabulary_aliases", {})
        return found

    @classmethod
    def _error_code(cls) -> str:
        found: str = getattr(cls, "_vocabulary_error_code", "invalid_choice")
        return found

    @classmethod
    def parse(cls, value: Any, *, field: str) -> Any:
        """Accept the member, its value or name (any case), either label, or an alias;
        otherwise raise ``ValidationError`` naming ``field`` and the allowed values."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            text = value.strip()
            text = cls._aliases().get(text, text)
            folded = text.lower()
            for member in cls:
                if text == member.label_zh or folded in (
                    member.value.lower(),
                    member.name.lower(),
                    member.label_en.lower(),
                ):
                    return member
        allowed = [m.value for m in cls]
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
