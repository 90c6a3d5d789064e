"""Activities, training and recognition (宣传教育、培训与示范创建).

* :class:`Activity` — a publicity or education activity of a type from an extensible
  vocabulary (:data:`DEFAULT_ACTIVITY_TYPES`: 民族团结宣传月/周, 图片展, … 授牌仪式, 其他; a
  deployment adds its own :class:`ActivityType`), with its organiser unit, dates, participant
  counts (total and minority), materials distributed and optionally the ledger persons who
  attended;
* :class:`TrainingCourse` and :class:`Enrollment` — courses (e.g. 国家通用语言培训班) with
  enrollments and completions (a completion needs an enrollment);
* :class:`DemonstrationSite` — 示范点 with a dated history of status and level;
* :class:`Honour` — an honour awarded to a ledger person and/or a business (USCC), optionally at
  a ceremony activity (授牌仪式);
* :class:`VolunteerMembership` and :class:`ServiceHours` — members of a volunteer team (a
  :class:`~minzu_core.organisation.Body` of kind ``volunteer_team``) and the hours it served,
  by kind of service.

Periods are half-open (``start <= d < end``). A one-day activity on 2019-09-20 has
``start=2019-09-20`` and ``end=2019-09-21`` (the default).
"""

from __future__ import annotations

import itertools
import math
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import attrs

import minzu_core.fields as fields
from minzu_core.codes.divisions import DivisionCode
from minzu_core.fields import HeldPeriod, as_vocabulary_code, in_period, invalid
from minzu_core.labels import Choice, Graded

__all__ = [
    "DEFAULT_ACTIVITY_TYPES",
    "LANGUAGE_TRAINING",
    "PLAQUE_CEREMONY",
    "SAFETY_EDUCATION",
    "Activity",
    "ActivityTotals",
    "ActivityType",
    "DemonstrationSite",
    "Enrollment",
    "Honour",
    "ServiceHours",
    "SiteLevel",
    "SiteStatus",
    "SiteStatusEntry",
    "TrainingCourse",
    "VolunteerMembership",
    "VolunteerServiceKind",
    "activity_type_spellings",
    "default_activity_type",
    "read_activity_type",
]


# -- activity types ------------------------------------------------------------------------------
@attrs.frozen
class ActivityType:
    """A type of activity (活动类型): a stable code and Chinese and English labels."""

    code: str = attrs.field(converter=fields.to_vocabulary_code)
    label_zh: str = attrs.field(converter=fields.to_text)
    label_en: str = attrs.field(converter=fields.to_text)
    version: int = 0


def activity_type_spellings(types: Iterable[ActivityType]) -> dict[str, str]:
    """Every accepted spelling of ``types`` → its code: the code, the Chinese label and the
    English label (case-folded); the first type of a spelling wins."""
    spellings: dict[str, str] = {}
    for kind in types:
        for text in (kind.code, kind.label_zh, kind.label_en.casefold()):
            spellings.setdefault(text, kind.code)
    return spellings


def read_activity_type(text: str, spellings: Mapping[str, str]) -> str | None:
    """The code ``text`` spells (stripped; English labels in any case), or ``None``."""
    text = text.strip()
    return spellings.get(text) or spellings.get(text.casefold())


LANGUAGE_TRAINING = "language_training"
SAFETY_EDUCATION = "safety_education"
PLAQUE_CEREMONY = "plaque_ceremony"

#: The activity types of the seed and DESIGN §4 (a deployment can add more).
DEFAULT_ACTIVITY_TYPES: tuple[ActivityType, ...] = (
    ActivityType("unity_publicity", "民族团结宣传月/周", "ethnic unity publicity month/week"),
    ActivityType("photo_exhibition", "图片展", "photo exhibition"),
    ActivityType("materials_distribution", "宣传资料发放", "distribution of publicity materials"),
    ActivityType("performance", "文艺演出", "art performance"),
    ActivityType("folk_craft_contest", "民间传统技艺比赛", "folk craft contest"),
    ActivityType("flag_raising", "升国旗", "national flag raising"),
    ActivityType(LANGUAGE_TRAINING, "国家通用语言培训班", "national common language course"),
    ActivityType("knowledge_contest", "知识竞赛", "knowledge contest"),
    ActivityType(SAFETY_EDUCATION, "安全宣传教育", "safety education"),
    ActivityType("gala", "联欢会", "gala"),
    ActivityType("fun_sports", "趣味运动会", "fun sports meeting"),
    ActivityType("reading_club", "读书推荐会", "book recommendation meeting"),
    ActivityType(PLAQUE_CEREMONY, "授牌仪式", "plaque-awarding ceremony"),
    ActivityType("other", "其他", "other"),
)
_DEFAULT_TYPES = {t.code: t for t in DEFAULT_ACTIVITY_TYPES}


def default_activity_type(code: str) -> ActivityType | None:
    """The built-in type ``code``, if it is one."""
    return _DEFAULT_TYPES.get(code)


# -- activities ----------------------------------------------------------------------------------
def _activity_type(value: Any) -> str:
    if isinstance(value, ActivityType):
        return value.code
    text = str(value).strip() if value is not None else ""
    for t in DEFAULT_ACTIVITY_TYPES:  # Chinese labels of the built-in types are accepted too
        if text == t.label_zh:
            return t.code
    return as_vocabulary_code(text, "type")


def _day_after_start(activity: Any) -> date:
    start: date = activity.start
    return start + timedelta(days=1)


@attrs.frozen
class Activity(HeldPeriod):
    """An activity (活动) held ``start <= d < end`` (one day by default).

    Attributes:
        type: the code of an :class:`ActivityType` (built-in or added by the deployment; the
            Chinese label of a built-in type is accepted too).
        organiser_code: the organising unit.
        participants: total participants (参与人次); ``minority_participants`` of them are of a
            minority; both non-negative, minority not above the total.
        materials: copies of publicity material distributed (发放资料份数).
        attendee_ids: ledger persons known to have attended (not more than ``participants``).
        body_id: the body that ran it (e.g. a volunteer team), if any.
    """

    type: str = attrs.field(converter=_activity_type)
    organiser_code: DivisionCode = attrs.field(converter=fields.to_code)
    title: str = attrs.field(converter=fields.to_text)
    start: date = attrs.field(converter=fields.to_date)
    end: date = attrs.field(
        default=attrs.Factory(_day_after_start, takes_self=True), converter=fields.to_date
    )
    participants: int = attrs.field(default=0, converter=fields.to_count)
    minority_participants: int = attrs.field(default=0, converter=fields.to_count)
    materials: int = attrs.field(default=0, converter=fields.to_count)
    attendee_ids: frozenset[uuid.UUID] = attrs.field(default=frozenset(), converter=fields.to_uuids)
    body_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    note: str = attrs.field(default="", converter=fields.to_text_or_empty)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.minority_participants > self.participants:
            raise invalid(
                "minority_exceeds_total",
                "少数民族参与人数不能超过参与总人数",
                "minority participants exceed the total",
                "minority_participants",
            )
        if len(self.attendee_ids) > self.participants:
            raise invalid(
                "attendees_exceed_total",
                "登记的参与人员多于参与总人数",
                "more attendees recorded than participants",
                "attendee_ids",
            )

    #: True if the activity runs on ``day`` (:meth:`~minzu_core.fields.HeldPeriod.active_on`).
    held_on = HeldPeriod.active_on


@attrs.frozen
class ActivityTotals:
    """Sums over the activities of a query, computed by the store."""

    activities: int = 0
    participants: int = 0
    minority_participants: int = 0
    materials: int = 0


# -- training ------------------------------------------------------------------------------------
@attrs.frozen
class TrainingCourse(HeldPeriod):
    """A training course (培训班), e.g. of type ``language_training`` (国家通用语言培训班), held
    ``start <= d < end`` (``end=None``: still running). ``activity_id`` may link the activity
    record of the course."""

    organiser_code: DivisionCode = attrs.field(converter=fields.to_code)
    title: str = attrs.field(converter=fields.to_text)
    start: date = attrs.field(converter=fields.to_date)
    end: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    type: str = attrs.field(default=LANGUAGE_TRAINING, converter=_activity_type)
    activity_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0


@attrs.frozen
class Enrollment:
    """A trainee enrolled in a course (报名): a ledger person (``person_id``) or an official
    (``official_id``), exactly one. ``completed_on`` is the completion (结业), on or after the
    enrollment."""

    course_id: uuid.UUID = attrs.field(converter=fields.to_uuid)
    enrolled_on: date = attrs.field(converter=fields.to_date)
    person_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    official_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    completed_on: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        if (self.person_id is None) == (self.official_id is None):
            raise invalid(
                "trainee_required",
                "须指定一名学员 (台账人员或干部, 二选一)",
                "exactly one trainee: person_id or official_id",
                "person_id",
            )
        if self.completed_on is not None and self.completed_on < self.enrolled_on:
            raise invalid(
                "completion_before_enrollment",
                "结业日期不能早于报名日期",
                "completion is before the enrollment",
                "completed_on",
            )

    @property
    def trainee_id(self) -> uuid.UUID:
        """The person's or the official's id."""
        trainee = self.person_id or self.official_id
        assert trainee is not None
        return trainee

    @property
    def trainee_key(self) -> str:
        """``"<course>:<p|o>:<trainee>"``: one enrollment per trainee and course."""
        tag = "p" if self.person_id is not None else "o"
        return f"{self.course_id}:{tag}:{self.trainee_id}"


# -- demonstration sites -------------------------------------------------------------------------
class SiteLevel(Graded):
    """The level of a demonstration site (示范点级别), lowest first."""

    DISTRICT = "district", "区级", "district"
    CITY = "city", "市级", "city"
    PROVINCE = "province", "省级", "province"
    NATIONAL = "national", "国家级", "national"


class SiteStatus(Choice):
    """The status of a demonstration site (创建状态)."""

    CREATING = "creating", "创建中", "being created"
    NAMED = "named", "已命名", "named"
    REVOKED = "revoked", "已撤销", "revoked"


@attrs.frozen
class SiteStatusEntry:
    """From ``since`` (until the next entry) the site has ``status`` at ``level``."""

    status: SiteStatus = attrs.field(converter=fields.to_choice)
    level: SiteLevel = attrs.field(converter=fields.to_choice)
    since: date = attrs.field(converter=fields.to_date)
    basis: str = attrs.field(default="", converter=fields.to_text_or_empty)


@attrs.frozen
class DemonstrationSite:
    """A demonstration site (民族团结进步示范点) at a unit, with its dated status history."""

    unit_code: DivisionCode = attrs.field(converter=fields.to_code)
    name: str = attrs.field(converter=fields.to_text)
    statuses: tuple[SiteStatusEntry, ...] = attrs.field(converter=fields.to_records)
    body_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        if not self.statuses:
            raise invalid(
                "required", "示范点须有状态记录", "a site needs a status entry", "statuses"
            )
        for index, (a, b) in enumerate(itertools.pairwise(self.statuses), start=1):
            if b.since <= a.since:
                raise invalid(
                    "history_order",
                    "状态记录须按日期先后排列且日期不能重复",
                    "status entries must be in date order without repeated dates",
                    f"statuses[{index}].since",
                )

    def periods(self) -> list[tuple[SiteStatusEntry, date | None]]:
        """Each entry with the day it ends (the next entry's ``since``; ``None``: current)."""
        nexts: list[date | None] = [e.since for e in self.statuses[1:]]
        return list(zip(self.statuses, [*nexts, None], strict=True))

    def status_on(self, day: date) -> SiteStatusEntry | None:
        """The entry in effect on ``day`` (``None`` before the first)."""
        for entry, until in self.periods():
            if in_period(day, entry.since, until):
                return entry
        return None

    @property
    def current(self) -> SiteStatusEntry:
        """The latest entry."""
        return self.statuses[-1]

    def with_status(
        self,
        status: SiteStatus | str,
        since: date,
        *,
        level: SiteLevel | str | None = None,
        basis: str = "",
    ) -> DemonstrationSite:
        """A copy with a new entry from ``since`` (the level stays unless given)."""
        entry = SiteStatusEntry(status, level or self.current.level, since, basis)
        return attrs.evolve(self, statuses=(*self.statuses, entry))


# -- honours -------------------------------------------------------------------------------------
@attrs.frozen
class Honour:
    """An honour (表彰/授牌) awarded by ``unit_code`` on ``awarded_on`` to a ledger person
    (``person_id``) and/or a business (``business_uscc``, validated; ``business_name``),
    e.g. "阿布拉江"式文明诚信经营户 at a 授牌仪式 (``ceremony_id``: an activity)."""

    title: str = attrs.field(converter=fields.to_text)
    unit_code: DivisionCode = attrs.field(converter=fields.to_code)
    awarded_on: date = attrs.field(converter=fields.to_date)
    person_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    business_name: str = attrs.field(default="", converter=fields.to_text_or_empty)
    business_uscc: str | None = attrs.field(
        default=None, converter=fields.to_uscc_or_none, repr=fields.masked_uscc
    )
    ceremony_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    basis: str = attrs.field(default="", converter=fields.to_text_or_empty)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        if self.business_name and self.business_uscc is None:
            raise invalid(
                "required",
                "经营主体须填写统一社会信用代码",
                "a business needs its unified social credit code",
                "business_uscc",
            )
        if self.person_id is None and self.business_uscc is None:
            raise invalid(
                "recipient_required",
                "须指定获奖人员或经营主体 (统一社会信用代码)",
                "a recipient is required: person_id or business_uscc",
                "person_id",
            )


# -- volunteers ----------------------------------------------------------------------------------
class VolunteerServiceKind(Choice):
    """Kinds of volunteer service (志愿服务类别)."""

    TRAFFIC = "traffic", "交通协勤", "traffic assistance"
    CIVILISED_CITY = "civilised_city", "文明城市创建", "civilised-city campaign"
    PUBLICITY = "publicity", "宣传", "publicity"
    COMMUNITY = "community", "社区服务", "community service"
    INTERPRETING = "interpreting", "翻译", "interpreting"
    OTHER = "other", "其他", "other"


@attrs.frozen
class VolunteerMembership(HeldPeriod):
    """A ledger person is a member of a volunteer team on ``start <= d < end``."""

    team_id: uuid.UUID = attrs.field(converter=fields.to_uuid)
    person_id: uuid.UUID = attrs.field(converter=fields.to_uuid)
    start: date = attrs.field(converter=fields.to_date)
    end: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    duty: str = attrs.field(default="", converter=fields.to_text_or_empty)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0


def _hours(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid("invalid_hours", "时长须为数字", "hours must be a number", "hours")
    hours = round(float(value), 2)
    if not math.isfinite(hours) or hours <= 0 or hours > 99_999_999:
        raise invalid("invalid_hours", "时长须为正数", "hours must be positive", "hours")
    return hours


@attrs.frozen
class ServiceHours:
    """Volunteer hours (志愿服务时长, person-hours, two decimals) a team served on a day, by
    kind; ``member_id`` names the member who served them, if recorded per member."""

    team_id: uuid.UUID = attrs.field(converter=fields.to_uuid)
    kind: VolunteerServiceKind = attrs.field(converter=fields.to_choice)
    served_on: date = attrs.field(converter=fields.to_date)
    hours: float = attrs.field(converter=_hours)
    member_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    note: str = attrs.field(default="", converter=fields.to_text_or_empty)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0
