"""The administrative hierarchy: units, changes, the index, NBS files, edition diffs."""

from __future__ import annotations

import io
import uuid
from datetime import date
from pathlib import Path

import attrs
import pytest

from minzu_core.codes.divisions import DivisionCode, Level, UnitKind
from minzu_core.errors import NotFoundError, ValidationError
from minzu_core.hierarchy import (
    EDITIONS,
    Hierarchy,
    Unit,
    UnitChange,
    UnitChangeKind,
    diff_editions,
    load_edition,
    name_stem,
    read_nbs_csv,
)

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "divisions"
D2019, D2023 = date(2019, 10, 31), date(2023, 10, 31)


def code(text: str) -> DivisionCode:
    return DivisionCode.parse(text)


class TestUnit:
    def test_create_derives_level_and_kind(self) -> None:
        unit = Unit.create("360103101", " 桃花镇 ")
        assert unit.code == code("360103101000")
        assert unit.name == "桃花镇"
        assert unit.level is Level.TOWNSHIP
        assert unit.kind is UnitKind.TOWN
        assert unit.parent_code == code("360103")
        assert (unit.valid_from, unit.valid_to, unit.urban_rural_code, unit.version) == (
            None,
            None,
            None,
            0,
        )

    def test_constructor_accepts_str_code(self) -> None:
        assert Unit("360103", "西湖区") == Unit.create(code("360103"), "西湖区")
        assert Unit("36", "江西省").parent_code is None

    def test_level_must_match(self) -> None:
        with pytest.raises(ValidationError) as info:
            Unit.create("360103", "西湖区", level=Level.TOWNSHIP)
        assert (info.value.code, info.value.field) == ("level_mismatch", "level")
        assert Unit.create("360103", "西湖区", level=Level.COUNTY).level is Level.COUNTY

    def test_kind_must_match(self) -> None:
        with pytest.raises(ValidationError) as info:
            Unit.create("360103101", "桃花镇", kind=UnitKind.SUBDISTRICT)
        assert (info.value.code, info.value.field) == ("kind_mismatch", "kind")

    @pytest.mark.parametrize("name", ["", "   "])
    def test_name_required(self, name: str) -> None:
        with pytest.raises(ValidationError) as info:
            Unit.create("360103", name)
        assert (info.value.code, info.value.field) == ("invalid_unit_name", "name")

    def test_bad_code(self) -> None:
        with pytest.raises(ValidationError) as info:
            Unit.create("360103600", "x")
        assert info.value.code == "invalid_division_code"

    def test_validity(self) -> None:
        unit = Unit.create(
            "360103", "西湖区", valid_from=date(2000, 1, 1), valid_to=date(2020, 1, 1)
        )
        assert not unit.valid_on(date(1999, 12, 31))
        assert unit.valid_on(date(2000, 1, 1))
        assert unit.valid_on(date(2019, 12, 31))
        assert not unit.valid_on(date(2020, 1, 1))
        assert Unit.create("36", "江西省").valid_on(date(1, 1, 1))
        for bad_to in (date(2000, 1, 1), date(1999, 1, 1)):
            with pytest.raises(ValidationError) as info:
                Unit.create("360103", "西湖区", valid_from=date(2000, 1, 1), valid_to=bad_to)
            assert (info.value.code, info.value.field) == ("invalid_validity", "valid_to")

    def test_urban_rural_code(self) -> None:
        unit = Unit.create("360103001001", "社区", urban_rural_code="111")
        assert unit.urban_rural_code == "111"
        with pytest.raises(ValidationError) as info:
            Unit.create("360103001001", "社区", urban_rural_code="999")
        assert info.value.code == "invalid_urban_rural_code"

    def test_version_non_negative(self) -> None:
        with pytest.raises(ValueError):
            Unit.create("36", "江西省", version=-1)

    def test_frozen_and_evolve(self) -> None:
        unit = Unit.create("36", "江西省")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            unit.name = "x"  # type: ignore[misc]
        assert attrs.evolve(unit, version=2).version == 2


def recoding() -> UnitChange:
    """桃花镇 (360103101) recoded as 桃花街道 (360103014) in 2023."""
    return UnitChange(
        UnitChangeKind.RECODED,
        D2023,
        "360103101",
        successors=["360103014"],
        old_name="桃花镇",
        new_name="桃花街道",
    )


class TestUnitChange:
    def test_valid(self) -> None:
        change = recoding()
        assert change.code == code("360103101000")
        assert change.successors == (code("360103014000"),)
        assert isinstance(change.id, uuid.UUID)
        assert change.id != UnitChange(UnitChangeKind.ABOLISHED, D2023, "360103005").id
        assert UnitChangeKind.RECODED.label_zh == "改代码"

    @pytest.mark.parametrize(
        ("kind", "successors"),
        [
            (UnitChangeKind.RECODED, ()),
            (UnitChangeKind.MERGED, ()),
            (UnitChangeKind.SPLIT, ("360103014",)),
            (UnitChangeKind.ABOLISHED, ("360103014",)),
            (UnitChangeKind.CREATED, ("360103014",)),
            (UnitChangeKind.RECODED, ("360103101",)),
        ],
    )
    def test_successor_rules(self, kind: UnitChangeKind, successors: tuple[str, ...]) -> None:
        with pytest.raises(ValidationError) as info:
            UnitChange(kind, D2023, "360103101", successors=successors, new_name="x")
        assert (info.value.code, info.value.field) == ("invalid_unit_change", "successors")

    def test_allowed_counts(self) -> None:
        UnitChange(UnitChangeKind.MERGED, D2023, "360103005", successors=["360103004"])
        UnitChange(UnitChangeKind.SPLIT, D2023, "360103005", successors=["360103004", "360103005"])
        UnitChange(UnitChangeKind.ABOLISHED, D2023, "360103005")
        UnitChange(UnitChangeKind.CREATED, D2023, "360103015", new_name="九洲街道")

    def test_rename_needs_new_name(self) -> None:
        with pytest.raises(ValidationError) as info:
            UnitChange(UnitChangeKind.RENAMED, D2023, "360103001", old_name="南浦街道")
        assert info.value.field == "new_name"


def sample() -> Hierarchy:
    units = [
        Unit.create("36", "江西省"),
        Unit.create("3601", "南昌市"),
        Unit.create("360103", "西湖区"),
        Unit.create("360104", "青云谱区"),
        Unit.create("360103001", "南浦街道"),
        Unit.create("360103005", "西湖街道", valid_to=D2023),
        Unit.create("360103101", "桃花镇", valid_to=D2023),
        Unit.create("360103014", "桃花街道", valid_from=D2023),
        Unit.create("360103015", "九洲街道", valid_from=D2023),
        Unit.create("360103001001", "第一社区"),
        # a reused code: two versions with disjoint validity
        Unit.create("360103001002", "旧社区", valid_to=date(2010, 1, 1)),
        Unit.create("360103001002", "新社区", valid_from=date(2010, 1, 1)),
        Unit.create("4419", "东莞市"),
        Unit.create("441900003", "东城街道"),
        Unit.create("441900003001", "某社区"),
    ]
    changes = [
        UnitChange(UnitChangeKind.ABOLISHED, D2023, "360103005", old_name="西湖街道"),
        recoding(),
        UnitChange(UnitChangeKind.CREATED, D2023, "360103015", new_name="九洲街道"),
    ]
    return Hierarchy(units, changes)


def codes_of(units: tuple[Unit, ...]) -> list[str]:
    return [u.code.short for u in units]


class TestHierarchy:
    def test_len_and_iter(self) -> None:
        h = sample()
        assert len(h) == 15
        values = [u.code.value for u in h]
        assert values == sorted(values)
        assert len(h.changes) == 3

    def test_get_and_find(self) -> None:
        h = sample()
        assert h.get("360103").name == "西湖区"
        assert h.get(code("360103101"), date(2020, 1, 1)).name == "桃花镇"
        assert h.find("360103101", D2023) is None
        assert h.find("360103014", date(2020, 1, 1)) is None
        assert h.get("360103014").name == "桃花街道"
        with pytest.raises(NotFoundError) as info:
            h.get("360103101", D2023)
        assert (info.value.code, info.value.field) == ("unit_not_found", "code")
        with pytest.raises(NotFoundError):
            h.get("360105")

    def test_reused_code(self) -> None:
        h = sample()
        assert h.get("360103001002", date(2009, 12, 31)).name == "旧社区"
        assert h.get("360103001002", date(2010, 1, 1)).name == "新社区"
        assert h.get("360103001002").name == "新社区"
        assert [u.name for u in h.versions("360103001002")] == ["旧社区", "新社区"]
        assert h.versions("360105") == ()

    def test_overlapping_versions_rejected(self) -> None:
        units = [
            Unit.create("360103", "a", valid_to=date(2010, 1, 2)),
            Unit.create("360103", "b", valid_from=date(2010, 1, 1)),
        ]
        with pytest.raises(ValidationError) as info:
            Hierarchy(units)
        assert info.value.code == "overlapping_unit_versions"
        with pytest.raises(ValidationError):
            Hierarchy([Unit.create("36", "江西省"), Unit.create("36", "江西省")])
        Hierarchy(
            [
                Unit.create("360103", "a", valid_to=date(2010, 1, 1)),
                Unit.create("360103", "b", valid_from=date(2010, 1, 1)),
            ]
        )

    def test_parent_and_ancestors(self) -> None:
        h = sample()
        parent = h.parent("360103001001")
        assert parent is not None and parent.name == "南浦街道"
        assert h.parent("36") is None
        assert codes_of(h.ancestors("360103001001")) == ["360103001", "360103", "3601", "36"]
        assert codes_of(h.ancestors("441900003001")) == ["441900003", "4419"]
        assert h.ancestors("36") == ()
        with pytest.raises(NotFoundError):
            h.ancestors("360103101", D2023)

    def test_children(self) -> None:
        h = sample()
        assert codes_of(h.children("360103", date(2020, 1, 1))) == [
            "360103001",
            "360103005",
            "360103101",
        ]
        assert codes_of(h.children("360103", D2023)) == ["360103001", "360103014", "360103015"]
        assert codes_of(h.children("360103")) == [
            "360103001",
            "360103005",
            "360103014",
            "360103015",
            "360103101",
        ]
        assert codes_of(h.children("4419")) == ["441900003"]
        assert codes_of(h.children("3601")) == ["360103", "360104"]
        assert h.children("360104") == ()

    def test_subtree(self) -> None:
        h = sample()
        assert codes_of(h.subtree("360103", D2023)) == [
            "360103",
            "360103001",
            "360103001001",
            "360103001002",
            "360103014",
            "360103015",
        ]
        assert codes_of(h.subtree("360103001", include_self=False)) == [
            "360103001001",
            "360103001002",
        ]
        assert len(h.subtree("36")) == 11
        assert codes_of(h.subtree("4419")) == ["4419", "441900003", "441900003001"]
        with pytest.raises(NotFoundError):
            h.subtree("3602")

    def test_by_level(self) -> None:
        h = sample()
        assert codes_of(h.by_level(Level.TOWNSHIP, date(2020, 1, 1))) == [
            "360103001",
            "360103005",
            "360103101",
            "441900003",
        ]
        assert codes_of(h.by_level(Level.TOWNSHIP, D2023, within="360103")) == [
            "360103001",
            "360103014",
            "360103015",
        ]
        assert codes_of(h.by_level(Level.COUNTY, within="36")) == ["360103", "360104"]
        assert codes_of(h.by_level(Level.COUNTY, within="360103")) == ["360103"]
        assert h.by_level(Level.PROVINCE, within="4419") == ()

    def test_successors(self) -> None:
        h = sample()
        assert h.successors("360103101", D2023) == (code("360103014"),)
        assert h.successors("360103101", date(2023, 10, 30)) == (code("360103101"),)
        assert h.successors("360103005", D2023) == ()
        assert h.successors("360103001", D2023) == (code("360103001"),)
        assert h.successors("360103015", D2023) == (code("360103015"),)
        # a fact recorded after the change is not moved again
        assert h.successors("360103101", D2023, since=D2023) == (code("360103101"),)

    def test_successors_transitive(self) -> None:
        d1, d2, d3 = date(2015, 1, 1), date(2018, 1, 1), date(2021, 1, 1)
        changes = [
            UnitChange(UnitChangeKind.RECODED, d1, "360103101", successors=["360103102"]),
            UnitChange(UnitChangeKind.RENAMED, d2, "360103102", new_name="新名"),
            UnitChange(
                UnitChangeKind.SPLIT, d2, "360103102", successors=["360103103", "360103104"]
            ),
            UnitChange(UnitChangeKind.MERGED, d3, "360103104", successors=["360103103"]),
            UnitChange(UnitChangeKind.ABOLISHED, d3, "360103105"),
        ]
        h = Hierarchy([], changes)
        assert h.successors("360103101", date(2014, 1, 1)) == (code("360103101"),)
        assert h.successors("360103101", d1) == (code("360103102"),)
        assert h.successors("360103101", d2) == (code("360103103"), code("360103104"))
        assert h.successors("360103101", d3) == (code("360103103"),)
        assert h.successors("360103105", d3) == ()

    def test_successors_same_day_swap(self) -> None:
        # two units swap codes on one day: changes of one day are simultaneous
        changes = [
            UnitChange(UnitChangeKind.RECODED, D2023, "360103001", successors=["360103002"]),
            UnitChange(UnitChangeKind.RECODED, D2023, "360103002", successors=["360103001"]),
        ]
        h = Hierarchy([], changes)
        assert h.successors("360103001", D2023) == (code("360103002"),)
        assert h.successors("360103002", date(2030, 1, 1)) == (code("360103001"),)


CSV_HEADER = "code,name,level,parent_code\n"


class TestReadNbsCsv:
    def test_read_text(self) -> None:
        text = (
            "\ufeff"
            + CSV_HEADER
            + "360000000000,江西省,province,\n"
            + "360100000000,南昌市,prefecture,360000000000\n"
            + "\n"
            + "360103,西湖区,county,3601\n"
        )
        units = read_nbs_csv(io.StringIO(text), valid_from=D2019)
        assert [u.code.short for u in units] == ["36", "3601", "360103"]
        assert all(u.valid_from == D2019 and u.valid_to is None for u in units)

    def test_urban_rural_column(self) -> None:
        text = (
            "code,name,level,parent_code,urban_rural_code\n"
            "360103001001,某社区,village,360103001000,111\n"
            "360103001002,某村,village,360103001000,\n"
        )
        units = read_nbs_csv(io.StringIO(text))
        assert [u.urban_rural_code for u in units] == ["111", None]

    @pytest.mark.parametrize(
        ("row", "error_code", "field"),
        [
            ("360103600000,x,township,360103000000", "invalid_division_code", "code"),
            ("abc,x,county,360100000000", "invalid_division_code", "code"),
            ("360103000000,西湖区,township,360100000000", "level_mismatch", "level"),
            ("360103000000,西湖区,district,360100000000", "invalid_level", "level"),
            ("360103000000,西湖区,county,360000000000", "parent_mismatch", "parent_code"),
            ("360103000000,西湖区,county,", "parent_mismatch", "parent_code"),
            ("360000000000,江西省,province,360000000000", "parent_mismatch", "parent_code"),
            ("360103000000,西湖区,county,36x", "invalid_division_code", "parent_code"),
            ("360103000000,,county,360100000000", "invalid_unit_name", "name"),
            ("360100000000,南昌市,prefecture,360000000000", "duplicate_unit_code", "code"),
            ("360103000000,西湖区,county", "invalid_csv_row", None),
        ],
    )
    def test_row_errors(self, row: str, error_code: str, field: str | None) -> None:
        text = CSV_HEADER + "360100000000,南昌市,prefecture,360000000000\n" + row + "\n"
        with pytest.raises(ValidationError) as info:
            read_nbs_csv(io.StringIO(text))
        assert info.value.code == error_code
        assert info.value.field == field
        assert info.value.row == 2

    def test_bad_urban_rural_code(self) -> None:
        text = "code,name,level,parent_code,urban_rural_code\n36,江西省,province,,777\n"
        with pytest.raises(ValidationError) as info:
            read_nbs_csv(io.StringIO(text))
        assert (info.value.code, info.value.field, info.value.row) == (
            "invalid_urban_rural_code",
            "urban_rural_code",
            1,
        )

    @pytest.mark.parametrize("text", ["", "code,name,level\n36,江西省,province\n"])
    def test_header_required(self, text: str) -> None:
        with pytest.raises(ValidationError) as info:
            read_nbs_csv(io.StringIO(text))
        assert info.value.code == "invalid_csv_header"

    def test_read_path(self, tmp_path: Path) -> None:
        path = tmp_path / "units.csv"
        path.write_text(CSV_HEADER + "36,江西省,province,\n", encoding="utf-8")
        assert [u.name for u in read_nbs_csv(path)] == ["江西省"]
        assert [u.name for u in read_nbs_csv(str(path), valid_to=D2023)] == ["江西省"]


class TestEditions:
    def test_editions(self) -> None:
        assert EDITIONS["jiangxi-2019"].effective == D2019
        assert EDITIONS["jiangxi-2023"].effective == D2023
        effective, resource = EDITIONS["jiangxi-2019"]
        assert effective == D2019
        assert resource.endswith("jiangxi-2019.csv")

    def test_load(self) -> None:
        old, new = load_edition("jiangxi-2019"), load_edition("jiangxi-2023")
        assert (len(old), len(new)) == (1895, 1879)
        assert all(u.valid_from == D2019 for u in old)
        assert all(u.valid_from == D2023 for u in new)
        h = Hierarchy(old)
        townships = h.by_level(Level.TOWNSHIP, within="360103")
        assert len(townships) == 12
        assert sum(u.kind is UnitKind.SUBDISTRICT for u in townships) == 11
        assert [u.name for u in townships if u.kind is UnitKind.TOWN] == ["桃花镇"]
        assert len(Hierarchy(new).children("360103")) == 10
        load_edition("jiangxi-2019").clear()
        assert len(load_edition("jiangxi-2019")) == 1895

    @pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared reference data not available")
    @pytest.mark.parametrize("name", ["jiangxi-2019", "jiangxi-2023"])
    def test_package_data_matches_reference(self, name: str) -> None:
        assert read_nbs_csv(REFERENCE / f"{name}.csv", valid_from=EDITIONS[name].effective) == (
            load_edition(name)
        )

    def test_unknown(self) -> None:
        with pytest.raises(ValidationError) as info:
            load_edition("jiangxi-2020")
        assert info.value.code == "unknown_edition"


class TestDiff:
    def test_xihu_2019_to_2023(self) -> None:
        old, new = load_edition("jiangxi-2019"), load_edition("jiangxi-2023")
        changes = diff_editions(old, new, effective=D2023, within="360103")
        summary = [
            (c.kind, c.code.value, tuple(s.value for s in c.successors), c.old_name, c.new_name)
            for c in changes
        ]
        assert summary == [
            (UnitChangeKind.ABOLISHED, "360103005000", (), "西湖街道", None),
            (UnitChangeKind.ABOLISHED, "360103006000", (), "系马桩街道", None),
            (UnitChangeKind.ABOLISHED, "360103012000", (), "十字街街道", None),
            (UnitChangeKind.CREATED, "360103015000", (), None, "九洲街道"),
            (UnitChangeKind.RECODED, "360103101000", ("360103014000",), "桃花镇", "桃花街道"),
        ]
        assert all(c.effective == D2023 for c in changes)

    @pytest.mark.parametrize("follow_units", [True, False])
    def test_whole_province_is_deterministic(self, follow_units: bool) -> None:
        old, new = load_edition("jiangxi-2019"), load_edition("jiangxi-2023")
        first = diff_editions(old, new, effective=D2023, follow_units=follow_units)
        second = diff_editions(
            reversed(old), reversed(new), effective=D2023, follow_units=follow_units
        )
        strip = [(c.kind, c.code, c.successors, c.old_name, c.new_name) for c in first]
        assert strip == [(c.kind, c.code, c.successors, c.old_name, c.new_name) for c in second]
        assert [c.code for c in first] == sorted(c.code for c in first)
        # applying the diff to the old code set gives the new code set
        codes = {u.code for u in old}
        for change in first:
            if change.kind in (
                UnitChangeKind.ABOLISHED,
                UnitChangeKind.RECODED,
                UnitChangeKind.MERGED,
                UnitChangeKind.SPLIT,
            ):
                codes.discard(change.code)
            codes.update(change.successors)
            if change.kind is UnitChangeKind.CREATED:
                codes.add(change.code)
        assert codes == {u.code for u in new}

    def test_rename(self) -> None:
        old = [Unit.create("360103", "西湖区"), Unit.create("360103001", "南浦街道")]
        new = [Unit.create("360103", "西湖区"), Unit.create("360103001", "南浦新街道")]
        (change,) = diff_editions(old, new, effective=D2023)
        assert (change.kind, change.code, change.old_name, change.new_name) == (
            UnitChangeKind.RENAMED,
            code("360103001"),
            "南浦街道",
            "南浦新街道",
        )

    def test_reused_code(self) -> None:
        old = [Unit.create("360103", "西湖区"), Unit.create("360103101", "桃花镇")]
        new = [
            Unit.create("360103", "西湖区"),
            Unit.create("360103101", "九洲镇"),
            Unit.create("360103014", "桃花街道"),
        ]
        summary = [
            (c.kind, c.code.short, [s.short for s in c.successors], c.new_name)
            for c in diff_editions(old, new, effective=D2023)
        ]
        assert summary == [
            (UnitChangeKind.RECODED, "360103101", ["360103014"], "桃花街道"),
            (UnitChangeKind.CREATED, "360103101", [], "九洲镇"),
        ]

    def test_unrelated_rename_without_reappearance_is_a_rename(self) -> None:
        old = [Unit.create("360103101", "桃花镇")]
        new = [Unit.create("360103101", "九洲镇")]
        (change,) = diff_editions(old, new, effective=D2023)
        assert change.kind is UnitChangeKind.RENAMED

    def test_recoded_parent_carries_children(self) -> None:
        old = [Unit.create("360103", "西湖区"), Unit.create("360103101", "桃花镇")]
        new = [Unit.create("360105", "西湖区"), Unit.create("360105014", "桃花街道")]
        summary = [
            (c.kind, c.code.short, [s.short for s in c.successors])
            for c in diff_editions(old, new, effective=D2023)
        ]
        assert summary == [
            (UnitChangeKind.RECODED, "360103", ["360105"]),
            (UnitChangeKind.RECODED, "360103101", ["360105014"]),
        ]

    def test_match_needs_same_parent_without_follow_units(self) -> None:
        old = [Unit.create("360103101", "桃花镇")]
        new = [Unit.create("360104014", "桃花街道")]
        changes = diff_editions(old, new, effective=D2023, follow_units=False)
        assert [c.kind for c in changes] == [UnitChangeKind.ABOLISHED, UnitChangeKind.CREATED]

    def test_a_unit_is_followed_to_another_county_by_default(self) -> None:
        old = [Unit.create("360103101", "桃花镇")]
        new = [Unit.create("360104014", "桃花街道")]
        (change,) = diff_editions(old, new, effective=D2023)
        assert (change.kind, change.code, change.successors) == (
            UnitChangeKind.RECODED,
            code("360103101"),
            (code("360104014"),),
        )


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("桃花镇", "桃花"),
        ("桃花街道", "桃花"),
        ("桃花街道办事处", "桃花"),
        ("江北办事处", "江北"),
        ("石门畲族乡", "石门"),
        ("某某民族乡", "某某"),
        ("新村村委会", "新村"),
        ("新村社区", "新村"),
        ("南浦社区居委会", "南浦"),
        ("新村", "新村"),
        ("东乡乡", "东乡"),
        ("横镇", "横镇"),
        ("镇", "镇"),
        ("南昌经济技术开发区", "南昌经济技术开发区"),
    ],
)
def test_name_stem(name: str, stem: str) -> None:
    assert name_stem(name) == stem
