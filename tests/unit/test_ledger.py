"""Unit tests of the ledger model: validation, derived fields, masking."""

from __future__ import annotations

import uuid
from datetime import date

import attrs
import pytest

from minzu_core.codes import Gender, make_resident_id
from minzu_core.errors import ValidationError
from minzu_core.ledger import (
    HouseholdRegistration,
    LanguageProficiency,
    MigrationReason,
    Person,
    Residence,
    ResidenceStatus,
)
from minzu_core.serialization import structure, unstructure

ID = make_resident_id("653101", date(1988, 3, 15), 1)  # odd sequence: male


def residence(**kw: object) -> Residence:
    args: dict[str, object] = {
        "unit_code": "360103009001",
        "status": ResidenceStatus.FLOATING,
        "arrival": date(2017, 4, 1),
    }
    args.update(kw)
    return Residence(**args)  # type: ignore[arg-type]


def test_derives_gender_and_birth_date() -> None:
    p = Person(name="买买提", ethnicity="05", id_number=ID)
    assert p.gender is Gender.MALE
    assert p.birth_date == date(1988, 3, 15)
    assert p.age_on(date(2019, 3, 14)) == 30
    assert p.age_on(date(2019, 3, 15)) == 31


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"gender": "女"}, "gender_mismatch", "gender"),
        ({"birth_date": date(1988, 3, 16)}, "birth_date_mismatch", "birth_date"),
        ({"ethnicity": "99"}, "unknown_ethnicity", "ethnicity"),
        ({"ethnicity": "火星族"}, "unknown_ethnicity", "ethnicity"),
        ({"phone": "12345"}, "invalid_phone", "phone"),
        ({"name": "  "}, "required", "name"),
        ({"birth_date": "1988-02-30"}, "invalid_date", "birth_date"),
        ({"language": "klingon"}, "invalid_choice", "language"),
    ],
)
def test_invalid_person(kwargs: dict[str, object], code: str, field: str) -> None:
    args: dict[str, object] = {"name": "买买提", "ethnicity": "05", "id_number": ID}
    args.update(kwargs)
    with pytest.raises(ValidationError) as err:
        Person(**args)  # type: ignore[arg-type]
    assert err.value.code == code
    assert err.value.field == field
    assert ID not in str(err.value)


def test_invalid_id_number_is_not_echoed() -> None:
    bad = ID[:-1] + ("0" if ID[-1] != "0" else "1")
    with pytest.raises(ValidationError) as err:
        Person(name="买买提", ethnicity="05", id_number=bad)
    assert err.value.code.startswith("invalid_resident_id")
    assert bad not in str(err.value) and bad[6:14] not in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"departure": date(2017, 3, 31)}, "departure_before_arrival", "residence.departure"),
        ({"unit_code": "3601030090"}, "invalid_division_code", "residence.unit_code"),
        ({"status": "visiting"}, "invalid_choice", "residence.status"),
        ({"employer_uscc": "91360103MA35XXXX5X"}, "invalid_uscc", "employer_uscc"),
        ({"arrival": None}, "required", "residence.arrival"),
        ({"origin": "99"}, "invalid_division_code", "residence.origin"),
    ],
)
def test_invalid_residence(kwargs: dict[str, object], code: str, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        residence(**kwargs)
    assert err.value.code == code
    assert err.value.field == field


def test_labels_parse() -> None:
    r = residence(status="常住", reason="经商")
    assert r.status is ResidenceStatus.RESIDENT
    assert r.reason is MigrationReason.BUSINESS
    assert ResidenceStatus.FLOATING.label_zh == "流动"
    assert LanguageProficiency.parse("基本掌握", field="language") is LanguageProficiency.BASIC


def test_overlapping_residences_rejected() -> None:
    with pytest.raises(ValidationError) as err:
        Person(
            name="买买提",
            ethnicity="05",
            residences=[residence(), residence(unit_code="360103010001", arrival=date(2018, 1, 1))],
        )
    assert err.value.code == "overlapping_residences"


def test_move_closes_current_episode() -> None:
    p = Person(name="买买提", ethnicity="05", residences=[residence()])
    moved = p.move(residence(unit_code="360103010001", arrival=date(2019, 8, 1)))
    assert [r.departure for r in moved.residences] == [date(2019, 8, 1), None]
    assert moved.residence_on(date(2019, 7, 31)) == moved.residences[0]
    assert moved.residence_on(date(2019, 8, 1)) == moved.residences[1]
    assert moved.residence_on(date(2017, 3, 31)) is None
    assert moved.current_residence == moved.residences[1]


def test_own_guardian_rejected() -> None:
    pid = uuid.uuid4()
    with pytest.raises(ValidationError) as err:
        Person(id=pid, name="小明", ethnicity="05", guardian_id=pid)
    assert err.value.code == "invalid_guardian"


def test_repr_masks_personal_data() -> None:
    p = Person(
        name="阿卜杜拉·买买提",
        ethnicity="05",
        id_number=ID,
        phone="13912345678",
        household=HouseholdRegistration(division_code="653101", address="喀什市团结路 88 号"),
        residences=[residence(address="南昌市西湖区丁公路 123 号", employer="阿卜杜拉拉面馆")],
    )
    text = repr(p) + str(p)
    for secret in (ID, "13912345678", "阿卜杜拉·买买提", "团结路 88 号", "丁公路 123 号"):
        assert secret not in text
    assert "6531**********" in text and "139****5678" in text


def test_cattrs_round_trip() -> None:
    p = Person(
        name="阿依古丽",
        ethnicity="05",
        id_number=make_resident_id("653101", date(1990, 1, 2), 2),
        phone="0791-86123456",
        household=HouseholdRegistration(division_code="653101"),
        language=LanguageProficiency.FLUENT,
        residences=[residence(reason=MigrationReason.WORK, origin="653101")],
        version=3,
    )
    data = unstructure(p)
    assert data["residences"][0]["unit_code"] == "360103009001"
    assert data["birth_date"] == "1990-01-02"
    assert structure(data, Person) == p
    assert attrs.evolve(p, version=4) != p


# -- hypothesis strategies for persons --------------------------------------------------------
from hypothesis import given  # noqa: E402

from minzu_core.testing.strategies import invalid_person_fields, persons  # noqa: E402


@given(persons())
def test_generated_persons_are_valid_and_round_trip(person: Person) -> None:
    assert structure(unstructure(person), Person) == person
    assert person.birth_date is not None
    if person.id_number is not None:
        assert person.id_number not in repr(person)


@given(invalid_person_fields())
def test_invalid_person_fields_are_rejected(case: tuple[str, dict[str, object]]) -> None:
    field, overrides = case
    args: dict[str, object] = {"name": "马丽", "ethnicity": "03"}
    args.update(overrides)
    with pytest.raises(ValidationError) as err:
        Person(**args)  # type: ignore[arg-type]
    assert err.value.field == field
