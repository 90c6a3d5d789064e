"""Unified social credit codes (GB 32100-2015), checked against the standard's text.

``spec_check`` and ``spec_org_check`` below are written straight from the standard (GB 32100
§5 and GB 11714 §4), independently of :mod:`minzu_core.codes.uscc`.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from minzu_core import codes
from minzu_core.codes.uscc import (
    REGISTRATION_AUTHORITIES,
    REGISTRATION_TYPES,
    USCC_ALPHABET,
    UsccParts,
    is_individual_business,
    is_valid_uscc,
    make_uscc,
    organisation_code_check_character,
    parse_uscc,
    split_uscc,
    uscc_check_character,
)
from minzu_core.errors import ValidationError

#: GB 32100 table 2: the code characters and their values (no I, O, Z, S, V).
CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: GB 32100 §5: the weights of positions 1–17 (3^(i-1) mod 31), as printed in the standard.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
#: GB 11714: the weights of the 8 body characters of the organisation code.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def spec_check(first17: str) -> str:
    """C18 = 31 - MOD(sum(Ci * Wi), 31); 31 is written 0."""
    total = sum(CHARACTERS.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    value = 31 - total % 31
    return CHARACTERS[0 if value == 31 else value]


def spec_org_check(body: str) -> str:
    """C9 = 11 - MOD(sum(Ci * Wi), 11); 10 is written X, 11 is written 0 (A=10 … Z=35)."""
    value = 11 - sum(int(c, 36) * w for c, w in zip(body, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def spec_code(registration: str, region: str, body: str) -> str:
    first17 = registration + region + body + spec_org_check(body)
    return first17 + spec_check(first17)


def replace(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]


registrations = st.sampled_from(sorted(REGISTRATION_TYPES))
regions = st.text("0123456789", min_size=6, max_size=6)
bodies = st.text(CHARACTERS, min_size=8, max_size=8)
valid_codes = st.builds(spec_code, registrations, regions, bodies)


class TestHandChecked:
    def test_stdnum_example(self) -> None:
        assert parse_uscc("91110000600037341L") == "91110000600037341L"
        assert parse_uscc(" 9111 0000-600037341l ") == "91110000600037341L"
        assert is_valid_uscc("91110000600037341L")

    def test_letters_in_the_organisation_code(self) -> None:
        # M000100Y: 22*3 + 1*5 + 34*2 = 139, 139 mod 11 = 7, 11 - 7 = 4
        assert organisation_code_check_character("M000100Y") == "4"
        assert parse_uscc("91350100M000100Y43") == "91350100M000100Y43"

    def test_letter_authority(self) -> None:
        # Y1 360103 00001234 3: org 5 + 16 + 12 + 8 = 41, 11 - 41 mod 11 = 3;
        # C18: 30*1 + 1*3 + 3*9 + 6*27 + 1*26 + 3*17 + 1*8 + 2*24 + 3*10 + 4*30 + 3*28 = 589
        # = 19 * 31, so 31 - 0 = 31, written 0.
        assert uscc_check_character("Y1360103000012343") == "0"
        assert parse_uscc("Y13601030000123430") == "Y13601030000123430"
        assert split_uscc("Y13601030000123430") == UsccParts("Y", "1", "360103", "000012343", "0")

    def test_parts(self) -> None:
        parts = split_uscc(make_uscc("360103", 1234, registration="N2"))
        assert (parts.authority, parts.organisation_type, parts.region_code) == (
            "N",
            "2",
            "360103",
        )
        assert (parts.authority_name, parts.type_name) == ("农业", "村级集体经济组织")
        assert split_uscc("91110000600037341L").type_name == "企业"

    def test_tables(self) -> None:
        assert USCC_ALPHABET == CHARACTERS
        assert not set("IOZSV") & set(USCC_ALPHABET)
        assert {k[0] for k in REGISTRATION_TYPES} == set(REGISTRATION_AUTHORITIES)
        assert REGISTRATION_TYPES["92"] == "个体工商户"
        assert REGISTRATION_AUTHORITIES["Y"] == "其他"

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("12345", "length"),
            ("A1110000600037341L", "checksum"),
            ("I1110000600037341L", "format"),
            ("91110000600037341I", "format"),
            ("91110000600037341M", "checksum"),
            ("94110000600037341L", "registration_type"),
            ("B1110000600037341L", "registration_type"),
            ("9111000A600037341L", "region"),
            ("91110000600037342L", "organisation_code"),
        ],
    )
    def test_invalid(self, text: str, reason: str) -> None:
        with pytest.raises(ValidationError) as info:
            parse_uscc(text, field="employer_uscc")
        assert info.value.code == "invalid_uscc"
        assert info.value.field == "employer_uscc"
        assert info.value.details["reason"] == reason
        assert text not in str(info.value)
        assert text not in info.value.message_zh + info.value.message_en
        assert not is_valid_uscc(text)

    def test_non_string(self) -> None:
        with pytest.raises(ValidationError):
            parse_uscc(None)  # type: ignore[arg-type]
        assert not is_valid_uscc(None)
        with pytest.raises(ValidationError):
            uscc_check_character("123")
        with pytest.raises(ValidationError):
            uscc_check_character("I" * 17)
        with pytest.raises(ValidationError):
            organisation_code_check_character("1234567")

    def test_make(self) -> None:
        enterprise = make_uscc("360103", 12345)
        individual = make_uscc("360103", 12345, individual=True)
        assert parse_uscc(enterprise) == enterprise
        assert parse_uscc(individual) == individual
        assert enterprise.startswith("91360103")
        assert is_individual_business(individual)
        assert not is_individual_business(enterprise)
        assert len({make_uscc("360103", n) for n in range(200)}) == 200
        with pytest.raises(ValueError):
            make_uscc("3601", 1)
        with pytest.raises(ValueError):
            make_uscc("360103", -1)
        with pytest.raises(ValueError):
            make_uscc("360103", 1, registration="94")

    def test_individual_business_requires_valid_code(self) -> None:
        valid = make_uscc("360103", 1, individual=True)
        wrong = valid[:-1] + ("0" if valid[-1] != "0" else "1")
        with pytest.raises(ValidationError):
            is_individual_business(wrong)

    def test_reexports(self) -> None:
        assert codes.parse_uscc is parse_uscc
        assert codes.split_uscc is split_uscc


class TestDifferencesFromStdnum:
    """Every way this library now differs from ``stdnum.cn.uscc``, and why."""

    @pytest.mark.parametrize("registration", ["A1", "A9", "N1", "N2", "N3", "N9", "Y1"])
    def test_letter_authorities_are_valid(self, registration: str) -> None:
        # GB 32100 §4: positions 1 and 2 are "Arabic digits or upper-case letters"; stdnum
        # requires the first 8 characters to be digits.
        code = spec_code(registration, "360103", "MA35F0K8")
        assert not stdnum_uscc.is_valid(code), "stdnum now accepts it: update the test"
        assert parse_uscc(code) == code

    @pytest.mark.parametrize("registration", ["00", "10", "94", "99", "58"])
    def test_unknown_registration_types_are_invalid(self, registration: str) -> None:
        # Positions 1–2 must be an authority and a type of that authority (GB 32100 table 1 and
        # its amendments); stdnum does not check the table.
        code = spec_code(registration, "360103", "00001234")
        assert stdnum_uscc.is_valid(code)
        with pytest.raises(ValidationError) as info:
            parse_uscc(code)
        assert info.value.details["reason"] == "registration_type"

    def test_organisation_code_check_character(self) -> None:
        # Positions 9–17 are a GB 11714 organisation code with its own check character; stdnum
        # only checks the last character.
        first16 = "91360103MA35F0K8"
        wrong = next(c for c in "0123456789X" if c != spec_org_check("MA35F0K8"))
        code = first16 + wrong + spec_check(first16 + wrong)
        assert stdnum_uscc.is_valid(code)
        with pytest.raises(ValidationError) as info:
            parse_uscc(code)
        assert info.value.details["reason"] == "organisation_code"

    @pytest.mark.parametrize("text", ["9111\t0000 600037341L", "91110000\n600037341L"])
    def test_any_whitespace_is_removed(self, text: str) -> None:
        # stdnum removes only spaces and dashes inside the code (a tab or a line break pasted
        # from a document stays and makes the length wrong).
        assert not stdnum_uscc.is_valid(text)
        assert parse_uscc(text) == "91110000600037341L"
        assert parse_uscc("91110000\u3000600037341L") == "91110000600037341L"  # both accept


@given(valid_codes)
def test_codes_built_from_the_standard_are_valid(code: str) -> None:
    assert parse_uscc(code) == code
    assert parse_uscc(code.lower()) == code
    assert uscc_check_character(code[:17]) == code[17]
    assert organisation_code_check_character(code[8:16]) == code[16]
    parts = split_uscc(code)
    assert parts.authority + parts.organisation_type in REGISTRATION_TYPES
    if code[:8].isdigit():
        assert stdnum_uscc.is_valid(code)


@given(valid_codes, st.integers(0, 17), st.sampled_from(CHARACTERS))
def test_mod31_catches_every_single_substitution(code: str, index: int, char: str) -> None:
    assume(code[index] != char)
    changed = replace(code, index, char)
    assert not is_valid_uscc(changed)
    with pytest.raises(ValidationError):
        parse_uscc(changed)


@given(valid_codes, st.integers(0, 16))
def test_mod31_catches_every_adjacent_transposition(code: str, index: int) -> None:
    assume(code[index] != code[index + 1])
    swapped = code[:index] + code[index + 1] + code[index] + code[index + 2 :]
    assert not is_valid_uscc(swapped)


@given(st.text(CHARACTERS, min_size=17, max_size=17))
def test_check_character_matches_the_standard(first17: str) -> None:
    assert uscc_check_character(first17) == spec_check(first17)
    assert is_valid_uscc(first17 + spec_check(first17)) == (
        first17[:2] in REGISTRATION_TYPES
        and first17[2:8].isdigit()
        and first17[16] == spec_org_check(first17[8:16])
    )


@given(st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=8, max_size=8))
def test_organisation_check_matches_gb_11714(body: str) -> None:
    assert organisation_code_check_character(body) == spec_org_check(body)


@given(registrations, regions, st.integers(0, 99_999_999))
def test_make_uscc_follows_the_standard(registration: str, region: str, serial: int) -> None:
    code = make_uscc(region, serial, registration=registration)
    assert code == spec_code(registration, region, f"{serial:08d}")
