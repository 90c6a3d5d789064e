"""Cell parsers of the 台账 import (单元格解析): what spreadsheets contain → the domain's values.

One function per kind of column turns a cell as openpyxl or the CSV reader delivers it (``str``,
``int``, ``float``, ``datetime``/``date``, ``None``) into the value the ledger model takes, or
raises a :class:`~minzu_core.errors.ValidationError` whose ``field`` is the column key (see
:data:`PARSERS`) and whose ``row`` is the input row when given. The national rules are not
repeated here: every code goes through its module in :mod:`minzu_core.codes` and every
vocabulary through :meth:`~minzu_core.labels.LabelledEnum.parse`; this module only undoes what
spreadsheets do to values before they reach those rules.

Normalisation, by kind of cell:

* **Codes, dates and vocabularies** (ID number, phone, USCC, division codes, 民族, 性别, 人员类别
  …): Unicode NFKC (full-width digits, letters and punctuation to ASCII) and whitespace removed.
* **Names** (姓名): only width folding (full-width ASCII to half-width, the ideographic space to a
  space), never NFKC (a CJK compatibility ideograph in a name stays as typed); whitespace between
  two Chinese characters is removed (``张　三``, padded to line up with three-character names, is
  ``张三``), other runs of whitespace become one space, and the variants of the separator of
  transliterated names (``•`` ``・`` ``‧`` ``∙`` ``．`` …) become the 间隔号 ``·`` with no space
  around it.
* **Free text** (addresses, occupation, employer, community names): width folding, runs of
  whitespace (line breaks included) become one space. **备注** keeps its line breaks.
* Blank cells (``None``, empty or whitespace-only text, a float NaN) are ``None``; an Excel error
  value (``#N/A``, ``#VALUE!`` …) is ``code="excel_error"``; ``True``/``False`` is
  ``code="invalid_type"``.

Dates (:func:`parse_date`) accept Excel date cells, Excel serial numbers of the 1900 date system
(Lotus's phantom 1900-02-29, serial 60, refused), ``2019-03-01``, ``2019/3/1``, ``2019.3.1``,
``2019年3月1日``, ``20190301`` and month-only forms (``201903``, ``2019-03``, ``2019年3月``: the
first of the month, with :attr:`CellDate.precision` ``MONTH``), full-width digits included.

ID numbers (:func:`parse_id_number`) typed as numbers are refused (``code="id_number_as_number"``):
Excel keeps 15 significant digits, so an 18-digit number stored as a number has lost its last
digits, and a corrupted number is never stored. First-generation 15-digit numbers are converted
(:attr:`~minzu_core.codes.resident_id.ResidentId.converted_from_15`).

:func:`parse_row` parses a whole row and collects every cell's error (:class:`CellError`) and the
facts an importer records (:class:`CellNotice`: a 15-digit number converted, a date given to the
month only, an ID number whose province prefix is unknown). Messages never contain the cell's
value: cells hold personal data.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol, TypeVar

import attrs

from minzu_core import fields
from minzu_core.clock import CST, today_cst
from minzu_core.codes.divisions import PROVINCE_PREFIXES, DivisionCode, Level
from minzu_core.codes.ethnicity import normalize_ethnicity_code
from minzu_core.codes.phone import parse_phone
from minzu_core.codes.resident_id import (
    MIN_BIRTH_YEAR,
    Gender,
    ResidentId,
    normalize_resident_id,
    parse_resident_id,
)
from minzu_core.codes.uscc import parse_uscc
from minzu_core.errors import MinzuError, ValidationError
from minzu_core.interchange.columns import COLUMNS
from minzu_core.labels import LabelledEnum
from minzu_core.ledger.model import LanguageProficiency, MigrationReason, ResidenceStatus

__all__ = [
    "COLUMN_KEYS",
    "EXCEL_ERRORS",
    "MAX_DATE_YEAR",
    "PARSERS",
    "REQUIRED_KEYS",
    "CellDate",
    "CellError",
    "CellNotice",
    "CellParser",
    "CommunityRef",
    "DatePrecision",
    "ParsedRow",
    "excel_serial_to_date",
    "parse_community",
    "parse_date",
    "parse_division_cell",
    "parse_ethnicity_cell",
    "parse_gender_cell",
    "parse_household_code",
    "parse_id_number",
    "parse_language",
    "parse_migration_reason",
    "parse_name",
    "parse_note",
    "parse_phone_cell",
    "parse_row",
    "parse_sequence",
    "parse_status",
    "parse_text",
    "parse_uscc_cell",
]

_E = TypeVar("_E", bound=LabelledEnum)

#: The column keys of the 台账 template, in template order (DESIGN §7): those of
#: :data:`minzu_core.interchange.columns.COLUMNS`.
COLUMN_KEYS: Final[tuple[str, ...]] = tuple(column.key for column in COLUMNS)

#: Columns :func:`parse_row` requires by default: the template's required columns (what a
#: ledger record and its residence episode must have).
REQUIRED_KEYS: Final[frozenset[str]] = frozenset(c.key for c in COLUMNS if c.required)

#: The latest year a date cell may have (later years are typing errors).
MAX_DATE_YEAR: Final = 2099

#: The texts Excel shows for a formula's error value (openpyxl returns them as text).
EXCEL_ERRORS: Final[frozenset[str]] = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
        "#CONNECT!",
        "#BUSY!",
    }
)

# -- results ----------------------------------------------------------------------------------


class DatePrecision(LabelledEnum):
    """How much of a date the cell gave (日期精度): the day, or only the month."""

    DAY = "day", "日", "day"
    MONTH = "month", "月", "month"


@attrs.frozen
class CellDate:
    """A date read from a cell.

    Attributes:
        value: the day; for a month-only cell (``201903``) the first of the month.
        precision: ``DAY``, or ``MONTH`` when the cell did not give the day.
    """

    value: dt.date
    precision: DatePrecision = DatePrecision.DAY

    @property
    def day_given(self) -> bool:
        """False when the cell gave only the year and month."""
        return self.precision is DatePrecision.DAY


@attrs.frozen
class CommunityRef:
    """现居住社区 as given: a division code, or a name the importer resolves against the stored
    hierarchy and the actor's scope. Exactly one of ``code`` and ``name`` is set."""

    code: DivisionCode | None = None
    name: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.code is None) == (self.name is None):
            raise ValidationError(
                "现居住社区须为区划代码或名称之一",
                "a community is given by exactly one of a code and a name",
                code="invalid_community",
                field="community",
            )

    @property
    def by_code(self) -> bool:
        """True if the cell gave a division code, False if a name."""
        return self.code is not None


@attrs.frozen
class CellError:
    """Why one cell was refused (for the error file): column key, row, stable code, messages.

    ``details`` is machine-readable context (e.g. ``{"reason": "check_character"}``), never the
    cell's value.
    """

    key: str
    row: int | None
    code: str
    message_zh: str
    message_en: str
    details: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_error(cls, error: MinzuError, *, key: str, row: int | None) -> CellError:
        """The cell error for a typed error raised while parsing column ``key``."""
        return cls(key, row, error.code, error.message_zh, error.message_en, dict(error.details))


@attrs.frozen
class CellNotice:
    """A fact about an accepted cell the importer records (not an error): codes
    ``id_number_converted_from_15``, ``date_month_only``, ``id_number_region_unknown``."""

    key: str
    row: int | None
    code: str
    message_zh: str
    message_en: str


@attrs.frozen
class ParsedRow:
    """One row parsed by :func:`parse_row`.

    Attributes:
        row: the input row number.
        values: column key → parsed value (``None`` for a blank cell) for every cell that parsed;
            a refused cell is absent. Not shown in the repr (personal data).
        errors: every refused cell, in column order.
        notices: facts about accepted cells to record (:class:`CellNotice`).
    """

    row: int
    values: Mapping[str, Any] = attrs.field(repr=lambda v: f"<{len(v)} values>")
    errors: tuple[CellError, ...] = ()
    notices: tuple[CellNotice, ...] = ()

    @property
    def ok(self) -> bool:
        """True if no cell was refused."""
        return not self.errors

    @property
    def blank(self) -> bool:
        """True if every cell was blank (a blank row is not a row read)."""
        return not self.errors and all(value is None for value in self.values.values())


# -- errors -----------------------------------------------------------------------------------


def _error(
    key: str, row: int | None, code: str, zh: str, en: str, **details: Any
) -> ValidationError:
    return ValidationError(zh, en, code=code, field=key, row=row, details=details or None)


def _located(error: MinzuError, key: str, row: int | None) -> MinzuError:
    """A library error re-aimed at the column and row (messages unchanged)."""
    error.field = key
    if row is not None:
        error.with_row(row)
    else:
        error.args = (error._render(),)
    return error


_EXCEL_EPOCH: Final = dt.date(1899, 12, 30)
#: The serial of 2099-12-31, the last day accepted.
_MAX_SERIAL: Final = (dt.date(MAX_DATE_YEAR, 12, 31) - _EXCEL_EPOCH).days

_DATE_REASONS: Final = {
    "format": (
        "无法识别的日期格式（可用 2019-03-01、2019/3/1、2019.3.1、2019年3月1日、20190301、201903）",
        "unrecognised date format (use 2019-03-01, 2019/3/1, 2019.3.1, 2019年3月1日, 20190301, "
        "201903)",
    ),
    "impossible": ("日期不存在（如2月30日、13月）", "no such date (e.g. 30 February, month 13)"),
    "out_of_range": (
        f"年份应在{MIN_BIRTH_YEAR}–{MAX_DATE_YEAR}之间",
        f"the year must be {MIN_BIRTH_YEAR}-{MAX_DATE_YEAR}",
    ),
    "excel_phantom_day": (
        "Excel序列号60对应不存在的1900年2月29日",
        "Excel serial 60 is the non-existent day 1900-02-29",
    ),
    "excel_serial": (
        f"Excel日期序列号应在1–{_MAX_SERIAL}之间",
        f"the Excel date serial must be 1-{_MAX_SERIAL}",
    ),
    "ambiguous_number": (
        "数字像是年份而不是Excel日期，请填写完整日期",
        "the number looks like a year, not an Excel date serial: write the full date",
    ),
    "in_future": ("日期晚于今天", "the date is after today"),
    "time": ("只有时间没有日期", "a time of day without a date"),
}


def _date_error(key: str, row: int | None, reason: str) -> ValidationError:
    zh, en = _DATE_REASONS[reason]
    return _error(key, row, "invalid_date", f"日期无效：{zh}", f"invalid date: {en}", reason=reason)


# -- cell preprocessing ------------------------------------------------------------------------

#: Full-width ASCII (U+FF01–FF5E) to ASCII and the ideographic space to a space: width folding.
_WIDTH: Final = {**{0xFF01 + i: 0x21 + i for i in range(0x5E)}, 0x3000: 0x20}
_WHITESPACE: Final = re.compile(r"\s+")
_NUMBER_TEXT: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _fold_width(text: str) -> str:
    return text.translate(_WIDTH)


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def _check_scalar(value: object, key: str, row: int | None) -> None:
    """Refuse what no column takes: booleans, Excel error values, infinities, other types."""
    if isinstance(value, bool):
        raise _error(
            key, row, "invalid_type", "不应为逻辑值（TRUE/FALSE）", "must not be TRUE/FALSE"
        )
    if isinstance(value, str):
        if value.strip().upper() in EXCEL_ERRORS:
            raise _error(
                key,
                row,
                "excel_error",
                "单元格为Excel错误值（如 #N/A、#VALUE!），请检查公式",
                "the cell holds an Excel error value (e.g. #N/A, #VALUE!): check the formula",
            )
        return
    if isinstance(value, float) and math.isinf(value):
        raise _error(key, row, "invalid_type", "不是有限的数", "not a finite number")
    if not isinstance(value, int | float | dt.date | dt.time):
        raise _error(key, row, "invalid_type", "单元格类型无法识别", "unsupported cell type")


def _number_text(value: int | float) -> str:
    """A number cell as the text it stands for in a text column (``101.0`` → ``"101"``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _code_text(value: object, key: str, row: int | None) -> str:
    """A code-like cell as compact ASCII text: NFKC, all whitespace removed.

    Integral number cells become their digits; a fractional number, a date or a number Excel
    showed in scientific notation (``3.60102E+11``: digits already lost) is refused.
    """
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise _error(key, row, "invalid_code", "不应为小数", "must not be a decimal number")
        return str(int(value))
    if not isinstance(value, str):
        raise _error(key, row, "invalid_type", "应为文本或数字", "must be text or a number")
    text = "".join(unicodedata.normalize("NFKC", value).split())
    if "e" in text.lower() and _NUMBER_TEXT.fullmatch(text):
        raise _error(
            key,
            row,
            "scientific_notation",
            "数字以科学计数法显示（Excel已丢失位数），请将该列设为文本后重新填写",
            "a number in scientific notation (Excel has lost digits): format the column as "
            "text and type it again",
        )
    return text


def _text(value: object, key: str, row: int | None) -> str:
    """A cell of a text column as text (numbers and dates as they display)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise _error(key, row, "invalid_type", "应为文本", "must be text")


def _storable(text: str, key: str, row: int | None) -> str | None:
    try:
        return fields.as_text_or_none(text, key)
    except MinzuError as error:
        raise _located(error, key, row) from None


# -- text columns ------------------------------------------------------------------------------


def parse_text(value: object, *, key: str, row: int | None = None) -> str | None:
    """A single-line free-text cell (addresses, occupation, employer): width folding, every run
    of whitespace (line breaks included) one space, stripped; blank → ``None``.

    Raises:
        ValidationError: ``invalid_type``, ``excel_error`` or ``invalid_text`` (a character no
            store can keep).
    """
    if _blank(value):
        return None
    _check_scalar(value, key, row)
    text = _WHITESPACE.sub(" ", _fold_width(_text(value, key, row))).strip()
    return _storable(text, key, row)


def parse_note(value: object, *, key: str = "note", row: int | None = None) -> str | None:
    """备注: like :func:`parse_text` but line breaks are kept (each line stripped at its end,
    ``\\r\\n`` as ``\\n``)."""
    if _blank(value):
        return None
    _check_scalar(value, key, row)
    lines = _fold_width(_text(value, key, row)).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in lines.split("\n")).strip()
    return _storable(text, key, row)


def parse_sequence(value: object, *, key: str = "seq", row: int | None = None) -> str | None:
    """序号: informational, kept as text (``1.0`` → ``"1"``); never refuses a row for its form."""
    return parse_text(value, key=key, row=row)


#: Separators typed between the parts of a transliterated name, to the 间隔号 U+00B7.
_NAME_DOTS: Final = re.compile(r"\s*[·•・･‧∙⋅.]\s*")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3FFFF
        or char == "·"
    )


def parse_name(value: object, *, key: str = "name", row: int | None = None) -> str | None:
    """姓名: width folding only (never NFKC), whitespace between Chinese characters removed,
    other whitespace runs one space, separator variants of transliterated names to ``·``.

    Raises:
        ValidationError: as :func:`parse_text`.
    """
    if _blank(value):
        return None
    _check_scalar(value, key, row)
    text = _fold_width(_text(value, key, row)).strip()
    if any(_is_cjk(c) for c in text):
        text = _NAME_DOTS.sub("·", text)
    parts = text.split()
    joined = parts[0] if parts else ""
    for part in parts[1:]:
        glue = "" if _is_cjk(joined[-1]) and _is_cjk(part[0]) else " "
        joined += glue + part
    return _storable(joined, key, row)


# -- dates -------------------------------------------------------------------------------------
_TIME: Final = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_DAY_FORMS: Final = (
    re.compile(
        rf"(?P<y>[0-9]{{4}})(?P<sep>[-/.])(?P<m>[0-9]{{1,2}})(?P=sep)(?P<d>[0-9]{{1,2}}){_TIME}"
    ),
    re.compile(r"(?P<y>[0-9]{4})年(?P<m>[0-9]{1,2})月(?P<d>[0-9]{1,2})[日号]?"),
    re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"),
)
_MONTH_FORMS: Final = (
    re.compile(r"(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})"),
    re.compile(r"(?P<y>[0-9]{4})年(?P<m>[0-9]{1,2})月?"),
)


def excel_serial_to_date(serial: int | float) -> dt.date:
    """The day of an Excel serial number in the 1900 date system (the fraction, a time of day,
    is dropped).

    Serial 1 is 1900-01-01. Excel (after Lotus 1-2-3) counts a 29 February 1900 that never
    existed as serial 60, so serials 1–59 are 1899-12-31 + n and serials from 61 are
    1899-12-30 + n.

    Raises:
        ValueError: for serial 60 or a serial below 1 (the caller words the error).
    """
    day = math.floor(serial)
    if day < 1 or day == 60:
        raise ValueError("no day")
    if day < 60:
        return dt.date(1899, 12, 31) + dt.timedelta(days=day)
    return _EXCEL_EPOCH + dt.timedelta(days=day)


def _checked(
    year: int, month: int, day: int, key: str, row: int | None, precision: DatePrecision
) -> CellDate:
    if not MIN_BIRTH_YEAR <= year <= MAX_DATE_YEAR:
        raise _date_error(key, row, "out_of_range")
    try:
        return CellDate(dt.date(year, month, day), precision)
    except ValueError:
        raise _date_error(key, row, "impossible") from None


def _from_serial(serial: int | float, key: str, row: int | None) -> CellDate:
    day = math.floor(serial)
    if MIN_BIRTH_YEAR <= day <= MAX_DATE_YEAR + 1:
        raise _date_error(key, row, "ambiguous_number")
    if day == 60:
        raise _date_error(key, row, "excel_phantom_day")
    if not 1 <= day <= _MAX_SERIAL:
        raise _date_error(key, row, "excel_serial")
    return CellDate(excel_serial_to_date(day))


def _from_digits(digits: str, key: str, row: int | None) -> CellDate:
    """A run of digits: ``YYYYMMDD``, ``YYYYMM`` or (up to 5 digits) an Excel serial."""
    if len(digits) <= 5:
        return _from_serial(int(digits), key, row)
    if len(digits) == 8:
        return _checked(int(digits[:4]), int(digits[4:6]), int(digits[6:]), key, row, _DAY)
    if len(digits) == 6:
        return _checked(int(digits[:4]), int(digits[4:]), 1, key, row, _MONTH)
    raise _date_error(key, row, "format")


_DAY: Final = DatePrecision.DAY
_MONTH: Final = DatePrecision.MONTH


def _read_date(value: object, key: str, row: int | None) -> CellDate:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(CST)
        return _checked(value.year, value.month, value.day, key, row, _DAY)
    if isinstance(value, dt.date):
        return _checked(value.year, value.month, value.day, key, row, _DAY)
    if isinstance(value, dt.time):
        raise _date_error(key, row, "time")
    if isinstance(value, int):
        return _from_digits(str(value), key, row) if value > 0 else _from_serial(value, key, row)
    if isinstance(value, float):
        if value.is_integer() and value > 0:
            return _from_digits(str(int(value)), key, row)
        return _from_serial(value, key, row)
    assert isinstance(value, str)
    text = unicodedata.normalize("NFKC", value).strip()
    text = _WHITESPACE.sub(" ", text)
    compact = text.replace(" ", "") if "年" in text else text
    if compact.isascii() and compact.isdigit():
        return _from_digits(compact, key, row)
    for form in _DAY_FORMS:
        match = form.fullmatch(compact)
        if match:
            y, m, d = (int(match.group(g)) for g in ("y", "m", "d"))
            return _checked(y, m, d, key, row, _DAY)
    for form in _MONTH_FORMS:
        match = form.fullmatch(compact)
        if match:
            return _checked(int(match.group("y")), int(match.group("m")), 1, key, row, _MONTH)
    raise _date_error(key, row, "format")


def parse_date(
    value: object,
    *,
    key: str,
    row: int | None = None,
    not_after: dt.date | None = None,
) -> CellDate | None:
    """A date cell (出生日期, 来本地时间, 离开时间); blank → ``None``.

    Accepts a ``date``/``datetime`` (an Excel date cell; a time of day is dropped, an aware
    datetime is read in China Standard Time), an Excel serial (number or up to five digits of
    text; see :func:`excel_serial_to_date`), the texts ``2019-03-01``, ``2019/3/1``,
    ``2019.3.1``, ``2019年3月1日`` (also ``…号``, and any of them followed by a time such as
    ``00:00:00``), ``20190301`` (text or number), and month-only ``201903``, ``2019-03``,
    ``2019/3``, ``2019.3``, ``2019年3月`` (the first of the month, precision ``MONTH``).
    Full-width digits and punctuation are read as ASCII. ``not_after`` refuses a later day (a
    birth date after today).

    Raises:
        ValidationError: ``code="invalid_date"`` with ``details["reason"]``: ``"format"``,
            ``"impossible"`` (2019-02-30), ``"out_of_range"`` (a year outside
            1850–:data:`MAX_DATE_YEAR`), ``"excel_phantom_day"`` (serial 60),
            ``"excel_serial"`` (a serial below 1 or after 2099-12-31),
            ``"ambiguous_number"`` (a number between 1850 and 2100: a year, not a serial),
            ``"time"`` (a time without a date) or ``"in_future"``; also ``excel_error``,
            ``invalid_type``.
    """
    if _blank(value):
        return None
    _check_scalar(value, key, row)
    parsed = _read_date(value, key, row)
    if not_after is not None and parsed.value > not_after:
        raise _date_error(key, row, "in_future")
    return parsed


# -- identity number ---------------------------------------------------------------------------


def _as_number_error(key: str, row: int | None) -> ValidationError:
    return _error(
        key,
        row,
        "id_number_as_number",
        "公民身份号码被存成了数字（Excel只保留15位有效数字，后几位已丢失）；"
        "请将该列设为文本格式后重新填写完整号码",
        "the ID number was stored as a number (Excel keeps 15 significant digits, the last "
        "digits are lost); format the column as text and type the full number again",
    )


def parse_id_number(
    value: object,
    *,
    key: str = "id_number",
    row: int | None = None,
    today: dt.date | None = None,
) -> ResidentId | None:
    """公民身份号码: through :func:`~minzu_core.codes.resident_id.parse_resident_id` (full-width
    digits and ``ｘ``, lower-case ``x``, inner spaces; a 15-digit first-generation number is
    converted, :attr:`~minzu_core.codes.resident_id.ResidentId.converted_from_15`); the birth
    date may not be after ``today`` (default: today in China Standard Time). One leading
    apostrophe (Excel's "text" mark, kept by CSV exports) is dropped. Blank → ``None``.

    Raises:
        ValidationError: ``code="id_number_as_number"`` for a number cell or a number's text
            (``6.53101E+17``, ``653101198001010000.0``); otherwise ``invalid_resident_id`` with
            the library's ``details["reason"]``; ``excel_error``, ``invalid_type``.
    """
    if _blank(value):
        return None
    _check_scalar(value, key, row)
    if isinstance(value, int | float):
        raise _as_number_error(key, row)
    if not isinstance(value, str):
        raise _error(key, row, "invalid_type", "应为文本", "must be text")
    text = value.strip()
    if text[:1] in ("'", "‘", "’"):
        text = text[1:]
    compact = normalize_resident_id(unicodedata.normalize("NFKC", text))
    if _NUMBER_TEXT.fullmatch(compact) and not compact.isdigit():
        raise _as_number_error(key, row)
    try:
        return parse_resident_id(text, field=key, allow_15=True, today=today or today_cst())
    except MinzuError as error:
        raise _located(error, key, row) from None


# -- codes and vocabularies --------------------------------------------------------------------


def parse_ethnicity_cell(
    value: object, *, key: str = "ethnicity", row: int | None = None
) -> str | None:
    """民族: a GB/T 3304 code (``01``, ``1``, ``05``, a number cell), the letter code, the
    romanization or the name with or without 族 (``回``, ``回族``, ``维吾尔族``), full-width
    and spaced forms too, to the 2-digit code (:func:`~minzu_core.codes.ethnicity.
    normalize_ethnicity_code`). Blank → ``None``.

    Raises:
        ValidationError: ``code="unknown_ethnicity"``; ``invalid_code`` for a fractional number.
    """
    if _blank(value):
        return None
    _check_scalar(value, key, row)
    try:
        return normalize_ethnicity_code(_code_text(value, key, row), field=key)
    except MinzuError as error:
        raise _located(error, key, row) from None


#: GB/T 2261.1-2003 性别代码 and its names; 0 未知的性别 and 9 未说明的性别 are no value.
_GB2261_GENDER: Final[Mapping[str, str | None]] = {
    "0": None,
    "1": "male",
    "2": "female",
    "9": None,
    "未知的性别": None,
    "未知": None,
    "未说明的性别": None,
    "未说明": None,
    "男性": "male",
    "女性": "female",
}


def parse_gender_cell(
    value: object, *, key: str = "gender", row: int | None = None
) -> Gender | None:
    """性别: 男/女, 男性/女性, M/F, male/female and the GB/T 2261.1 codes 1 (男) and 2 (女);
    code 0 (未知的性别), 9 (未说明的性别) and a blank cell are ``None`` (the ID number, if any,
    gives the gender). Checking it against the ID number is the importer's (the model's) job.

    Raises:
        ValidationError: ``code="invalid_gender"``.
    """
    if _blank(value):
        return None
    _check_scalar(value, key, row)
    text = _code_text(value, key, row)
    mapped = _GB2261_GENDER.get(text, text)
    if mapped is None:
        return None
    try:
        return Gender.parse(mapped, field=key)
    except MinzuError as error:
        raise _located(error, key, row) from None


def _choice(
    enum: type[_E], value: object, key: str, row: int | None, synonyms: Mapping[str, str]
) -> _E | None:
    if _blank(value):
        return None
    _check_scalar(value, key, row)
    if not isinstance(value, str):
        raise _error(key, row, "invalid_type", "应为文本", "must be text")
    text = _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", value)).strip()
    if not text.isascii():
        text = text.replace(" ", "")
    try:
        member: _E = enum.parse(synonyms.get(text, text), field=key)
    except MinzuError as error:
        raise _located(error, key, row) from None
    return member


#: Spellings found in real 台账 files for :class:`ResidenceStatus` (beyond its labels).
_STATUS_SYNONYMS: Final = {"常住人口": "常住", "流动人口": "流动"}
#: Spellings found in real 台账 files for :class:`LanguageProficiency` (beyond its labels).
_LANGUAGE_SYNONYMS: Final = {"熟练掌握": "熟练"}


def parse_status(
    value: object, *, key: str = "status", row: int | None = None
) -> ResidenceStatus | None:
    """人员类别: 常住/流动 (also 常住人口/流动人口), resident/floating; blank → ``None``.

    Raises:
        ValidationError: ``code="invalid_choice"`` (:meth:`LabelledEnum.parse`).
    """
    return _choice(ResidenceStatus, value, key, row, _STATUS_SYNONYMS)


def parse_migration_reason(
    value: object, *, key: str = "reason", row: int | None = None
) -> MigrationReason | None:
    """流动原因: 务工, 经商, 就学, 随迁, 其他 or the English values/labels; blank → ``None``.

    Raises:
        ValidationError: ``code="invalid_choice"``.
    """
    return _choice(MigrationReason, value, key, row, {})


def parse_language(
    value: object, *, key: str = "language", row: int | None = None
) -> LanguageProficiency | None:
    """国家通用语言水平: 熟练 (熟练掌握), 基本掌握, 略懂, 不会 or the English; blank → ``None``.

    Raises:
        ValidationError: ``code="invalid_choice"``.
    """
    return _choice(LanguageProficiency, value, key, row, _LANGUAGE_SYNONYMS)


def parse_phone_cell(value: object, *, key: str = "phone", row: int | None = None) -> str | None:
    """联系电话 through :func:`~minzu_core.codes.phone.parse_phone` (full-width digits, spaces,
    dashes, ``+86``; an 11-digit number cell is a mobile number). Blank → ``None``.

    Raises:
        ValidationError: ``invalid_phone``; ``scientific_notation`` (``1.38001E+10``).
    """
    if _blank(value):
        return None
    _check_scalar(value, key, row)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        _code_text(value, key, row)  # refuses scientific notation
    else:
        text = _code_text(value, key, row)
    try:
        return parse_phone(text, field=key)
    except MinzuError as error:
        raise _located(error, key, row) from None


def parse_division_cell(value: object, *, key: str, row: int | None = None) -> DivisionCode | None:
    """A division code cell (2, 4, 6, 9 or 12 digits, text or number) through
    :meth:`DivisionCode.parse`; blank → ``None``.

    Raises:
        ValidationError: ``invalid_division_code``, ``scientific_notation``, ``invalid_code``.
    """
    if _blank(value):
        return None
    _check_scalar(value, key, row)
    text = _code_text(value, key, row)
    try:
        return DivisionCode.parse(text, field=key)
    except MinzuError as error:
        raise _located(error, key, row) from None


def parse_household_code(
    value: object, *, key: str = "household_code", row: int | None = None
) -> DivisionCode | None:
    """户籍地区划代码: a division code naming at least a county (6, 9 or 12 digits); blank →
    ``None``.

    Raises:
        ValidationError: as :func:`parse_division_cell`, and ``division_too_coarse`` for a
            province or prefecture.
    """
    code = parse_division_cell(value, key=key, row=row)
    if code is not None and code.level < Level.COUNTY:
        raise _error(
            key,
            row,
            "division_too_coarse",
            "户籍地区划代码应至少到县级（6位）",
            "the household division code must name at least a county (6 digits)",
        )
    return code


def parse_community(
    value: object, *, key: str = "community", row: int | None = None
) -> CommunityRef | None:
    """现居住社区: a division code (digits, text or number) or a name (free text, spaces between
    Chinese characters removed). Resolving a name against the stored hierarchy is the
    importer's job. Blank → ``None``.

    Raises:
        ValidationError: as :func:`parse_division_cell` for digits; ``invalid_text``.
    """
    if _blank(value):
        return None
    _check_scalar(value, key, row)
    if isinstance(value, int | float):
        return CommunityRef(code=parse_division_cell(value, key=key, row=row))
    compact = _code_text(value, key, row)
    if compact.isascii() and compact.isdigit():
        return CommunityRef(code=parse_division_cell(compact, key=key, row=row))
    name = parse_name(value, key=key, row=row)
    assert name is not None
    return CommunityRef(name=name)


def parse_uscc_cell(
    value: object, *, key: str = "employer_uscc", row: int | None = None
) -> str | None:
    """统一社会信用代码 through :func:`~minzu_core.codes.uscc.parse_uscc` (full-width and
    lower-case letters, spaces and dashes accepted); a number cell is refused (18 digits do
    not survive Excel's 15). Blank → ``None``.

    Raises:
        ValidationError: ``invalid_uscc``; ``code_as_number`` for a number cell;
            ``scientific_notation``.
    """
    if _blank(value):
        return None
    _check_scalar(value, key, row)
    if not isinstance(value, str):
        raise _error(
            key,
            row,
            "code_as_number",
            "统一社会信用代码被存成了数字（Excel只保留15位有效数字）；请将该列设为文本后重新填写",
            "the code was stored as a number (Excel keeps 15 significant digits); format the "
            "column as text and type it again",
        )
    text = _code_text(value, key, row)
    try:
        return parse_uscc(text, field=key)
    except MinzuError as error:
        raise _located(error, key, row) from None


# -- the registry and the row ------------------------------------------------------------------


class CellParser(Protocol):
    """A parser of :data:`PARSERS`: ``parser(value, row=…, today=…)``, raising a
    :class:`ValidationError` naming its column."""

    def __call__(
        self, value: object, *, row: int | None = None, today: dt.date | None = None
    ) -> Any:
        """Parse one cell of the parser's column."""


def _plain(parse: Callable[..., Any], key: str) -> CellParser:
    def parser(value: object, *, row: int | None = None, today: dt.date | None = None) -> Any:
        return parse(value, key=key, row=row)

    parser.__doc__ = parse.__doc__
    return parser


def _dated(key: str, *, not_future: bool) -> CellParser:
    def parser(value: object, *, row: int | None = None, today: dt.date | None = None) -> Any:
        limit = (today or today_cst()) if not_future else None
        return parse_date(value, key=key, row=row, not_after=limit)

    parser.__doc__ = parse_date.__doc__
    return parser


def _id_parser(value: object, *, row: int | None = None, today: dt.date | None = None) -> Any:
    return parse_id_number(value, key="id_number", row=row, today=today)


_id_parser.__doc__ = parse_id_number.__doc__

#: Column key → its cell parser, ``parser(value, row=…, today=…)``; every key of
#: :data:`COLUMN_KEYS`. A birth date after ``today`` is refused; arrival and departure are not
#: compared with today (nor with each other: that is the model's rule).
PARSERS: Final[Mapping[str, CellParser]] = {
    "seq": _plain(parse_sequence, "seq"),
    "name": _plain(parse_name, "name"),
    "gender": _plain(parse_gender_cell, "gender"),
    "ethnicity": _plain(parse_ethnicity_cell, "ethnicity"),
    "id_number": _id_parser,
    "birth_date": _dated("birth_date", not_future=True),
    "phone": _plain(parse_phone_cell, "phone"),
    "household_address": _plain(parse_text, "household_address"),
    "household_code": _plain(parse_household_code, "household_code"),
    "community": _plain(parse_community, "community"),
    "address": _plain(parse_text, "address"),
    "status": _plain(parse_status, "status"),
    "arrival": _dated("arrival", not_future=False),
    "departure": _dated("departure", not_future=False),
    "reason": _plain(parse_migration_reason, "reason"),
    "occupation": _plain(parse_text, "occupation"),
    "employer": _plain(parse_text, "employer"),
    "employer_uscc": _plain(parse_uscc_cell, "employer_uscc"),
    "language": _plain(parse_language, "language"),
    "note": _plain(parse_note, "note"),
}


def _notices(key: str, value: Any, row: int) -> list[CellNotice]:
    found: list[CellNotice] = []
    if isinstance(value, ResidentId):
        if value.converted_from_15:
            found.append(
                CellNotice(
                    key,
                    row,
                    "id_number_converted_from_15",
                    "15位一代公民身份号码已转换为18位",
                    "a 15-digit first-generation ID number was converted to 18 digits",
                )
            )
        if value.address_code[:2] not in PROVINCE_PREFIXES | {"83"}:
            found.append(
                CellNotice(
                    key,
                    row,
                    "id_number_region_unknown",
                    "公民身份号码的前两位不是已知的省级代码",
                    "the first two digits of the ID number are not a known province code",
                )
            )
    if isinstance(value, CellDate) and not value.day_given:
        found.append(
            CellNotice(
                key,
                row,
                "date_month_only",
                "日期只填写到月，按当月1日记录",
                "the date gives only the month; recorded as the first of the month",
            )
        )
    return found


def parse_row(
    raw: Mapping[str, Any],
    *,
    row: int,
    today: dt.date,
    required: frozenset[str] = REQUIRED_KEYS,
) -> ParsedRow:
    """Parse every cell of one row (column key → cell value), collecting every cell's error.

    Keys of :data:`COLUMN_KEYS` missing from ``raw`` are blank. A column of ``required`` that is
    blank is an error ``code="required"``, unless the whole row is blank (then
    :attr:`ParsedRow.blank`). ``today`` is the day a birth date (in its column or in the ID
    number) may not be after.

    Raises:
        ValidationError: ``code="unknown_column"`` for a key that is not a column key (the
            header mapping's job, so a programming error here; nothing is parsed).
    """
    unknown = sorted(set(raw) - set(PARSERS))
    if unknown:
        raise ValidationError(
            "未知的列",
            "unknown column keys",
            code="unknown_column",
            field=unknown[0],
            row=row,
            details={"keys": unknown},
        )
    values: dict[str, Any] = {}
    errors: list[CellError] = []
    notices: list[CellNotice] = []
    for key in COLUMN_KEYS:
        try:
            value = PARSERS[key](raw.get(key), row=row, today=today)
        except MinzuError as error:
            errors.append(CellError.from_error(error, key=key, row=row))
            continue
        values[key] = value
        notices.extend(_notices(key, value, row))
    if errors or any(value is not None for value in values.values()):
        for key in COLUMN_KEYS:
            if key in required and key in values and values[key] is None:
                errors.append(
                    CellError(
                        key,
                        row,
                        "required",
                        "必填项为空",
                        "a required cell is empty",
                    )
                )
                del values[key]
    order = {key: index for index, key in enumerate(COLUMN_KEYS)}
    errors.sort(key=lambda e: order[e.key])
    return ParsedRow(row, values, tuple(errors), tuple(notices))
