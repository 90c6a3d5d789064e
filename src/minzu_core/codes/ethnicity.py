"""Ethnic groups (GB/T 3304-1991 中国各民族名称的罗马字母拼写法和代码).

The 56 ethnic groups with their 2-digit code, 2-letter code and romanization, plus the
identity-card conventions 97 其他 and 98 外国血统中国籍人士. The table is package data
(``minzu_core/data/ethnic-groups.csv``), read on first use. "Minority" (少数民族) means any code
other than ``01`` 汉族.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import io
from collections.abc import Mapping
from typing import Final

import attrs

from minzu_core.errors import ValidationError

__all__ = [
    "HAN",
    "Ethnicity",
    "all_ethnicities",
    "get_ethnicity",
    "is_minority",
    "normalize_ethnicity_code",
]

#: The code of 汉族 (Han); every other code is a minority.
HAN: Final = "01"

# English labels for the conventional codes without a romanization in GB/T 3304.
_ENGLISH_FALLBACK: Final = {"97": "Other", "98": "Chinese citizen of foreign origin"}


def _two_digits(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not (isinstance(value, str) and len(value) == 2 and value.isascii() and value.isdigit()):
        raise ValueError("an ethnicity code has two digits")


@attrs.frozen
class Ethnicity:
    """One ethnic group of GB/T 3304 (or a conventional code 97/98)."""

    code: str = attrs.field(validator=_two_digits)
    name_zh: str
    letter_code: str | None
    romanization: str | None

    @property
    def is_minority(self) -> bool:
        """True for every group except 汉族 (01)."""
        return self.code != HAN

    @property
    def label(self) -> str:
        """Chinese name and romanization, e.g. ``"汉族 Han"``."""
        english = self.romanization or _ENGLISH_FALLBACK.get(self.code)
        return f"{self.name_zh} {english}" if english else self.name_zh


@functools.cache
def all_ethnicities() -> tuple[Ethnicity, ...]:
    """All known groups in code order (the 56 of GB/T 3304, then 97 and 98)."""
    resource = importlib.resources.files("minzu_core") / "data" / "ethnic-groups.csv"
    text = resource.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    return tuple(
        sorted(
            (
                Ethnicity(
                    code=row["code"].strip(),
                    name_zh=row["name"].strip(),
                    letter_code=row["letter_code"].strip() or None,
                    romanization=row["romanization"].strip() or None,
                )
                for row in rows
            ),
            key=lambda e: e.code,
        )
    )


@functools.cache
def _index() -> Mapping[str, Ethnicity]:
    """Lookup keys (code, upper-case letter code and romanization, Chinese name) → group."""
    index: dict[str, Ethnicity] = {}
    for ethnicity in all_ethnicities():
        index[ethnicity.code] = ethnicity
        index[ethnicity.name_zh] = ethnicity
        if ethnicity.name_zh.endswith("族"):
            index.setdefault(ethnicity.name_zh[:-1], ethnicity)
        for alias in (ethnicity.letter_code, ethnicity.romanization):
            if alias:
                index.setdefault(alias.upper(), ethnicity)
    return index


def _unknown(field: str) -> ValidationError:
    return ValidationError(
        "未知的民族（应为GB/T 3304代码、字母代码或民族名称）",
        "unknown ethnicity (expected a GB/T 3304 code, letter code or name)",
        code="unknown_ethnicity",
        field=field,
    )


def get_ethnicity(value: str | int, *, field: str = "ethnicity") -> Ethnicity:
    """Look up an ethnic group.

    Accepts the numeric code (``"01"``, ``"1"``, ``1``), the letter code (``"HA"``) or the
    romanization (``"Han"``), both case-insensitive, and the Chinese name (``"汉族"`` or
    ``"汉"``). Surrounding whitespace is ignored.

    Raises:
        ValidationError: ``code="unknown_ethnicity"``.
    """
    if isinstance(value, bool):
        raise _unknown(field)
    if isinstance(value, int):
        key = f"{value:02d}" if 0 <= value <= 99 else ""
    elif isinstance(value, str):
        key = value.strip()
        if key.isascii():
            key = key.zfill(2) if key.isdigit() and len(key) <= 2 else key.upper()
    else:
        raise _unknown(field)
    found = _index().get(key)
    if found is None:
        raise _unknown(field)
    return found


def normalize_ethnicity_code(value: str | int, *, field: str = "ethnicity") -> str:
    """The 2-digit code of any value :func:`get_ethnicity` accepts."""
    return get_ethnicity(value, field=field).code


def is_minority(code: str | int) -> bool:
    """True if the group is not 汉族 (accepts anything :func:`get_ethnicity` does)."""
    return get_ethnicity(code).is_minority
