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
from datetime import date
from typing import Any

import attrs

import minzu_core.fields as fields
from minzu_core.codes.divisions import DivisionCode
from minzu_core.codes.ethnicity import HAN
from minzu_core.codes.resident_id import Gender, facts_of_valid_resident_id
from minzu_core.errors import ValidationError
from minzu_core.fields import masked_address, masked_id_number, masked_name, masked_phone
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

    RESIDENT = "resident", "常住", "resident"
    FLOATING = "floating", "流动", "floating"


class MigrationReason(LabelledEnum):
    """流动原因: why a floating person came."""

    WORK = "work", "务工", "work"
    BUSINESS = "business", "经商", "business"
    STUDY = "study", "就学", "study"
    FAMILY = "family", "随迁", "accompanying family"
    OTHER = "other", "其他", "other"


class LanguageProficiency(LabelledEnum):
    """国家通用语言水平: proficiency in the national common language."""

    FLUENT = "fluent", "熟练", "fluent"
    BASIC = "basic", "基本掌握", "basic"
    LIMITED = "limited", "略懂", "limited"
    NONE = "none", "不会", "none"


class PersonStatus(LabelledEnum):
    """Record status: active, or merged into another record after a duplicate decision."""

    ACTIVE = "active", "有效", "active"
    MERGED = "merged", "已合并", "merged"


@attrs.frozen
class HouseholdRegistration:
    """户籍地: where the person's household is registered (division code and address)."""

    division_code: DivisionCode | None = attrs.field(
        default=None,
        converter=fields.to_code_or_none,
        metadata=fields.named("household.division_code"),
    )
    address: str | None = attrs.field(
        default=None, converter=fields.to_text_or_none, repr=masked_address
    )


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

    unit_code: DivisionCode = attrs.field(
        converter=fields.to_code, metadata=fields.named("residence.unit_code")
    )
    status: ResidenceStatus = attrs.field(
        converter=fields.to_choice, metadata=fields.named("residence.status")
    )
    arrival: date = attrs.field(
        converter=fields.to_date, metadata=fields.named("residence.arrival")
    )
    departure: date | None = attrs.field(
        default=None, converter=fields.to_date_or_none, metadata=fields.named("residence.departure")
    )
    address: str | None = attrs.field(
        default=None, converter=fields.to_text_or_none, repr=masked_address
    )
    origin: DivisionCode | None = attrs.field(
        default=None, converter=fields.to_code_or_none, metadata=fields.named("residence.origin")
    )
    reason: MigrationReason | None = attrs.field(
        default=None, converter=fields.to_choice_or_none, metadata=fields.named("residence.reason")
    )
    occupation: str | None = attrs.field(default=None, converter=fields.to_text_or_none)
    employer: str | None = attrs.field(default=None, converter=fields.to_text_or_none)
    employer_uscc: str | None = attrs.field(default=None, converter=fields.to_uscc_or_none)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)

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


@attrs.frozen
class Person:
    """A ledger record (个人信息档案).

    Gender and birth date are derived from a valid ID number when not given, and checked against
    it when both are given. The ID number is optional (not everyone has one at hand); when present
    it is unique among active records of a store.

    Use :func:`attrs.evolve` to change a record; save it through the unit of work, which checks
    the version (``version`` is 0 for a record never stored).

    ``extensions`` holds the values of the deployment's declared extension fields (text,
    numbers, booleans); the store refuses a key its
    :class:`~minzu_core.privacy.ExtensionRegistry` does not declare.

    A record read without the permission to see a personal field in clear holds the field's
    masked text instead (``张*``, ``3601**********0014``, ``****-**-**``;
    :func:`minzu_core.fields.is_withheld`); such a record can be changed in its other fields
    and saved — the stored values stay — but not added as a new record.
    """

    name: str = attrs.field(converter=fields.to_text, repr=masked_name)
    ethnicity: str = attrs.field(converter=fields.to_ethnicity)
    id_number: str | None = attrs.field(
        default=None, converter=fields.to_id_number_or_none, repr=masked_id_number
    )
    gender: Gender | None = attrs.field(default=None, converter=fields.to_gender_or_none)
    birth_date: date | None = attrs.field(default=None, converter=fields.to_birth_date_or_none)
    phone: str | None = attrs.field(
        default=None, converter=fields.to_phone_or_none, repr=masked_phone
    )
    household: HouseholdRegistration | None = attrs.field(
        default=None, converter=fields.to_record_or_none
    )
    language: LanguageProficiency | None = attrs.field(
        default=None, converter=fields.to_choice_or_none
    )
    guardian_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_link_or_none)
    residences: tuple[Residence, ...] = attrs.field(default=(), converter=fields.to_records)
    status: PersonStatus = attrs.field(default=PersonStatus.ACTIVE, converter=fields.to_choice)
    merged_into: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    extensions: dict[str, Any] = attrs.field(
        factory=dict,
        converter=fields.to_extension_values,
        hash=False,
        repr=lambda values: f"<{len(values)} extension values>",
    )
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        if self.id_number is not None and not fields.is_withheld(self.id_number):
            # the converter parsed and validated the number; read its facts, do not re-parse
            birth, gender = facts_of_valid_resident_id(self.id_number)
            if self.gender is None:
                object.__setattr__(self, "gender", gender)
            elif self.gender is not gender:
                raise ValidationError(
                    "性别与公民身份号码不符",
                    "gender does not match the ID number",
                    code="gender_mismatch",
                    field="gender",
                )
            if self.birth_date is None:
                object.__setattr__(self, "birth_date", birth)
            elif self.birth_date != birth:
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

    @property
    def latest_residence(self) -> Residence | None:
        """The episode that places the person now: the open one, else the last (episodes never
        overlap, so an open episode is the last). Scope follows it: a unit the person has left
        no longer sees the record."""
        return self.residences[-1] if self.residences else None

    def residence_on(self, day: date) -> Residence | None:
        """The episode covering ``day``, if any."""
        for residence in self.residences:
            if residence.present_on(day):
                return residence
        return None

    def age_on(self, day: date) -> int | None:
        """Age in whole years on ``day``, if the birth date is known."""
        if not isinstance(self.birth_date, date):  # unknown, or withheld (masked)
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
