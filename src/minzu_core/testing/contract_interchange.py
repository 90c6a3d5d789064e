"""The interchange part of the storage contract (数据交换契约测试): the 台账 ledger import and
export on every store.

* a small messy CSV (a title row, header synonyms, full-width digits, blank rows, a number
  typed as a number, an unknown community) is imported with every row accounted for, and a
  second import changes nothing;
* an unrestricted export (CSV and, with openpyxl, XLSX) imported back into the same store finds
  every row unchanged and leaves the store as it was;
* the same export imported into a new, empty memory store gives back the same records on every
  field the template carries;
* an export as a roleless actor of the unit is masked: no raw ID number, phone or name in the
  file, and it cannot be imported;
* the clear reads of an export are in the audit trail, with the purpose 台账管理.

Mixed into :class:`~minzu_core.testing.StoreContract`; it needs the ``store`` and ``clock``
fixtures (and pytest's ``tmp_path``).
"""

from __future__ import annotations

import csv
import importlib.util
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest

from minzu_core.clock import FixedClock
from minzu_core.codes.resident_id import make_resident_id
from minzu_core.codes.uscc import make_uscc
from minzu_core.hierarchy.model import Unit
from minzu_core.interchange.exporter import export_ledger
from minzu_core.interchange.importer import import_ledger
from minzu_core.ledger.model import HouseholdRegistration, Person, Residence, ResidenceStatus
from minzu_core.privacy.actor import Actor
from minzu_core.privacy.audit import AuditOperation
from minzu_core.privacy.permissions import FieldGroup
from minzu_core.store.factory import Store, open_store
from minzu_core.testing.samples import (
    ADMIN,
    COMMUNITY_A,
    COMMUNITY_B,
    SAMPLE_UNITS,
    TOWN_COMMUNITY,
    sample_person,
)

__all__ = ["InterchangeContract", "ledger_view"]

DISTRICT = "360103000000"
PURPOSE = "台账管理"
_REASON = "契约测试: 台账导入"
_HAS_OPENPYXL = importlib.util.find_spec("openpyxl") is not None
_FORMATS = ("csv", "xlsx") if _HAS_OPENPYXL else ("csv",)


def ledger_view(person: Person, residence: Residence | None = None) -> tuple[Any, ...]:
    """The fields of ``person`` the 台账 template carries, with those of ``residence`` (default:
    the latest episode): what an export and its re-import must keep."""
    placed = residence if residence is not None else person.latest_residence
    household = person.household or HouseholdRegistration()
    episode: tuple[Any, ...] = ()
    if placed is not None:
        episode = (
            placed.unit_code,
            placed.address,
            placed.status,
            placed.arrival,
            placed.departure,
            placed.reason,
            placed.occupation,
            placed.employer,
            placed.employer_uscc,
        )
    return (
        person.name,
        person.gender,
        person.ethnicity,
        person.id_number,
        person.birth_date,
        person.phone,
        household.address,
        household.division_code,
        person.language,
        *episode,
    )


def _people() -> list[Person]:
    """A varied ledger: with and without ID number, a move, a departure, a minor, a resident
    without household, an employer's credit code."""
    moved = sample_person(seq=901, unit=COMMUNITY_A, arrival=date(2017, 1, 1)).move(
        Residence(
            unit_code=COMMUNITY_B,
            status=ResidenceStatus.RESIDENT,
            arrival=date(2019, 6, 1),
            address="南昌市西湖区某路 9 号",
            occupation="个体",
            employer="某商行",
            employer_uscc=make_uscc("360103", 12345),
        )
    )
    left = sample_person(seq=902, unit=TOWN_COMMUNITY)
    left = attrs.evolve(
        left, residences=(attrs.evolve(left.residences[0], departure=date(2019, 10, 1)),)
    )
    minor = Person(
        name="小明",
        ethnicity="05",
        id_number=make_resident_id("360103", date(2012, 5, 1), 7),
        residences=(
            Residence(
                unit_code=COMMUNITY_A,
                status=ResidenceStatus.RESIDENT,
                arrival=date(2015, 1, 1),
                address="南昌市西湖区某路 2 号",
            ),
        ),
    )
    resident = Person(
        name="王芳",
        ethnicity="03",
        birth_date=date(1975, 8, 8),
        gender="female",
        residences=(Residence(unit_code=COMMUNITY_B, status="resident", arrival=date(2000, 1, 1)),),
    )
    return [
        sample_person(seq=903),
        sample_person(seq=904, unit=COMMUNITY_B, ethnicity="02"),
        sample_person(seq=905, with_id=False),
        moved,
        left,
        minor,
        resident,
    ]


def _fill(store: Store) -> list[Person]:
    with store.unit_of_work(ADMIN) as uow:
        stored = [uow.people.add(p, reason="契约测试: 登记") for p in _people()]
        uow.commit()
    return stored


def _views(store: Store) -> list[tuple[Any, ...]]:
    with store.unit_of_work(ADMIN) as uow:
        return sorted((ledger_view(p) for p in uow.people.list(within=DISTRICT)), key=repr)


def _records(store: Store) -> list[Person]:
    with store.unit_of_work(ADMIN) as uow:
        return sorted(uow.people.list(within=DISTRICT), key=lambda p: str(p.id))


def _export(store: Store, path: Path, fmt: str, actor: Actor = ADMIN, **options: Any) -> Any:
    with store.unit_of_work(actor, purpose=PURPOSE, reason="契约测试: 台账导出") as uow:
        summary = export_ledger(uow, path, unit=DISTRICT, format=fmt, **options)
        uow.commit()
    return summary


def _empty_store(clock: FixedClock) -> Store:
    other = open_store("memory://", clock=clock)
    with other.unit_of_work(ADMIN) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="契约测试数据")
        uow.commit()
    return other


_MESSY_HEADER = [
    "序号",
    "姓名",
    "民族",
    "身份证号",
    "手机号",
    "现居住社区",
    "人员类别",
    "来本地时间",
]


def _messy_csv(path: Path) -> None:
    good = make_resident_id("653101", date(1988, 3, 15), 31)
    other = make_resident_id("653101", date(1991, 7, 1), 32)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in other)  # full-width digits
    rows = [
        ["西湖区少数民族流动人口台账(2019年)"],
        ["填表单位: 南浦街道"],
        _MESSY_HEADER,
        ["1", "买买提", "维吾尔", good, "138 0000 1111", "360103001001", "流动", "2019-03-01"],
        [],
        ["2", "艾力 ", "05", wide, "", "南浦第二社区", "常住", "2019/3/1"],
        ["3", "古丽", "维吾尔族", "6.53101E+17", "", "360103001001", "流动", "2019.3.1"],
        ["4", "阿不都", "维吾尔族", "", "", "火星社区", "流动", "2019年3月1日"],
        ["", "", "", "", "", "", "", ""],
    ]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)


class InterchangeContract:
    """The 台账 import, export and round trip on every store."""

    def test_import_a_messy_csv_accounts_for_every_row(self, store: Store, tmp_path: Path) -> None:
        path = tmp_path / "messy.csv"
        _messy_csv(path)
        first = import_ledger(store, path, actor=ADMIN, unit=DISTRICT, reason=_REASON)
        assert (first.read, first.created, first.rejected) == (4, 2, 2)
        assert (first.updated, first.unchanged, first.held) == (0, 0, 0)
        before = _records(store)
        assert len(before) == 2
        again = import_ledger(store, path, actor=ADMIN, unit=DISTRICT, reason=_REASON)
        assert (again.read, again.unchanged, again.rejected, again.created) == (4, 2, 2, 0)
        assert _records(store) == before

    @pytest.mark.parametrize("fmt", _FORMATS)
    def test_export_reimported_into_the_same_store_changes_nothing(
        self, store: Store, tmp_path: Path, fmt: str
    ) -> None:
        stored = _fill(store)
        before = _records(store)
        path = tmp_path / f"ledger.{fmt}"
        summary = _export(store, path, fmt)
        assert (summary.rows, summary.masked_rows) == (len(stored), 0)
        again = import_ledger(store, path, actor=ADMIN, unit=DISTRICT, reason=_REASON)
        assert (again.read, again.unchanged) == (len(stored), len(stored))
        assert (again.created, again.updated, again.rejected, again.held) == (0, 0, 0, 0)
        assert _records(store) == before

    @pytest.mark.parametrize("fmt", _FORMATS)
    def test_export_imported_into_an_empty_store_gives_the_same_records(
        self, store: Store, clock: FixedClock, tmp_path: Path, fmt: str
    ) -> None:
        _fill(store)
        path = tmp_path / f"ledger.{fmt}"
        summary = _export(store, path, fmt)
        other = _empty_store(clock)
        try:
            result = import_ledger(other, path, actor=ADMIN, unit=DISTRICT, reason=_REASON)
            assert (result.read, result.created) == (summary.rows, summary.rows)
            assert _views(other) == _views(store)
        finally:
            other.close()

    @pytest.mark.parametrize("fmt", _FORMATS)
    def test_as_of_exports_the_persons_present_that_day(
        self, store: Store, clock: FixedClock, tmp_path: Path, fmt: str
    ) -> None:
        stored = _fill(store)
        day = date(2017, 6, 1)  # before most arrivals; the mover still in the first community
        path = tmp_path / f"ledger.{fmt}"
        summary = _export(store, path, fmt, as_of=day)
        present = [p for p in stored if p.residence_on(day) is not None]
        assert summary.rows == len(present) < len(stored)
        other = _empty_store(clock)
        try:
            import_ledger(other, path, actor=ADMIN, unit=DISTRICT, reason=_REASON)
            expected = sorted((ledger_view(p, p.residence_on(day)) for p in present), key=repr)
            assert _views(other) == expected
        finally:
            other.close()

    @pytest.mark.parametrize("fmt", _FORMATS)
    def test_masked_export_has_no_raw_identity_or_contact(
        self, store: Store, clock: FixedClock, tmp_path: Path, fmt: str
    ) -> None:
        stored = _fill(store)
        roleless = Actor.for_units("contract-export-masked", DISTRICT)
        path = tmp_path / f"masked.{fmt}"
        summary = _export(store, path, fmt, actor=roleless)
        assert summary.rows == summary.masked_rows == len(stored)
        text = _file_text(path)
        secrets = (
            [p.id_number for p in stored] + [p.phone for p in stored] + [p.name for p in stored]
        )
        for secret in secrets:
            if secret is not None:
                assert secret not in text
        assert "*" in text
        other = _empty_store(clock)
        try:
            result = import_ledger(other, path, actor=ADMIN, unit=DISTRICT, reason=_REASON)
            assert (result.read, result.created, result.rejected) == (len(stored), 0, len(stored))
            assert _records(other) == []
        finally:
            other.close()

    def test_clear_export_is_audited_with_its_purpose(self, store: Store, tmp_path: Path) -> None:
        stored = _fill(store)
        exporter = Actor.system("contract-exporter")
        _export(store, tmp_path / "ledger.csv", "csv", actor=exporter)
        with store.unit_of_work(ADMIN) as uow:
            reads = [
                e
                for e in uow.audit.entries(actor_id=exporter.id)
                if e.operation is AuditOperation.READ
            ]
        assert {e.entity_id for e in reads} == {str(p.id) for p in stored}
        assert all(FieldGroup.IDENTITY in e.field_groups for e in reads)
        assert {e.purpose for e in reads} == {"ledger_management"}


def _file_text(path: Path) -> str:
    """Every cell of the ledger file as text (the XLSX data sheet's values, or the CSV)."""
    if path.suffix == ".csv":
        return path.read_text(encoding="utf-8-sig")
    from minzu_core.interchange.template import load_openpyxl

    book = load_openpyxl()[0].load_workbook(path, read_only=True)
    try:
        cells = [
            "" if v is None else str(v)
            for row in book.worksheets[0].iter_rows(values_only=True)
            for v in row
        ]
    finally:
        book.close()
    return "\n".join(cells)
