"""Hypothesis strategies for minzu-core's codes, units and ledger persons (需要 hypothesis).

Valid values are built by the library's own constructors from random parts; invalid ones break
exactly one rule each, so a test can assert they are all rejected.
"""

from __future__ import annotations

import datetime

import attrs
from hypothesis import strategies as st

from minzu_core.codes.divisions import PROVINCE_PREFIXES, DivisionCode, Level, UnitKind
from minzu_core.codes.ethnicity import HAN, all_ethnicities
from minzu_core.codes.resident_id import (
    MIN_BIRTH_YEAR,
    make_resident_id,
    resident_id_check_character,
)
from minzu_core.hierarchy.model import Unit
from minzu_core.ledger import model as ledger

__all__ = [
    "STDNUM_REJECTED_ADDRESS_CODES",
    "division_codes",
    "ethnicity_codes",
    "invalid_division_code_texts",
    "invalid_person_fields",
    "invalid_resident_id_numbers",
    "mobile_phones",
    "persons",
    "residences",
    "resident_id_numbers",
    "units",
]

#: Address codes python-stdnum rejects for some birth years, with the first year it accepts
#: (None: never). Valid numbers with these codes and earlier births must be accepted.
STDNUM_REJECTED_ADDRESS_CODES: dict[str, int | None] = {
    "360103": 1983,
    "810000": 1997,
    "820000": 1999,
    "830000": None,
}

_PREFIXES = sorted(PROVINCE_PREFIXES)


def _segment(width: int, low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda n: f"{n:0{width}d}")


def division_codes(level: Level | None = None) -> st.SearchStrategy[DivisionCode]:
    """Valid division codes (of one level, or any), including townships directly under a
    prefecture (county digits ``00``)."""
    if level is None:
        return st.sampled_from(list(Level)).flatmap(division_codes)
    province = st.sampled_from(_PREFIXES)
    prefecture = _segment(2, 1, 99)
    county = _segment(2, 1, 99)
    county_or_none = st.one_of(county, st.just("00"))
    part = _segment(3, 1, 599)
    parts: st.SearchStrategy[tuple[str, ...]]
    if level is Level.PROVINCE:
        parts = st.tuples(province)
    elif level is Level.PREFECTURE:
        parts = st.tuples(province, prefecture)
    elif level is Level.COUNTY:
        parts = st.tuples(province, prefecture, county)
    elif level is Level.TOWNSHIP:
        parts = st.tuples(province, prefecture, county_or_none, part)
    else:
        parts = st.tuples(province, prefecture, county_or_none, part, part)
    return parts.map(lambda p: DivisionCode("".join(p).ljust(12, "0")))


def invalid_division_code_texts() -> st.SearchStrategy[str]:
    """Texts that are not division codes, each breaking one rule."""
    digits = st.text(alphabet="0123456789", min_size=1, max_size=14)
    valid = division_codes()
    return st.one_of(
        # wrong length
        digits.filter(lambda t: len(t) not in (2, 4, 6, 9, 12)),
        # a non-digit character
        st.tuples(valid, st.integers(0, 11), st.sampled_from("aX -.０")).map(
            lambda t: t[0].value[: t[1]] + t[2] + t[0].value[t[1] + 1 :]
        ),
        # unknown province prefix
        st.tuples(
            _segment(2, 0, 99).filter(lambda p: p not in PROVINCE_PREFIXES),
            st.text(alphabet="0123456789", min_size=10, max_size=10),
        ).map("".join),
        # non-zero county, township or village under a zero prefecture
        st.tuples(st.sampled_from(_PREFIXES), _segment(8, 1, 99_999_999)).map(
            lambda t: t[0] + "00" + t[1]
        ),
        # non-zero village under a zero township
        division_codes(Level.COUNTY).flatmap(
            lambda c: _segment(3, 1, 599).map(lambda v: c.value[:9] + v)
        ),
        # township or village digits 600-999
        division_codes(Level.COUNTY).flatmap(
            lambda c: _segment(3, 600, 999).map(lambda t: c.value[:6] + t + "000")
        ),
        division_codes(Level.TOWNSHIP).flatmap(
            lambda c: _segment(3, 600, 999).map(lambda v: c.value[:9] + v)
        ),
        st.just("000000000000"),
    )


def _birth_dates(min_year: int, max_year: int) -> st.SearchStrategy[datetime.date]:
    return st.dates(datetime.date(min_year, 1, 1), datetime.date(max_year, 12, 31))


def resident_id_numbers(min_year: int = 1900, max_year: int = 2020) -> st.SearchStrategy[str]:
    """Valid identity numbers born ``min_year``–``max_year``.

    Half use the address codes python-stdnum wrongly rejects (360103 before 1983, 810000,
    820000, 830000), so a validator built on ``stdnum.cn.ric.validate`` fails.
    """
    if not MIN_BIRTH_YEAR <= min_year <= max_year:
        raise ValueError("need MIN_BIRTH_YEAR <= min_year <= max_year")
    address = st.one_of(
        division_codes(Level.COUNTY).map(lambda c: c.value[:6]),
        st.sampled_from(sorted(STDNUM_REJECTED_ADDRESS_CODES)),
    )
    return st.builds(
        make_resident_id, address, _birth_dates(min_year, max_year), st.integers(0, 999)
    )


def _with_check(first17: str) -> str:
    return first17 + resident_id_check_character(first17)


def _replace(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]


def invalid_resident_id_numbers() -> st.SearchStrategy[str]:
    """Texts that are not valid identity numbers, each breaking one rule."""
    valid = resident_id_numbers()
    return st.one_of(
        # one character changed to another of 0-9X
        st.tuples(valid, st.integers(0, 17), st.sampled_from("0123456789X"))
        .filter(lambda t: t[0][t[1]] != t[2])
        .map(lambda t: _replace(*t)),
        # wrong length
        st.tuples(valid, st.integers(0, 25).filter(lambda k: k != 18)).map(
            lambda t: (t[0] * 2)[: t[1]]
        ),
        # a character that is never allowed
        st.tuples(valid, st.integers(0, 17), st.sampled_from("AB-!中")).map(lambda t: _replace(*t)),
        # impossible birth date, with a correct check character
        st.tuples(
            st.sampled_from(["360103", "110101", "830000"]),
            st.sampled_from(["18491231", "19901301", "19900230", "20010229", "19900000"]),
            st.integers(0, 999),
        ).map(lambda t: _with_check(f"{t[0]}{t[1]}{t[2]:03d}")),
    )


def ethnicity_codes(minority: bool | None = None) -> st.SearchStrategy[str]:
    """2-digit ethnicity codes (01–56, 97, 98); only minorities, only 汉族 (01), or any."""
    codes = [e.code for e in all_ethnicities()]
    if minority is True:
        codes = [c for c in codes if c != HAN]
    elif minority is False:
        codes = [HAN]
    return st.sampled_from(codes)


def mobile_phones() -> st.SearchStrategy[str]:
    """Normalized 11-digit mobile numbers (``1[3-9]`` + 9 digits)."""
    return st.tuples(st.integers(3, 9), st.integers(0, 999_999_999)).map(
        lambda t: f"1{t[0]}{t[1]:09d}"
    )


_NAME_STEMS = ("南浦", "朝阳", "桃花", "九洲", "绳金塔", "丁公路", "新村", "城南")


def _unit_name(code: DivisionCode, stem: str) -> str:
    suffix = {
        UnitKind.SUBDISTRICT: "街道",
        UnitKind.TOWN: "镇",
        UnitKind.TOWNSHIP: "乡",
        UnitKind.COMMUNITY: "社区",
        UnitKind.VILLAGE: "村委会",
    }.get(code.kind, code.kind.label_zh)
    return stem + suffix


def units(level: Level | None = None, *, with_validity: bool = False) -> st.SearchStrategy[Unit]:
    """Valid units (of one level, or any) with plausible names; with ``with_validity`` also a
    random ``valid_from``/``valid_to``."""
    base = st.builds(
        lambda code, stem: Unit(code, _unit_name(code, stem)),
        division_codes(level),
        st.sampled_from(_NAME_STEMS),
    )
    if not with_validity:
        return base
    days = st.dates(datetime.date(1980, 1, 1), datetime.date(2030, 12, 31))
    return st.builds(
        lambda unit, start, length: attrs.evolve(
            unit,
            valid_from=start,
            valid_to=None
            if start is None or length is None
            else start + datetime.timedelta(days=length),
        ),
        base,
        st.one_of(st.none(), days),
        st.one_of(st.none(), st.integers(1, 20_000)),
    )


_PERSON_NAMES = ("阿依古丽", "买买提", "马丽", "龙华", "蓝芳", "古丽娜尔·艾尔肯", "白杰")


def residences(
    unit_codes: list[str] | None = None,
    *,
    min_date: datetime.date = datetime.date(2010, 1, 1),
    max_date: datetime.date = datetime.date(2019, 12, 31),
) -> st.SearchStrategy[ledger.Residence]:
    """Valid residence episodes in one of ``unit_codes`` (default: any village-level code)."""
    codes: st.SearchStrategy[DivisionCode] | st.SearchStrategy[str] = (
        division_codes(Level.VILLAGE) if unit_codes is None else st.sampled_from(unit_codes)
    )
    return st.builds(
        lambda code, status, arrival, stay, reason: ledger.Residence(
            unit_code=code,
            status=status,
            arrival=arrival,
            departure=None if stay is None else arrival + datetime.timedelta(days=stay),
            origin="653101" if status is ledger.ResidenceStatus.FLOATING else None,
            reason=reason if status is ledger.ResidenceStatus.FLOATING else None,
        ),
        codes,
        st.sampled_from(ledger.ResidenceStatus),
        st.dates(min_date, max_date),
        st.one_of(st.none(), st.integers(0, 2000)),
        st.sampled_from(ledger.MigrationReason),
    )


def persons(
    unit_codes: list[str] | None = None, *, with_residence: bool = True
) -> st.SearchStrategy[ledger.Person]:
    """Valid ledger persons: with or without an ID number (gender and birth date then derived),
    a phone or not, and one residence episode in ``unit_codes`` when ``with_residence``."""

    def build(
        name: str,
        ethnicity: str,
        number: str | None,
        birth: datetime.date,
        phone: str | None,
        language: ledger.LanguageProficiency | None,
        residence: ledger.Residence | None,
    ) -> ledger.Person:
        return ledger.Person(
            name=name,
            ethnicity=ethnicity,
            id_number=number,
            birth_date=None if number is not None else birth,
            phone=phone,
            language=language,
            residences=() if residence is None else (residence,),
        )

    return st.builds(
        build,
        st.sampled_from(_PERSON_NAMES),
        ethnicity_codes(),
        st.one_of(st.none(), resident_id_numbers(min_year=1940, max_year=2005)),
        st.dates(datetime.date(1940, 1, 1), datetime.date(2005, 12, 31)),
        st.one_of(st.none(), mobile_phones()),
        st.one_of(st.none(), st.sampled_from(ledger.LanguageProficiency)),
        residences(unit_codes) if with_residence else st.none(),
    )


def invalid_person_fields() -> st.SearchStrategy[tuple[str, dict[str, object]]]:
    """``(field, overrides)`` pairs: keyword overrides that make an otherwise valid ``Person``
    invalid in exactly the named field (e.g. ``("ethnicity", {"ethnicity": "99"})``)."""
    return st.one_of(
        invalid_resident_id_numbers()
        .filter(lambda v: v.strip() != "")  # blank means "no ID number", which is valid
        .map(lambda v: ("id_number", {"id_number": v})),
        st.sampled_from(["99", "00", "HANZU", "火星族", ""]).map(
            lambda v: ("ethnicity", {"ethnicity": v})
        ),
        st.sampled_from(["12345", "1380000123", "23800001234", "phone"]).map(
            lambda v: ("phone", {"phone": v})
        ),
        st.sampled_from(["", "   "]).map(lambda v: ("name", {"name": v})),
        st.sampled_from(["2019-02-30", "16/12/2019", "yesterday"]).map(
            lambda v: ("birth_date", {"birth_date": v})
        ),
    )
