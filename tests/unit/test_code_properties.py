"""Property tests of the code standards (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import ric

from minzu_core.codes import resident_id as resident_ids
from minzu_core.codes.divisions import DivisionCode, Level, is_valid_division_code
from minzu_core.codes.ethnicity import get_ethnicity
from minzu_core.codes.masking import mask_name
from minzu_core.codes.phone import mask_phone, parse_phone
from minzu_core.errors import ValidationError
from minzu_core.hierarchy import Hierarchy, Unit
from minzu_core.testing import strategies as ms

#: GB 11643-1999 §8.2: weights Wi = 2^(i-1) mod 11 for positions 17 … 1, and the check
#: characters for the remainders 0 … 10.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECKS = "10X98765432"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@given(st.text("0123456789", min_size=17, max_size=17))
def test_id_check_character_is_iso_7064_mod_11_2(first17: str) -> None:
    assert tuple(pow(2, 17 - i, 11) for i in range(17)) == ID_WEIGHTS
    expected = ID_CHECKS[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]
    assert resident_ids.resident_id_check_character(first17) == expected
    # MOD 11-2: the weighted sum including the check character (X = 10, weight 1) is 1 mod 11
    value = 10 if expected == "X" else int(expected)
    assert (sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) + value) % 11 == 1


@given(ms.resident_id_numbers(), st.integers(0, 16))
def test_id_adjacent_transpositions_are_rejected(number: str, index: int) -> None:
    assume(number[index] != number[index + 1])
    swapped = number[:index] + number[index + 1] + number[index] + number[index + 2 :]
    assert not resident_ids.is_valid_resident_id(swapped)


@given(ms.resident_id_numbers(), st.data())
def test_normalization_is_the_same_for_every_form(number: str, data: st.DataObject) -> None:
    spaces = data.draw(st.lists(st.sampled_from([" ", "\t", "\u3000", "\n"]), max_size=3))
    cuts = sorted(data.draw(st.lists(st.integers(0, 18), min_size=len(spaces))))
    typed = number.translate(FULL_WIDTH) if data.draw(st.booleans()) else number.lower()
    for cut, space in zip(reversed(cuts), spaces, strict=False):
        typed = typed[:cut] + space + typed[cut:]
    assert resident_ids.normalize_resident_id(typed) == number
    assert resident_ids.parse_resident_id(typed).number == number
    assert resident_ids.is_valid_resident_id(typed)


@given(
    st.text("0123456789", min_size=6, max_size=6),
    st.dates(date(1900, 1, 1), date(1999, 12, 31)),
    st.integers(0, 999),
)
def test_first_generation_conversion(address: str, birth: date, sequence: int) -> None:
    fifteen = f"{address}{birth:%y%m%d}{sequence:03d}"
    converted = resident_ids.resident_id_from_15(fifteen)
    assert converted == resident_ids.make_resident_id(address, birth, sequence)
    assert converted[:6] + converted[8:17] == fifteen
    rid = resident_ids.parse_resident_id(fifteen, allow_15=True)
    assert (rid.number, rid.birth_date, rid.converted_from_15) == (converted, birth, True)
    assert rid.gender is resident_ids.parse_resident_id(converted).gender
    assert not resident_ids.is_valid_resident_id(fifteen)


@given(ms.resident_id_numbers(), st.integers(-3, 3))
def test_future_birth_dates_are_invalid(number: str, shift: int) -> None:
    birth = resident_ids.parse_resident_id(number).birth_date
    today = birth + timedelta(days=shift)
    assert resident_ids.is_valid_resident_id(number, today=today) == (shift >= 0)


@given(ms.resident_id_numbers())
def test_generated_ids_validate(number: str) -> None:
    rid = resident_ids.parse_resident_id(number)
    assert rid.number == number
    assert rid.address_code == number[:6]
    assert 1900 <= rid.birth_date.year <= 2020
    assert resident_ids.make_resident_id(number[:6], rid.birth_date, int(number[14:17])) == number


@given(ms.resident_id_numbers(min_year=1850, max_year=1982).filter(lambda n: n[:6] == "360103"))
def test_ids_stdnum_rejects_are_accepted(number: str) -> None:
    assert not ric.is_valid(number)
    assert resident_ids.is_valid_resident_id(number)


@given(
    st.sampled_from(["830000", "810000", "820000"]),
    st.dates(date(1850, 1, 1), date(1996, 12, 31)),
    st.integers(0, 999),
)
def test_hong_kong_macau_taiwan_accepted(address: str, birth: date, sequence: int) -> None:
    number = resident_ids.make_resident_id(address, birth, sequence)
    assert not ric.is_valid(number)
    assert resident_ids.parse_resident_id(number).birth_date == birth


@given(ms.resident_id_numbers(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_character_change_is_rejected(number: str, index: int, char: str) -> None:
    assume(number[index] != char)
    changed = number[:index] + char + number[index + 1 :]
    assert not resident_ids.is_valid_resident_id(changed)
    with pytest.raises(ValidationError) as info:
        resident_ids.parse_resident_id(changed)
    assert info.value.code.startswith("invalid_resident_id")
    assert changed not in str(info.value)


@given(ms.invalid_resident_id_numbers())
def test_invalid_ids_rejected_without_leaking(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        resident_ids.parse_resident_id(text)
    assert info.value.code.startswith("invalid_resident_id")
    if len(text) >= 8:
        assert text not in str(info.value)
        assert text not in repr(info.value.to_dict())


@given(ms.resident_id_numbers())
def test_masking_never_leaks(number: str) -> None:
    rid = resident_ids.parse_resident_id(number)
    for shown in (resident_ids.mask_resident_id(number), repr(rid), str(rid), rid.masked):
        assert number[4:14] not in shown
        assert number not in shown
    masked = resident_ids.mask_resident_id(number)
    assert masked[:4] == number[:4] and masked[-4:] == number[-4:]
    assert masked[4:14] == "*" * 10


@given(ms.division_codes())
def test_division_code_round_trip(code: DivisionCode) -> None:
    assert DivisionCode.parse(code.short) == code
    assert DivisionCode.parse(code.value) == code
    assert DivisionCode.parse(str(code)) == code
    assert len(code.short) == code.level.digits
    assert code.kind.level is code.level
    assert all(a.contains(code) and a.is_ancestor_of(code) for a in code.ancestors())
    assert [a.level for a in code.ancestors()] == sorted(
        (a.level for a in code.ancestors()), reverse=True
    )
    if code.parent is not None:
        assert code.parent.level < code.level
        assert code.value.startswith(code.parent.short)


@given(
    st.sampled_from(list(Level)).flatmap(lambda lv: st.tuples(st.just(lv), ms.division_codes(lv)))
)
def test_division_codes_of_level(pair: tuple[Level, DivisionCode]) -> None:
    level, code = pair
    assert code.level is level


@given(ms.invalid_division_code_texts())
def test_invalid_division_codes_rejected(text: str) -> None:
    assert not is_valid_division_code(text)
    with pytest.raises(ValidationError) as info:
        DivisionCode.parse(text)
    assert info.value.code == "invalid_division_code"


@given(ms.mobile_phones())
def test_mobile_phones(number: str) -> None:
    assert parse_phone(number) == number
    assert parse_phone(f"+86 {number[:3]} {number[3:7]} {number[7:]}") == number
    masked = mask_phone(number)
    assert masked == f"{number[:3]}****{number[-4:]}"
    assert number[3:7] not in masked[3:-4]


@given(st.text(min_size=2, max_size=10).filter(lambda s: len(s.strip()) >= 2))
def test_mask_name_keeps_only_first_character(name: str) -> None:
    masked = mask_name(name)
    stripped = name.strip()
    assert masked[0] == stripped[0]
    assert set(masked[1:]) == {"*"}
    assert len(masked) == len(stripped)


@given(ms.ethnicity_codes(minority=True))
def test_minority_codes(code: str) -> None:
    assert get_ethnicity(code).is_minority


@given(ms.ethnicity_codes(minority=False))
def test_han_code(code: str) -> None:
    assert code == "01"


@given(ms.units(with_validity=True))
def test_generated_units(unit: Unit) -> None:
    assert unit.level is unit.code.level
    assert unit.kind is unit.code.kind
    h = Hierarchy([unit])
    assert h.get(unit.code) == unit
    if unit.valid_from is not None:
        assert h.get(unit.code, unit.valid_from) == unit


@given(ms.units(Level.VILLAGE))
def test_units_of_level(unit: Unit) -> None:
    assert unit.level is Level.VILLAGE
