"""Citizen identity numbers (公民身份号码, GB 11643-1999), as they arrive.

18 characters: a 6-digit address code, the 8-digit birth date, a 3-digit sequence (odd = male,
even = female) and an ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``).

The hard rules are length, characters, the check character and a real birth date (year 1850 or
later, and not after today: :func:`parse_resident_id` and :func:`is_valid_resident_id` take the
day, a clock or default to today in China Standard Time).

Every parse function first applies :func:`normalize_resident_id` (full-width digits and ``ｘ``,
whitespace anywhere, lower-case ``x``), and nothing else normalizes silently. First-generation
15-digit numbers (GB 11643-1989: address code, ``YYMMDD``, sequence) are converted to 18 digits
by :func:`resident_id_from_15` (``19`` inserted before the year, the check character appended);
:func:`parse_resident_id` does that only with ``allow_15=True`` and records it in
:attr:`ResidentId.converted_from_15`.

python-stdnum's ``stdnum.cn.ric.validate`` also requires the birth year to fall inside the
years its table says the address code was in use; that rejects real people (everyone under
360103 born before 1983, Hong Kong 810000 / Macau 820000 residence-permit holders born before
1997 / 1999, every Taiwan residence-permit number 830000). Here the birthplace is advisory
information only (:func:`birthplace_advisory`).

Identity numbers are personal data: they never appear in a repr or an exception message; use
:func:`mask_resident_id` to show one.
"""

from __future__ import annotations

import datetime
import re
from typing import Final, TypeAlias

import attrs
from stdnum.iso7064 import mod_11_2

from minzu_core.clock import CST, Clock, require_aware, today_cst
from minzu_core.codes._invalid import Reasons
from minzu_core.errors import ValidationError
from minzu_core.labels import LabelledEnum

__all__ = [
    "MIN_BIRTH_YEAR",
    "Gender",
    "ResidentId",
    "birthplace_advisory",
    "facts_of_valid_resident_id",
    "is_valid_resident_id",
    "make_resident_id",
    "mask_resident_id",
    "normalize_resident_id",
    "parse_resident_id",
    "resident_id_check_character",
    "resident_id_from_15",
]

#: The earliest birth year accepted.
MIN_BIRTH_YEAR: Final = 1850

_SHAPE: Final = re.compile(r"[0-9]{17}[0-9X]")
_DIGITS17: Final = re.compile(r"[0-9]{17}")
_DIGITS15: Final = re.compile(r"[0-9]{15}")
#: Full-width digits and x/X (as typed with a Chinese input method) to ASCII, lower x to X.
_TO_ASCII: Final = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, "ｘ": "X", "Ｘ": "X", "x": "X"}
)

#: What :func:`parse_resident_id` and friends accept as "today".
_Today: TypeAlias = datetime.date | Clock | None


class Gender(
    LabelledEnum,
    error_code="invalid_gender",
    aliases={"m": "male", "M": "male", "f": "female", "F": "female"},
):
    """Gender as encoded in the identity number (性别)."""

    MALE = "male", "男", "Male"
    FEMALE = "female", "女", "Female"

    @classmethod
    def parse(cls, value: str | Gender, *, field: str = "gender") -> Gender:
        """Accept 男/女, male/female, M/F (case-insensitive, whitespace stripped).

        Raises:
            ValidationError: ``code="invalid_gender"``.
        """
        gender: Gender = super().parse(value, field=field)
        return gender


_REASONS: Final = {
    "type": ("必须是字符串", "must be a string"),
    "length": ("应为18位", "must have 18 characters"),
    "characters": ("前17位应为数字，末位为数字或X", "must be 17 digits and a digit or X"),
    "check_character": ("校验码不正确", "the check character is wrong"),
    "birth_date": ("出生日期无效", "the birth date is invalid"),
    "birth_date_in_future": ("出生日期晚于今天", "the birth date is in the future"),
    "first_generation": (
        "为15位一代号码，需转换为18位",
        "is a 15-digit first-generation number (convert it to 18 digits)",
    ),
    "inconsistent": (
        "出生日期、性别或地址码与号码不一致",
        "birth date, gender or address code do not match the number",
    ),
    "sequence": ("顺序码应在0–999之间", "the sequence must be 0-999"),
}
_INVALID: Final = Reasons(
    "invalid_resident_id", "公民身份号码", "resident identity number", _REASONS
)


def resident_id_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``) for 17 digits.

    Raises:
        ValidationError: ``code="invalid_resident_id"`` unless given exactly 17 ASCII digits.
    """
    if not isinstance(first17, str):
        raise _INVALID.error("type", "id_number")
    if not _DIGITS17.fullmatch(first17):
        raise _INVALID.error("length" if len(first17) != 17 else "characters", "id_number")
    return str(mod_11_2.calc_check_digit(first17))


def _date(year: int, month: int, day: int) -> datetime.date | None:
    if year < MIN_BIRTH_YEAR:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _birth_date(number: str) -> datetime.date | None:
    return _date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def facts_of_valid_resident_id(number: str) -> tuple[datetime.date, Gender]:
    """``(birth date, gender)`` read from a number :func:`parse_resident_id` already accepted
    (18 characters, normalised): no check is repeated, so a model that stores the parsed number
    reads its facts without validating it twice. Anything else is ``invalid_resident_id``."""
    birth = _birth_date(number) if _SHAPE.fullmatch(number) else None
    if birth is None:
        raise _INVALID.error("characters", "id_number")
    return birth, _gender(number)


def _resolve_today(today: _Today) -> datetime.date:
    """The day a birth date may not be after: a date, a clock's today (CST) or the system's."""
    if today is None:
        return today_cst()
    if isinstance(today, datetime.datetime):
        return require_aware(today, "today").astimezone(CST).date()
    if isinstance(today, datetime.date):
        return today
    return today_cst(today)


def _gender(number: str) -> Gender:
    return Gender.MALE if int(number[16]) % 2 else Gender.FEMALE


def _problem(number: str, today: datetime.date | None = None) -> str | None:
    """The reason a normalized string is not a valid number (born after ``today``), or None."""
    if len(number) != 18:
        return "first_generation" if _DIGITS15.fullmatch(number) else "length"
    if not _SHAPE.fullmatch(number):
        return "characters"
    if mod_11_2.calc_check_digit(number[:17]) != number[17]:
        return "check_character"
    birth = _birth_date(number)
    if birth is None:
        return "birth_date"
    if today is not None and birth > today:
        return "birth_date_in_future"
    return None


@attrs.frozen(repr=False)
class ResidentId:
    """A valid identity number with the facts it encodes.

    ``repr`` and ``str`` show only the masked number. Construct with :func:`parse_resident_id`;
    the constructor checks that the fields agree with the number (it has no clock, so it does not
    judge a future birth date). ``converted_from_15`` is True if the number was converted from a
    15-digit first-generation number (:func:`resident_id_from_15`); ``number`` is then the
    18-digit form.
    """

    number: str = attrs.field(validator=_INVALID.validator(_problem, "id_number"))
    birth_date: datetime.date
    gender: Gender
    address_code: str
    converted_from_15: bool = False

    def __attrs_post_init__(self) -> None:
        if (
            self.birth_date != _birth_date(self.number)
            or self.gender is not _gender(self.number)
            or self.address_code != self.number[:6]
        ):
            raise _INVALID.error("inconsistent", "id_number")

    @property
    def masked(self) -> str:
        """The masked number, e.g. ``3601**********0014``."""
        return mask_resident_id(self.number)

    def __repr__(self) -> str:
        return f"ResidentId({self.masked!r})"

    def __str__(self) -> str:
        return self.masked


def normalize_resident_id(text: str) -> str:
    """The one normalizing step of every parse function (no validation).

    Removes whitespace anywhere (including the ideographic space), turns full-width digits
    ``０``–``９`` and ``ｘ``/``Ｘ`` into ASCII and upper-cases ``x``. Nothing else is changed:
    other characters are left for the validator to reject.
    """
    return "".join(text.split()).translate(_TO_ASCII)


def resident_id_from_15(text: str, *, field: str = "id_number") -> str:
    """Convert a 15-digit first-generation number (GB 11643-1989) to its 18-digit form.

    The 15 digits are the address code (6), the birth date ``YYMMDD`` of a year 19YY and the
    sequence (3, odd = male). The 18-digit number inserts ``19`` before the year and appends the
    MOD 11-2 check character; address code, birth date and sequence (so the gender) are kept.
    The input is normalized first (:func:`normalize_resident_id`).

    Raises:
        ValidationError: ``code="invalid_resident_id"`` with reason ``"type"``, ``"length"``,
            ``"characters"`` or ``"birth_date"``.
    """
    if not isinstance(text, str):
        raise _INVALID.error("type", field)
    number = normalize_resident_id(text)
    if len(number) != 15:
        raise _INVALID.error("length", field)
    if not _DIGITS15.fullmatch(number):
        raise _INVALID.error("characters", field)
    if _date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])) is None:
        raise _INVALID.error("birth_date", field)
    first17 = f"{number[:6]}19{number[6:]}"
    return first17 + resident_id_check_character(first17)


def parse_resident_id(
    text: str, *, field: str = "id_number", allow_15: bool = False, today: _Today = None
) -> ResidentId:
    """Validate an identity number as it arrives.

    The text is normalized by :func:`normalize_resident_id`. ``allow_15`` accepts a 15-digit
    first-generation number and converts it (:func:`resident_id_from_15`; the result says
    ``converted_from_15``). ``today`` is the day the birth date may not be after: a date, a
    :data:`~minzu_core.clock.Clock` (its day in China Standard Time) or None for today by the
    system clock; pass the store's clock where there is one.

    Raises:
        ValidationError: ``code="invalid_resident_id"`` with ``details["reason"]`` one of
            ``"type"``, ``"length"``, ``"first_generation"`` (15 digits without ``allow_15``),
            ``"characters"``, ``"check_character"``, ``"birth_date"``,
            ``"birth_date_in_future"``. The message never contains the number.
    """
    if not isinstance(text, str):
        raise _INVALID.error("type", field)
    number = normalize_resident_id(text)
    converted = allow_15 and _DIGITS15.fullmatch(number) is not None
    if converted:
        number = resident_id_from_15(number, field=field)
    day = _resolve_today(today)
    number = _INVALID.check(lambda n: _problem(n, day), number, field)
    birth_date = _birth_date(number)
    assert birth_date is not None  # checked by _problem
    return ResidentId(number, birth_date, _gender(number), number[:6], converted)


def is_valid_resident_id(text: object, *, allow_15: bool = False, today: _Today = None) -> bool:
    """True if ``text`` is a valid identity number (never raises); arguments as
    :func:`parse_resident_id`."""
    if not isinstance(text, str):
        return False
    try:
        parse_resident_id(text, allow_15=allow_15, today=today)
    except ValidationError:
        return False
    return True


def birthplace_advisory(number: str) -> tuple[str, ...]:
    """Province, prefecture and county names python-stdnum knows for the address code.

    Advisory only: the address code is where the household was registered when the number was
    issued, and stdnum's table is incomplete. Picks the county name in use in the birth year
    when the table has several. Never raises; returns ``()`` if nothing is known.
    """
    try:
        normalized = normalize_resident_id(number)
        code = normalized[:6]
        if not re.fullmatch(r"[0-9]{6}", code):
            return ()
        from stdnum import numdb

        info: dict[str, str] = {}
        for _part, props in numdb.get("cn/loc").info(code):
            info.update(props)
        birth = _birth_date(normalized) if _SHAPE.fullmatch(normalized) else None
        names = [info[k] for k in ("province", "prefecture") if info.get(k)]
        county = _pick_county(info.get("county", ""), birth.year if birth else None)
        if county:
            names.append(county)
        return tuple(names)
    except Exception:
        return ()


def _pick_county(field: str, year: int | None) -> str:
    """From stdnum's ``"[1983-]西湖区,[-1982]郊区"`` form pick the name in use in ``year``."""
    candidates: list[tuple[str, str, str]] = []
    for entry in filter(None, field.split(",")):
        if entry.startswith("[") and "]" in entry:
            span, name = entry[1:].split("]", 1)
            start, _, end = span.partition("-")
            candidates.append((start, end, name))
        else:
            candidates.append(("", "", entry))
    for start, end, name in candidates:
        if year is None or ((not start or year >= int(start)) and (not end or year <= int(end))):
            return name
    return candidates[-1][2] if candidates else ""


def mask_resident_id(text: str) -> str:
    """Mask an identity number: first 4, ten ``*``, last 4 (``3601**********0014``).

    The text is normalized as by the parse functions (:func:`normalize_resident_id`). Anything
    that does not then have the 18-character shape is masked entirely (one ``*`` per character
    of the stripped text), so a malformed number never leaks.
    """
    if not isinstance(text, str):
        return ""
    number = normalize_resident_id(text)
    if _SHAPE.fullmatch(number):
        return f"{number[:4]}{'*' * 10}{number[-4:]}"
    return "*" * len(text.strip())


def make_resident_id(address_code: str, birth_date: datetime.date, sequence: int) -> str:
    """Build a valid number from its parts (for tests and demo data).

    ``address_code`` is 6 digits (not checked against any table), ``sequence`` 0–999 (odd for
    a man, even for a woman).

    Raises:
        ValidationError: ``code="invalid_resident_id"`` for a bad part.
    """
    if not (isinstance(address_code, str) and re.fullmatch(r"[0-9]{6}", address_code)):
        raise ValidationError(
            "地址码应为6位数字",
            "the address code must have 6 digits",
            code="invalid_resident_id",
            field="address_code",
            details={"reason": "address_code"},
        )
    if birth_date.year < MIN_BIRTH_YEAR:
        raise _INVALID.error("birth_date", "birth_date")
    if isinstance(sequence, bool) or not 0 <= sequence <= 999:
        raise _INVALID.error("sequence", "sequence")
    first17 = f"{address_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_character(first17)
