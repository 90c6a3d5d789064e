"""Division codes (统计用区划代码): parsing, structure, levels, kinds, parents."""

from __future__ import annotations

import pytest

from minzu_core.codes import divisions
from minzu_core.codes.divisions import (
    URBAN_RURAL_CODES,
    DivisionCode,
    Level,
    UnitKind,
    is_valid_division_code,
    parse_division_code,
    validate_urban_rural_code,
)
from minzu_core.errors import ValidationError


class TestLevel:
    def test_depth_and_labels(self) -> None:
        assert [lv.depth for lv in Level] == [1, 2, 3, 4, 5]
        assert [lv.label_zh for lv in Level] == ["省级", "地级", "县级", "乡级", "村级"]
        assert [lv.value for lv in Level] == [
            "province",
            "prefecture",
            "county",
            "township",
            "village",
        ]
        assert all(lv.label_en for lv in Level)

    def test_total_ordering(self) -> None:
        assert Level.PROVINCE < Level.PREFECTURE < Level.COUNTY < Level.TOWNSHIP < Level.VILLAGE
        assert Level.VILLAGE > Level.TOWNSHIP
        assert Level.COUNTY <= Level.COUNTY
        assert Level.COUNTY >= Level.PREFECTURE
        assert sorted([Level.VILLAGE, Level.PROVINCE, Level.COUNTY]) == [
            Level.PROVINCE,
            Level.COUNTY,
            Level.VILLAGE,
        ]
        assert max(Level) is Level.VILLAGE

    def test_compare_with_other_types_fails(self) -> None:
        with pytest.raises(TypeError):
            _ = Level.PROVINCE < 1


class TestUnitKind:
    @pytest.mark.parametrize(
        ("text", "kind"),
        [
            ("360103001", UnitKind.SUBDISTRICT),
            ("360103099", UnitKind.SUBDISTRICT),
            ("360103100", UnitKind.TOWN),
            ("360103197", UnitKind.TOWN),
            ("360103198", UnitKind.TOWNSHIP_DIRECT_VILLAGES),
            ("360103199", UnitKind.TOWN),
            ("360103200", UnitKind.TOWNSHIP),
            ("360103399", UnitKind.TOWNSHIP),
            ("360103400", UnitKind.TOWNSHIP_LIKE),
            ("360103599", UnitKind.TOWNSHIP_LIKE),
            ("360103001001", UnitKind.COMMUNITY),
            ("360103001199", UnitKind.COMMUNITY),
            ("360103001200", UnitKind.VILLAGE),
            ("360103001399", UnitKind.VILLAGE),
            ("360103001400", UnitKind.COMMUNITY_LIKE),
            ("360103001497", UnitKind.COMMUNITY_LIKE),
            ("360103001498", UnitKind.VIRTUAL_COMMUNITY),
            ("360103001499", UnitKind.COMMUNITY_LIKE),
            ("360103001500", UnitKind.VILLAGE_LIKE),
            ("360103001597", UnitKind.VILLAGE_LIKE),
            ("360103001598", UnitKind.VIRTUAL_LIVING_AREA),
            ("360103001599", UnitKind.VILLAGE_LIKE),
        ],
    )
    def test_township_and_village_ranges(self, text: str, kind: UnitKind) -> None:
        level = Level.TOWNSHIP if len(text) == 9 else Level.VILLAGE
        code = DivisionCode.parse(text)
        assert code.kind is kind
        assert code.level is level
        assert kind.level is level

    def test_labels(self) -> None:
        assert UnitKind.SUBDISTRICT.label_zh == "街道"
        assert UnitKind.TOWN.label_zh == "镇"
        assert UnitKind.TOWNSHIP.label_zh == "乡"
        assert UnitKind.TOWNSHIP_LIKE.label_zh == "类似乡级单位"
        assert UnitKind.COMMUNITY.label_zh == "居委会"
        assert UnitKind.VILLAGE.label_zh == "村委会"
        assert UnitKind.VIRTUAL_COMMUNITY.label_zh == "虚拟社区"
        assert UnitKind.VIRTUAL_LIVING_AREA.label_zh == "虚拟生活区"
        assert all(k.label_en and k.label_zh for k in UnitKind)

    def test_upper_levels(self) -> None:
        assert DivisionCode.parse("36").kind is UnitKind.PROVINCE
        assert DivisionCode.parse("3601").kind is UnitKind.PREFECTURE
        assert DivisionCode.parse("360103").kind is UnitKind.COUNTY


class TestParse:
    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("36", "360000000000"),
            ("3601", "360100000000"),
            ("360103", "360103000000"),
            ("360103101", "360103101000"),
            ("360103101001", "360103101001"),
            ("  360103 ", "360103000000"),
            ("360103000000", "360103000000"),
            (360103, "360103000000"),
            (36, "360000000000"),
            (360103101001, "360103101001"),
        ],
    )
    def test_accepted_forms(self, text: str | int, value: str) -> None:
        code = DivisionCode.parse(text)
        assert code.value == value
        assert str(code) == value
        assert parse_division_code(text) == code
        assert is_valid_division_code(text)

    def test_parse_returns_code_unchanged(self) -> None:
        code = DivisionCode.parse("360103")
        assert DivisionCode.parse(code) is code

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("", "length"),
            ("3", "length"),
            ("360", "length"),
            ("36010", "length"),
            ("3601031", "length"),
            ("36010310", "length"),
            ("3601031010", "length"),
            ("36010310100", "length"),
            ("3601031010011", "length"),
            ("36a103", "characters"),
            ("3601-03", "characters"),
            ("３６０１０３", "characters"),
            ("000000000000", "province"),
            ("00", "province"),
            ("10", "province"),
            ("16", "province"),
            ("24", "province"),
            ("38", "province"),
            ("47", "province"),
            ("55", "province"),
            ("66", "province"),
            ("72", "province"),
            ("83", "province"),
            ("99", "province"),
            ("360003", "structure"),
            ("360000101", "structure"),
            ("360103000001", "structure"),
            ("360103600", "township_range"),
            ("360103999000", "township_range"),
            ("360103001600", "village_range"),
            ("360103001999", "village_range"),
            (-360103, "characters"),
            (3601031, "length"),
        ],
    )
    def test_rejected(self, text: str | int, reason: str) -> None:
        with pytest.raises(ValidationError) as info:
            DivisionCode.parse(text, field="unit_code")
        assert info.value.code == "invalid_division_code"
        assert info.value.field == "unit_code"
        assert info.value.details["reason"] == reason
        assert not is_valid_division_code(text)

    def test_default_field(self) -> None:
        with pytest.raises(ValidationError) as info:
            parse_division_code("x")
        assert info.value.field == "code"

    @pytest.mark.parametrize("value", [True, None, 3.6, b"360103", ["36"]])
    def test_wrong_types(self, value: object) -> None:
        with pytest.raises(ValidationError) as info:
            DivisionCode.parse(value)  # type: ignore[arg-type]
        assert info.value.details["reason"] == "type"
        assert not is_valid_division_code(value)

    def test_constructor_needs_twelve_digits(self) -> None:
        assert DivisionCode("360103000000").level is Level.COUNTY
        with pytest.raises(ValidationError) as info:
            DivisionCode("360103")
        assert info.value.code == "invalid_division_code"
        with pytest.raises(ValidationError):
            DivisionCode(360103000000)  # type: ignore[arg-type]

    def test_all_known_provinces(self) -> None:
        expected = {"11", "12", "13", "14", "15", "21", "22", "23"}
        expected |= {"31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45"}
        expected |= {"46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"}
        expected |= {"71", "81", "82"}
        assert expected == divisions.PROVINCE_PREFIXES
        for prefix in expected:
            assert DivisionCode.parse(prefix).level is Level.PROVINCE


class TestStructure:
    def test_levels(self) -> None:
        assert DivisionCode.parse("36").level is Level.PROVINCE
        assert DivisionCode.parse("3601").level is Level.PREFECTURE
        assert DivisionCode.parse("360103").level is Level.COUNTY
        assert DivisionCode.parse("360103101").level is Level.TOWNSHIP
        assert DivisionCode.parse("360103101201").level is Level.VILLAGE

    def test_short(self) -> None:
        assert DivisionCode.parse("36").short == "36"
        assert DivisionCode.parse("3601").short == "3601"
        assert DivisionCode.parse("360103").short == "360103"
        assert DivisionCode.parse("360103101").short == "360103101"
        assert DivisionCode.parse("360103101201").short == "360103101201"
        assert DivisionCode.parse("441900003").short == "441900003"

    def test_parent_chain(self) -> None:
        village = DivisionCode.parse("360103101201")
        assert village.parent == DivisionCode.parse("360103101")
        assert [a.value for a in village.ancestors()] == [
            "360103101000",
            "360103000000",
            "360100000000",
            "360000000000",
        ]
        assert DivisionCode.parse("36").parent is None
        assert DivisionCode.parse("36").ancestors() == ()

    @pytest.mark.parametrize("prefecture", ["4419", "4420", "4604"])
    def test_township_directly_under_prefecture(self, prefecture: str) -> None:
        township = DivisionCode.parse(f"{prefecture}00003")
        assert township.value == f"{prefecture}00003000"
        assert township.level is Level.TOWNSHIP
        assert township.kind is UnitKind.SUBDISTRICT
        assert township.parent == DivisionCode.parse(prefecture)
        assert township.parent is not None and township.parent.level is Level.PREFECTURE
        assert [a.value for a in township.ancestors()] == [
            f"{prefecture}00000000",
            f"{prefecture[:2]}0000000000",
        ]
        village = DivisionCode.parse(f"{prefecture}00003001")
        assert village.parent == township
        assert DivisionCode.parse(prefecture).is_ancestor_of(village)

    def test_dongguan_example(self) -> None:
        code = DivisionCode.parse("441900003000")
        assert code.parent == DivisionCode.parse("441900000000")
        assert code.value.startswith(DivisionCode.parse("441900").short)

    def test_ancestry(self) -> None:
        county = DivisionCode.parse("360103")
        township = DivisionCode.parse("360103014")
        other = DivisionCode.parse("360104001")
        assert county.is_ancestor_of(township)
        assert not township.is_ancestor_of(county)
        assert not county.is_ancestor_of(county)
        assert county.contains(county)
        assert county.contains(township)
        assert not county.contains(other)
        assert DivisionCode.parse("36").contains(other)
        assert not DivisionCode.parse("3601").contains(DivisionCode.parse("3602"))

    def test_order_and_hash(self) -> None:
        a, b = DivisionCode.parse("360103"), DivisionCode.parse("360104")
        assert a < b
        assert sorted([b, a]) == [a, b]
        assert {a, DivisionCode.parse("360103000000")} == {a}


class TestUrbanRural:
    def test_table(self) -> None:
        assert list(URBAN_RURAL_CODES) == ["111", "112", "121", "122", "123", "210", "220"]
        assert URBAN_RURAL_CODES["111"][0] == "主城区"
        assert URBAN_RURAL_CODES["220"][0] == "村庄"
        assert all(zh and en for zh, en in URBAN_RURAL_CODES.values())

    def test_validate(self) -> None:
        assert validate_urban_rural_code(" 111 ") == "111"
        assert validate_urban_rural_code(220) == "220"

    @pytest.mark.parametrize("bad", ["", "113", "200", "11", "abc", True, None])
    def test_invalid(self, bad: object) -> None:
        with pytest.raises(ValidationError) as info:
            validate_urban_rural_code(bad, field="urc")  # type: ignore[arg-type]
        assert info.value.code == "invalid_urban_rural_code"
        assert info.value.field == "urc"
