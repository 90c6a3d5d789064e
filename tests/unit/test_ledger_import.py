"""The 台账 import engine (:mod:`minzu_core.interchange.importer`) on the memory and SQLite stores:
messy CSV and XLSX files, every row accounted for, idempotency, updates with history, the dry
run, the error file and its re-import, an interrupted import."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from minzu_core import CST, Actor, FixedClock, open_store
from minzu_core.codes import make_resident_id
from minzu_core.errors import MinzuError, ValidationError
from minzu_core.hierarchy import Unit
from minzu_core.history import ChangeKind
from minzu_core.interchange.importer import ERROR_COLUMNS, ImportSummary, import_ledger
from minzu_core.ledger import Person, Residence, ResidenceStatus
from minzu_core.store import Store
from minzu_core.testing.samples import SAMPLE_UNITS

ADMIN = Actor.system("import-test")
NOW = datetime(2019, 12, 16, 9, tzinfo=CST)
UNIT = "360103000000"

ID_A = make_resident_id("653101", date(1988, 3, 15), 1)
ID_B = make_resident_id("653101", date(1988, 3, 15), 3)  # check character X
ID_15 = "653101880316123"  # first generation: 1988-03-16
ID_H = make_resident_id("653101", date(1991, 7, 1), 12)
ID_J = make_resident_id("653101", date(1985, 1, 20), 22)
ID_D = make_resident_id("653101", date(1992, 2, 2), 8)

HEADER = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "身份证号",
    "出生日期",
    "手机号",
    "户籍地址",
    "户籍地区划代码",
    "现居住社区",
    "现居住地址",
    "人员类别",
    "来本地时间",
    "流动原因",
    "国家通用语言水平",
    "备注",
]


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _row(**cells: Any) -> list[Any]:
    keys = {
        "seq": 0,
        "name": 1,
        "gender": 2,
        "ethnicity": 3,
        "id": 4,
        "birth": 5,
        "phone": 6,
        "haddr": 7,
        "hcode": 8,
        "community": 9,
        "address": 10,
        "status": 11,
        "arrival": 12,
        "reason": 13,
        "language": 14,
        "note": 15,
    }
    row: list[Any] = [""] * len(HEADER)
    for key, value in cells.items():
        row[keys[key]] = value
    return row


def _messy_rows() -> list[tuple[str, list[Any]]]:
    """(label, cells) for each line after the header; the label says what the row tests."""
    blank = [""] * len(HEADER)
    common = {"status": "流动", "reason": "务工", "hcode": "653101", "haddr": "喀什市某街道"}
    return [
        (
            "A",
            _row(
                seq=1,
                name="买买提",
                gender="男",
                ethnicity="维吾尔",
                id=_full_width(ID_A),
                phone="13800001111",
                community="360103001001",
                arrival="2019-03-01",
                address="某路1号",
                language="基本掌握",
                **common,
            ),
        ),
        (
            "B",
            _row(
                seq=2,
                name="艾力",
                ethnicity="05",
                id=ID_B.lower() + "  ",
                phone="138 0000 2222",
                community="南浦 第二社区",
                arrival="2019/3/1",
                **common,
            ),
        ),
        ("blank", blank),
        (
            "C",
            _row(
                seq=3,
                name="努尔兰",
                ethnicity="哈萨克族",
                id=ID_15,
                community="桃花社区",
                arrival="2019.3.1",
                status="常住",
            ),
        ),
        (
            "D",
            _row(
                seq=4,
                name="古丽",
                ethnicity="维吾尔族",
                id="6.53101E+17",
                community="360103001001",
                arrival="2019-03-01",
                **common,
            ),
        ),
        (
            "E",
            _row(
                seq=5,
                name="阿不都",
                ethnicity="维吾尔族",
                id=make_resident_id("653101", date(1993, 3, 3), 9),
                community="火星社区",
                arrival="2019-03-01",
                **common,
            ),
        ),
        (
            "F",
            _row(
                seq=6,
                name="阿依古丽",
                gender="女",
                ethnicity="维吾尔族",
                birth="1990-01-02",
                phone="13800003333",
                community="南浦第一社区",
                arrival="2019年3月1日",
                **common,
            ),
        ),
        (
            "G",
            _row(
                seq=7,
                name="阿依古丽",
                gender="女",
                ethnicity="维吾尔",
                birth="1990/1/2",
                phone="13800004444",
                community="南浦第一社区",
                arrival="2019-05-01",
                **common,
            ),
        ),
        ("blank", blank),
        (
            "H",
            _row(
                seq=8,
                name="　古丽娜　",
                ethnicity="维吾尔族 ",
                id=ID_H,
                community="南浦第一社区",
                arrival="201903",
                address="　某路２号　",
                **common,
            ),
        ),
        (
            "I",
            _row(
                seq=9,
                name="买买提",
                ethnicity="维吾尔族",
                id=ID_A,
                community="360103001001",
                arrival="2019-03-01",
                **common,
            ),
        ),
        (
            "J",
            _row(
                seq=10,
                name="吐尔逊",
                ethnicity="维吾尔族",
                id=ID_J,
                community="桃花村委会",
                arrival="43525",
                **common,
            ),
        ),
        (
            "K",
            _row(
                seq=11,
                name="热依拉",
                ethnicity="维吾尔族",
                birth="1995-05-05",
                phone="13800005555",
                community="南浦第二社区",
                arrival="2019-03-01",
                **common,
            ),
        ),
        ("blank", blank),
    ]


#: The outcome of each labelled row on a first import (K matches the seeded record).
FIRST = {"A": "created", "B": "created", "C": "created", "D": "rejected", "E": "rejected",
         "F": "created", "G": "held", "H": "created", "I": "rejected", "J": "created",
         "K": "held"}  # fmt: skip
PREAMBLE = [["西湖区少数民族流动人员台账（2019年）"], ["填表说明：带*为必填项"]]


def _write_csv(
    path: Path, rows: Sequence[tuple[str, list[Any]]], *, encoding: str = "utf-8-sig"
) -> dict[str, int]:
    """Write the messy CSV; return each label's row number."""
    numbers: dict[str, int] = {}
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        for line in PREAMBLE:
            writer.writerow(line)
        writer.writerow(HEADER)
        for offset, (label, cells) in enumerate(rows):
            writer.writerow(cells)
            numbers.setdefault(label, len(PREAMBLE) + 2 + offset)
    return numbers


def _seeded(url: str) -> Store:
    store = open_store(url, clock=FixedClock(NOW, tick=timedelta(seconds=1)))
    with store.unit_of_work(ADMIN) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="建立")
        uow.people.add(
            Person(
                name="热依拉",
                ethnicity="05",
                birth_date=date(1995, 5, 5),
                phone="13900009999",
                residences=(
                    Residence(
                        unit_code="360103001002",
                        status=ResidenceStatus.FLOATING,
                        arrival=date(2018, 1, 1),
                    ),
                ),
            ),
            reason="已有记录",
        )
        uow.commit()
    return store


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    opened = _seeded(request.param)
    yield opened
    opened.close()


def _import(store: Store, path: Path, **kw: Any) -> ImportSummary:
    kw.setdefault("reason", "台账导入测试")
    return import_ledger(store, path, actor=ADMIN, unit=UNIT, **kw)


def _counts(summary: ImportSummary) -> dict[str, int]:
    data = summary.to_dict()
    return {
        k: int(data[k]) for k in ("read", "created", "updated", "unchanged", "rejected", "held")
    }


def _expected(outcomes: dict[str, str]) -> dict[str, int]:
    out = {"read": len(outcomes), "created": 0, "updated": 0, "unchanged": 0, "rejected": 0,
           "held": 0}  # fmt: skip
    for kind in outcomes.values():
        out[kind] += 1
    return out


def _snapshot(store: Store) -> list[tuple[Any, ...]]:
    """Every active record without its random ids, sorted: two stores compare equal when
    they hold the same ledger."""
    with store.unit_of_work(ADMIN) as uow:
        people = uow.people.list()
    return sorted(
        (
            p.name,
            p.id_number,
            p.ethnicity,
            p.gender,
            p.birth_date,
            p.phone,
            p.household,
            p.language,
            p.version,
            tuple(
                (r.unit_code, r.status, r.arrival, r.departure, r.address, r.reason)
                for r in p.residences
            ),
        )
        for p in people
    )


def _person(store: Store, number: str) -> Person:
    with store.unit_of_work(ADMIN) as uow:
        found = uow.people.find_by_id_number(number)
    assert found is not None
    return found


def _assert_accounted(summary: ImportSummary) -> None:
    c = _counts(summary)
    assert c["read"] == c["created"] + c["updated"] + c["unchanged"] + c["rejected"] + c["held"]


# -- CSV ----------------------------------------------------------------------------------------


def test_messy_csv_every_row_accounted_for(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    _write_csv(path, _messy_rows())
    summary = _import(store, path)
    _assert_accounted(summary)
    assert _counts(summary) == _expected(FIRST)
    assert _counts(summary) == {"read": 11, "created": 6, "updated": 0, "unchanged": 0,
                                "rejected": 3, "held": 2}  # fmt: skip
    assert summary.notices == 2  # the 15-digit number converted, the month-only arrival
    converted = _person(store, make_resident_id("653101", date(1988, 3, 16), 123))
    assert converted.ethnicity == "17"  # 哈萨克族
    assert converted.residences[0].status is ResidenceStatus.RESIDENT
    with store.unit_of_work(ADMIN) as uow:
        history = uow.people.history(converted.id)
    assert "15位" in history[0].reason  # the conversion is recorded
    b = _person(store, ID_B)
    assert b.phone == "13800002222"
    assert b.residences[0].unit_code.value == "360103001002"  # resolved by name
    h = _person(store, ID_H)
    assert h.name == "古丽娜"
    assert h.residences[0].arrival == date(2019, 3, 1)
    j = _person(store, ID_J)
    assert j.residences[0].arrival == date(2019, 3, 1)  # Excel serial 43525
    with store.unit_of_work(ADMIN) as uow:
        assert uow.people.count() == 7  # six created and the seeded record


def test_reimport_is_unchanged(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    _write_csv(path, _messy_rows())
    _import(store, path)
    before = _snapshot(store)
    again = _import(store, path)
    second = {k: ("unchanged" if v == "created" else v) for k, v in FIRST.items()}
    assert _counts(again) == _expected(second)
    assert _counts(again) == {"read": 11, "created": 0, "updated": 0, "unchanged": 6,
                              "rejected": 3, "held": 2}  # fmt: skip
    assert _snapshot(store) == before


def test_changed_phone_is_an_update_with_history(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    rows = _messy_rows()
    _write_csv(path, rows)
    _import(store, path)
    rows[0][1][6] = "13912345678"
    _write_csv(path, rows)
    summary = _import(store, path)
    assert _counts(summary) == {"read": 11, "created": 0, "updated": 1, "unchanged": 5,
                                "rejected": 3, "held": 2}  # fmt: skip
    a = _person(store, ID_A)
    assert a.phone == "13912345678"
    assert a.version == 2
    assert len(a.residences) == 1
    with store.unit_of_work(ADMIN) as uow:
        kinds = [r.kind for r in uow.people.history(a.id)]
    assert kinds == [ChangeKind.CREATED, ChangeKind.UPDATED]  # a new phone: a real change
    rows[0][1][1] = rows[0][1][1] + "甫"  # the name was recorded wrong: a correction
    _write_csv(path, rows)
    assert _counts(_import(store, path))["updated"] == 1
    with store.unit_of_work(ADMIN) as uow:
        kinds = [r.kind for r in uow.people.history(a.id)]
    assert kinds == [ChangeKind.CREATED, ChangeKind.UPDATED, ChangeKind.CORRECTED]


def test_changed_community_is_a_new_residence_episode(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    rows = _messy_rows()
    _write_csv(path, rows)
    _import(store, path)
    rows[0][1][9] = "桃花社区"
    rows[0][1][12] = "2019-10-01"
    _write_csv(path, rows)
    summary = _import(store, path)
    assert summary.updated == 1 and summary.unchanged == 5
    a = _person(store, ID_A)
    assert [(r.unit_code.value, r.arrival, r.departure) for r in a.residences] == [
        ("360103001001", date(2019, 3, 1), date(2019, 10, 1)),
        ("360103101001", date(2019, 10, 1), None),
    ]
    with store.unit_of_work(ADMIN) as uow:
        kinds = [r.kind for r in uow.people.history(a.id)]
    assert kinds == [ChangeKind.CREATED, ChangeKind.UPDATED]
    assert _counts(_import(store, path))["unchanged"] == 6  # the move is not repeated


def test_dry_run_writes_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    _write_csv(path, _messy_rows())
    before = _snapshot(store)
    summary = _import(store, path, dry_run=True, batch=4)
    assert summary.dry_run
    assert _counts(summary) == _expected(FIRST)
    assert _snapshot(store) == before


def test_error_file_lists_rejected_rows_and_its_fix_imports(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    numbers = _write_csv(path, _messy_rows())
    errors = tmp_path / "errors.csv"
    _import(store, path, errors_path=errors)
    assert errors.read_bytes().startswith(b"\xef\xbb\xbf")
    with errors.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    header, body = lines[0], lines[1:]
    assert header[-4:] == list(ERROR_COLUMNS)
    at = {
        name: header.index(name) for name in ("姓名", "公民身份号码", "现居住社区", *ERROR_COLUMNS)
    }
    listed = {int(line[at["行号"]]): line for line in body}
    failed = [k for k, v in FIRST.items() if v in ("rejected", "held")]
    assert sorted(listed) == sorted(numbers[k] for k in failed)
    d = listed[numbers["D"]]
    assert d[at["列"]] == "身份证号"  # the file's own header text
    assert "15" in d[at["原因"]] and "significant digits" in d[at["error"]]
    e = listed[numbers["E"]]
    assert e[at["列"]] == "现居住社区" and e[at["现居住社区"]] == "火星社区"
    assert "duplicate" not in e[at["error"]]
    assert "earlier row" in listed[numbers["I"]][at["error"]]
    assert "held" in listed[numbers["G"]][at["error"]]
    # the user fixes the rejected rows in the error file and imports it again
    for line in body:
        if line[at["行号"]] == str(numbers["D"]):
            line[at["公民身份号码"]] = ID_D
        elif line[at["行号"]] == str(numbers["E"]):
            line[at["现居住社区"]] = "南浦第一社区"
        elif line[at["行号"]] == str(numbers["I"]):
            line[at["公民身份号码"]] = make_resident_id("653101", date(1987, 6, 6), 31)
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    again = _import(store, fixed, errors_path=tmp_path / "errors2.csv")
    assert _counts(again) == {"read": 5, "created": 3, "updated": 0, "unchanged": 0,
                              "rejected": 0, "held": 2}  # fmt: skip
    assert _person(store, ID_D).name == "古丽"


def test_interrupted_import_then_rerun_equals_a_clean_run(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    _write_csv(path, _messy_rows())
    calls: list[int] = []

    def interrupt(done: int) -> None:
        calls.append(done)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _import(store, path, batch=4, progress=interrupt)
    assert calls == [4]
    with store.unit_of_work(ADMIN) as uow:
        assert uow.people.count() == 1 + 3  # the seeded record and A, B, C of the first batch
    rerun = _import(store, path, batch=4)
    assert rerun.unchanged == 3 and rerun.created == 3
    clean = _seeded("memory://")
    _import(clean, path, batch=4)
    assert _snapshot(store) == _snapshot(clean)
    clean.close()


def test_gb18030_csv_is_detected(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    _write_csv(path, _messy_rows(), encoding="gb18030")
    assert _counts(_import(store, path)) == _expected(FIRST)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"just,some,words\n1,2,3\n", "no_header"),
        (b"\x00\x01\x02binary\x00", "not_a_spreadsheet"),
        (b"PK\x03\x04not really a zip", "not_a_spreadsheet"),
    ],
)
def test_bad_files_are_refused_and_store_nothing(
    store: Store, tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = _snapshot(store)
    with pytest.raises(ValidationError) as err:
        _import(store, path)
    assert err.value.code == code
    assert _snapshot(store) == before


def test_summary_checks_its_counts() -> None:
    with pytest.raises(MinzuError) as err:
        ImportSummary(read=3, created=1)
    assert err.value.code == "summary_mismatch"


def test_scoped_officer_imports_only_within_the_unit(store: Store, tmp_path: Path) -> None:
    from minzu_core.errors import PermissionDeniedError
    from minzu_core.privacy.permissions import ETHNIC_AFFAIRS_OFFICER

    officer = Actor.for_units("officer", "360103001000", roles=[ETHNIC_AFFAIRS_OFFICER])
    rows = _messy_rows()
    rows[3][1][9] = "360103101001"  # C: 桃花社区 by code, outside 南浦街道
    path = tmp_path / "ledger.csv"
    numbers = _write_csv(path, rows)
    errors = tmp_path / "errors.csv"
    summary = import_ledger(
        store, path, actor=officer, unit="360103001000", reason="街道导入", errors_path=errors
    )
    outcomes = dict(FIRST, C="rejected", J="rejected")  # J: 桃花村委会 is not in the subtree
    assert _counts(summary) == _expected(outcomes)
    with errors.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    by_row = {line[-4]: line for line in lines[1:]}
    assert "not within the unit" in by_row[str(numbers["C"])][-1]
    assert "no community or village of this name" in by_row[str(numbers["J"])][-1]
    with pytest.raises(PermissionDeniedError):
        import_ledger(store, path, actor=officer, unit="360103101000", reason="越权")


# -- XLSX ---------------------------------------------------------------------------------------


def test_messy_xlsx(store: Store, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["西湖区少数民族流动人员台账"])
    sheet.append([])
    sheet.append(["姓名", "民族", "公民身份号码", "出生日期", "联系方式", "现居住社区",
                  "人员类别", "来本地时间", "性别"])  # fmt: skip
    sheet.append(["买买提", "维吾尔族", ID_A, None, "13800001111", 360103001001, "流动",
                  datetime(2019, 3, 1), "男"])  # fmt: skip  # an Excel date cell, a code as number
    sheet.append(["古丽", "维吾尔族", 6.53101e17, None, None, "南浦第一社区", "流动",
                  "2019-03-01", None])  # fmt: skip  # the ID typed as a number
    sheet.append([None] * 9)
    sheet.append(["阿依古丽", "05", None, dt.date(1990, 1, 2), None, "南浦第一社区", "常住",
                  43525, "女"])  # fmt: skip  # an Excel serial number
    sheet.append(["热依拉", "维吾尔", None, datetime(1995, 5, 5), "13800005555", "南浦第二社区",
                  "流动", "2019年3月1日", None])  # fmt: skip  # the seeded one's duplicate
    sheet.append(["努尔兰", "哈萨克", ID_15, None, None, "不存在社区", "常住", "2019.3.1", None])
    path = tmp_path / "ledger.xlsx"
    book.save(path)
    summary = _import(store, path, errors_path=tmp_path / "errors.csv")
    assert _counts(summary) == {"read": 5, "created": 2, "updated": 0, "unchanged": 0,
                                "rejected": 2, "held": 1}  # fmt: skip
    a = _person(store, ID_A)
    assert a.residences[0].arrival == date(2019, 3, 1)
    again = _import(store, path)
    assert _counts(again) == {"read": 5, "created": 0, "updated": 0, "unchanged": 2,
                              "rejected": 2, "held": 1}  # fmt: skip


# -- the command --------------------------------------------------------------------------------


def test_cli_import_json_and_bad_file(tmp_path: Path) -> None:
    from minzu_core.cli.app import app

    db = tmp_path / "cli.db"
    seeded = _seeded(f"sqlite:///{db}")
    seeded.close()
    path = tmp_path / "ledger.csv"
    _write_csv(path, _messy_rows())
    runner = CliRunner()
    url = f"sqlite:///{db}"
    args = ["ledger", "import", str(path), "--store", url, "--unit", UNIT, "--format", "json"]
    result = runner.invoke(app, [*args, "--dry-run"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert {k: counts[k] for k in _expected(FIRST)} == _expected(FIRST)
    result = runner.invoke(app, [*args, "--errors", str(tmp_path / "e.csv")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 6
    text = runner.invoke(app, ["ledger", "import", str(path), "--store", url, "--unit", UNIT])
    assert text.exit_code == 0
    assert "unchanged 6" in text.stdout
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    bad = runner.invoke(app, ["ledger", "import", str(empty), "--store", url, "--unit", UNIT])
    assert bad.exit_code == 2
    assert "empty_file" in bad.output or "0 bytes" in bad.output
    assert "Traceback" not in bad.output
    assert len(bad.output.strip().splitlines()) == 1
