"""The 台账 columns, header detection and the blank template (issue 14).

Header detection is checked on the layouts real ledgers have: title and note rows above the
header, synonyms, full-width characters, spaces and line breaks, ``*`` marks, merged cells, an
English second header row, unknown, missing and duplicated columns, and no header at all. The
template is opened with openpyxl (validations, formats, sheets) and read back by find_header.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from minzu_core.cli.ledger import ledger_app
from minzu_core.codes.ethnicity import all_ethnicities
from minzu_core.codes.resident_id import Gender
from minzu_core.errors import ConfigurationError, ValidationError
from minzu_core.interchange.columns import (
    COLUMN_KEYS,
    COLUMNS,
    ColumnKind,
    column,
    column_letter,
    find_header,
    fold_header,
    split_header,
)
from minzu_core.interchange.template import (
    CODES_SHEET,
    DATA_SHEET,
    EXPLANATION_SHEET,
    LAST_ROW,
    PRIVACY_NOTE_EN,
    PRIVACY_NOTE_ZH,
    write_template,
)
from minzu_core.ledger.model import LanguageProficiency, MigrationReason, ResidenceStatus

openpyxl = pytest.importorskip("openpyxl")

ZH = [c.header_zh for c in COLUMNS]
EN = [c.header_en for c in COLUMNS]
REQUIRED = ("name", "ethnicity", "community", "status", "arrival")
# a made-up but valid-looking ID number: it must never appear in an error message
ID_NUMBER = "11010519491231002X"


# ---------------------------------------------------------------- the column table


def test_the_columns_are_the_design_table_in_order() -> None:
    assert COLUMN_KEYS == (
        "seq", "name", "gender", "ethnicity", "id_number", "birth_date", "phone",
        "household_address", "household_code", "community", "address", "status", "arrival",
        "departure", "reason", "occupation", "employer", "employer_uscc", "language", "note",
    )  # fmt: skip
    assert ZH[:5] == ["序号", "姓名", "性别", "民族", "公民身份号码"]
    assert tuple(c.key for c in COLUMNS if c.required) == REQUIRED
    assert all(c.description_zh and c.description_en for c in COLUMNS)
    assert column("id_number").kind is ColumnKind.CODE
    with pytest.raises(ValidationError) as caught:
        column("passport")
    assert caught.value.code == "unknown_column"


def test_vocabularies_come_from_the_domain() -> None:
    assert column("gender").vocabulary == tuple(m.label_zh for m in Gender) == ("男", "女")
    assert column("status").vocabulary == tuple(m.label_zh for m in ResidenceStatus)
    assert column("reason").vocabulary == tuple(m.label_zh for m in MigrationReason)
    assert column("language").vocabulary == tuple(m.label_zh for m in LanguageProficiency)
    names = column("ethnicity").vocabulary
    assert names == tuple(e.name_zh for e in all_ethnicities())
    assert len(names) == 58 and {"汉族", "维吾尔族", "回族", "其他"} <= set(names)
    # every value of a list is accepted by the domain's own parser
    for member_label in column("status").vocabulary:
        assert ResidenceStatus.parse(member_label, field="status").label_zh == member_label


def test_every_spelling_names_exactly_its_own_column() -> None:
    owners: dict[str, str] = {}
    for col in COLUMNS:
        for spelling in col.spellings:
            folded = fold_header(spelling)
            assert folded, spelling
            assert owners.setdefault(folded, col.key) == col.key, spelling


@pytest.mark.parametrize(
    ("value", "folded"),
    [
        ("公民身份\n号码", "公民身份号码"),
        ("  姓　名 ", "姓名"),
        ("＊民族", "民族"),
        ("*姓名*", "姓名"),
        ("人员类别（常住/流动）", "人员类别"),
        ("ＩＤ　Ｎｏ．", "idno"),
        ("Birth Date", "birthdate"),
        ("#", "#"),
        (None, ""),
        ("   ", ""),
        (12, "12"),
    ],
)
def test_fold_header(value: object, folded: str) -> None:
    assert fold_header(value) == folded


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 4, 25, 26, 27, 701, 702)] == [
        "A", "E", "Z", "AA", "AB", "ZZ", "AAA",
    ]  # fmt: skip
    with pytest.raises(ValueError):
        column_letter(-1)


# ---------------------------------------------------------------- header detection


def test_title_and_note_rows_above_the_header() -> None:
    rows: list[Sequence[Any]] = [
        ["XX街道XX社区少数民族居民和流动人员个人信息档案台账", None, None, None],
        [],
        ["填表说明: 带*的为必填项; 民族填写全称", None, None],
        ["填报单位: XX社区", None, "填报日期: 2024年5月"],
        [
            "序号",
            "*姓名",
            "性别",
            "*民族",
            "公民身份号码",
            "*现居住社区",
            "*人员类别",
            "*来本地时间",
        ],
        [1, "张三", "男", "回族", ID_NUMBER, "XX社区", "流动", "2019-03-01"],
        [None, None, None],
        [2, "李四", "女", "05", None, "XX社区", "常住", "2001/1/1"],
    ]
    header, data = split_header(rows)
    assert header.header_row == 5 and header.data_start == 6
    assert header.second_header_row is None
    assert header.keys == (
        "seq",
        "name",
        "gender",
        "ethnicity",
        "id_number",
        "community",
        "status",
        "arrival",
    )
    assert header.errors == () and header.unknown == {}
    remaining = list(data)
    assert remaining == [tuple(r) for r in rows[5:]]  # every data row, the blank one included
    assert header.values(remaining[0])["ethnicity"] == "回族"
    assert header.values(remaining[1]) == dict.fromkeys(header.keys)  # a short blank row


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("身份证号", "id_number"),
        ("身份证号码", "id_number"),
        ("公民身份号码", "id_number"),
        ("身份证", "id_number"),
        ("联系方式", "phone"),
        ("手机号", "phone"),
        ("电话", "phone"),
        ("联系电话", "phone"),
        ("现住址", "address"),
        ("户籍所在地", "household_address"),
        ("民族成份", "ethnicity"),
        ("性别", "gender"),
        ("类别", "status"),
        ("来本地日期", "arrival"),
        ("来本地时间", "arrival"),
        ("到达时间", "arrival"),
        ("出生年月", "birth_date"),
        ("工作单位", "employer"),
        ("统一社会信用代码", "employer_uscc"),
        ("普通话水平", "language"),
        ("resident ID number", "id_number"),
        ("Phone", "phone"),
        ("unified social credit code", "employer_uscc"),
    ],
)
def test_synonyms(spelling: str, key: str) -> None:
    found = find_header([["序号", "姓名", "备注", spelling]])
    assert found.columns[3] == key


def test_full_width_spaces_line_breaks_and_marks() -> None:
    row = [
        " 姓　名 ",
        "＊民 族",
        "公民身份\n号码",
        "联系电话（手机）",
        "人员类别\r\n(常住/流动)",
        "现居住社区(村)",
        "来本地时间：",
        "ＮＯ．",
    ]
    found = find_header([row])
    assert [found.columns[i] for i in range(len(row))] == [
        "name", "ethnicity", "id_number", "phone", "status", "community", "arrival", "seq",
    ]  # fmt: skip
    assert found.errors == ()
    assert found.headers[2] == "公民身份 号码"  # texts kept (spaces collapsed) for the error file


def test_english_second_header_row_is_skipped() -> None:
    rows: list[list[Any]] = [
        ["序号", "姓名", "民族", "现居住社区", "人员类别", "来本地时间", "微信号"],
        [
            "No.",
            "name",
            "ethnicity",
            "community of residence",
            "category",
            "arrival date",
            "WeChat",
        ],
        [1, "张三", "回族", "XX社区", "流动", "2019-03-01", "x"],
    ]
    header, data = split_header(rows)
    assert header.header_row == 1 and header.second_header_row == 2 and header.data_start == 3
    assert header.headers[:2] == ("序号", "姓名")  # the Chinese texts stay
    assert header.unknown == {6: "微信号"}
    assert list(data) == [tuple(rows[2])]


def test_english_only_header() -> None:
    rows = [["Name", "Ethnicity", "Resident ID number", "Community", "Category", "Arrival date"]]
    found = find_header(rows)
    assert found.keys == ("name", "ethnicity", "id_number", "community", "status", "arrival")
    assert found.errors == ()


def test_a_data_row_right_after_the_header_is_not_a_second_header() -> None:
    rows: list[list[Any]] = [
        ["姓名", "民族", "现居住社区", "人员类别", "来本地时间", "备注"],
        ["张三", "回族", "社区", "流动", "2019-03-01", "备注"],  # two cells look like headers
    ]
    header, data = split_header(rows)
    assert header.second_header_row is None and header.data_start == 2
    assert list(data) == [tuple(rows[1])]


def test_merged_group_labels_over_sub_headers() -> None:
    # 户籍地 merged over two columns (openpyxl gives None for the second), the other headers
    # merged down over both rows (None in the second row), and a merged title above
    rows: list[list[Any]] = [
        ["台账", None, None, None, None, None, None, None, None],
        ["序号", "姓名", "民族", "户籍地", None, "现居住", None, "人员类别", "来本地时间"],
        [None, None, None, "区划代码", "地址", "社区", "地址", None, None],
        [1, "张三", "回族", "650102", "乌鲁木齐市", "XX社区", "XX路1号", "流动", "2019-03-01"],
    ]
    header, data = split_header(rows)
    assert header.header_row == 2 and header.second_header_row == 3 and header.data_start == 4
    assert [header.columns[i] for i in range(9)] == [
        "seq", "name", "ethnicity", "household_code", "household_address", "community",
        "address", "status", "arrival",
    ]  # fmt: skip
    assert header.headers[3:7] == ("户籍地区划代码", "户籍地地址", "现居住社区", "现居住地址")
    assert header.unknown == {} and header.errors == ()
    assert list(data) == [tuple(rows[3])]


def test_blank_header_cells_are_neither_columns_nor_unknown() -> None:
    found = find_header([["姓名", None, "民族", "", "现居住社区", "人员类别", "来本地时间"]])
    assert sorted(found.columns) == [0, 2, 4, 5, 6]
    assert found.unknown == {} and found.width == 7


def test_unknown_columns_are_kept() -> None:
    rows: list[list[Any]] = [
        ["姓名", "宗教信仰", "民族", "现居住社区", "人员类别", "来本地时间", "  微信号 "],
        ["张三", "x", "回族", "XX社区", "流动", "2019-03-01", "wx-1"],
    ]
    header, data = split_header(rows)
    assert header.unknown == {1: "宗教信仰", 6: "微信号"}
    assert header.errors == ()  # unknown columns are not errors: the import keeps them
    assert header.extras(next(data)) == {"宗教信仰": "x", "微信号": "wx-1"}


def test_missing_required_columns() -> None:
    found = find_header([["序号", "姓名", "性别", "公民身份号码", "人员类别"]])
    assert [(e.code, e.field) for e in found.errors] == [
        ("missing_column", "ethnicity"),
        ("missing_column", "community"),
        ("missing_column", "arrival"),
    ]
    assert "民族" in found.errors[0].message_zh and "ethnicity" in found.errors[0].message_en
    with pytest.raises(ValidationError) as caught:
        found.raise_for_errors()
    assert caught.value.code == "missing_column"
    assert [e["field"] for e in caught.value.details["errors"]] == [
        "ethnicity", "community", "arrival",
    ]  # fmt: skip
    complete = find_header([["姓名", "民族", "现居住社区", "人员类别", "来本地时间"]])
    assert complete.raise_for_errors() is complete


def test_duplicate_columns() -> None:
    row = ["姓名", "身份证号", "民族", "现居住社区", "人员类别", "来本地时间", "公民身份号码"]
    found = find_header([row])
    assert [(e.code, e.field, e.details["columns"]) for e in found.errors] == [
        ("duplicate_column", "id_number", ["B", "G"])
    ]
    assert found.index_of("id_number") == 1
    assert found.values(["张三", "a", "回族", "c", "流动", "d", "b"])["id_number"] == "a"


def test_no_header() -> None:
    rows: list[list[Any]] = [
        ["某社区台账"],
        ["张三", "回族", ID_NUMBER, "13800138000"],
        [],
    ]
    with pytest.raises(ValidationError) as caught:
        find_header(rows)
    error = caught.value
    assert error.code == "no_header" and error.details == {"rows_scanned": 3}
    assert ID_NUMBER not in str(error) and "张三" not in str(error)  # no personal data
    with pytest.raises(ValidationError, match="no_header"):
        find_header([])
    # a header below the scanned rows is not found
    late = [["说明"]] * 5 + [ZH]
    assert find_header(late, max_scan=6).header_row == 6
    with pytest.raises(ValidationError, match="no_header"):
        find_header(late, max_scan=5)


def test_two_known_cells_are_not_a_header() -> None:
    with pytest.raises(ValidationError, match="no_header"):
        find_header([["姓名", "民族", "宗教"], ["张三", "回族", "x"]])


def test_a_streamed_sheet_is_read_once_and_every_row_comes_back() -> None:
    pulled: list[int] = []

    def sheet() -> Iterator[list[Any]]:
        yield ["标题"]
        yield ZH
        yield EN
        for n in range(1, 1001):
            pulled.append(n)
            yield [n, f"p{n}"]

    header, data = split_header(sheet())
    assert header.data_start == 4 and pulled == []  # no data row read yet
    rows = list(data)
    assert [r[0] for r in rows] == list(range(1, 1001)) and pulled == list(range(1, 1001))


# ---------------------------------------------------------------- the template: XLSX


def _range_values(book: Any, formula: str) -> list[Any]:
    sheet_name, cells = formula.split("!")
    sheet = book[sheet_name.strip("'")]
    return [row[0].value for row in sheet[cells.replace("$", "")]]


def test_xlsx_template(tmp_path: Path) -> None:
    path = write_template(tmp_path / "ledger.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [DATA_SHEET, EXPLANATION_SHEET, CODES_SHEET]
    sheet = book[DATA_SHEET]
    assert [c.value for c in sheet[1]] == ZH
    assert [c.value for c in sheet[2]] == EN
    assert sheet.freeze_panes == "A3"
    assert sheet.max_row == 2  # a blank template

    letters = {c.key: column_letter(i) for i, c in enumerate(COLUMNS)}
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    expected = {"ethnicity", "gender", "status", "reason", "language"}
    assert set(validations) == {f"{letters[k]}3:{letters[k]}{LAST_ROW}" for k in expected}
    for key in expected:
        validation = validations[f"{letters[key]}3:{letters[key]}{LAST_ROW}"]
        assert validation.type == "list" and validation.allow_blank
        assert validation.showDropDown is False or validation.showDropDown is None
        assert _range_values(book, validation.formula1) == list(column(key).vocabulary)
    assert (
        len(
            _range_values(
                book,
                validations[f"{letters['ethnicity']}3:{letters['ethnicity']}{LAST_ROW}"].formula1,
            )
        )
        == 58
    )

    for col in COLUMNS:
        dimension = sheet.column_dimensions[letters[col.key]]
        assert dimension.width == col.width
        if col.kind is ColumnKind.CODE:
            assert dimension.number_format == "@", col.key
        elif col.kind is ColumnKind.DATE:
            assert dimension.number_format == "yyyy-mm-dd", col.key
        else:
            assert dimension.number_format == "General", col.key
    assert sheet.column_dimensions[letters["id_number"]].number_format == "@"

    codes = book[CODES_SHEET]
    table = [(r[0], r[1]) for r in codes.iter_rows(min_row=2, max_col=2, values_only=True)]
    assert table == [(e.code, e.name_zh) for e in all_ethnicities()]

    explanation = book[EXPLANATION_SHEET]
    texts = [c for row in explanation.iter_rows(values_only=True) for c in row if c]
    for col in COLUMNS:
        assert col.header_zh in texts and col.header_en in texts
        assert col.description_zh in texts and col.description_en in texts
    assert PRIVACY_NOTE_ZH in texts and PRIVACY_NOTE_EN in texts
    assert any("2019年3月1日" in t for t in texts if isinstance(t, str))
    required_rows = [r for r in explanation.iter_rows(min_row=2, values_only=True) if r[3]]
    assert {r[1] for r in required_rows} == {column(k).header_zh for k in REQUIRED}


def test_the_xlsx_template_reads_back_and_keeps_a_text_id_number(tmp_path: Path) -> None:
    path = write_template(tmp_path / "ledger.xlsx")
    header = find_header(openpyxl.load_workbook(path)[DATA_SHEET].iter_rows(values_only=True))
    assert header.header_row == 1 and header.second_header_row == 2 and header.data_start == 3
    assert header.keys == COLUMN_KEYS and header.errors == () and header.unknown == {}

    # a user fills in a row below the headers and saves: the header is still found
    book = openpyxl.load_workbook(path)
    sheet = book[DATA_SHEET]
    sheet.append([1, "张三", "男", "回族", ID_NUMBER])
    book.save(path)
    reread = openpyxl.load_workbook(path, read_only=True)
    found, data = split_header(reread[DATA_SHEET].iter_rows(values_only=True))
    assert found.data_start == 3
    assert found.values(next(data))["id_number"] == ID_NUMBER
    reread.close()


def test_xlsx_needs_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl → ImportError
    with pytest.raises(ConfigurationError) as caught:
        write_template(tmp_path / "ledger.xlsx")
    assert caught.value.code == "missing_dependency"
    assert "pip install minzu-core[indicators]" in caught.value.message_en
    assert list(tmp_path.iterdir()) == []
    write_template(tmp_path / "ledger.csv", format="csv")  # CSV needs nothing


# ---------------------------------------------------------------- the template: CSV


def test_csv_template(tmp_path: Path) -> None:
    path = write_template(tmp_path / "ledger.csv", format="csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows == [ZH, EN]
    header = find_header(rows)
    assert header.keys == COLUMN_KEYS and header.data_start == 3 and header.errors == ()


def test_an_existing_file_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text("filled-in ledger", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        write_template(path, format="csv")
    assert caught.value.code == "output_exists"
    assert path.read_text(encoding="utf-8") == "filled-in ledger"
    write_template(path, format="csv", overwrite=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.csv"]  # no temporary left


def test_bad_format_and_output(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        write_template(tmp_path / "ledger.ods", format="ods")
    assert caught.value.code == "invalid_format" and caught.value.field == "format"
    with pytest.raises(ValidationError) as caught:
        write_template(tmp_path / "missing" / "ledger.csv", format="csv")
    assert caught.value.code == "invalid_output"
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the command


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(ledger_app, name="ledger")
    return app


def test_cli_template(tmp_path: Path) -> None:
    runner, cli = CliRunner(), _cli()
    xlsx, text = tmp_path / "t.xlsx", tmp_path / "t.csv"
    result = runner.invoke(cli, ["ledger", "template", "--format", "xlsx", "--output", str(xlsx)])
    assert result.exit_code == 0, result.output
    assert "template written (xlsx)" in result.output
    assert openpyxl.load_workbook(xlsx).sheetnames == [DATA_SHEET, EXPLANATION_SHEET, CODES_SHEET]

    result = runner.invoke(cli, ["ledger", "template", "-o", str(text)])  # format from suffix
    assert result.exit_code == 0, result.output
    assert text.read_bytes().startswith(b"\xef\xbb\xbf")

    again = runner.invoke(cli, ["ledger", "template", "--output", str(text)])
    assert again.exit_code == 2 and "output_exists" in again.output
    assert "Traceback" not in again.output
    forced = runner.invoke(cli, ["ledger", "template", "--output", str(xlsx), "--force"])
    assert forced.exit_code == 0, forced.output

    bad = runner.invoke(cli, ["ledger", "template", "--format", "pdf", "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "invalid_format" in bad.output
    assert not (tmp_path / "x").exists()
