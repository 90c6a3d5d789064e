"""Cell parsers of the 台账 import (minzu_core.interchange.cells).

Expected values come from the standards' own text: GB 11643-1999 (its example numbers
11010519491231002X and 440524188001010014; the first-generation form of GB 11643-1989 is the
same number without the century and check character), GB/T 2261.1-2003 (性别代码 0/1/2/9), GB/T
3304-1991 (01 汉族, 03 回族, 05 维吾尔族), GB 32100-2015 (its example 91350100M000100Y43) and
Microsoft's description of the 1900 date system (serial 1 is 1900-01-01, serial 39448 is
2008-01-01, 1900 is wrongly treated as a leap year).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minzu_core.codes.divisions import PROVINCE_PREFIXES, DivisionCode
from minzu_core.codes.resident_id import Gender, make_resident_id, resident_id_check_character
from minzu_core.errors import ValidationError
from minzu_core.interchange import cells
from minzu_core.interchange.cells import (
    COLUMN_KEYS,
    PARSERS,
    CellDate,
    CommunityRef,
    DatePrecision,
    parse_community,
    parse_date,
    parse_ethnicity_cell,
    parse_gender_cell,
    parse_household_code,
    parse_id_number,
    parse_language,
    parse_migration_reason,
    parse_name,
    parse_note,
    parse_phone_cell,
    parse_row,
    parse_status,
    parse_text,
    parse_uscc_cell,
)
from minzu_core.ledger.model import LanguageProficiency, MigrationReason, ResidenceStatus

TODAY = dt.date(2024, 6, 30)
# GB 11643-1999's examples
GB_EXAMPLE_F = "11010519491231002X"  # 北京市朝阳区, 1949-12-31, sequence 002 (female)
GB_EXAMPLE_M = "440524188001010014"  # 广东省汕头市潮阳县, 1880-01-01, sequence 001 (male)
# GB 32100-2015's example
USCC_EXAMPLE = "91350100M000100Y43"
FULL_WIDTH = str.maketrans({str(i): chr(0xFF10 + i) for i in range(10)})


#: Only what a ledger record needs (the tests of single cells leave the residence out).
PERSON_ONLY = frozenset({"name", "ethnicity"})


def error_of(call, *args, **kwargs) -> ValidationError:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        call(*args, **kwargs)
    return info.value


# -- registry ---------------------------------------------------------------------------------


def test_registry_covers_every_template_column_in_order() -> None:
    assert tuple(PARSERS) == COLUMN_KEYS
    assert len(COLUMN_KEYS) == 20
    assert COLUMN_KEYS[:5] == ("seq", "name", "gender", "ethnicity", "id_number")


@pytest.mark.parametrize("key", COLUMN_KEYS)
def test_every_parser_maps_blank_to_none_and_names_its_column(key: str) -> None:
    parser = PARSERS[key]
    for blank in (None, "", "   ", "\u3000", float("nan")):
        assert parser(blank, row=2, today=TODAY) is None
    error = error_of(parser, "#N/A", row=7, today=TODAY)
    assert (error.code, error.field, error.row) == ("excel_error", key, 7)
    error = error_of(parser, True, row=8, today=TODAY)
    assert (error.code, error.field, error.row) == ("invalid_type", key, 8)


# -- text -------------------------------------------------------------------------------------


def test_text_cells_fold_width_and_collapse_whitespace() -> None:
    assert parse_text("  南昌市　红谷滩区\n丰和中大道１２号（Ａ栋） ", key="address") == (
        "南昌市 红谷滩区 丰和中大道12号(A栋)"
    )
    assert parse_text(101.0, key="address") == "101"
    assert parse_text(12, key="occupation") == "12"


def test_text_keeps_what_nfkc_would_change_beyond_width() -> None:
    # NFKC would turn ① into 1 and ㎡ into m2; width folding leaves them
    assert parse_text("①号楼 ３０㎡", key="address") == "①号楼 30㎡"


def test_note_keeps_line_breaks() -> None:
    assert parse_note(" 第一行  \r\n第二行\r第三行 ") == "第一行\n第二行\n第三行"


def test_text_refuses_characters_no_store_keeps() -> None:
    error = error_of(parse_text, "a\x00b", key="address", row=3)
    assert (error.code, error.field, error.row) == ("invalid_text", "address", 3)


def test_names_fold_width_only_and_collapse_whitespace() -> None:
    assert parse_name("张　三") == "张三"  # padded to line up with three-character names
    assert parse_name(" 欧阳  娜娜 ") == "欧阳娜娜"
    assert parse_name("买买提 • 艾力") == "买买提·艾力"
    assert parse_name("阿依古丽．吐尔逊") == "阿依古丽·吐尔逊"
    assert parse_name("古丽・热依木") == "古丽·热依木"
    assert parse_name("Ｊｏｈｎ   Ｓｍｉｔｈ") == "John Smith"
    assert parse_name("J. Smith") == "J. Smith"  # no Chinese: a full stop stays a full stop
    # a CJK compatibility ideograph is kept (NFKC would replace U+F900 with U+8C48)
    assert parse_name("\uf900明") == "\uf900明"


@given(st.lists(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=4))
def test_property_spaces_inside_chinese_names_vanish(chars: list[str]) -> None:
    name = "".join(chars)
    spaced = "\u3000".join(chars[:2]) + " ".join(chars[2:])
    assert parse_name(f" {spaced} ") == name


# -- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        dt.datetime(2019, 3, 1),
        dt.datetime(2019, 3, 1, 8, 30),
        dt.date(2019, 3, 1),
        43525,
        43525.0,
        43525.75,
        "43525",
        "2019-03-01",
        "2019/3/1",
        "2019/03/01",
        "2019.3.1",
        "2019年3月1日",
        "2019年3月1号",
        "2019 年 3 月 1 日",
        "20190301",
        20190301,
        "２０１９－０３－０１",
        "２０１９年３月１日",
        "２０１９０３０１",
        "2019-03-01 00:00:00",
        " 2019-03-01T00:00 ",
    ],
)
def test_accepted_day_forms(cell: object) -> None:
    assert parse_date(cell, key="arrival") == CellDate(dt.date(2019, 3, 1), DatePrecision.DAY)


@pytest.mark.parametrize(
    "cell", ["201903", 201903, "2019-03", "2019/3", "2019年3月", "２０１９０３"]
)
def test_month_only_forms_are_the_first_with_month_precision(cell: object) -> None:
    parsed = parse_date(cell, key="arrival")
    assert parsed == CellDate(dt.date(2019, 3, 1), DatePrecision.MONTH)
    assert parsed is not None and not parsed.day_given


def test_excel_serials_of_the_1900_date_system() -> None:
    def day(serial: object) -> dt.date:
        parsed = parse_date(serial, key="arrival")
        assert parsed is not None
        return parsed.value

    assert day(1) == dt.date(1900, 1, 1)
    assert day(39448) == dt.date(2008, 1, 1)
    assert day(59) == dt.date(1900, 2, 28)
    assert day(61) == dt.date(1900, 3, 1)  # after the phantom 29 February
    assert cells.excel_serial_to_date(39448.5) == dt.date(2008, 1, 1)
    assert day(cells._MAX_SERIAL) == dt.date(2099, 12, 31)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        (60, "excel_phantom_day"),
        (0, "excel_serial"),
        (-5, "excel_serial"),
        (80000, "excel_serial"),
        (2019, "ambiguous_number"),
        (2019.3, "ambiguous_number"),  # 2019.3 typed, Excel made it a number
        ("2019", "ambiguous_number"),
        ("2019-02-29", "impossible"),
        ("2019-02-30", "impossible"),
        ("2019/13/1", "impossible"),
        ("20190431", "impossible"),
        ("201913", "impossible"),
        ("2019年0月1日", "impossible"),
        ("1849-12-31", "out_of_range"),
        ("2100-01-01", "out_of_range"),
        ("1900-00-00", "impossible"),
        ("2019-03/01", "format"),  # mixed separators
        ("19-3-1", "format"),  # two-digit year
        ("3/1/2019", "format"),  # month-first: ambiguous
        ("1234567", "format"),
        ("明天", "format"),
        (dt.time(8, 30), "time"),
    ],
)
def test_refused_dates_say_why(cell: object, reason: str) -> None:
    error = error_of(parse_date, cell, key="departure", row=9)
    assert (error.code, error.field, error.row) == ("invalid_date", "departure", 9)
    assert error.details["reason"] == reason
    assert error.message_zh.startswith("日期无效") and error.message_en.startswith("invalid date")


def test_leap_day_exists_in_leap_years() -> None:
    assert parse_date("2020-02-29", key="arrival") == CellDate(dt.date(2020, 2, 29))
    assert parse_date("2000/2/29", key="arrival") == CellDate(dt.date(2000, 2, 29))


def test_birth_date_may_not_be_after_today_but_arrival_may() -> None:
    assert PARSERS["birth_date"]("2024-06-30", today=TODAY) == CellDate(TODAY)
    error = error_of(PARSERS["birth_date"], "2024-07-01", row=4, today=TODAY)
    assert (error.field, error.details["reason"]) == ("birth_date", "in_future")
    assert PARSERS["arrival"]("2024-07-01", today=TODAY) == CellDate(dt.date(2024, 7, 1))


def test_aware_datetime_is_read_in_china_time() -> None:
    late = dt.datetime(2019, 2, 28, 20, 0, tzinfo=dt.UTC)  # 2019-03-01 04:00 in Beijing
    assert parse_date(late, key="arrival") == CellDate(dt.date(2019, 3, 1))


_dates = st.dates(min_value=dt.date(1850, 1, 1), max_value=dt.date(2099, 12, 31))


def _written(day: dt.date) -> list[object]:
    y, m, d = day.year, day.month, day.day
    texts = [
        day.isoformat(),
        f"{y}/{m}/{d}",
        f"{y}/{m:02d}/{d:02d}",
        f"{y}.{m}.{d}",
        f"{y}年{m}月{d}日",
        f"{y}{m:02d}{d:02d}",
        f"{day.isoformat()} 00:00:00",
    ]
    return [
        *texts,
        *(t.translate(FULL_WIDTH) for t in texts),
        int(f"{y}{m:02d}{d:02d}"),
        day,
        dt.datetime(y, m, d, 13, 5),
    ]


@given(_dates)
def test_property_every_accepted_form_parses_back_to_the_day(day: dt.date) -> None:
    for cell in _written(day):
        assert parse_date(cell, key="birth_date") == CellDate(day, DatePrecision.DAY), cell


@given(_dates)
def test_property_month_forms_give_the_first_of_the_month(day: dt.date) -> None:
    first = dt.date(day.year, day.month, 1)
    for cell in (
        f"{day.year}{day.month:02d}",
        f"{day.year}-{day.month:02d}",
        f"{day.year}年{day.month}月",
    ):
        assert parse_date(cell, key="arrival") == CellDate(first, DatePrecision.MONTH)


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2099, 12, 31)))
def test_property_serials_count_days_from_microsofts_anchor(day: dt.date) -> None:
    serial = 39448 + (day - dt.date(2008, 1, 1)).days  # 39448 is 2008-01-01
    if 1850 <= serial <= 2100:  # refused as a likely year
        assert error_of(parse_date, serial, key="arrival").details["reason"] == "ambiguous_number"
    else:
        assert parse_date(serial, key="arrival") == CellDate(day)
        assert parse_date(float(serial) + 0.25, key="arrival") == CellDate(day)


@given(st.integers(1850, 2099), st.integers(1, 12), st.integers(29, 31))
def test_property_days_past_the_month_end_are_impossible(year: int, month: int, day: int) -> None:
    try:
        dt.date(year, month, day)
    except ValueError:
        for cell in (
            f"{year}-{month:02d}-{day}",
            f"{year}年{month}月{day}日",
            f"{year}{month:02d}{day}",
        ):
            assert error_of(parse_date, cell, key="arrival").details["reason"] == "impossible"


# -- ID numbers -------------------------------------------------------------------------------


def test_the_standards_examples_parse() -> None:
    female = parse_id_number(GB_EXAMPLE_F, today=TODAY)
    assert female is not None
    assert female.number == GB_EXAMPLE_F and female.gender is Gender.FEMALE
    assert female.birth_date == dt.date(1949, 12, 31) and not female.converted_from_15
    male = parse_id_number(GB_EXAMPLE_M, today=TODAY)
    assert male is not None and male.gender is Gender.MALE
    assert male.birth_date == dt.date(1880, 1, 1)


@pytest.mark.parametrize(
    "cell",
    [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        "110105 19491231 002X",
        " 110105\u300019491231\u3000002X ",
        "'11010519491231002X",
        "\t11010519491231002X",
    ],
)
def test_id_number_spellings(cell: str) -> None:
    parsed = parse_id_number(cell, today=TODAY)
    assert parsed is not None and parsed.number == GB_EXAMPLE_F


def test_first_generation_number_is_converted_and_says_so() -> None:
    parsed = parse_id_number("110105491231002", today=TODAY)
    assert parsed is not None
    assert parsed.number == GB_EXAMPLE_F and parsed.converted_from_15
    assert parse_id_number("１１０１０５４９１２３１００２", today=TODAY) == parsed


@pytest.mark.parametrize(
    "cell",
    [
        6.53101e17,
        653101198001010012,
        110105491231002,  # even a 15-digit number cell: typed as a number, refused
        "6.53101E+17",
        "6.53101e17",
        "6.53101E17",
        "６．５３１０１Ｅ＋１７",
        "653101198001010000.0",
        "1.10105194912310E+17",
    ],
)
def test_id_number_typed_as_a_number_is_refused(cell: object) -> None:
    error = error_of(parse_id_number, cell, row=12, today=TODAY)
    assert (error.code, error.field, error.row) == ("id_number_as_number", "id_number", 12)
    assert "Excel" in error.message_zh and "Excel" in error.message_en


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("110105194912310021", "check_character"),
        ("11010519491231002", "length"),
        ("11010519491331002" + resident_id_check_character("11010519491331002"), "birth_date"),
        ("1101051949123100ZX", "characters"),
        ("110105491331002", "birth_date"),  # first generation, month 13
    ],
)
def test_invalid_id_numbers_carry_the_librarys_reason(cell: str, reason: str) -> None:
    error = error_of(parse_id_number, cell, row=5, today=TODAY)
    assert (error.code, error.field, error.row) == ("invalid_resident_id", "id_number", 5)
    assert error.details["reason"] == reason
    assert cell[:6] not in str(error)  # no personal data in the message


def test_id_birth_date_not_after_injected_today() -> None:
    number = make_resident_id("360102", dt.date(2024, 7, 1), 11)
    assert parse_id_number(number, today=dt.date(2024, 7, 1)) is not None
    error = error_of(PARSERS["id_number"], number, row=3, today=TODAY)
    assert error.details["reason"] == "birth_date_in_future"


_valid_ids = st.builds(
    make_resident_id,
    st.sampled_from(sorted(PROVINCE_PREFIXES)).map(lambda p: p + "0102"),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    st.integers(0, 999),
)


@given(_valid_ids, st.data())
def test_property_spellings_of_a_valid_number_parse_to_it(number: str, data: st.DataObject) -> None:
    spelled = number.translate(FULL_WIDTH) if data.draw(st.booleans()) else number
    spelled = spelled.replace("X", data.draw(st.sampled_from(["X", "x", "ｘ", "Ｘ"])))
    cut = data.draw(st.integers(1, 17))
    spelled = spelled[:cut] + data.draw(st.sampled_from([" ", "\u3000", "  "])) + spelled[cut:]
    parsed = parse_id_number(spelled, today=TODAY)
    assert parsed is not None and parsed.number == number


@given(_valid_ids)
def test_property_an_18_digit_number_as_a_number_is_always_refused(number: str) -> None:
    digits = number.replace("X", "0")
    for cell in (float(digits), int(digits), f"{float(digits):.5E}", repr(float(digits))):
        assert error_of(parse_id_number, cell, today=TODAY).code == "id_number_as_number"


# -- vocabularies and codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("01", "01"),
        ("1", "01"),
        (1, "01"),
        (5.0, "05"),
        ("05", "05"),
        ("０５", "05"),
        ("回", "03"),
        ("回族", "03"),
        (" 回 族 ", "03"),
        ("维吾尔族", "05"),
        ("维吾尔", "05"),
        ("汉族", "01"),
    ],
)
def test_ethnicity_as_code_or_name(cell: object, code: str) -> None:
    assert parse_ethnicity_cell(cell) == code


@pytest.mark.parametrize("cell", ["火星族", "57", 99, "穿青人"])
def test_unknown_ethnicity(cell: object) -> None:
    error = error_of(parse_ethnicity_cell, cell, row=2)
    assert (error.code, error.field, error.row) == ("unknown_ethnicity", "ethnicity", 2)


def test_fractional_ethnicity_number() -> None:
    assert error_of(parse_ethnicity_cell, 3.5).code == "invalid_code"


@pytest.mark.parametrize(
    ("cell", "gender"),
    [
        ("男", Gender.MALE),
        ("女", Gender.FEMALE),
        ("男性", Gender.MALE),
        ("女性", Gender.FEMALE),
        (" 女 ", Gender.FEMALE),
        ("M", Gender.MALE),
        ("f", Gender.FEMALE),
        ("1", Gender.MALE),  # GB/T 2261.1: 1 男性
        (2, Gender.FEMALE),  # GB/T 2261.1: 2 女性
        ("２", Gender.FEMALE),
        ("0", None),  # 未知的性别
        ("9", None),  # 未说明的性别
        ("未说明的性别", None),
    ],
)
def test_gender_forms(cell: object, gender: Gender | None) -> None:
    assert parse_gender_cell(cell) is gender


@pytest.mark.parametrize("cell", ["3", "男女", "unknown", 1.5])
def test_bad_gender(cell: object) -> None:
    assert error_of(parse_gender_cell, cell).field == "gender"


def test_vocabularies_through_their_enums() -> None:
    assert parse_status("流动") is ResidenceStatus.FLOATING
    assert parse_status("常住") is ResidenceStatus.RESIDENT
    assert parse_status("流动人口") is ResidenceStatus.FLOATING
    assert parse_status("Floating") is ResidenceStatus.FLOATING
    assert parse_status("ｒｅｓｉｄｅｎｔ") is ResidenceStatus.RESIDENT
    assert parse_migration_reason("务工") is MigrationReason.WORK
    assert parse_migration_reason("随迁") is MigrationReason.FAMILY
    assert parse_migration_reason("accompanying family") is MigrationReason.FAMILY
    assert parse_language("基本 掌握") is LanguageProficiency.BASIC
    assert parse_language("熟练掌握") is LanguageProficiency.FLUENT
    assert parse_language("none") is LanguageProficiency.NONE
    for parse, key in ((parse_status, "status"), (parse_migration_reason, "reason")):
        error = error_of(parse, "暂住", row=3)
        assert (error.code, error.field, error.row) == ("invalid_choice", key, 3)
    assert error_of(parse_language, 3).code == "invalid_type"


@pytest.mark.parametrize(
    ("cell", "phone"),
    [
        ("13800138000", "13800138000"),
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),
        ("１３８ ００１３ ８０００", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("＋８６１３８００１３８０００", "13800138000"),
        ("0791-86123456", "0791-86123456"),
        ("（０７９１）８６１２３４５６", "0791-86123456"),
    ],
)
def test_phone_forms(cell: object, phone: str) -> None:
    assert parse_phone_cell(cell) == phone


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("1.38001E+10", "scientific_notation"),
        (791861234, "invalid_phone"),  # a landline as a number lost its 0
        ("12345", "invalid_phone"),
        ("13800138000, 13900139000", "invalid_phone"),
    ],
)
def test_bad_phones(cell: object, code: str) -> None:
    error = error_of(parse_phone_cell, cell, row=6)
    assert (error.code, error.field, error.row) == (code, "phone", 6)


def test_household_code() -> None:
    assert parse_household_code("360102") == DivisionCode("360102000000")
    assert parse_household_code(360102) == DivisionCode("360102000000")
    assert parse_household_code("３６０１０２００１００１") == DivisionCode("360102001001")
    assert parse_household_code("360102001") == DivisionCode("360102001000")
    assert error_of(parse_household_code, "36").code == "division_too_coarse"
    assert error_of(parse_household_code, "3601").code == "division_too_coarse"
    error = error_of(parse_household_code, "3601020", row=2)
    assert (error.code, error.field, error.row) == ("invalid_division_code", "household_code", 2)
    assert error_of(parse_household_code, "990102").details["reason"] == "province"
    assert error_of(parse_household_code, "3.60102E+11").code == "scientific_notation"
    assert error_of(parse_household_code, 360102.5).code == "invalid_code"


def test_community_by_code_or_name() -> None:
    by_code = parse_community("360102001001")
    assert by_code == CommunityRef(code=DivisionCode("360102001001")) and by_code.by_code
    assert parse_community(360102001001) == by_code
    assert parse_community(" ３６０１０２００１００１ ") == by_code
    by_name = parse_community(" 红谷滩 社区 ")
    assert by_name == CommunityRef(name="红谷滩社区") and not by_name.by_code
    error = error_of(parse_community, "360102001999", row=3)
    assert (error.code, error.field, error.row) == ("invalid_division_code", "community", 3)
    with pytest.raises(ValidationError):
        CommunityRef()


def test_uscc() -> None:
    assert parse_uscc_cell(USCC_EXAMPLE) == USCC_EXAMPLE
    assert parse_uscc_cell("９１３５０１００ｍ０００１００ｙ４３") == USCC_EXAMPLE
    assert parse_uscc_cell("91350100-M000100Y4 3") == USCC_EXAMPLE
    error = error_of(parse_uscc_cell, "91350100M000100Y44", row=4)
    assert (error.code, error.field, error.row) == ("invalid_uscc", "employer_uscc", 4)
    assert error.details["reason"] == "checksum"
    assert error_of(parse_uscc_cell, 913501001234567890).code == "code_as_number"


# -- rows -------------------------------------------------------------------------------------


def test_parse_row_gives_the_domains_values_and_the_notices() -> None:
    parsed = parse_row(
        {
            "seq": 1.0,
            "name": "阿依古丽 · 吐尔逊",
            "gender": "女",
            "ethnicity": "维吾尔",
            "id_number": "110105491231002",
            "birth_date": dt.datetime(1949, 12, 31),
            "phone": "＋８６ 138-0013-8000",
            "household_address": "北京市朝阳区",
            "household_code": "110105",
            "community": "红谷滩社区",
            "address": "丰和中大道12号",
            "status": "流动",
            "arrival": "201903",
            "departure": None,
            "reason": "务工",
            "occupation": "餐饮",
            "employer": "某某牛肉面馆",
            "employer_uscc": USCC_EXAMPLE,
            "language": "基本掌握",
            "note": "",
        },
        row=5,
        today=TODAY,
        required=PERSON_ONLY,
    )
    assert parsed.ok and not parsed.blank
    values = parsed.values
    assert values["seq"] == "1" and values["name"] == "阿依古丽·吐尔逊"
    assert values["ethnicity"] == "05" and values["gender"] is Gender.FEMALE
    assert values["id_number"].number == GB_EXAMPLE_F
    assert values["birth_date"] == CellDate(dt.date(1949, 12, 31))
    assert values["arrival"] == CellDate(dt.date(2019, 3, 1), DatePrecision.MONTH)
    assert values["household_code"] == DivisionCode("110105000000")
    assert values["community"] == CommunityRef(name="红谷滩社区")
    assert values["departure"] is None and values["note"] is None
    assert [(n.key, n.code, n.row) for n in parsed.notices] == [
        ("id_number", "id_number_converted_from_15", 5),
        ("arrival", "date_month_only", 5),
    ]
    # no personal data in the repr
    assert "110105" not in repr(parsed) and "阿依古丽" not in repr(parsed)


def test_parse_row_collects_every_cell_error_in_column_order() -> None:
    parsed = parse_row(
        {
            "name": "  ",
            "gender": "3",
            "ethnicity": "火星",
            "id_number": 6.53101e17,
            "birth_date": "2019-02-30",
            "phone": "12345",
            "household_code": "36",
            "status": "暂住",
            "arrival": "#VALUE!",
            "employer_uscc": "91350100M000100Y44",
            "address": "南昌",
        },
        row=11,
        today=TODAY,
        required=PERSON_ONLY,
    )
    assert not parsed.ok
    assert [(e.key, e.code) for e in parsed.errors] == [
        ("name", "required"),
        ("gender", "invalid_gender"),
        ("ethnicity", "unknown_ethnicity"),
        ("id_number", "id_number_as_number"),
        ("birth_date", "invalid_date"),
        ("phone", "invalid_phone"),
        ("household_code", "division_too_coarse"),
        ("status", "invalid_choice"),
        ("arrival", "excel_error"),
        ("employer_uscc", "invalid_uscc"),
    ]
    assert all(e.row == 11 and e.message_zh and e.message_en for e in parsed.errors)
    assert parsed.errors[4].details == {"reason": "impossible"}
    assert set(parsed.values) == set(COLUMN_KEYS) - {e.key for e in parsed.errors}
    assert parsed.values["address"] == "南昌"


def test_required_columns() -> None:
    parsed = parse_row({"name": "张三"}, row=2, today=TODAY)
    required = [(e.key, e.code) for e in parsed.errors]
    assert required == [
        (key, "required") for key in ("ethnicity", "community", "status", "arrival")
    ]  # the template's required columns, in column order
    assert parse_row({"name": "张三"}, row=2, today=TODAY, required=PERSON_ONLY).errors[0].key == (
        "ethnicity"
    )
    relaxed = parse_row({"name": "张三"}, row=2, today=TODAY, required=frozenset())
    assert relaxed.ok


def test_blank_row_is_blank_not_an_error() -> None:
    parsed = parse_row({"name": " ", "note": None, "seq": ""}, row=3, today=TODAY)
    assert parsed.blank and parsed.ok
    assert parse_row({}, row=4, today=TODAY).blank


def test_unknown_column_key_is_refused() -> None:
    error = error_of(parse_row, {"name": "张三", "shoe_size": 42}, row=2, today=TODAY)
    assert (error.code, error.field, error.details["keys"]) == (
        "unknown_column",
        "shoe_size",
        ["shoe_size"],
    )


def test_region_notice_for_an_unknown_province_prefix() -> None:
    number = make_resident_id("990102", dt.date(1990, 1, 1), 11)
    parsed = parse_row(
        {"name": "张三", "ethnicity": "01", "id_number": number},
        row=2,
        today=TODAY,
        required=PERSON_ONLY,
    )
    assert parsed.ok
    assert [n.code for n in parsed.notices] == ["id_number_region_unknown"]
    taiwan = make_resident_id("830000", dt.date(1990, 1, 1), 11)  # residence permit
    assert not parse_row(
        {"name": "张三", "ethnicity": "01", "id_number": taiwan},
        row=2,
        today=TODAY,
        required=PERSON_ONLY,
    ).notices


def test_error_messages_never_show_the_cell() -> None:
    number = "11010519491231002Y"
    parsed = parse_row(
        {"name": "张三丰", "ethnicity": "01", "id_number": number, "phone": "1380013800"},
        row=2,
        today=TODAY,
        required=PERSON_ONLY,
    )
    text = " ".join(f"{e.message_zh} {e.message_en} {e.details}" for e in parsed.errors)
    assert len(parsed.errors) == 2
    assert "11010519" not in text and "1380013800" not in text and "张三丰" not in text
