"""The 台账 export (:mod:`minzu_core.interchange.exporter`, issue 14 deliverable 3): XLSX and CSV in
the template's own layout, masking by the actor's permissions, ``as_of``, paging, the audit of
clear reads, the round trip through the import, and ``minzu ledger export``.

The interchange contract (:class:`~minzu_core.testing.contract_interchange.InterchangeContract`)
is part of :class:`~minzu_core.testing.StoreContract`: it runs on every store with the contract
suite (``tests/contract/test_contract.py``).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from typer.testing import CliRunner

from minzu_core import CST, Actor, FixedClock, open_store
from minzu_core.cli.ledger import ledger_app
from minzu_core.codes.uscc import make_uscc
from minzu_core.errors import NotFoundError, PermissionDeniedError, ValidationError
from minzu_core.hierarchy import Unit
from minzu_core.interchange.columns import COLUMNS
from minzu_core.interchange.exporter import export_ledger, person_row
from minzu_core.interchange.importer import import_ledger
from minzu_core.interchange.template import (
    CODES_SHEET,
    DATA_SHEET,
    EXPLANATION_SHEET,
    write_ledger,
    write_template,
)
from minzu_core.ledger import Person, Residence
from minzu_core.privacy.permissions import COMMUNITY_CADRE, is_masked
from minzu_core.store import Store
from minzu_core.testing.contract_interchange import ledger_view
from minzu_core.testing.samples import (
    ADMIN,
    COMMUNITY_A,
    COMMUNITY_B,
    SAMPLE_UNITS,
    TOWN_COMMUNITY,
    sample_person,
)

if TYPE_CHECKING:
    pass

openpyxl = pytest.importorskip("openpyxl")

NOW = datetime(2019, 12, 16, 9, tzinfo=CST)
DISTRICT = "360103000000"
TOWNSHIP = "360103001000"
ZH = [c.header_zh for c in COLUMNS]
EN = [c.header_en for c in COLUMNS]


def _clock() -> FixedClock:
    return FixedClock(NOW, tick=timedelta(seconds=1))


def _loaded(store: Store) -> Store:
    with store.unit_of_work(ADMIN) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="测试数据")
        uow.commit()
    return store


# ---------------------------------------------------------------- fixtures of the unit tests


@pytest.fixture
def store() -> Iterator[Store]:
    opened = _loaded(open_store("memory://", clock=_clock()))
    yield opened
    opened.close()


def _add(store: Store, *people: Person) -> list[Person]:
    with store.unit_of_work(ADMIN) as uow:
        stored = [uow.people.add(p, reason="测试: 登记") for p in people]
        uow.commit()
    return stored


def _export(store: Store, path: Path, actor: Actor = ADMIN, **options: Any) -> Any:
    with store.unit_of_work(actor, purpose="台账管理") as uow:
        summary = export_ledger(uow, path, **{"unit": DISTRICT, **options})
        uow.commit()
    return summary


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _xlsx_rows(path: Path, sheet: str = DATA_SHEET) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path)
    try:
        return list(book[sheet].iter_rows(values_only=True))
    finally:
        book.close()


def _by_key(row: Any) -> dict[str, Any]:
    return {c.key: row[i] for i, c in enumerate(COLUMNS)}


# ---------------------------------------------------------------- the file's layout and cells


def test_the_csv_export_has_the_template_headers_and_one_row_per_person(
    store: Store, tmp_path: Path
) -> None:
    stored = _add(store, sample_person(seq=1), sample_person(seq=2, unit=COMMUNITY_B))
    summary = _export(store, tmp_path / "l.csv", format="csv")
    assert (summary.rows, summary.masked_rows, summary.format) == (2, 0, "csv")
    template = tmp_path / "t.csv"
    write_template(template, format="csv")
    rows = _csv_rows(tmp_path / "l.csv")
    assert rows[:2] == _csv_rows(template) == [ZH, EN]
    assert len(rows) == 4
    cells = sorted((_by_key(r) for r in rows[2:]), key=lambda c: c["id_number"])
    first = next(p for p in stored if p.id_number == cells[0]["id_number"])
    assert cells[0] == {
        "seq": cells[0]["seq"],
        "name": "阿依古丽",
        "gender": "女" if first.gender is not None and first.gender.value == "female" else "男",
        "ethnicity": "维吾尔族",
        "id_number": first.id_number,
        "birth_date": str(first.birth_date),
        "phone": "13800001234",
        "household_address": "喀什市某街道",
        "household_code": "653101",
        "community": first.residences[0].unit_code.value,
        "address": "南昌市西湖区某路 1 号",
        "status": "流动",
        "arrival": "2018-03-01",
        "departure": "",
        "reason": "经商",
        "occupation": "餐饮",
        "employer": "某拉面馆",
        "employer_uscc": "",
        "language": "基本掌握",
        "note": "",
    }
    assert sorted(int(c["seq"]) for c in cells) == [1, 2]


def test_the_xlsx_export_has_the_template_layout(store: Store, tmp_path: Path) -> None:
    stored = _add(store, sample_person(seq=3))
    path = tmp_path / "l.xlsx"
    summary = _export(store, path)
    assert (summary.rows, summary.format) == (1, "xlsx")
    template = tmp_path / "t.xlsx"
    write_template(template)
    made = openpyxl.load_workbook(path)
    blank = openpyxl.load_workbook(template)
    assert made.sheetnames == blank.sheetnames == [DATA_SHEET, EXPLANATION_SHEET, CODES_SHEET]
    for name in (EXPLANATION_SHEET, CODES_SHEET):
        assert list(made[name].values) == list(blank[name].values)
    assert made[CODES_SHEET].protection.sheet
    sheet, empty = made[DATA_SHEET], blank[DATA_SHEET]
    assert list(sheet.values)[:2] == list(empty.values)[:2]
    assert sheet.freeze_panes == empty.freeze_panes == "A3"

    def lists(ws: Any) -> list[tuple[str, str, str]]:
        return sorted(
            (str(v.sqref), v.formula1, v.errorStyle) for v in ws.data_validations.dataValidation
        )

    assert lists(sheet) == lists(empty) and len(lists(sheet)) == 5
    for index in range(len(COLUMNS)):
        letter = sheet.cell(row=1, column=index + 1).column_letter
        assert sheet.column_dimensions[letter].width == empty.column_dimensions[letter].width
        assert sheet.cell(row=1, column=index + 1).font.color.rgb == (
            empty.cell(row=1, column=index + 1).font.color.rgb
        )
    cells = _by_key(list(sheet.values)[2])
    person = stored[0]
    assert cells["id_number"] == person.id_number
    assert sheet.cell(row=3, column=5).data_type == "s"
    assert sheet.cell(row=3, column=5).number_format == "@"
    assert person.birth_date is not None
    assert cells["birth_date"] == datetime.combine(person.birth_date, dt.time())  # a date cell
    assert sheet.cell(row=3, column=6).number_format == "yyyy-mm-dd"
    assert cells["arrival"] == datetime(2018, 3, 1)
    assert cells["phone"] == "13800001234" and cells["seq"] == 1


def test_a_text_starting_with_equals_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    assert write_ledger(path, [{"seq": 1, "name": "某", "address": "=HYPERLINK(1)"}]) == 1
    sheet = openpyxl.load_workbook(path)[DATA_SHEET]
    address = next(i for i, c in enumerate(COLUMNS) if c.key == "address") + 1
    assert sheet.cell(row=3, column=address).data_type == "s"
    assert sheet.cell(row=3, column=address).value == "=HYPERLINK(1)"


def test_write_ledger_refuses_unknown_keys_and_existing_files(tmp_path: Path) -> None:
    for fmt in ("csv", "xlsx"):
        path = tmp_path / f"u.{fmt}"
        with pytest.raises(ValidationError) as err:
            write_ledger(path, [{"religion": "x"}], format=fmt)
        assert err.value.code == "unknown_column"
        assert not path.exists()
    existing = tmp_path / "e.csv"
    existing.write_text("kept", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        write_ledger(existing, [], format="csv")
    assert err.value.code == "output_exists"
    assert existing.read_text(encoding="utf-8") == "kept"
    assert write_ledger(existing, [], format="csv", overwrite=True) == 0
    assert _csv_rows(existing) == [ZH, EN]


def test_an_export_that_fails_leaves_no_file(store: Store, tmp_path: Path) -> None:
    _add(store, sample_person(seq=4))
    with store.unit_of_work(ADMIN) as uow:
        with pytest.raises(ValidationError) as err:
            export_ledger(uow, tmp_path / "x.pdf", unit=DISTRICT, format="pdf")
        assert err.value.code == "invalid_format"
        with pytest.raises(NotFoundError):
            export_ledger(uow, tmp_path / "x.csv", unit="360103002000", format="csv")
        with pytest.raises(ValidationError) as err:
            export_ledger(uow, tmp_path / "x.csv", unit=DISTRICT, format="csv", page=0)
        assert err.value.code == "invalid_page"
        with pytest.raises(ValidationError) as err:
            export_ledger(uow, tmp_path / "x.csv", unit=DISTRICT, format="csv", as_of="2019/1/1")
        assert err.value.code == "invalid_date"
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- which persons, which episode


def _moved_and_left(store: Store) -> tuple[Person, Person, Person]:
    stay = sample_person(seq=10, unit=COMMUNITY_A, arrival=date(2016, 1, 1))
    moved = sample_person(seq=11, unit=COMMUNITY_A, arrival=date(2016, 1, 1)).move(
        Residence(unit_code=TOWN_COMMUNITY, status="resident", arrival=date(2019, 5, 1))
    )
    left = sample_person(seq=12, unit=COMMUNITY_B, arrival=date(2017, 1, 1))
    left = attrs.evolve(
        left, residences=(attrs.evolve(left.residences[0], departure=date(2019, 9, 1)),)
    )
    return tuple(_add(store, stay, moved, left))  # type: ignore[return-value]


def _ids(path: Path) -> dict[str, dict[str, str]]:
    return {r[4]: _by_key(r) for r in _csv_rows(path)[2:]}


def test_the_unit_ledger_holds_the_persons_it_places_now(store: Store, tmp_path: Path) -> None:
    stay, moved, left = _moved_and_left(store)
    _export(store, tmp_path / "town.csv", unit=TOWNSHIP, format="csv")
    rows = _ids(tmp_path / "town.csv")
    assert set(rows) == {stay.id_number, left.id_number}  # the one who moved away is not
    assert rows[str(left.id_number)]["departure"] == "2019-09-01"
    _export(store, tmp_path / "district.csv", format="csv")
    rows = _ids(tmp_path / "district.csv")
    assert rows[str(moved.id_number)]["community"] == TOWN_COMMUNITY  # the latest episode
    assert rows[str(moved.id_number)]["status"] == "常住"


def test_as_of_shows_the_episode_of_that_day(store: Store, tmp_path: Path) -> None:
    stay, moved, left = _moved_and_left(store)
    summary = _export(store, tmp_path / "2018.csv", as_of=date(2018, 6, 1), format="csv")
    rows = _ids(tmp_path / "2018.csv")
    assert summary.as_of == date(2018, 6, 1) and summary.rows == 3
    assert rows[str(moved.id_number)]["community"] == COMMUNITY_A
    assert rows[str(moved.id_number)]["departure"] == "2019-05-01"
    _export(store, tmp_path / "town.csv", unit=TOWNSHIP, as_of="2018-06-01", format="csv")
    assert set(_ids(tmp_path / "town.csv")) == {stay.id_number, moved.id_number, left.id_number}
    _export(store, tmp_path / "late.csv", as_of=date(2019, 10, 1), format="csv")
    assert set(_ids(tmp_path / "late.csv")) == {stay.id_number, moved.id_number}
    _export(store, tmp_path / "early.csv", as_of=date(2010, 1, 1), format="csv")
    assert _csv_rows(tmp_path / "early.csv") == [ZH, EN]


def test_paging_reads_every_person_once(store: Store, tmp_path: Path) -> None:
    people = [sample_person(seq=100 + i, unit=(COMMUNITY_A, COMMUNITY_B)[i % 2]) for i in range(23)]
    _add(store, *people)
    whole = _export(store, tmp_path / "one.csv", format="csv")
    paged = _export(store, tmp_path / "paged.csv", format="csv", page=4)
    exact = _export(store, tmp_path / "exact.csv", format="csv", page=23)
    assert whole.rows == paged.rows == exact.rows == 23
    numbers = {p.id_number for p in people}
    for name in ("one.csv", "paged.csv", "exact.csv"):
        rows = _csv_rows(tmp_path / name)[2:]
        assert {r[4] for r in rows} == numbers and len(rows) == 23
        assert [int(r[0]) for r in rows] == list(range(1, 24))


# ---------------------------------------------------------------- masking and the audit


def test_masking_follows_the_actor_and_purpose(store: Store, tmp_path: Path) -> None:
    (person,) = _add(store, sample_person(seq=20))
    cadre = Actor.for_units("cadre", DISTRICT, roles={COMMUNITY_CADRE})
    clear = _export(store, tmp_path / "cadre.csv", actor=cadre, format="csv")
    assert clear.masked_rows == 0
    assert _ids(tmp_path / "cadre.csv")[str(person.id_number)]["phone"] == "13800001234"
    with store.unit_of_work(cadre, purpose="统计分析") as uow:  # not a purpose of its grant
        summary = export_ledger(uow, tmp_path / "stats.csv", unit=DISTRICT, format="csv")
    assert summary.masked_rows == 1
    (row,) = _csv_rows(tmp_path / "stats.csv")[2:]
    cells = _by_key(row)
    number = str(person.id_number)
    assert cells["id_number"] == number[:4] + "*" * 10 + number[-4:]
    assert cells["phone"] == "138****1234"
    assert cells["birth_date"] == "****-**-**"
    assert is_masked(cells["name"]) and is_masked(cells["address"])
    assert cells["ethnicity"] == "维吾尔族" and cells["community"] == COMMUNITY_A
    assert number not in (tmp_path / "stats.csv").read_text(encoding="utf-8-sig")


def test_a_masked_xlsx_export_keeps_masked_texts(store: Store, tmp_path: Path) -> None:
    (person,) = _add(store, sample_person(seq=21))
    roleless = Actor.for_units("nobody", DISTRICT)
    summary = _export(store, tmp_path / "m.xlsx", actor=roleless)
    assert summary.masked_rows == summary.rows == 1
    cells = _by_key(_xlsx_rows(tmp_path / "m.xlsx")[2])
    assert cells["birth_date"] == "****-**-**" and cells["phone"] == "138****1234"
    assert is_masked(cells["id_number"]) and cells["id_number"] != person.id_number


def test_an_export_outside_the_scope_is_refused(store: Store, tmp_path: Path) -> None:
    _add(store, sample_person(seq=22, unit=TOWN_COMMUNITY))
    cadre = Actor.for_units("cadre", COMMUNITY_A, roles={COMMUNITY_CADRE})
    with store.unit_of_work(cadre, purpose="台账管理") as uow:
        with pytest.raises(PermissionDeniedError):
            export_ledger(uow, tmp_path / "x.csv", unit=TOWN_COMMUNITY, format="csv")
        summary = export_ledger(uow, tmp_path / "d.csv", unit=DISTRICT, format="csv")
    assert summary.rows == 0  # the district's ledger as the cadre sees it: their community


def test_the_clear_reads_are_audited_when_the_unit_of_work_ends(
    store: Store, tmp_path: Path
) -> None:
    stored = _add(store, sample_person(seq=30), sample_person(seq=31))
    exporter = Actor.system("exporter")
    with store.unit_of_work(exporter, purpose="台账管理", reason="月度台账") as uow:
        export_ledger(uow, tmp_path / "a.csv", unit=DISTRICT, format="csv")
        # no commit: the reads are appended when the block ends
    with store.unit_of_work(ADMIN) as uow:
        entries = uow.audit.entries(actor_id="exporter")
    assert {e.entity_id for e in entries} == {str(p.id) for p in stored}
    assert {e.purpose for e in entries} == {"ledger_management"}
    roleless = Actor.for_units("nobody", DISTRICT)
    _export(store, tmp_path / "m.csv", actor=roleless, format="csv")
    with store.unit_of_work(ADMIN) as uow:
        assert uow.audit.entries(actor_id="nobody") == []  # nothing was read in clear


# ---------------------------------------------------------------- the round trip in detail


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_keeps_every_template_field(store: Store, tmp_path: Path, fmt: str) -> None:
    full = attrs.evolve(
        sample_person(seq=40),
        residences=(
            attrs.evolve(
                sample_person(seq=40).residences[0],
                employer_uscc=make_uscc("360103", 12345),
                departure=date(2019, 11, 1),
            ),
        ),
    )
    no_id = sample_person(seq=41, with_id=False)
    stored = _add(store, full, no_id)
    path = tmp_path / f"r.{fmt}"
    _export(store, path, format=fmt)
    other = _loaded(open_store("memory://", clock=_clock()))
    result = import_ledger(other, path, actor=ADMIN, unit=DISTRICT, reason="回导")
    assert (result.read, result.created, result.rejected) == (2, 2, 0)
    with other.unit_of_work(ADMIN) as uow:
        back = {ledger_view(p) for p in uow.people.list(within=DISTRICT)}
    assert back == {ledger_view(p) for p in stored}
    assert person_row(stored[0], stored[0].latest_residence, 1)["employer_uscc"] == (
        make_uscc("360103", 12345)
    )


# ---------------------------------------------------------------- the command


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with open_store(url) as opened:
        _loaded(opened)
        with opened.unit_of_work(ADMIN) as uow:
            for seq in (50, 51):
                person = sample_person(seq=seq, arrival=date(2018, 3, 1))
                uow.people.add(person, reason="测试: 登记")
            uow.commit()
    return url


def _numbers() -> set[str]:
    return {str(sample_person(seq=s).id_number) for s in (50, 51)}


def test_cli_export_is_in_clear_and_audited(sqlite_url: str, tmp_path: Path) -> None:
    out = tmp_path / "ledger.csv"
    result = CliRunner().invoke(
        ledger_app, ["export", "--store", sqlite_url, "--unit", DISTRICT, "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "2 行 rows" in result.output and "明文 in clear" in result.output
    assert {r[4] for r in _csv_rows(out)[2:]} == _numbers()
    with open_store(sqlite_url) as opened, opened.unit_of_work(ADMIN) as uow:
        entries = uow.audit.entries(actor_id="minzu-cli-export")
    assert len(entries) == 2 and {e.purpose for e in entries} == {"ledger_management"}


def test_cli_export_masked_xlsx_and_as_of(sqlite_url: str, tmp_path: Path) -> None:
    out = tmp_path / "masked.xlsx"
    args = ["export", "--store", sqlite_url, "--unit", "360103", "--output", str(out)]
    result = CliRunner().invoke(ledger_app, [*args, "--masked", "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    assert "脱敏 masked" in result.output
    rows = _xlsx_rows(out)[2:]
    assert len(rows) == 2 and not {r[4] for r in rows} & _numbers()
    assert all(is_masked(r[4]) and is_masked(r[6]) for r in rows)
    early = tmp_path / "early.csv"
    args = ["export", "--store", sqlite_url, "--unit", DISTRICT, "--output", str(early)]
    result = CliRunner().invoke(ledger_app, [*args, "--as-of", "2018-01-01"])
    assert result.exit_code == 0, result.output
    assert _csv_rows(early) == [ZH, EN]


def test_cli_export_purpose_and_errors(sqlite_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["export", "--store", sqlite_url, "--unit", DISTRICT]
    out = tmp_path / "p.csv"
    result = runner.invoke(ledger_app, [*base, "--output", str(out), "--purpose", "统计分析"])
    assert result.exit_code == 0, result.output  # the system actor reads in clear for any
    assert {r[4] for r in _csv_rows(out)[2:]} == _numbers()
    result = runner.invoke(ledger_app, [*base, "--output", str(out)])
    assert result.exit_code == 2 and "output_exists" in result.output
    result = runner.invoke(ledger_app, [*base, "--output", str(out), "--force"])
    assert result.exit_code == 0, result.output
    for extra, code in (
        (["--purpose", "好奇"], "unknown_purpose"),
        (["--format", "pdf"], "invalid_format"),
        (["--as-of", "昨天"], "invalid_date"),
    ):
        result = runner.invoke(ledger_app, [*base, "--output", str(tmp_path / "n.csv"), *extra])
        assert result.exit_code == 2, result.output
        assert code in result.output and "Traceback" not in result.output
    result = runner.invoke(
        ledger_app,
        ["export", "--store", sqlite_url, "--unit", "36x", "--output", str(tmp_path / "n.csv")],
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "n.csv").exists()
