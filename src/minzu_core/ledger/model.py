"""The ledger of minority residents and floating population (少数民族居民和流动人员台账).

A :class:`Person` is one record of the ledger; where the person lives is a sequence of
:class:`Residence` episodes (a move is a new episode, never an overwrite). Dates follow the
half-open convention used throughout the library: a residence covers ``arrival <= d < departure``
(the person is no longer there on the departure date).

Personal data never appears in a repr: names, ID numbers, phones and addresses are masked.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from minzu_core.codes.divisions import DivisionCode
from minzu_core.codes.ethnicity import HAN, normalize_ethnicity_code
from minzu_core.codes.masking import mask_address, mask_name, mask_phone
from minzu_core.codes.phone import parse_phone
from minzu_core.codes.resident_id import Gender, mask_resident_id, parse_resident_id
from minzu_core.codes.uscc import parse_uscc
from minzu_core.errors import ValidationError
from minzu_core.labels import LabelledEnum

__all__ = [
    "HouseholdRegistration",
    "LanguageProficiency",
    "MigrationReason",
    "Person",
    "PersonStatus",
    "Residence",
    "ResidenceStatus",
]


class ResidenceStatus(LabelledEnum):
    """人员类别: resident (常住) or floating (流动)."""

    RESIDENT = "resident"
    FLOATING = "floating"

    @classmethod
    def _label_table(cls) -> dict[str, tuple[str, str]]:
        return {"resident": ("常住", "resident"), "floating": ("流动", "floating")}


class MigrationReason(LabelledEnum):
    """流动原因: why a floating person came."""

    WORK = "work"
    BUSINESS = "business"
    STUDY = "study"
    FAMILY = "family"
    OTHER = "other"

    @classmethod
    def _label_table(cls) -> dict[str, tuple[str, str]]:
        return {
            "work": ("务工", "work"),
            "business": ("经商", "business"),
            "study": ("就学", "study"),
            "family": ("随迁", "accompanying family"),
            "other": ("其他", "other"),
        }


class LanguageProficiency(LabelledEnum):
    """国家通用语言水平: proficiency in the national common language."""

    FLUENT = "fluent"
    BASIC = "basic"
    LIMITED = "limited"
    NONE = "none"

    @classmethod
    def _label_table(cls) -> dict[str, tuple[str, str]]:
        return {
            "fluent": ("熟练", "fluent"),
            "basic": ("基本掌握", "basic"),
            "limited": ("略懂", "limited"),
            "none": ("不会", "none"),
        }


class PersonStatus(LabelledEnum):
    """Record status: active, or merged into another record after a duplicate decision."""

    ACTIVE = "active"
    MERGED = "merged"

    @classmethod
    def _label_table(cls) -> dict[str, tuple[str, str]]:
        return {"active": ("有效", "active"), "merged": ("已合并", "merged")}


def _opt_code(field: str) -> Any:
    def convert(value: Any) -> DivisionCode | None:
        if value is None or value == "":
            return None
        if isinstance(value, DivisionCode):
            return value
        return DivisionCode.parse(value, field=field)

    return convert


def _code(field: str) -> Any:
    def convert(value: Any) -> DivisionCode:
        if isinstance(value, DivisionCode):
            return value
        return DivisionCode.parse(value, field=field)

    return convert


def _opt_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _opt_phone(value: Any) -> str | None:
    text = _opt_text(value)
    return None if text is None else parse_phone(text, field="phone")


def _opt_uscc(value: Any) -> str | None:
    text = _opt_text(value)
    return None if text is None else parse_uscc(text, field="employer_uscc")


def _opt_id_number(value: Any) -> str | None:
    text = _opt_text(value)
    return None if text is None else parse_resident_id(text, field="id_number").number


def _enum_converter(cls: type[LabelledEnum], field: str, optional: bool) -> Any:
    def convert(value: Any) -> Any:
        if value is None or value == "":
            if optional:
                return None
            raise ValidationError(
                f"缺少必填项 {field}", f"{field} is required", code="required", field=field
            )
        return cls.parse(value, field=field)

    return convert


def _gender(value: Any) -> Gender | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Gender) else Gender.parse(value)


def _ethnicity(value: Any) -> str:
    return normalize_ethnicity_code(value, field="ethnicity")


def _required_text(field: str) -> Any:
    def convert(value: Any) -> str:
        text = _opt_text(value)
        if text is None:
            raise ValidationError(
                f"缺少必填项 {field}", f"{field} is required", code="required", field=field
            )
        return text

    return convert


def _date(field: str, optional: bool) -> Any:
    def convert(value: Any) -> date | None:
        if value is None or value == "":
            if optional:
                return None
            raise ValidationError(
                f"缺少必填项 {field}", f"{field} is required", code="required", field=field
            )
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError(
                f"{field} 不是有效日期 (YYYY-MM-DD)",
                f"{field} is not a valid date (YYYY-MM-DD)",
                code="invalid_date",
                field=field,
            ) from None

    return convert


def _uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError(
            "标识符不是有效的 UUID", "identifier is not a valid UUID", code="invalid_id", field="id"
        ) from None


def _opt_uuid(value: Any) -> uuid.UUID | None:
    return None if value is None or value == "" else _uuid(value)


def _masked_id(value: str | None) -> str:
    return "None" if value is None else repr(mask_resident_id(value))


def _masked_phone(value: str | None) -> str:
    return "None" if value is None else repr(mask_phone(value))


def _masked_name(value: str) -> str:
    return repr(mask_name(value))


def _masked_text(value: str | None) -> str:
    return "None" if value is None else repr(mask_address(value))


# Named converters (the attrs mypy plugin needs named functions).
def _household_code(value: Any) -> DivisionCode | None:
    result: DivisionCode | None = _opt_code("household.division_code")(value)
    return result


def _residence_unit(value: Any) -> DivisionCode:
    result: DivisionCode = _code("residence.unit_code")(value)
    return result


def _residence_status(value: Any) -> ResidenceStatus:
    result: ResidenceStatus = _enum_converter(ResidenceStatus, "residence.status", optional=False)(
        value
    )
    return result


def _arrival(value: Any) -> date:
    result: date = _date("residence.arrival", optional=False)(value)
    return result


def _departure(value: Any) -> date | None:
    result: date | None = _date("residence.departure", optional=True)(value)
    return result


def _origin(value: Any) -> DivisionCode | None:
    result: DivisionCode | None = _opt_code("residence.origin")(value)
    return result


def _reason(value: Any) -> MigrationReason | None:
    result: MigrationReason | None = _enum_converter(MigrationReason, "residence.reason", True)(
        value
    )
    return result


def _name(value: Any) -> str:
    result: str = _required_text("name")(value)
    return result


def _birth_date(value: Any) -> date | None:
    result: date | None = _date("birth_date", True)(value)
    return result


def _language(value: Any) -> LanguageProficiency | None:
    result: LanguageProficiency | None = _enum_converter(LanguageProficiency, "language", True)(
        value
    )
    return result


def _person_status(value: Any) -> PersonStatus:
    result: PersonStatus = _enum_converter(PersonStatus, "status", optional=False)(value)
    return result


@attrs.frozen
class HouseholdRegistration:
    """户籍地: where the person's household is registered (division code and address)."""

    division_code: DivisionCode | None = attrs.field(default=None, converter=_household_code)
    address: str | None = attrs.field(default=None, converter=_opt_text, repr=_masked_text)


@attrs.frozen
class Residence:
    """One residence episode (居住情况): where, as resident or floating, from when to when.

    Attributes:
        unit_code: the community/village (or lower) unit of residence.
        status: 常住 resident or 流动 floating.
        arrival: the first day of residence (来本地时间).
        departure: the day the person left (离开时间), or ``None`` while present.
        origin: division code of the area the person came from (流出地), for floating persons.
    """

    unit_code: DivisionCode = attrs.field(converter=_residence_unit)
    status: ResidenceStatus = attrs.field(converter=_residence_status)
    arrival: date = attrs.field(converter=_arrival)
    departure: date | None = attrs.field(default=None, converter=_departure)
    address: str | None = attrs.field(default=None, converter=_opt_text, repr=_masked_text)
    origin: DivisionCode | None = attrs.field(default=None, converter=_origin)
    reason: MigrationReason | None = attrs.field(default=None, converter=_reason)
    occupation: str | None = attrs.field(default=None, converter=_opt_text)
    employer: str | None = attrs.field(default=None, converter=_opt_text)
    employer_uscc: str | None = attrs.field(default=None, converter=_opt_uscc)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=_uuid)

    def __attrs_post_init__(self) -> None:
        if self.departure is not None and self.departure < self.arrival:
            raise ValidationError(
                "离开时间不能早于来本地时间",
                "departure must not be before arrival",
                code="departure_before_arrival",
                field="residence.departure",
            )

    def present_on(self, day: date) -> bool:
        """True if the person lived here on ``day`` (arrival <= day < departure)."""
        return self.arrival <= day and (self.departure is None or day < self.departure)

    @property
    def current(self) -> bool:
        """True if the episode has no departure date."""
        return self.departure is None


def _residences(value: Iterable[Residence]) -> tuple[Residence, ...]:
    return tuple(value)


@attrs.frozen
class Person:
    """A ledger record (个人信息档案).

    Gender and birth date are derived from a valid ID number when not given, and checked against
    it when both are given. The ID number is optional (not everyone has one at hand); when present
    it is unique among active records of a store.

    Use :func:`attrs.evolve` to change a record; save it through the unit of work, which checks
    the version (``version`` is 0 for a record never stored).
    """

    name: str = attrs.field(converter=_name, repr=_masked_name)
    ethnicity: str = attrs.field(converter=_ethnicity)
    id_number: str | None = attrs.field(
        default=None,
        converter=_opt_id_number,
        repr=_masked_id,
    )
    gender: Gender | None = attrs.field(default=None, converter=_gender)
    birth_date: date | None = attrs.field(default=None, converter=_birth_date)
    phone: str | None = attrs.field(default=None, converter=_opt_phone, repr=_masked_phone)
    household: HouseholdRegistration | None = None
    language: LanguageProficiency | None = attrs.field(default=None, converter=_language)
    guardian_id: uuid.UUID | None = attrs.field(default=None, converter=_opt_uuid)
    residences: tuple[Residence, ...] = attrs.field(default=(), converter=_residences)
    status: PersonStatus = attrs.field(
        default=PersonStatus.ACTIVE,
        converter=_person_status,
    )
    merged_into: uuid.UUID | None = attrs.field(default=None, converter=_opt_uuid)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=_uuid)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        if self.id_number is not None:
            rid = parse_resident_id(self.id_number)
            if self.gender is None:
                object.__setattr__(self, "gender", rid.gender)
            elif self.gender is not rid.gender:
                raise ValidationError(
                    "性别与公民身份号码不符",
                    "gender does not match the ID number",
                    code="gender_mismatch",
                    field="gender",
                )
            if self.birth_date is None:
                object.__setattr__(self, "birth_date", rid.birth_date)
            elif self.birth_date != rid.birth_date:
                raise ValidationError(
                    "出生日期与公民身份号码不符",
                    "birth date does not match the ID number",
                    code="birth_date_mismatch",
                    field="birth_date",
                )
        if self.guardian_id is not None and self.guardian_id == self.id:
            raise ValidationError(
                "监护人不能是本人",
                "a person cannot be their own guardian",
                code="invalid_guardian",
                field="guardian_id",
            )
        if (self.status is PersonStatus.MERGED) != (self.merged_into is not None):
            raise ValidationError(
                "合并状态与合并目标不一致",
                "merged status and merged_into must go together",
                code="invalid_merge_state",
                field="merged_into",
            )
        ordered = sorted(self.residences, key=lambda r: (r.arrival, str(r.id)))
        for earlier, later in itertools.pairwise(ordered):
            if earlier.departure is None or earlier.departure > later.arrival:
                raise ValidationError(
                    "居住记录时间重叠: 新的居住记录开始前须登记上一段的离开时间",
                    "residence episodes overlap: record the departure of the earlier episode first",
                    code="overlapping_residences",
                    field="residences",
                )
        object.__setattr__(self, "residences", tuple(ordered))

    @property
    def is_minority(self) -> bool:
        """True if the person's ethnicity is not 汉族 (code 01)."""
        return self.ethnicity != HAN

    @property
    def current_residence(self) -> Residence | None:
        """The episode without a departure date, if any."""
        for residence in self.residences:
            if residence.departure is None:
                return residence
        return None

    def residence_on(self, day: date) -> Residence | None:
        """The episode covering ``day``, if any."""
        for residence in self.residences:
            if residence.present_on(day):
                return residence
        return None

    def age_on(self, day: date) -> int | None:
        """Age in whole years on ``day``, if the birth date is known."""
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def move(
        self,
        residence: Residence,
    ) -> Person:
        """Return a copy with the current episode ended on the new episode's arrival and
        ``residence`` added (a move is a new episode, not an overwrite)."""
        episodes = []
        for episode in self.residences:
            if episode.departure is None and episode.arrival <= residence.arrival:
                episode = attrs.evolve(episode, departure=residence.arrival)
            episodes.append(episode)
        episodes.append(residence)
        return attrs.evolve(self, residences=tuple(episodes))
