"""Statistical division codes (统计用区划代码, NBS; first six digits GB/T 2260).

A division code has 12 digits: 1–2 province, 3–4 prefecture, 5–6 county (GB/T 2260), 7–9
township and 10–12 village. A unit's code is its own digits followed by zeros, so shorter forms
(2, 4, 6 or 9 digits) are zero-padded. The kind of a township- or village-level unit follows
from its digit range (街道 001–099, 镇 100–199, …), see :class:`UnitKind`.

Prefecture-level cities without counties (东莞 4419, 中山 4420, 儋州 4604) have townships
directly under the prefecture: ``441900003000`` is a township whose parent is ``441900000000``.
The structure does not say which prefectures are such cities (the list changes over time), so
any prefecture may have townships with county digits ``00``.
"""

from __future__ import annotations

from typing import Final

import attrs

from minzu_core.codes._invalid import Reasons
from minzu_core.errors import ValidationError
from minzu_core.labels import Graded, LabelledEnum

__all__ = [
    "PROVINCE_PREFIXES",
    "URBAN_RURAL_CODES",
    "DivisionCode",
    "Level",
    "UnitKind",
    "is_valid_division_code",
    "level_of_code",
    "parse_division_code",
    "validate_urban_rural_code",
]

#: The province-level prefixes of GB/T 2260 (11 北京 … 82 澳门).
PROVINCE_PREFIXES: Final[frozenset[str]] = frozenset(
    f"{n:02d}"
    for n in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    )
)

_SIGNIFICANT_LENGTHS: Final = (2, 4, 6, 9, 12)
_DIGITS: Final = frozenset("0123456789")


class Level(Graded):
    """The level of an administrative unit (行政区划级别), ordered by depth (province first)."""

    PROVINCE = "province", "省级", "province level"
    PREFECTURE = "prefecture", "地级", "prefecture level"
    COUNTY = "county", "县级", "county level"
    TOWNSHIP = "township", "乡级", "township level"
    VILLAGE = "village", "村级", "village level"

    @property
    def depth(self) -> int:
        """1 for a province … 5 for a village."""
        return self.order

    @property
    def digits(self) -> int:
        """The number of significant code digits at this level (2, 4, 6, 9, 12)."""
        return _SIGNIFICANT_LENGTHS[self.depth - 1]


class UnitKind(LabelledEnum):
    """The kind of a unit, derived from its code's digit ranges (NBS 编制规则)."""

    PROVINCE = "province", "省级", "province"
    PREFECTURE = "prefecture", "地级", "prefecture"
    COUNTY = "county", "县级", "county"
    SUBDISTRICT = "subdistrict", "街道", "subdistrict"
    TOWN = "town", "镇", "town"
    TOWNSHIP_DIRECT_VILLAGES = (
        "township_direct_villages",
        "直辖村级区划",
        "directly administered village-level units",
    )
    TOWNSHIP = "township", "乡", "township"
    TOWNSHIP_LIKE = "township_like", "类似乡级单位", "township-like unit"
    COMMUNITY = "community", "居委会", "residents' committee"
    VILLAGE = "village", "村委会", "villagers' committee"
    COMMUNITY_LIKE = "community_like", "类似居委会", "community-like unit"
    VIRTUAL_COMMUNITY = "virtual_community", "虚拟社区", "virtual community"
    VILLAGE_LIKE = "village_like", "类似村委会", "village-like unit"
    VIRTUAL_LIVING_AREA = "virtual_living_area", "虚拟生活区", "virtual living area"

    @property
    def level(self) -> Level:
        """The level units of this kind are at."""
        return _KIND_LEVEL[self]

    @classmethod
    def for_township_digits(cls, digits: int) -> UnitKind:
        """The kind of a township-level unit with digits 7–9 ``digits`` (1–599)."""
        if 1 <= digits <= 99:
            return cls.SUBDISTRICT
        if digits == 198:
            return cls.TOWNSHIP_DIRECT_VILLAGES
        if 100 <= digits <= 199:
            return cls.TOWN
        if 200 <= digits <= 399:
            return cls.TOWNSHIP
        if 400 <= digits <= 599:
            return cls.TOWNSHIP_LIKE
        raise ValueError("township digits must be 001-599")

    @classmethod
    def for_village_digits(cls, digits: int) -> UnitKind:
        """The kind of a village-level unit with digits 10–12 ``digits`` (1–599)."""
        if 1 <= digits <= 199:
            return cls.COMMUNITY
        if 200 <= digits <= 399:
            return cls.VILLAGE
        if digits == 498:
            return cls.VIRTUAL_COMMUNITY
        if 400 <= digits <= 499:
            return cls.COMMUNITY_LIKE
        if digits == 598:
            return cls.VIRTUAL_LIVING_AREA
        if 500 <= digits <= 599:
            return cls.VILLAGE_LIKE
        raise ValueError("village digits must be 001-599")


#: The level units of each kind are at.
_KIND_LEVEL: Final = {
    UnitKind.PROVINCE: Level.PROVINCE,
    UnitKind.PREFECTURE: Level.PREFECTURE,
    UnitKind.COUNTY: Level.COUNTY,
    UnitKind.SUBDISTRICT: Level.TOWNSHIP,
    UnitKind.TOWN: Level.TOWNSHIP,
    UnitKind.TOWNSHIP_DIRECT_VILLAGES: Level.TOWNSHIP,
    UnitKind.TOWNSHIP: Level.TOWNSHIP,
    UnitKind.TOWNSHIP_LIKE: Level.TOWNSHIP,
    UnitKind.COMMUNITY: Level.VILLAGE,
    UnitKind.VILLAGE: Level.VILLAGE,
    UnitKind.COMMUNITY_LIKE: Level.VILLAGE,
    UnitKind.VIRTUAL_COMMUNITY: Level.VILLAGE,
    UnitKind.VILLAGE_LIKE: Level.VILLAGE,
    UnitKind.VIRTUAL_LIVING_AREA: Level.VILLAGE,
}

# Reasons (``details["reason"]``) and their messages.
_REASONS: Final = {
    "type": ("区划代码必须是字符串或整数", "a division code must be a string or an integer"),
    "length": (
        "区划代码应为2、4、6、9或12位数字",
        "a division code has 2, 4, 6, 9 or 12 digits",
    ),
    "characters": ("区划代码只能包含数字", "a division code contains digits only"),
    "province": ("未知的省级代码", "unknown province prefix"),
    "structure": (
        "上级代码段为零时下级代码段必须为零",
        "a lower segment is non-zero under a zero higher segment",
    ),
    "township_range": ("乡级代码段必须在001–599之间", "township digits must be 001-599"),
    "village_range": ("村级代码段必须在001–599之间", "village digits must be 001-599"),
}
_INVALID: Final = Reasons("invalid_division_code", "区划代码", "division code", _REASONS)


def _problem(value: str) -> str | None:
    """The reason a 12-character string is not a valid division code, or None if it is."""
    if len(value) != 12:
        return "length"
    if not _DIGITS.issuperset(value):
        return "characters"
    if value[:2] not in PROVINCE_PREFIXES:
        return "province"
    prefecture, township, village = value[2:4], value[6:9], value[9:]
    if prefecture == "00" and value[4:] != "00000000":
        return "structure"
    # County digits "00" under a non-zero prefecture with a non-zero township are allowed: a
    # township directly under a prefecture-level city without counties (东莞 441900 …).
    if township == "000" and village != "000":
        return "structure"
    if int(township) >= 600:
        return "township_range"
    if int(village) >= 600:
        return "village_range"
    return None


def level_of_code(value: str) -> Level:
    """The level of a valid 12-digit code, from its lowest non-zero segment (what
    :attr:`DivisionCode.level` gives, without building a :class:`DivisionCode`)."""
    if value[9:] != "000":
        return Level.VILLAGE
    if value[6:9] != "000":
        return Level.TOWNSHIP
    if value[4:6] != "00":
        return Level.COUNTY
    if value[2:4] != "00":
        return Level.PREFECTURE
    return Level.PROVINCE


@attrs.frozen(order=True)
class DivisionCode:
    """A validated 12-digit statistical division code (统计用区划代码).

    Build one with :meth:`parse` (accepts the 2/4/6/9/12-digit forms). Codes order and compare
    by their 12 digits; ``str(code)`` is the 12 digits.
    """

    value: str = attrs.field(validator=_INVALID.validator(_problem, "code"))

    @classmethod
    def parse(cls, text: str | int | DivisionCode, *, field: str = "code") -> DivisionCode:
        """Parse a 2-, 4-, 6-, 9- or 12-digit code, zero-padding it to 12 digits.

        Surrounding whitespace is stripped. An ``int`` is accepted and read as its decimal
        digits: no valid code starts with ``0`` (province prefixes are 11–82), so an integer
        never loses significant leading zeros; its digit count must still be 2, 4, 6, 9 or 12.
        ``bool`` is rejected. A :class:`DivisionCode` is returned unchanged.

        Raises:
            ValidationError: ``code="invalid_division_code"`` with ``field=field`` and
                ``details["reason"]``.
        """
        if isinstance(text, DivisionCode):
            return text
        if isinstance(text, bool) or not isinstance(text, str | int):
            raise _INVALID.error("type", field)
        raw = str(text) if isinstance(text, int) else text.strip()
        if not _DIGITS.issuperset(raw):
            raise _INVALID.error("characters", field)
        if len(raw) not in _SIGNIFICANT_LENGTHS:
            raise _INVALID.error("length", field)
        return cls(_INVALID.check(_problem, raw.ljust(12, "0"), field))

    @property
    def level(self) -> Level:
        """The level, from the lowest non-zero segment."""
        return level_of_code(self.value)

    @property
    def kind(self) -> UnitKind:
        """The kind of unit, from the digit ranges of the township or village segment."""
        level = self.level
        if level is Level.VILLAGE:
            return UnitKind.for_village_digits(int(self.value[9:]))
        if level is Level.TOWNSHIP:
            return UnitKind.for_township_digits(int(self.value[6:9]))
        return UnitKind(level.value)

    @property
    def short(self) -> str:
        """The significant digits (2, 4, 6, 9 or 12 characters).

        A code ``x`` is in the subtree of ``a`` iff ``x.value.startswith(a.short)``.
        """
        return self.value[: self.level.digits]

    @property
    def parent(self) -> DivisionCode | None:
        """The code of the parent unit, or None for a province.

        The parent of a township whose county digits are ``00`` is the prefecture.
        """
        level = self.level
        if level is Level.PROVINCE:
            return None
        keep = {
            Level.PREFECTURE: 2,
            Level.COUNTY: 4,
            Level.TOWNSHIP: 6,
            Level.VILLAGE: 9,
        }[level]
        return DivisionCode(self.value[:keep].ljust(12, "0"))

    def ancestors(self) -> tuple[DivisionCode, ...]:
        """All ancestor codes, nearest first."""
        result: list[DivisionCode] = []
        code = self.parent
        while code is not None:
            result.append(code)
            code = code.parent
        return tuple(result)

    def is_ancestor_of(self, other: DivisionCode) -> bool:
        """True if ``other`` is strictly below this code."""
        return other.value != self.value and other.value.startswith(self.short)

    def contains(self, other: DivisionCode) -> bool:
        """True if ``other`` is this code or below it."""
        return other.value.startswith(self.short)

    def __str__(self) -> str:
        return self.value


def parse_division_code(text: str | int | DivisionCode, *, field: str = "code") -> DivisionCode:
    """Parse a division code; see :meth:`DivisionCode.parse`."""
    return DivisionCode.parse(text, field=field)


def is_valid_division_code(text: object) -> bool:
    """True if ``text`` parses as a division code (never raises)."""
    if not isinstance(text, str | int | DivisionCode):
        return False
    try:
        DivisionCode.parse(text)
    except ValidationError:
        return False
    return True


#: 城乡分类代码 (urban-rural classification): code → (Chinese, English). 1xx urban, 2xx rural.
URBAN_RURAL_CODES: Final[dict[str, tuple[str, str]]] = {
    "111": ("主城区", "main urban area"),
    "112": ("城乡结合区", "urban-rural fringe"),
    "121": ("镇中心区", "town centre"),
    "122": ("镇乡结合区", "town-rural fringe"),
    "123": ("特殊区域", "special area"),
    "210": ("乡中心区", "township centre"),
    "220": ("村庄", "village"),
}


def validate_urban_rural_code(code: str | int, *, field: str = "urban_rural_code") -> str:
    """Return the 3-digit urban-rural code (surrounding whitespace stripped).

    Raises:
        ValidationError: ``code="invalid_urban_rural_code"`` if it is not one of
            :data:`URBAN_RURAL_CODES`.
    """
    text = str(code).strip() if isinstance(code, str | int) and not isinstance(code, bool) else ""
    if text not in URBAN_RURAL_CODES:
        raise ValidationError(
            "城乡分类代码无效（应为111、112、121、122、123、210或220）",
            "invalid urban-rural code (expected 111, 112, 121, 122, 123, 210 or 220)",
            code="invalid_urban_rural_code",
            field=field,
        )
    return text
