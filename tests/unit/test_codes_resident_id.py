"""Resident identity numbers (GB 11643-1999)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from stdnum.cn import ric

from minzu_core.clock import CST, FixedClock
from minzu_core.codes.resident_id import (
    Gender,
    ResidentId,
    birthplace_advisory,
    is_valid_resident_id,
    make_resident_id,
    mask_resident_id,
    normalize_resident_id,
    parse_resident_id,
    resident_id_check_character,
    resident_id_from_15,
)
from minzu_core.errors import ValidationError
from minzu_core.testing.strategies import resident_id_numbers

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def spec_check(first17: str) -> str:
    """The check character computed straight from the standard's weight table."""
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def with_check(first17: str) -> str:
    return first17 + spec_check(first17)


def x_checked(prefix: str) -> str:
    """The first 17 digits, ``prefix`` and two more, of a number whose check character is X."""
    return next(f"{prefix}{n:02d}" for n in range(100) if spec_check(f"{prefix}{n:02d}") == "X")


XIHU_1975 = with_check("36010319750612001")  # 360103 in use "since 1983" per stdnum
HONG_KONG = with_check("81000019800101002")
MACAU = with_check("82000019900505003")
TAIWAN = with_check("83000019851111004")
ORDINARY = with_check("36010319900101001")


class TestCheckCharacter:
    @pytest.mark.parametrize(
        "first17",
        ["36010319900101001", "11010519491231002", "44052418800101001", "00000000000000000"],
    )
    def test_matches_standard_table(self, first17: str) -> None:
        assert resident_id_check_character(first17) == spec_check(first17)

    def test_x(self) -> None:
        first17 = x_checked("110101199001011")
        number = first17 + "X"
        assert resident_id_check_character(first17) == "X"
        assert parse_resident_id(number.lower()).number == number

    @pytest.mark.parametrize(
        "bad", ["", "3601031990010100", "360103199001010011", "3601031990010100X"]
    )
    def test_bad_input(self, bad: str) -> None:
        with pytest.raises(ValidationError) as info:
            resident_id_check_character(bad)
        assert info.value.code == "invalid_resident_id"
        assert bad == "" or bad not in str(info.value)


class TestParse:
    def test_valid(self) -> None:
        rid = parse_resident_id(ORDINARY)
        assert isinstance(rid, ResidentId)
        assert rid.number == ORDINARY
        assert rid.birth_date == date(1990, 1, 1)
        assert rid.gender is Gender.MALE
        assert rid.address_code == "360103"
        assert is_valid_resident_id(ORDINARY)

    def test_gender_from_sequence(self) -> None:
        assert parse_resident_id(with_check("36010319900101002")).gender is Gender.FEMALE
        assert parse_resident_id(with_check("36010319900101999")).gender is Gender.MALE
        assert parse_resident_id(with_check("36010319900101000")).gender is Gender.FEMALE

    def test_normalizes(self) -> None:
        first17 = x_checked("360103198001011")
        assert parse_resident_id(f"  {first17}x\n").number == first17 + "X"

    @pytest.mark.parametrize(
        "number",
        [XIHU_1975, HONG_KONG, MACAU, TAIWAN, with_check("36010318500101001")],
        ids=["360103-born-1975", "810000-born-1980", "820000-born-1990", "830000", "born-1850"],
    )
    def test_accepts_numbers_stdnum_rejects(self, number: str) -> None:
        if not number.startswith("3601031850"):
            assert not ric.is_valid(number), "stdnum now accepts it: update the test"
        rid = parse_resident_id(number)
        assert rid.number == number
        assert is_valid_resident_id(number)

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("", "length"),
            ("36010319900101001", "length"),
            (ORDINARY + "1", "length"),
            ("3601031990010100A", "length"),
            ("36010319900101001A", "characters"),
            ("3601031990010X0011", "characters"),
            ("36010319９00101001X", "check_character"),  # normalized: 19900101001X
            ("360103 9900101001X", "length"),  # normalized: 17 characters
            ("360103-9900101001X", "characters"),
            ("360103199001010", "first_generation"),
            (ORDINARY[:17] + ("0" if ORDINARY[17] != "0" else "1"), "check_character"),
            (with_check("36010319900230001"), "birth_date"),
            (with_check("36010319901301001"), "birth_date"),
            (with_check("36010319900100001"), "birth_date"),
            (with_check("36010318491231001"), "birth_date"),
            (with_check("36010320010229001"), "birth_date"),
        ],
    )
    def test_rejected(self, text: str, reason: str) -> None:
        with pytest.raises(ValidationError) as info:
            parse_resident_id(text, field="sfz")
        error = info.value
        assert error.code.startswith("invalid_resident_id")
        assert error.field == "sfz"
        assert error.details["reason"] == reason
        assert not is_valid_resident_id(text)
        if text.strip():
            assert text.strip() not in str(error)
            assert text.strip() not in repr(error)
            assert text.strip() not in error.message_zh + error.message_en
            assert text.strip() not in str(error.to_dict())

    def test_leap_day(self) -> None:
        assert parse_resident_id(with_check("36010320000229001")).birth_date == date(2000, 2, 29)

    @pytest.mark.parametrize("value", [None, 360103199001010011, b"360103"])
    def test_wrong_type(self, value: object) -> None:
        with pytest.raises(ValidationError) as info:
            parse_resident_id(value)  # type: ignore[arg-type]
        assert info.value.details["reason"] == "type"
        assert not is_valid_resident_id(value)

    def test_default_field(self) -> None:
        with pytest.raises(ValidationError) as info:
            parse_resident_id("1")
        assert info.value.field == "id_number"


class TestNormalization:
    """GB 11643 numbers as typed: one normalizing step, used by every parse function."""

    @pytest.mark.parametrize(
        "text",
        [
            ORDINARY,
            f"  {ORDINARY}\n",
            ORDINARY.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            f"{ORDINARY[:6]} {ORDINARY[6:14]} {ORDINARY[14:]}",
            f"{ORDINARY[:6]}\u3000{ORDINARY[6:]}",
            f"{ORDINARY[:3]}\t{ORDINARY[3:]}",
        ],
        ids=["plain", "surrounding", "full-width", "inner-spaces", "ideographic-space", "tab"],
    )
    def test_accepted(self, text: str) -> None:
        assert normalize_resident_id(text) == ORDINARY
        assert parse_resident_id(text).number == ORDINARY
        assert is_valid_resident_id(text)
        assert mask_resident_id(text) == mask_resident_id(ORDINARY)

    def test_x_forms(self) -> None:
        first17 = x_checked("360103198001011")
        for x in ("x", "X", "ｘ", "Ｘ"):
            assert normalize_resident_id(first17 + x) == first17 + "X"
            assert parse_resident_id(first17 + x).number == first17 + "X"

    def test_nothing_else_changes(self) -> None:
        assert normalize_resident_id("36-01") == "36-01"
        assert normalize_resident_id("ａｂ") == "ａｂ"
        assert normalize_resident_id("") == ""


class TestFirstGeneration:
    """15-digit numbers (GB 11643-1989): address code, YYMMDD, sequence; no check character."""

    def test_conversion_by_hand(self) -> None:
        # 360103 750612 001 → 360103 19750612 001 + check; by the weight table:
        # 3*7+6*9+0+1*5+0+3*4+1*2+9*1+7*6+5*3+0+6*9+1*10+2*5+0+0+1*2 = 236, 236 mod 11 = 5 → 7
        assert spec_check("36010319750612001") == "7"
        assert resident_id_from_15("360103750612001") == "360103197506120017"
        assert resident_id_from_15(" 360103 750612 001 ") == "360103197506120017"

    def test_parse_only_when_allowed(self) -> None:
        with pytest.raises(ValidationError) as info:
            parse_resident_id("360103750612001")
        assert info.value.details["reason"] == "first_generation"
        assert not is_valid_resident_id("360103750612001")
        rid = parse_resident_id("360103750612002", allow_15=True)
        assert rid.converted_from_15
        assert rid.number == with_check("36010319750612002")
        assert (rid.birth_date, rid.gender, rid.address_code) == (
            date(1975, 6, 12),
            Gender.FEMALE,
            "360103",
        )
        assert is_valid_resident_id("360103750612002", allow_15=True)
        assert not parse_resident_id(XIHU_1975, allow_15=True).converted_from_15
        assert "750612" not in repr(rid)

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("36010375061200", "length"),
            ("36010375061200X", "characters"),
            ("360103751312001", "birth_date"),
            ("360103750230001", "birth_date"),
        ],
    )
    def test_bad(self, text: str, reason: str) -> None:
        with pytest.raises(ValidationError) as info:
            resident_id_from_15(text, field="sfz")
        assert (info.value.details["reason"], info.value.field) == (reason, "sfz")
        assert text not in str(info.value)
        with pytest.raises(ValidationError):
            parse_resident_id(text, allow_15=True)
        with pytest.raises(ValidationError):
            resident_id_from_15(None)  # type: ignore[arg-type]


class TestFutureBirthDate:
    BORN = date(2024, 3, 1)
    NUMBER = make_resident_id("360103", BORN, 11)

    def test_judged_by_the_given_day(self) -> None:
        assert parse_resident_id(self.NUMBER, today=self.BORN).birth_date == self.BORN
        with pytest.raises(ValidationError) as info:
            parse_resident_id(self.NUMBER, today=self.BORN - timedelta(days=1), field="sfz")
        assert info.value.details["reason"] == "birth_date_in_future"
        assert info.value.field == "sfz"
        assert self.NUMBER not in str(info.value)
        assert not is_valid_resident_id(self.NUMBER, today=date(2024, 2, 29))
        assert is_valid_resident_id(self.NUMBER, today=date(2024, 3, 1))

    def test_judged_by_a_clock_in_china_standard_time(self) -> None:
        # 2024-02-29 20:00 UTC is already 2024-03-01 in Beijing.
        late_utc = datetime(2024, 2, 29, 20, tzinfo=UTC)
        assert is_valid_resident_id(self.NUMBER, today=FixedClock(late_utc))
        assert is_valid_resident_id(self.NUMBER, today=late_utc)
        early = datetime(2024, 2, 29, 23, tzinfo=CST)
        assert not is_valid_resident_id(self.NUMBER, today=FixedClock(early))
        with pytest.raises(ValidationError) as info:
            parse_resident_id(self.NUMBER, today=datetime(2024, 3, 5))  # naive
        assert info.value.code == "naive_datetime"

    def test_default_is_the_system_clock(self) -> None:
        future = make_resident_id("360103", date.today() + timedelta(days=400), 11)
        assert not is_valid_resident_id(future)
        with pytest.raises(ValidationError) as info:
            parse_resident_id(future)
        assert info.value.details["reason"] == "birth_date_in_future"

    def test_converted_numbers_too(self) -> None:
        with pytest.raises(ValidationError) as info:
            parse_resident_id("360103750612001", allow_15=True, today=date(1975, 6, 11))
        assert info.value.details["reason"] == "birth_date_in_future"


class TestResidentId:
    def test_repr_and_str_are_masked(self) -> None:
        rid = parse_resident_id(XIHU_1975)
        assert repr(rid) == f"ResidentId('{XIHU_1975[:4]}**********{XIHU_1975[-4:]}')"
        assert str(rid) == rid.masked == mask_resident_id(XIHU_1975)
        for text in (repr(rid), str(rid), f"{rid}", repr([rid]), repr({"id": rid})):
            assert XIHU_1975 not in text
            assert XIHU_1975[4:14] not in text
            assert "1975" not in text

    def test_constructor_checks_consistency(self) -> None:
        ResidentId(ORDINARY, date(1990, 1, 1), Gender.MALE, "360103")
        for args in (
            (ORDINARY, date(1990, 1, 2), Gender.MALE, "360103"),
            (ORDINARY, date(1990, 1, 1), Gender.FEMALE, "360103"),
            (ORDINARY, date(1990, 1, 1), Gender.MALE, "360102"),
        ):
            with pytest.raises(ValidationError) as info:
                ResidentId(*args)
            assert info.value.details["reason"] == "inconsistent"
            assert ORDINARY not in str(info.value)

    def test_constructor_rejects_invalid_number_without_leaking(self) -> None:
        bad = ORDINARY[:17] + ("0" if ORDINARY[17] != "0" else "1")
        with pytest.raises(ValidationError) as info:
            ResidentId(bad, date(1990, 1, 1), Gender.MALE, "360103")
        assert bad not in str(info.value)

    def test_equality_and_hash(self) -> None:
        assert parse_resident_id(ORDINARY) == parse_resident_id(f" {ORDINARY} ")
        assert len({parse_resident_id(ORDINARY), parse_resident_id(ORDINARY)}) == 1


class TestGender:
    @pytest.mark.parametrize(
        ("text", "gender"),
        [
            ("男", Gender.MALE),
            ("女", Gender.FEMALE),
            ("male", Gender.MALE),
            ("FEMALE", Gender.FEMALE),
            ("M", Gender.MALE),
            ("f", Gender.FEMALE),
            (" 男 ", Gender.MALE),
            (Gender.FEMALE, Gender.FEMALE),
        ],
    )
    def test_parse(self, text: str, gender: Gender) -> None:
        assert Gender.parse(text) is gender

    @pytest.mark.parametrize("text", ["", "x", "未知", "man", None, 1])
    def test_invalid(self, text: object) -> None:
        with pytest.raises(ValidationError) as info:
            Gender.parse(text)  # type: ignore[arg-type]
        assert info.value.code == "invalid_gender"

    def test_labels(self) -> None:
        assert (Gender.MALE.label_zh, Gender.FEMALE.label_zh) == ("男", "女")
        assert (Gender.MALE.label_en, Gender.FEMALE.label_en) == ("Male", "Female")
        assert (Gender.MALE.value, Gender.FEMALE.value) == ("male", "female")


class TestMask:
    def test_mask(self) -> None:
        number = with_check("36010319900101001")
        assert mask_resident_id(number) == f"3601**********{number[-4:]}"
        assert mask_resident_id(number.lower()) == mask_resident_id(number)

    def test_example(self) -> None:
        assert mask_resident_id("360103199001010014") == "3601**********0014"

    @pytest.mark.parametrize(
        "text", ["", "3601", "36010319900101", "not an id number!!", "36010319900101001Y"]
    )
    def test_garbage_is_fully_masked(self, text: str) -> None:
        masked = mask_resident_id(text)
        assert set(masked) <= {"*"}
        assert len(masked) == len(text.strip())

    def test_non_string(self) -> None:
        assert mask_resident_id(None) == ""  # type: ignore[arg-type]


class TestMake:
    def test_round_trip(self) -> None:
        number = make_resident_id("830000", date(1950, 7, 1), 37)
        rid = parse_resident_id(number)
        assert (rid.address_code, rid.birth_date, rid.gender) == (
            "830000",
            date(1950, 7, 1),
            Gender.MALE,
        )
        assert number[14:17] == "037"

    @pytest.mark.parametrize(
        ("address", "birth", "sequence"),
        [
            ("36010", date(1990, 1, 1), 1),
            ("36010a", date(1990, 1, 1), 1),
            ("360103", date(1849, 12, 31), 1),
            ("360103", date(1990, 1, 1), -1),
            ("360103", date(1990, 1, 1), 1000),
        ],
    )
    def test_bad_parts(self, address: str, birth: date, sequence: int) -> None:
        with pytest.raises(ValidationError) as info:
            make_resident_id(address, birth, sequence)
        assert info.value.code == "invalid_resident_id"


class TestBirthplace:
    def test_known(self) -> None:
        assert birthplace_advisory(XIHU_1975) == ("江西省", "西湖区")
        assert birthplace_advisory(ORDINARY)[0] == "江西省"

    def test_unknown_is_empty(self) -> None:
        assert birthplace_advisory(TAIWAN) == ()
        assert birthplace_advisory("") == ()
        assert birthplace_advisory("abc") == ()
        assert birthplace_advisory(None) == ()  # type: ignore[arg-type]
        assert birthplace_advisory(with_check("99999919900101001")) == ()


@given(number=resident_id_numbers())
def test_the_facts_of_a_valid_number_are_those_parse_reads(number: str) -> None:
    from minzu_core.codes.resident_id import facts_of_valid_resident_id

    parsed = parse_resident_id(number)
    assert facts_of_valid_resident_id(parsed.number) == (parsed.birth_date, parsed.gender)


@pytest.mark.parametrize("text", ["", "123", "11010519491231002", "1101051949123100X1", "abc"])
def test_the_facts_reader_refuses_what_is_not_a_parsed_number(text: str) -> None:
    from minzu_core.codes.resident_id import facts_of_valid_resident_id

    with pytest.raises(ValidationError) as err:
        facts_of_valid_resident_id(text)
    assert err.value.code == "invalid_resident_id"
