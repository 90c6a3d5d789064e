"""The columns of the 台账 ledger file and the detection of its header row (台账列定义与表头识别).

:data:`COLUMNS` is the one table of the ledger's columns (DESIGN §7), in template order: the key
the import and export use, the Chinese and English headers, the spellings real files use for
the same column (``身份证号``, ``联系方式``, ``民族成份`` …), whether the column must be present,
the vocabulary of its drop-down list (the Chinese labels of the domain's own vocabularies) and
an explanation for the template's 说明 sheet.

:func:`find_header` finds the header row of a sheet as people really fill it in: below title
and note rows, with blank rows, full-width characters, spaces and line breaks inside headers,
``*`` marks of required columns, a parenthesised hint (``人员类别（常住/流动）``), an English second
header row (skipped) and merged cells (a group label such as ``户籍地`` spread over the
sub-headers ``区划代码`` and ``地址`` of the row below). :func:`split_header` does the same and
gives back an iterator over the data rows, so a streamed sheet is read once.

Nothing here reads a cell value as personal data: errors name columns (key and letter), never a
value.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import attrs

from minzu_core.codes.ethnicity import all_ethnicities
from minzu_core.codes.resident_id import Gender
from minzu_core.errors import ValidationError
from minzu_core.labels import LabelledEnum
from minzu_core.ledger.model import LanguageProficiency, MigrationReason, ResidenceStatus

__all__ = [
    "COLUMNS",
    "COLUMN_KEYS",
    "MIN_HEADER_MATCHES",
    "Column",
    "ColumnKind",
    "HeaderMap",
    "column",
    "column_letter",
    "find_header",
    "fold_header",
    "split_header",
]

#: A row is the header when at least this many of its cells name a known column.
MIN_HEADER_MATCHES: Final = 3


class ColumnKind(LabelledEnum):
    """How a column's cells are written and formatted (列类型)."""

    TEXT = "text", "文本", "text"
    #: Digits that must stay text (ID numbers, phones, codes): Excel would turn them into numbers.
    CODE = "code", "代码(文本格式)", "code (kept as text)"
    DATE = "date", "日期", "date"
    CHOICE = "choice", "选项", "choice"
    INTEGER = "integer", "整数", "integer"


def _labels(enum: type[LabelledEnum]) -> tuple[str, ...]:
    return tuple(member.label_zh for member in enum)


@attrs.frozen
class Column:
    """One column of the ledger file.

    Attributes:
        key: the stable name the import and export use (``id_number``).
        header_zh: the Chinese header of the template (``公民身份号码``).
        header_en: the English header (the template's second header row).
        synonyms: other spellings real files use for the column (Chinese and English).
        required: the column must be present in a file (its cells may still be blank where
            the domain allows it).
        kind: how the cells are written and formatted.
        vocabulary: the values of the template's drop-down list (Chinese labels).
        description_zh: the explanation of the 说明 sheet, in Chinese.
        description_en: the same in English.
        width: the template's column width (characters).
    """

    key: str
    header_zh: str
    header_en: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    kind: ColumnKind = ColumnKind.TEXT
    vocabulary: tuple[str, ...] = ()
    description_zh: str = ""
    description_en: str = ""
    width: int = 14

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every header text that names this column: both headers, the combined form of a
        cell holding both (``姓名 Name``) and the synonyms."""
        return (
            self.header_zh,
            self.header_en,
            f"{self.header_zh}{self.header_en}",
            *self.synonyms,
        )


_ETHNICITY_NAMES: Final = tuple(e.name_zh for e in all_ethnicities())

#: The ledger's columns in template order (DESIGN §7).
COLUMNS: Final[tuple[Column, ...]] = (
    Column(
        "seq",
        "序号",
        "No.",
        synonyms=("编号", "序", "顺序号", "serial number", "#"),
        kind=ColumnKind.INTEGER,
        description_zh="行序号, 仅便于核对, 导入时不保存。",
        description_en="Row number, for checking only; not stored.",
        width=6,
    ),
    Column(
        "name",
        "姓名",
        "name",
        synonyms=("名字", "姓名(中文)", "full name"),
        required=True,
        description_zh="姓名, 必填。",
        description_en="Full name; required.",
        width=12,
    ),
    Column(
        "gender",
        "性别",
        "gender",
        synonyms=("sex",),
        kind=ColumnKind.CHOICE,
        vocabulary=_labels(Gender),
        description_zh="男/女。填写了公民身份号码时可留空(由号码推出), 填写时须与号码一致。",
        description_en="男 (male) or 女 (female). May be blank when the ID number is given "
        "(it is derived from it); when given it must agree with the number.",
        width=6,
    ),
    Column(
        "ethnicity",
        "民族",
        "ethnicity",
        synonyms=("民族成份", "民族成分", "族别", "民族名称", "ethnic group", "nationality"),
        required=True,
        kind=ColumnKind.CHOICE,
        vocabulary=_ETHNICITY_NAMES,
        description_zh="民族名称(带不带“族”均可, 如“维吾尔族”或“维吾尔”)或GB/T 3304两位代码"
        "(如“05”), 必填。代码表见“代码表”工作表。",
        description_en="The ethnic group's name (with or without 族) or its 2-digit GB/T 3304 "
        "code (e.g. 05); required. The code table is on the 代码表 sheet.",
        width=12,
    ),
    Column(
        "id_number",
        "公民身份号码",
        "resident ID number",
        synonyms=(
            "身份证号",
            "身份证号码",
            "身份证",
            "公民身份证号码",
            "公民身份证号",
            "身份证件号码",
            "证件号码",
            "身份号码",
            "ID number",
            "ID No.",
            "resident ID",
        ),
        kind=ColumnKind.CODE,
        description_zh="18位公民身份号码(末位可为X), 第一代15位号码会自动升位并记录。单元格须为"
        "文本格式: 以数字录入的号码在Excel中显示为6.53101E+17, 末几位已丢失, 导入时将被拒绝。"
        "没有号码可留空。",
        description_en="The 18-character resident ID number (the last may be X); a "
        "first-generation 15-digit number is converted and the conversion recorded. The cell "
        "must be text: a number typed as a number shows as 6.53101E+17 in Excel, has lost its "
        "last digits, and is rejected. Leave blank if there is none.",
        width=21,
    ),
    Column(
        "birth_date",
        "出生日期",
        "birth date",
        synonyms=("出生年月", "出生年月日", "生日", "date of birth", "DOB"),
        kind=ColumnKind.DATE,
        description_zh="出生日期。填写了公民身份号码时可留空(由号码推出), 填写时须与号码一致。",
        description_en="Birth date. May be blank when the ID number is given (it is derived "
        "from it); when given it must agree with the number.",
        width=12,
    ),
    Column(
        "phone",
        "联系电话",
        "phone",
        synonyms=(
            "联系方式",
            "手机号",
            "手机号码",
            "手机",
            "电话",
            "电话号码",
            "联系电话(手机)",
            "mobile",
            "telephone",
            "tel",
            "phone number",
        ),
        kind=ColumnKind.CODE,
        description_zh="手机号码(11位)或固定电话(含区号), 文本格式。",
        description_en="A mobile number (11 digits) or a landline with its area code; text.",
        width=14,
    ),
    Column(
        "household_address",
        "户籍地址",
        "household registration address",
        synonyms=(
            "户籍所在地",
            "户籍所在地址",
            "户籍地",
            "户籍地地址",
            "户籍住址",
            "户口所在地",
            "户籍详细地址",
            "household address",
            "hukou address",
        ),
        description_zh="户籍所在地的详细地址。",
        description_en="The address of the household registration (户籍地).",
        width=28,
    ),
    Column(
        "household_code",
        "户籍地区划代码",
        "household division code",
        synonyms=(
            "户籍地行政区划代码",
            "户籍区划代码",
            "户籍地代码",
            "户籍地区划",
            "户籍所在地区划代码",
            "household code",
        ),
        kind=ColumnKind.CODE,
        description_zh="户籍地的行政区划代码(6位或12位, 文本格式), 可留空。",
        description_en="The division code of the household registration (6 or 12 digits, "
        "text); may be blank.",
        width=14,
    ),
    Column(
        "community",
        "现居住社区",
        "community of residence",
        synonyms=(
            "所在社区",
            "居住社区",
            "现居住村(社区)",
            "现居住社区(村)",
            "社区(村)",
            "所属社区",
            "社区",
            "community",
        ),
        required=True,
        kind=ColumnKind.CODE,
        description_zh="现居住的社区(村)名称或12位统计用区划代码, 必填; 须在本单位辖区内。",
        description_en="The community (or village) of residence, by name or 12-digit code; "
        "required; it must lie within the importing unit.",
        width=16,
    ),
    Column(
        "address",
        "现居住地址",
        "current address",
        synonyms=(
            "现住址",
            "现住地址",
            "现居地址",
            "居住地址",
            "现居住详细地址",
            "住址",
            "address",
        ),
        description_zh="现居住的详细地址。",
        description_en="The current address.",
        width=28,
    ),
    Column(
        "status",
        "人员类别",
        "category",
        synonyms=("类别", "人员类型", "居住类别", "人口类别", "常住/流动", "居住状态", "status"),
        required=True,
        kind=ColumnKind.CHOICE,
        vocabulary=_labels(ResidenceStatus),
        description_zh="常住或流动, 必填。",
        description_en="常住 (resident) or 流动 (floating); required.",
        width=10,
    ),
    Column(
        "arrival",
        "来本地时间",
        "arrival date",
        synonyms=(
            "来本地日期",
            "到达时间",
            "到达日期",
            "来本地居住时间",
            "流入时间",
            "流入日期",
            "入住时间",
            "arrival",
            "date of arrival",
        ),
        required=True,
        kind=ColumnKind.DATE,
        description_zh="开始在本地居住的日期(常住人员填落户或开始居住的日期), 必填。",
        description_en="The first day of residence here (for a resident, the day they settled); "
        "required.",
        width=12,
    ),
    Column(
        "departure",
        "离开时间",
        "departure date",
        synonyms=("离开日期", "离开本地时间", "流出时间", "流出日期", "departure"),
        kind=ColumnKind.DATE,
        description_zh="离开本地的日期, 仍在本地居住的留空; 不得早于来本地时间。",
        description_en="The day the person left; blank while they live here; not before the "
        "arrival date.",
        width=12,
    ),
    Column(
        "reason",
        "流动原因",
        "reason for moving",
        synonyms=("来本地原因", "流入原因", "外出原因", "流动事由", "reason"),
        kind=ColumnKind.CHOICE,
        vocabulary=_labels(MigrationReason),
        description_zh="务工、经商、就学、随迁或其他; 流动人员填写。",
        description_en="务工 work, 经商 business, 就学 study, 随迁 accompanying family or 其他 "
        "other; for floating persons.",
        width=10,
    ),
    Column(
        "occupation",
        "从业情况",
        "occupation",
        synonyms=("职业", "从事职业", "工作情况", "就业情况", "从业状况", "job"),
        description_zh="从事的职业或行业。",
        description_en="The person's occupation or trade.",
        width=14,
    ),
    Column(
        "employer",
        "工作单位或经营户",
        "employer or business",
        synonyms=(
            "工作单位",
            "工作单位/经营户",
            "工作单位、经营户",
            "经营户",
            "服务处所",
            "单位名称",
            "employer",
        ),
        description_zh="工作单位或个体经营户的名称。",
        description_en="The employer's or the person's own business's name.",
        width=22,
    ),
    Column(
        "employer_uscc",
        "统一社会信用代码",
        "unified social credit code",
        synonyms=("社会信用代码", "信用代码", "单位统一社会信用代码", "USCC"),
        kind=ColumnKind.CODE,
        description_zh="工作单位或经营户的18位统一社会信用代码(文本格式), 可留空。",
        description_en="The employer's or business's 18-character unified social credit code "
        "(text); may be blank.",
        width=21,
    ),
    Column(
        "language",
        "国家通用语言水平",
        "national common language proficiency",
        synonyms=(
            "国家通用语言掌握程度",
            "国家通用语言",
            "普通话水平",
            "汉语水平",
            "语言水平",
            "language",
            "language proficiency",
        ),
        kind=ColumnKind.CHOICE,
        vocabulary=_labels(LanguageProficiency),
        description_zh="熟练、基本掌握、略懂或不会。",
        description_en="熟练 fluent, 基本掌握 basic, 略懂 limited or 不会 none.",
        width=12,
    ),
    Column(
        "note",
        "备注",
        "notes",
        synonyms=("备 注", "remarks", "remark", "note", "comments"),
        description_zh="其他需要说明的情况。请勿填写与台账管理无关的个人信息。",
        description_en="Anything else worth noting. Do not enter personal data the ledger does "
        "not need.",
        width=20,
    ),
)

#: The column keys in template order.
COLUMN_KEYS: Final = tuple(c.key for c in COLUMNS)

_BY_KEY: Final[Mapping[str, Column]] = {c.key: c for c in COLUMNS}


def column(key: str) -> Column:
    """The column with this key.

    Raises:
        ValidationError: ``code="unknown_column"``.
    """
    found = _BY_KEY.get(key)
    if found is None:
        raise ValidationError(
            "未知的台账列", "unknown ledger column", code="unknown_column", field="column"
        )
    return found


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 → ``A``, 26 → ``AA``)."""
    if index < 0:
        raise ValueError("a column index is not negative")
    letters = ""
    n = index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


_PARENTHESISED: Final = re.compile(r"\([^()]*\)")
_DROPPED: Final = re.compile(r"[\s*※#:.,;'\"`_\-]+")


def fold_header(value: Any) -> str:
    """The form a header cell is compared in: NFKC (full-width to half-width), case-folded,
    without whitespace and line breaks, ``*`` marks, punctuation and parenthesised hints
    (``（常住/流动）``); ``""`` for a blank cell. A header that is only a mark (``#``) keeps it."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    text = "".join(text.split())
    stripped = _PARENTHESISED.sub("", text)
    if stripped:
        text = stripped
    dropped = _DROPPED.sub("", text)
    return dropped or text.strip()


def _build_index() -> Mapping[str, str]:
    index: dict[str, str] = {}
    for col in COLUMNS:
        for spelling in col.spellings:
            folded = fold_header(spelling)
            owner = index.setdefault(folded, col.key)
            if owner != col.key:  # pragma: no cover - a declaration error, caught at import
                raise RuntimeError(f"header spelling {spelling!r} names {owner} and {col.key}")
    return index


_INDEX: Final = _build_index()


def _key_of(value: Any) -> str | None:
    folded = fold_header(value)
    return _INDEX.get(folded) if folded else None


def _index_map(value: Mapping[int, str]) -> dict[int, str]:
    return dict(value)


@attrs.frozen
class HeaderMap:
    """Where the header of a ledger sheet is and which column holds what.

    Row numbers are 1-based positions in the rows given to :func:`find_header` (the sheet's
    row numbers when the rows start at the sheet's first row); column indexes are 0-based.

    Attributes:
        header_row: the row of the (Chinese) header.
        data_start: the first row after the header rows (the English or sub-header row, if
            any, is skipped).
        second_header_row: the row of the English or merged-cell sub-header, if there is one.
        headers: the header texts as found (a merged group label joined with its sub-header),
            stripped; ``""`` for a blank header cell.
        columns: column index → column key, for every recognised column.
        unknown: column index → header text, for every non-blank header no column matches;
            the import keeps these cells for the error file.
        errors: duplicate (``duplicate_column``) and missing required (``missing_column``)
            columns; :meth:`raise_for_errors` raises them.
    """

    header_row: int
    data_start: int
    second_header_row: int | None
    headers: tuple[str, ...]
    columns: Mapping[int, str] = attrs.field(converter=_index_map, hash=False)
    unknown: Mapping[int, str] = attrs.field(converter=_index_map, hash=False)
    errors: tuple[ValidationError, ...] = attrs.field(default=(), hash=False, eq=False)

    @property
    def width(self) -> int:
        """The number of header cells."""
        return len(self.headers)

    @property
    def keys(self) -> tuple[str, ...]:
        """The recognised column keys in the file's order."""
        return tuple(self.columns[i] for i in sorted(self.columns))

    def index_of(self, key: str) -> int | None:
        """The index of the (first) column holding ``key``, or ``None`` if the file lacks it."""
        for index in sorted(self.columns):
            if self.columns[index] == key:
                return index
        return None

    def values(self, row: Sequence[Any]) -> dict[str, Any]:
        """The cells of a data row by column key (the first column of a duplicated key);
        a key whose cell lies beyond the row's end is ``None``."""
        out: dict[str, Any] = {}
        for index in sorted(self.columns):
            out.setdefault(self.columns[index], row[index] if index < len(row) else None)
        return out

    def extras(self, row: Sequence[Any]) -> dict[str, Any]:
        """The cells of a data row under unknown headers, by header text (kept for the
        error file)."""
        return {
            self.unknown[index]: (row[index] if index < len(row) else None)
            for index in sorted(self.unknown)
        }

    def raise_for_errors(self) -> HeaderMap:
        """Raise the first of :attr:`errors` (the others are in its ``details["errors"]``);
        return this map when there is none."""
        if not self.errors:
            return self
        first = self.errors[0]
        if len(self.errors) > 1:
            first.details["errors"] = [e.to_dict() for e in self.errors]
        raise first


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return "" if _is_blank(value) else " ".join(str(value).split())


def _matches(row: Sequence[Any]) -> int:
    return sum(1 for cell in row if _key_of(cell) is not None)


def _second_row_keys(
    primary: Sequence[Any], row: Sequence[Any]
) -> dict[int, tuple[str, str, bool]] | None:
    """If ``row`` continues the header (an English header row, or the sub-headers under
    merged group labels), each of its header cells' index → (key, text, joined with the group
    label); otherwise ``None``."""
    if sum(1 for cell in row if not _is_blank(cell)) == 0:
        return None
    group = ""
    translated = 0
    found: dict[int, tuple[str, str, bool]] = {}
    for index, cell in enumerate(itertools.zip_longest(primary, row)):
        above, here = cell
        if not _is_blank(above):
            group = _text(above)
        if _is_blank(here):
            continue
        alone = _key_of(here)
        joined = f"{group}{_text(here)}"
        key = _key_of(joined) if group else None
        if key is not None and (key != alone or _key_of(group) is None):
            # a sub-header under its group label (户籍地 | 区划代码), not the same column's
            # header again in another language (姓名 | name)
            found[index] = (key, joined, True)
            continue
        if alone is None:
            if _is_blank(above) or _key_of(above) is not None:
                return None  # a cell that names no column: a data row
            translated += 1  # the second-language header of an unknown column
            continue
        found[index] = (alone, _text(here), False)
    if len(found) >= MIN_HEADER_MATCHES:
        return found
    return found if not translated and _fills_gaps(primary, found) else None


def _fills_gaps(primary: Sequence[Any], found: Mapping[int, tuple[str, str, bool]]) -> bool:
    """True if every sub-header sits under a blank or group header cell (a merged layout)."""
    for index, (_, _, joined) in found.items():
        above = primary[index] if index < len(primary) else None
        if not joined and _key_of(above) is not None:
            return False
    return bool(found)


def _errors(columns: Mapping[int, str]) -> tuple[ValidationError, ...]:
    errors: list[ValidationError] = []
    by_key: dict[str, list[int]] = {}
    for index in sorted(columns):
        by_key.setdefault(columns[index], []).append(index)
    for col in COLUMNS:
        indexes = by_key.get(col.key, [])
        letters = [column_letter(i) for i in indexes]
        if len(indexes) > 1:
            errors.append(
                ValidationError(
                    f"“{col.header_zh}”列出现了多次 (第 {', '.join(letters)} 列)",
                    f"the column {col.header_en!r} appears more than once "
                    f"(columns {', '.join(letters)})",
                    code="duplicate_column",
                    field=col.key,
                    details={"columns": letters},
                )
            )
        elif not indexes and col.required:
            errors.append(
                ValidationError(
                    f"缺少必填列“{col.header_zh}”",
                    f"the required column {col.header_en!r} is missing",
                    code="missing_column",
                    field=col.key,
                )
            )
    return tuple(errors)


def split_header(
    rows: Iterable[Sequence[Any]], *, max_scan: int = 20
) -> tuple[HeaderMap, Iterator[tuple[Any, ...]]]:
    """Find the header among the first ``max_scan`` rows and return it with an iterator over
    the rows after it (the data rows, from :attr:`HeaderMap.data_start` on, blank rows
    included). The rows are read once, so a streamed sheet can be passed.

    The header is the first row where at least :data:`MIN_HEADER_MATCHES` cells name a known
    column (by its header or a synonym, compared by :func:`fold_header`); title, note and blank
    rows above it are skipped. The row after it is taken as a second header row, and skipped,
    when each of its non-blank cells names a column — an English header row, or the
    sub-headers under a merged group label (``户籍地`` over ``区划代码`` | ``地址``), which are
    read joined with their group (``户籍地区划代码``).

    Raises:
        ValidationError: ``code="no_header"`` when no row of the first ``max_scan`` is a header.
    """
    iterator = iter(rows)
    header: tuple[Any, ...] | None = None
    number = 0
    for raw in itertools.islice(iterator, max_scan):
        number += 1
        row = tuple(raw)
        if _matches(row) >= MIN_HEADER_MATCHES:
            header = row
            break
    if header is None:
        raise ValidationError(
            f"未找到表头: 前 {number} 行中没有一行包含至少 {MIN_HEADER_MATCHES} 个台账列名"
            "(如 姓名、民族、公民身份号码)",
            f"no header found: none of the first {number} rows names at least "
            f"{MIN_HEADER_MATCHES} ledger columns (such as 姓名, 民族, 公民身份号码)",
            code="no_header",
            details={"rows_scanned": number},
        )
    header_row = number
    texts = [_text(cell) for cell in header]
    columns = {i: key for i, cell in enumerate(header) if (key := _key_of(cell)) is not None}

    pending: list[tuple[Any, ...]] = []
    second_row: int | None = None
    following = next(iterator, None)
    if following is not None:
        candidate = tuple(following)
        second = _second_row_keys(header, candidate)
        if second is None:
            pending.append(candidate)
        else:
            second_row = header_row + 1
            texts.extend("" for _ in range(len(candidate) - len(texts)))
            for index, (key, text, joined) in second.items():
                if joined or index not in columns:
                    columns[index] = key
                    if joined or not texts[index]:
                        texts[index] = text
    unknown = {i: text for i, text in enumerate(texts) if text and i not in columns}
    header_map = HeaderMap(
        header_row=header_row,
        data_start=header_row + (2 if second_row is not None else 1),
        second_header_row=second_row,
        headers=tuple(texts),
        columns=columns,
        unknown=unknown,
        errors=_errors(columns),
    )
    data = itertools.chain(pending, (tuple(r) for r in iterator))
    return header_map, data


def find_header(rows: Iterable[Sequence[Any]], *, max_scan: int = 20) -> HeaderMap:
    """The :class:`HeaderMap` of a sheet's rows (see :func:`split_header` for the rules).

    Duplicate and missing required columns are reported in :attr:`HeaderMap.errors` (raise
    them with :meth:`HeaderMap.raise_for_errors`); unknown columns in
    :attr:`HeaderMap.unknown`.

    Raises:
        ValidationError: ``code="no_header"`` when no row of the first ``max_scan`` is a header.
    """
    return split_header(rows, max_scan=max_scan)[0]
