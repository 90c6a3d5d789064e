"""Ethnicity codes (GB/T 3304-1991)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from minzu_core.codes.ethnicity import (
    HAN,
    Ethnicity,
    all_ethnicities,
    get_ethnicity,
    is_minority,
    normalize_ethnicity_code,
)
from minzu_core.errors import ValidationError

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ethnic-groups.csv"


def test_all_groups() -> None:
    groups = all_ethnicities()
    codes = [g.code for g in groups]
    assert len(groups) == 58
    assert codes == [f"{n:02d}" for n in range(1, 57)] + ["97", "98"]
    assert all(isinstance(g, Ethnicity) for g in groups)
    assert sum(g.is_minority for g in groups) == 57


@pytest.mark.skipif(not REFERENCE.is_file(), reason="shared reference data not available")
def test_package_data_matches_reference() -> None:
    with REFERENCE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [
        (g.code, g.name_zh, g.letter_code or "", g.romanization or "") for g in all_ethnicities()
    ] == [(r["code"], r["name"], r["letter_code"], r["romanization"]) for r in rows]


def test_han() -> None:
    han = get_ethnicity("01")
    assert han.code == HAN == "01"
    assert han.name_zh == "汉族"
    assert han.letter_code == "HA"
    assert han.romanization == "Han"
    assert han.label == "汉族 Han"
    assert not han.is_minority


def test_sui_is_su() -> None:
    sui = get_ethnicity(25)
    assert (sui.name_zh, sui.letter_code, sui.romanization) == ("水族", "SU", "Sui")
    assert get_ethnicity("su") is sui
    with pytest.raises(ValidationError):
        get_ethnicity("SW")
    with pytest.raises(ValidationError):
        get_ethnicity("Shui")


@pytest.mark.parametrize(
    "value", ["1", "01", 1, " 01 ", "HA", "ha", "Ha", "汉族", "汉", " 汉族 ", "Han", "HAN"]
)
def test_han_aliases(value: str | int) -> None:
    assert get_ethnicity(value).code == "01"
    assert normalize_ethnicity_code(value) == "01"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("维吾尔族", "05"),
        ("维吾尔", "05"),
        ("UG", "05"),
        ("uygur", "05"),
        ("回", "03"),
        ("5", "05"),
        (56, "56"),
        ("基诺族", "56"),
        ("97", "97"),
        ("其他", "97"),
        ("外国血统中国籍人士", "98"),
        (98, "98"),
    ],
)
def test_lookup(value: str | int, code: str) -> None:
    assert normalize_ethnicity_code(value) == code


@pytest.mark.parametrize(
    "value", ["", "00", "57", "96", "99", 0, 57, 100, -1, "XX", "汉人", "123", True, None, 1.0]
)
def test_unknown(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        get_ethnicity(value, field="minzu")  # type: ignore[arg-type]
    assert info.value.code == "unknown_ethnicity"
    assert info.value.field == "minzu"


def test_is_minority() -> None:
    assert not is_minority("01")
    assert not is_minority("汉族")
    assert is_minority("05")
    assert is_minority(97)
    assert is_minority("98")
    with pytest.raises(ValidationError):
        is_minority("99")


def test_labels_for_conventional_codes() -> None:
    assert get_ethnicity("97").label.startswith("其他 ")
    assert get_ethnicity("98").label.startswith("外国血统中国籍人士 ")
    assert get_ethnicity("97").letter_code is None
    assert get_ethnicity("98").romanization is None


def test_ethnicity_code_is_validated() -> None:
    with pytest.raises(ValueError):
        Ethnicity("1", "汉族", "HA", "Han")
