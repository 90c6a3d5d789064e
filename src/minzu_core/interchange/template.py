"""The blank 台账 template (台账模板): XLSX with drop-down lists and an explanation sheet, or CSV.

:func:`write_template` writes the columns of :data:`~minzu_core.interchange.columns.COLUMNS`:

* **XLSX** (needs ``openpyxl``: ``pip install minzu-core[indicators]``) — sheet ``台账``: the
  Chinese header in row 1 and the English header in row 2 (a second header row, not a comment:
  it is visible when printed and survives a save as CSV; :func:`find_header` skips it), both
  frozen; drop-down lists for 民族, 性别, 人员类别, 流动原因 and 国家通用语言水平 on every data row
  (from row 3 to the sheet's last row) whose values are on the sheet ``代码表`` (with the GB/T 3304
  codes of the ethnic groups); the ID number, phone and code columns formatted as text (``@``) so
  that Excel keeps every digit, the date columns as dates; column widths; required columns'
  headers in red. Sheet ``说明`` explains each column in Chinese and English, the accepted
  formats and the privacy rules.
* **CSV** — UTF-8 with a byte-order mark (so that Excel opens it in the right encoding), the
  two header rows.

The file is written to a temporary name beside ``path`` and renamed into place, and an existing
file is never overwritten unless ``overwrite=True`` (a template written over a filled-in ledger
would lose it).

:func:`write_ledger` writes a filled-in ledger in the same layout (the export's writer,
:mod:`minzu_core.interchange.exporter`): the same sheets, header rows, drop-down lists and
formats, with one data row per record, streamed (openpyxl's write-only mode; the CSV line by
line); ID numbers, phones and codes as text cells, dates as date cells, and a text that starts
with ``=`` kept as text, never a formula.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import importlib
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final, Literal

from minzu_core.codes.ethnicity import all_ethnicities
from minzu_core.errors import ConfigurationError, ValidationError
from minzu_core.interchange.columns import COLUMNS, Column, ColumnKind, column_letter

__all__ = [
    "CODES_SHEET",
    "DATA_SHEET",
    "EXPLANATION_SHEET",
    "FIRST_DATA_ROW",
    "FORMATS",
    "LAST_ROW",
    "PRIVACY_NOTE_EN",
    "PRIVACY_NOTE_ZH",
    "TemplateFormat",
    "ledger_cell_text",
    "load_openpyxl",
    "missing_openpyxl",
    "write_ledger",
    "write_template",
]

#: The formats :func:`write_template` writes.
TemplateFormat = Literal["xlsx", "csv"]
#: The format names :func:`write_template` accepts.
FORMATS: Final[tuple[str, ...]] = ("xlsx", "csv")

#: The sheet of the ledger rows.
DATA_SHEET: Final = "台账"
#: The sheet that explains each column.
EXPLANATION_SHEET: Final = "说明"
#: The sheet holding the drop-down lists' values and the ethnic-group code table.
CODES_SHEET: Final = "代码表"
#: The last row of an XLSX sheet: the drop-down lists and formats reach it.
LAST_ROW: Final = 1_048_576
#: The first data row of the XLSX and CSV template (after the two header rows).
FIRST_DATA_ROW: Final = 3

PRIVACY_NOTE_ZH: Final = (
    "本表含公民个人信息(姓名、公民身份号码、联系电话、住址等), 依照《中华人民共和国个人信息保护法》"
    "仅限民族工作台账管理使用: 只收集台账所需的信息; 不得向无关人员提供、公开或用于其他目的; "
    "请勿通过互联网邮箱、即时通讯软件或公共网盘传送; 导入系统后请删除本地和打印副本。"
)
PRIVACY_NOTE_EN: Final = (
    "This sheet holds personal information (names, resident ID numbers, phones, addresses). "
    "Under the Personal Information Protection Law it may be used only to keep the ethnic-affairs "
    "ledger: collect only what the ledger needs; never give it to anyone else, publish it or use "
    "it for another purpose; do not send it by internet e-mail, instant messaging or public "
    "cloud drives; delete local and printed copies once it is imported."
)

#: The formats the import accepts, as told on the 说明 sheet (Chinese, English).
_ACCEPTED: Final = (
    (
        "日期: Excel日期单元格, 或 2019-03-01、2019/3/1、2019.3.1、2019年3月1日、201903(年月)。",
        "Dates: Excel date cells, or 2019-03-01, 2019/3/1, 2019.3.1, 2019年3月1日, 201903 "
        "(year and month).",
    ),
    (
        "公民身份号码: 18位(末位X大小写均可, 全角数字可), 第一代15位号码自动升位; 请保持文本格式, "
        "勿以数字录入(6.53101E+17 形式的号码已丢失末位, 将被拒绝)。",
        "Resident ID numbers: 18 characters (X in either case; full-width digits are accepted); "
        "first-generation 15-digit numbers are converted. Keep the cells as text; never type "
        "them as numbers (a number shown as 6.53101E+17 has lost its last digits and is "
        "rejected).",
    ),
    (
        "民族: 民族名称(带不带“族”均可)或两位代码; 性别: 男/女; 人员类别: 常住/流动。",
        "Ethnicity: the name (with or without 族) or the 2-digit code; gender: 男/女; "
        "category: 常住/流动.",
    ),
    (
        "现居住社区: 社区(村)名称或12位区划代码, 须在本单位辖区内。",
        "Community of residence: the community's (village's) name or 12-digit code, within the "
        "importing unit.",
    ),
    (
        "表头: 第1行中文表头, 第2行英文表头; 表头上方可有标题行和说明行。请勿改动表头。",
        "Headers: row 1 Chinese, row 2 English; title and note rows above the header are "
        "allowed. Do not change the headers.",
    ),
)


def missing_openpyxl() -> ConfigurationError:
    """The error for XLSX work without openpyxl (``code="missing_dependency"``, with the
    install hint)."""
    return ConfigurationError(
        "读写XLSX文件需要 openpyxl: pip install minzu-core[indicators]",
        "reading or writing XLSX files needs openpyxl: pip install minzu-core[indicators]",
        code="missing_dependency",
        field="format",
        details={"package": "openpyxl", "install": "pip install minzu-core[indicators]"},
    )


def load_openpyxl() -> tuple[Any, Any, Any]:
    """openpyxl's workbook, styles and data-validation modules (an optional dependency, of the
    ``indicators`` extra; imported here, not at module import, and untyped: ``Any``)."""
    try:
        return (
            importlib.import_module("openpyxl"),
            importlib.import_module("openpyxl.styles"),
            importlib.import_module("openpyxl.worksheet.datavalidation"),
        )
    except ImportError:
        raise missing_openpyxl() from None


def _check_format(format: str) -> TemplateFormat:
    if format == "xlsx":
        return "xlsx"
    if format == "csv":
        return "csv"
    raise ValidationError(
        f"不支持的模板格式, 可选: {', '.join(FORMATS)}",
        f"unsupported template format; allowed: {', '.join(FORMATS)}",
        code="invalid_format",
        field="format",
        details={"allowed": list(FORMATS)},
    )


@contextlib.contextmanager
def _replacing(path: Path, *, overwrite: bool) -> Iterator[Path]:
    """A temporary file beside ``path``, renamed to ``path`` when the block succeeds."""
    if path.exists() and not overwrite:
        raise ValidationError(
            "输出文件已存在, 不覆盖(以免覆盖已填写的台账)",
            "the output file exists and is not overwritten (it may be a filled-in ledger)",
            code="output_exists",
            field="output",
        )
    if path.is_dir():
        raise ValidationError(
            "输出路径是一个目录",
            "the output path is a directory",
            code="invalid_output",
            field="output",
        )
    if not path.parent.is_dir():
        raise ValidationError(
            "输出文件所在的目录不存在",
            "the output file's directory does not exist",
            code="invalid_output",
            field="output",
        )
    fd, name = tempfile.mkstemp(prefix=".template-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_template(
    path: str | os.PathLike[str],
    *,
    format: str = "xlsx",
    overwrite: bool = False,
) -> Path:
    """Write the blank ledger template to ``path`` and return the path.

    Args:
        path: the file to write.
        format: ``"xlsx"`` (default) or ``"csv"``.
        overwrite: replace an existing file (default: refuse).

    Raises:
        ValidationError: ``invalid_format`` for another format, ``output_exists`` when the file
            exists and ``overwrite`` is false, ``invalid_output`` for a directory or a missing
            parent directory.
        ConfigurationError: ``missing_dependency`` when XLSX is asked for and openpyxl is not
            installed.
    """
    chosen = _check_format(format)
    target = Path(path)
    if chosen == "xlsx":
        modules = load_openpyxl()
        with _replacing(target, overwrite=overwrite) as temporary:
            _write_xlsx(temporary, *modules)
    else:
        with _replacing(target, overwrite=overwrite) as temporary:
            _write_csv(temporary)
    return target


def _write_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header_zh for c in COLUMNS])
        writer.writerow([c.header_en for c in COLUMNS])


def _format_of(col: Column) -> str | None:
    if col.kind is ColumnKind.CODE:
        return "@"
    if col.kind is ColumnKind.DATE:
        return "yyyy-mm-dd"
    return None


def _write_xlsx(path: Path, openpyxl: Any, styles: Any, datavalidation: Any) -> None:
    Alignment, Font = styles.Alignment, styles.Font
    DataValidation = datavalidation.DataValidation

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = DATA_SHEET
    explanation = book.create_sheet(EXPLANATION_SHEET)
    codes = book.create_sheet(CODES_SHEET)

    for index, col in enumerate(COLUMNS):
        zh = sheet.cell(row=1, column=index + 1, value=col.header_zh)
        en = sheet.cell(row=2, column=index + 1, value=col.header_en)
        _style_headers(zh, en, col, styles)
    _size_columns(sheet)
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"

    ranges = _write_codes(codes, Font)
    for validation in _validations(ranges, DataValidation):
        sheet.add_data_validation(validation)

    _write_explanation(explanation, Font, Alignment)
    book.save(path)


def _style_headers(zh: Any, en: Any, col: Column, styles: Any) -> None:
    """Style the Chinese and English header cells of ``col`` (required columns in red)."""
    Alignment, Font, PatternFill = styles.Alignment, styles.Font, styles.PatternFill
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
    zh.font = Font(bold=True, color="C00000" if col.required else "000000")
    zh.fill, zh.alignment = PatternFill("solid", fgColor="DDEBF7"), centred
    en.font = Font(italic=True, color="595959", size=9)
    en.fill, en.alignment = PatternFill("solid", fgColor="F2F2F2"), centred


def _size_columns(sheet: Any) -> None:
    """The data sheet's column widths and formats, and the English header row's height."""
    for index, col in enumerate(COLUMNS):
        dimension = sheet.column_dimensions[column_letter(index)]
        dimension.width = col.width
        number_format = _format_of(col)
        if number_format is not None:
            dimension.number_format = number_format
    sheet.row_dimensions[2].height = 30


def _validations(ranges: dict[str, str], DataValidation: Any) -> list[Any]:
    """The drop-down lists of the vocabulary columns (``ranges``: key → range formula), from
    the first data row to the sheet's last row."""
    validations: list[Any] = []
    for index, col in enumerate(COLUMNS):
        if col.key not in ranges:
            continue
        letter = column_letter(index)
        # 民族 also takes a code or a name without 族: a warning, not a refusal
        style = "warning" if col.key == "ethnicity" else "stop"
        validation = DataValidation(
            type="list",
            formula1=ranges[col.key],
            allow_blank=True,
            showDropDown=False,  # (sic) False shows the in-cell drop-down arrow
            showErrorMessage=True,
            errorStyle=style,
            errorTitle=col.header_zh,
            error=f"请从下拉列表中选择 choose a value from the list ({col.header_en})",
            promptTitle=col.header_zh,
            prompt=col.description_zh[:255],
            showInputMessage=True,
        )
        validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_ROW}")
        validations.append(validation)
    return validations


def _write_codes(codes: Any, font: Any) -> dict[str, str]:
    """Fill the 代码表 sheet; return each vocabulary column's key → its range formula."""
    bold = font(bold=True)
    headers = ("民族代码 code", "民族名称 name", "罗马字母拼写 romanization")
    for j, text in enumerate(headers, start=1):
        codes.cell(row=1, column=j, value=text).font = bold
    groups = all_ethnicities()
    for i, group in enumerate(groups, start=2):
        codes.cell(row=i, column=1, value=group.code).number_format = "@"
        codes.cell(row=i, column=2, value=group.name_zh)
        codes.cell(row=i, column=3, value=group.romanization or "")
    ranges = {"ethnicity": f"'{CODES_SHEET}'!$B$2:$B${len(groups) + 1}"}
    for width, letter in ((10, "A"), (18, "B"), (18, "C")):
        codes.column_dimensions[letter].width = width
    next_column = 5  # a blank column between the code table and the short lists
    for col in COLUMNS:
        if not col.vocabulary or col.key == "ethnicity":
            continue
        letter = column_letter(next_column - 1)
        codes.cell(row=1, column=next_column, value=f"{col.header_zh} {col.header_en}").font = bold
        for i, value in enumerate(col.vocabulary, start=2):
            codes.cell(row=i, column=next_column, value=value)
        ranges[col.key] = f"'{CODES_SHEET}'!${letter}$2:${letter}${len(col.vocabulary) + 1}"
        codes.column_dimensions[letter].width = max(14, len(col.header_en) + 6)
        next_column += 1
    codes.freeze_panes = "A2"
    codes.protection.sheet = True  # the lists stay as they are (no password: not a secret)
    return ranges


def _write_explanation(sheet: Any, font: Any, alignment: Any) -> None:
    bold = font(bold=True)
    wrap = alignment(wrap_text=True, vertical="top")
    titles = (
        "列 column",
        "表头 header",
        "English header",
        "必填 required",
        "格式 format",
        "说明",
        "description",
        "可选值 values",
    )
    for j, text in enumerate(titles, start=1):
        sheet.cell(row=1, column=j, value=text).font = bold
    for i, col in enumerate(COLUMNS, start=2):
        if col.key == "ethnicity":
            values = f"见“{CODES_SHEET}” see the {CODES_SHEET} sheet"
        else:
            values = "、".join(col.vocabulary)
        row = (
            column_letter(i - 2),
            col.header_zh,
            col.header_en,
            "是 yes" if col.required else "",
            f"{col.kind.label_zh} {col.kind.label_en}",
            col.description_zh,
            col.description_en,
            values,
        )
        for j, value in enumerate(row, start=1):
            sheet.cell(row=i, column=j, value=value).alignment = wrap
    line = len(COLUMNS) + 3
    sheet.cell(row=line, column=1, value="可接受的格式 accepted formats").font = bold
    for zh, en in _ACCEPTED:  # in the 说明 and description columns, which are wide
        line += 1
        sheet.cell(row=line, column=6, value=zh).alignment = wrap
        sheet.cell(row=line, column=7, value=en).alignment = wrap
    line += 2
    sheet.cell(row=line, column=1, value="个人信息保护 privacy").font = bold
    sheet.cell(row=line, column=6, value=PRIVACY_NOTE_ZH).alignment = wrap
    sheet.cell(row=line, column=7, value=PRIVACY_NOTE_EN).alignment = wrap
    for letter, width in zip("ABCDEFGH", (8, 18, 26, 10, 16, 48, 56, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


# -- a filled-in ledger (the export's writer) ---------------------------------------------------


def ledger_cell_text(value: Any) -> str:
    """A ledger cell value as the CSV ledger writes it: blank for ``None``, a date as
    ``2019-03-01``, anything else as its text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_ledger(
    path: str | os.PathLike[str],
    rows: Iterable[Mapping[str, Any]],
    *,
    format: str = "xlsx",
    overwrite: bool = False,
) -> int:
    """Write a filled-in ledger to ``path``: the template's own layout (the same sheets, header
    rows, drop-down lists, formats and 说明 sheet as :func:`write_template`) with one data row
    per mapping of ``rows`` (column key → cell value: text, number, date or ``None``; keys not
    given are blank), from row :data:`FIRST_DATA_ROW`. Returns the number of data rows.

    ``rows`` is consumed once, as it comes: the XLSX is written in openpyxl's write-only mode
    and the CSV line by line, so memory does not grow with the number of rows. As for the
    template, the file is written beside ``path`` and renamed into place.

    Raises:
        ValidationError: as :func:`write_template`; ``unknown_column`` for a key that is not a
            column key.
        ConfigurationError: ``missing_dependency`` for XLSX without openpyxl.
    """
    chosen = _check_format(format)
    target = Path(path)
    if chosen == "xlsx":
        modules = load_openpyxl()
        with _replacing(target, overwrite=overwrite) as temporary:
            return _write_filled_xlsx(temporary, rows, *modules)
    with _replacing(target, overwrite=overwrite) as temporary:
        return _write_filled_csv(temporary, rows)


_KEYS: Final[frozenset[str]] = frozenset(c.key for c in COLUMNS)


def _checked_keys(row: Mapping[str, Any]) -> None:
    unknown = sorted(set(row) - _KEYS)
    if unknown:
        raise ValidationError(
            "未知的列",
            "unknown column keys",
            code="unknown_column",
            field=unknown[0],
            details={"keys": unknown},
        )


def _write_filled_csv(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    written = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header_zh for c in COLUMNS])
        writer.writerow([c.header_en for c in COLUMNS])
        for row in rows:
            _checked_keys(row)
            writer.writerow([ledger_cell_text(row.get(c.key)) for c in COLUMNS])
            written += 1
    return written


class _BufferedSheet:
    """A small sheet written in write-only mode through the ``cell()`` calls of the template's
    own sheet writers (:func:`_write_codes`, :func:`_write_explanation`): the cells are kept
    and appended row by row by :meth:`flush`."""

    def __init__(self, sheet: Any, cell_type: Any) -> None:
        self._sheet = sheet
        self._cell_type = cell_type
        self._cells: dict[tuple[int, int], Any] = {}
        self.column_dimensions = sheet.column_dimensions
        self.protection = sheet.protection

    @property
    def freeze_panes(self) -> Any:
        """The write-only sheet's frozen panes."""
        return self._sheet.freeze_panes

    @freeze_panes.setter
    def freeze_panes(self, value: Any) -> None:
        self._sheet.freeze_panes = value

    def cell(self, row: int, column: int, value: Any = None) -> Any:
        """A detached cell placed at (``row``, ``column``), styled by the caller."""
        made = self._cell_type(self._sheet, value=value)
        self._cells[(row, column)] = made
        return made

    def flush(self) -> None:
        """Append the kept cells to the write-only sheet, row by row."""
        if not self._cells:
            return
        last_row = max(r for r, _ in self._cells)
        last_column = max(c for _, c in self._cells)
        for r in range(1, last_row + 1):
            self._sheet.append([self._cells.get((r, c)) for c in range(1, last_column + 1)])


def _data_cell(sheet: Any, cell_type: Any, col: Column, value: Any) -> Any:
    """One data cell of the XLSX ledger: codes kept as text, dates formatted as dates, and a
    text never read as a formula."""
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        cell = cell_type(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if col.kind is ColumnKind.CODE or (isinstance(value, str) and value.startswith("=")):
        cell = cell_type(sheet, value=value if isinstance(value, str) else str(value))
        cell.data_type = "s"  # a text cell, even when it starts with "=" or looks like a number
        cell.number_format = "@"
        return cell
    return value


def _write_filled_xlsx(
    path: Path,
    rows: Iterable[Mapping[str, Any]],
    openpyxl: Any,
    styles: Any,
    datavalidation: Any,
) -> int:
    cell_type = importlib.import_module("openpyxl.cell").WriteOnlyCell
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(DATA_SHEET)
    explanation = _BufferedSheet(book.create_sheet(EXPLANATION_SHEET), cell_type)
    codes = _BufferedSheet(book.create_sheet(CODES_SHEET), cell_type)

    _size_columns(sheet)
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"
    ranges = _write_codes(codes, styles.Font)
    for validation in _validations(ranges, datavalidation.DataValidation):
        sheet.data_validations.append(validation)
    zh_row: list[Any] = []
    en_row: list[Any] = []
    for col in COLUMNS:
        zh = cell_type(sheet, value=col.header_zh)
        en = cell_type(sheet, value=col.header_en)
        _style_headers(zh, en, col, styles)
        zh_row.append(zh)
        en_row.append(en)
    sheet.append(zh_row)
    sheet.append(en_row)
    written = 0
    try:
        for row in rows:
            _checked_keys(row)
            sheet.append([_data_cell(sheet, cell_type, c, row.get(c.key)) for c in COLUMNS])
            written += 1
        _write_explanation(explanation, styles.Font, styles.Alignment)
        explanation.flush()
        codes.flush()
    except BaseException:
        _discard(book)
        raise
    book.save(path)
    return written


def _discard(book: Any) -> None:
    """Close the sheets of a write-only workbook that will not be saved and remove their
    temporary files (openpyxl writes each sheet to one until the workbook is saved)."""
    for worksheet in book.worksheets:
        with contextlib.suppress(Exception):
            worksheet.close()
        with contextlib.suppress(Exception):
            Path(worksheet._writer.out).unlink(missing_ok=True)
