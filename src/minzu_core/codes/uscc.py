"""Unified social credit codes (统一社会信用代码, GB 32100-2015), implemented from the standard.

18 characters from the 31-character code alphabet ``0-9 A-H J-N P Q R T U W X Y`` (no I, O, Z,
S, V):

=========  ===============================================================================
position   meaning
=========  ===============================================================================
1          registration authority (登记管理部门代码): a digit or an upper-case letter
2          organisation type under that authority (机构类别代码): a digit or a letter
3–8        region code of the registering authority (登记管理机关行政区划码, GB/T 2260)
9–17       the organisation code (主体标识码, GB 11714): 8 body characters and its own
           MOD 11 check character (``0``–``9`` or ``X``)
18         check character: MOD 31 over the first 17 characters (weights ``3^i mod 31``)
=========  ===============================================================================

The authority and type table (:data:`REGISTRATION_TYPES`) is the one of GB 32100-2015 table 1
with the authorities added since (外交 2, 司法行政 3, 文化 4, 旅游 6, 宗教 7, 工会 8,
中央军委改革和编制办公室 A, 农业 N). python-stdnum's ``stdnum.cn.uscc`` requires the first 8
characters to be digits and so rejects every valid code of a letter authority (``A``, ``N``,
``Y``); it checks neither the table nor the organisation code's check character. This module
differs from it in exactly those three ways (see ``tests/unit/test_codes_uscc.py``).

Individual businesses (个体工商户) start with ``92``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from minzu_core.codes._invalid import Reasons

__all__ = [
    "REGISTRATION_AUTHORITIES",
    "REGISTRATION_TYPES",
    "USCC_ALPHABET",
    "UsccParts",
    "is_individual_business",
    "is_valid_uscc",
    "make_uscc",
    "organisation_code_check_character",
    "parse_uscc",
    "split_uscc",
    "uscc_check_character",
]

#: The code alphabet of GB 32100 (the value of a character is its index): no I, O, Z, S, V.
USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"

#: Registration authorities (登记管理部门), by the first character.
REGISTRATION_AUTHORITIES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "1": "机构编制",
        "2": "外交",
        "3": "司法行政",
        "4": "文化",
        "5": "民政",
        "6": "旅游",
        "7": "宗教",
        "8": "工会",
        "9": "工商",
        "A": "中央军委改革和编制办公室",
        "N": "农业",
        "Y": "其他",
    }
)

#: Organisation types (机构类别) by the first two characters.
REGISTRATION_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "11": "机关",
        "12": "事业单位",
        "13": "中央编办直接管理机构编制的群众团体",
        "19": "其他",
        "21": "外国常驻新闻机构",
        "29": "其他",
        "31": "律师执业机构",
        "32": "外国律师事务所驻华代表机构",
        "33": "司法鉴定机构",
        "34": "仲裁委员会",
        "35": "公证处",
        "36": "基层法律服务所",
        "39": "其他",
        "41": "外国在华文化中心",
        "49": "其他",
        "51": "社会团体",
        "52": "民办非企业单位",
        "53": "基金会",
        "59": "其他",
        "61": "外国旅游部门常驻代表机构",
        "62": "港澳台地区旅游部门常驻内地（大陆）代表机构",
        "69": "其他",
        "71": "宗教活动场所",
        "72": "宗教院校",
        "79": "其他",
        "81": "基层工会",
        "89": "其他",
        "91": "企业",
        "92": "个体工商户",
        "93": "农民专业合作社",
        "A1": "军队事业单位",
        "A9": "其他",
        "N1": "组级集体经济组织",
        "N2": "村级集体经济组织",
        "N3": "乡镇级集体经济组织",
        "N9": "其他",
        "Y1": "其他",
    }
)

_VALUES: Final = {c: i for i, c in enumerate(USCC_ALPHABET)}
#: GB 32100 weights: 3^i mod 31 for positions 1–17.
_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
#: GB 11714 weights of the 8 body characters.
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY: Final = re.compile(r"[0-9A-Z]{8}")
_REGION: Final = re.compile(r"[0-9]{6}")
_SEPARATORS: Final = re.compile(r"[\s\-\u3000]+")


@attrs.frozen
class UsccParts:
    """The parts of a valid code (:func:`split_uscc`): authority, type, region, organisation."""

    authority: str
    organisation_type: str
    region_code: str
    organisation_code: str
    check_character: str

    @property
    def authority_name(self) -> str:
        """The registration authority's name (登记管理部门), e.g. 工商."""
        return REGISTRATION_AUTHORITIES[self.authority]

    @property
    def type_name(self) -> str:
        """The organisation type's name (机构类别), e.g. 个体工商户."""
        return REGISTRATION_TYPES[self.authority + self.organisation_type]


def uscc_check_character(first17: str) -> str:
    """The GB 32100 check character of 17 characters of the code alphabet.

    ``C18 = 31 - (sum(value(Ci) * 3^(i-1)) mod 31)``, 31 read as ``0``.

    Raises:
        ValidationError: ``code="invalid_uscc"`` (reason ``"length"`` or ``"format"``).
    """
    if not isinstance(first17, str) or len(first17) != 17:
        raise _INVALID.error("length" if isinstance(first17, str) else "format", "uscc")
    if any(c not in _VALUES for c in first17):
        raise _INVALID.error("format", "uscc")
    total = sum(_VALUES[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def organisation_code_check_character(body: str) -> str:
    """The GB 11714 check character (``0``–``9`` or ``X``) of an 8-character organisation code.

    Digits count as themselves and letters ``A``–``Z`` as 10–35; ``C9 = 11 - (sum mod 11)``,
    10 written ``X`` and 11 written ``0``.

    Raises:
        ValidationError: ``code="invalid_uscc"`` with reason ``"format"``.
    """
    if not isinstance(body, str) or not _ORG_BODY.fullmatch(body):
        raise _INVALID.error("format", "uscc")
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


_REASONS: Final = {
    "length": ("应为18位", "must have 18 characters"),
    "format": (
        "含有不允许的字符（不用I、O、Z、S、V）",
        "contains a character that is not allowed (no I, O, Z, S, V)",
    ),
    "registration_type": (
        "登记管理部门或机构类别代码无效",
        "unknown registration authority or organisation type",
    ),
    "region": ("第3–8位应为行政区划代码", "characters 3-8 must be a region code"),
    "organisation_code": (
        "组织机构代码（第9–17位）校验码不正确",
        "the organisation code (characters 9-17) has a wrong check character",
    ),
    "checksum": ("校验码不正确", "the check character is wrong"),
}
_INVALID: Final = Reasons(
    "invalid_uscc", "统一社会信用代码", "unified social credit code", _REASONS
)


def _normalize(text: str) -> str:
    return _SEPARATORS.sub("", text).upper()


def _problem(code: str) -> str | None:
    """The reason a normalized code is invalid, or None."""
    if len(code) != 18:
        return "length"
    if any(c not in _VALUES for c in code):
        return "format"
    if code[:2] not in REGISTRATION_TYPES:
        return "registration_type"
    if not _REGION.fullmatch(code[2:8]):
        return "region"
    if organisation_code_check_character(code[8:16]) != code[16]:
        return "organisation_code"
    if uscc_check_character(code[:17]) != code[17]:
        return "checksum"
    return None


def parse_uscc(text: str, *, field: str = "uscc") -> str:
    """Validate a USCC and return it normalized (upper case, whitespace and dashes removed).

    Raises:
        ValidationError: ``code="invalid_uscc"`` with ``details["reason"]`` one of ``"length"``,
            ``"format"`` (a character outside the alphabet), ``"registration_type"`` (positions
            1–2 not in :data:`REGISTRATION_TYPES`), ``"region"`` (positions 3–8 not digits),
            ``"organisation_code"`` (the GB 11714 check character, position 17) and
            ``"checksum"`` (position 18).
    """
    if not isinstance(text, str):
        raise _INVALID.error("format", field)
    return _INVALID.check(_problem, _normalize(text), field)


def is_valid_uscc(text: object) -> bool:
    """True if ``text`` is a valid USCC (never raises)."""
    return isinstance(text, str) and _problem(_normalize(text)) is None


def split_uscc(text: str, *, field: str = "uscc") -> UsccParts:
    """Validate a USCC and return its parts.

    Raises:
        ValidationError: as :func:`parse_uscc`.
    """
    code = parse_uscc(text, field=field)
    return UsccParts(code[0], code[1], code[2:8], code[8:17], code[17])


def is_individual_business(uscc: str) -> bool:
    """True if the (valid) code belongs to an individual business (个体工商户, prefix ``92``).

    Raises:
        ValidationError: ``code="invalid_uscc"`` for an invalid code.
    """
    return parse_uscc(uscc).startswith("92")


def make_uscc(
    region_code: str, serial: int, *, individual: bool = False, registration: str | None = None
) -> str:
    """Build a valid USCC (for tests and demo data).

    ``region_code`` is a 6-digit division code, ``serial`` 0–99,999,999 becomes the organisation
    code (with its GB 11714 check character). ``registration`` is the first two characters (a key
    of :data:`REGISTRATION_TYPES`); by default ``92`` (个体工商户) if ``individual`` else ``91``
    (企业).

    Raises:
        ValueError: for a bad region code, serial or registration.
    """
    prefix = registration or ("92" if individual else "91")
    if not re.fullmatch(r"[0-9]{6}", region_code) or not 0 <= serial <= 99_999_999:
        raise ValueError("region_code must be 6 digits and serial 0-99999999")
    if prefix not in REGISTRATION_TYPES:
        raise ValueError("registration must be a key of REGISTRATION_TYPES")
    body = f"{serial:08d}"
    first17 = f"{prefix}{region_code}{body}{organisation_code_check_character(body)}"
    return first17 + uscc_check_character(first17)
