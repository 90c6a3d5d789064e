"""Organisation and responsibility (组织机构与两级责任制).

The seed's network is "区、街道(镇)、社区(村)三级网络两级责任制": a district 民族工作领导小组,
a first responsible person (第一责任人) and a 统战民宗专干 in every township, a first responsible
person and a designated cadre in every community or village. This module models it:

* :class:`Body` — a body attached to a unit (leading group, united-front office, service window,
  mediation committee, liaison station, volunteer team, partner agency of an origin area), open
  from ``opened`` until ``closed``;
* :class:`Official` (with a dated :class:`Rank` history) and :class:`Technician` (with a dated
  :class:`TitleLevel` history) — cadres and talent, who need not be ledger persons;
* :class:`Appointment` — an official holding a role at a unit from ``start`` until ``end``;
* :class:`ResponsibilityPolicy` — the roles each level needs, with minimum and maximum counts
  (:data:`DEFAULT_POLICY` is the seed's rule);
* :func:`coverage_report` — as of a date, every unit that lacks a required role, has too many
  holders, or had a gap or an overlap in a handover.

Dates are half-open throughout the library: something valid from ``start`` until ``end`` holds on
``start <= d < end`` (``end=None``: still holds). Names of officials are personal data and never
appear in a repr or an error message.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, ClassVar

import attrs

from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.codes.ethnicity import HAN, normalize_ethnicity_code
from minzu_core.codes.masking import mask_name
from minzu_core.codes.resident_id import Gender
from minzu_core.errors import ValidationError
from minzu_core.hierarchy.model import Unit
from minzu_core.labels import LabelledEnum

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_ROLES",
    "DESIGNATED_CADRE",
    "ETHNIC_AFFAIRS_OFFICER",
    "FIRST_RESPONSIBLE",
    "LEADING_GROUP_LEADER",
    "LEADING_GROUP_MEMBER",
    "Appointment",
    "Body",
    "BodyKind",
    "ChainLink",
    "Choice",
    "CoverageReport",
    "Graded",
    "Holder",
    "Official",
    "Rank",
    "RankEntry",
    "ResponsibilityChain",
    "ResponsibilityPolicy",
    "Role",
    "RoleRule",
    "Technician",
    "TitleEntry",
    "TitleLevel",
    "Violation",
    "ViolationKind",
    "coverage_report",
]

_CODE_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")


# -- shared helpers (also used by minzu_core.activities) ----------------------------------------
def invalid(code: str, zh: str, en: str, field: str, **details: Any) -> ValidationError:
    """A :class:`ValidationError` naming ``field`` (no personal data in the messages)."""
    return ValidationError(zh, en, code=code, field=field, details=details or None)


def as_uuid(value: Any, field: str = "id") -> uuid.UUID:
    """``value`` as a UUID (``ValidationError(code="invalid_id")`` otherwise)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise invalid("invalid_id", "标识符无效", "invalid identifier", field) from None


def as_opt_uuid(value: Any, field: str) -> uuid.UUID | None:
    """``value`` as a UUID, or ``None`` for ``None``/empty."""
    return None if value is None or value == "" else as_uuid(value, field)


def as_code(value: Any, field: str) -> DivisionCode:
    """``value`` as a division code."""
    return value if isinstance(value, DivisionCode) else DivisionCode.parse(value, field=field)


def as_date(value: Any, field: str) -> date:
    """``value`` as a date (a ``date`` or ISO ``YYYY-MM-DD`` text)."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise invalid(
            "invalid_date",
            f"{field} 不是有效日期 (YYYY-MM-DD)",
            f"{field} is not a valid date (YYYY-MM-DD)",
            field,
        ) from None


def as_opt_date(value: Any, field: str) -> date | None:
    """``value`` as a date, or ``None`` for ``None``/empty."""
    return None if value is None or value == "" else as_date(value, field)


def as_text(value: Any, field: str, *, required: bool) -> str:
    """Stripped text; ``ValidationError(code="required")`` for empty required text."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise invalid("required", f"缺少必填项 {field}", f"{field} is required", field)
    return text


def as_vocabulary_code(value: Any, field: str) -> str:
    """A vocabulary code: lower-case letters, digits and ``_``, starting with a letter, at most
    32 characters (roles, activity types)."""
    text = str(value).strip() if value is not None else ""
    if not _CODE_RE.fullmatch(text):
        raise invalid(
            "invalid_code",
            f"{field} 须为小写字母、数字和下划线 (最多 32 个字符)",
            f"{field} must be lower-case letters, digits and _ (at most 32 characters)",
            field,
        )
    return text


def check_period(start: date, end: date | None, end_field: str = "end") -> None:
    """Raise ``ValidationError(code="end_before_start")`` unless ``end`` is after ``start``."""
    if end is not None and end <= start:
        raise invalid(
            "end_before_start",
            "结束日期须晚于开始日期",
            "the end must be after the start",
            end_field,
        )


def in_period(day: date, start: date, end: date | None) -> bool:
    """``start <= day < end`` (``end=None``: open)."""
    return start <= day and (end is None or day < end)


def masked_name(value: str) -> str:
    """The repr of a personal name: masked."""
    return repr(mask_name(value)) if value else "''"


#: The base of the labelled vocabularies of this module (one implementation for the library).
Choice = LabelledEnum


class Graded(Choice):
    """A :class:`Choice` whose members are ordered as declared (``order`` 1, 2, …)."""

    @property
    def order(self) -> int:
        """1 for the lowest grade, 2 for the next …"""
        return type(self)._member_names_.index(self.name) + 1

    def _other(self, other: object) -> int | None:
        return other.order if type(other) is type(self) and isinstance(other, Graded) else None

    def __lt__(self, other: object) -> bool:
        o = self._other(other)
        return NotImplemented if o is None else self.order < o

    def __le__(self, other: object) -> bool:
        o = self._other(other)
        return NotImplemented if o is None else self.order <= o

    def __gt__(self, other: object) -> bool:
        o = self._other(other)
        return NotImplemented if o is None else self.order > o

    def __ge__(self, other: object) -> bool:
        o = self._other(other)
        return NotImplemented if o is None else self.order >= o


# -- bodies ------------------------------------------------------------------------------------
class BodyKind(Choice):
    """The kinds of body attached to a unit (机构类型)."""

    LEADING_GROUP = "leading_group"
    UNITED_FRONT_OFFICE = "united_front_office"
    SERVICE_WINDOW = "service_window"
    MEDIATION_COMMITTEE = "mediation_committee"
    LIAISON_STATION = "liaison_station"
    VOLUNTEER_TEAM = "volunteer_team"
    PARTNER_AGENCY = "partner_agency"

    @classmethod
    def _label_table(cls) -> Mapping[str, tuple[str, str]]:
        return _BODY_LABELS

    @property
    def levels(self) -> frozenset[Level]:
        """The unit levels a body of this kind may be attached to."""
        return _BODY_LEVELS.get(self.value, frozenset(Level))


_BODY_LABELS: Mapping[str, tuple[str, str]] = {
    "leading_group": ("民族工作领导小组", "ethnic affairs leading group"),
    "united_front_office": ("统战工作办公室", "united-front work office"),
    "service_window": ("民族工作服务窗口", "ethnic affairs service window"),
    "mediation_committee": ("人民调解委员会", "people's mediation committee"),
    "liaison_station": (
        "少数民族流动人口联系服务站",
        "liaison and service station for the floating minority population",
    ),
    "volunteer_team": ("志愿服务队", "volunteer team"),
    "partner_agency": ("流出地合作机构", "partner agency of an origin area"),
}
_BODY_LEVELS: Mapping[str, frozenset[Level]] = {
    "leading_group": frozenset({Level.PROVINCE, Level.PREFECTURE, Level.COUNTY}),
    "united_front_office": frozenset({Level.TOWNSHIP}),
    "service_window": frozenset({Level.TOWNSHIP}),
    "mediation_committee": frozenset({Level.TOWNSHIP, Level.VILLAGE}),
}


def _body_unit(value: Any) -> DivisionCode:
    return as_code(value, "unit_code")


def _body_kind(value: Any) -> BodyKind:
    result: BodyKind = BodyKind.parse(value, field="kind")
    return result


def _body_name(value: Any) -> str:
    return as_text(value, "name", required=True)


def _opened(value: Any) -> date:
    return as_date(value, "opened")


def _closed(value: Any) -> date | None:
    return as_opt_date(value, "closed")


def _origin_code(value: Any) -> DivisionCode | None:
    return None if value is None or value == "" else as_code(value, "origin_code")


def _window_id(value: Any) -> uuid.UUID | None:
    return as_opt_uuid(value, "window_id")


def _note(value: Any) -> str:
    return as_text(value, "note", required=False)


def _id(value: Any) -> uuid.UUID:
    return as_uuid(value, "id")


@attrs.frozen
class Body:
    """A body attached to a unit (机构), open on ``opened <= d < closed``.

    Attributes:
        unit_code: the unit the body belongs to. A leading group sits at a county or higher
            unit, a united-front office and a service window at a township, a mediation
            committee at a township or a community/village; the other kinds anywhere.
        kind: see :class:`BodyKind`.
        origin_code: for a partner agency (流出地合作机构, e.g. 新疆驻赣工作组): the division code
            of the origin area it represents (required for that kind, refused for others).
        window_id: for a service window: optionally the id of the
            :class:`~minzu_core.services.ServiceWindow` that runs its requests (the window
            must exist at the same unit). A window body without it is a plain body.
    """

    unit_code: DivisionCode = attrs.field(converter=_body_unit)
    kind: BodyKind = attrs.field(converter=_body_kind)
    name: str = attrs.field(converter=_body_name)
    opened: date = attrs.field(converter=_opened)
    closed: date | None = attrs.field(default=None, converter=_closed)
    origin_code: DivisionCode | None = attrs.field(default=None, converter=_origin_code)
    window_id: uuid.UUID | None = attrs.field(default=None, converter=_window_id)
    note: str = attrs.field(default="", converter=_note)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=_id)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        check_period(self.opened, self.closed, "closed")
        if self.unit_code.level not in self.kind.levels:
            raise invalid(
                "body_level",
                f"「{self.kind.label_zh}」不能设在{self.unit_code.level.label_zh}单位",
                f"a {self.kind.label_en} cannot belong to a {self.unit_code.level.label_en} unit",
                "unit_code",
            )
        if (self.kind is BodyKind.PARTNER_AGENCY) != (self.origin_code is not None):
            raise invalid(
                "origin_code",
                "流出地区划代码仅用于且必须用于流出地合作机构",
                "origin_code is required for a partner agency and only for it",
                "origin_code",
            )
        if self.window_id is not None and self.kind is not BodyKind.SERVICE_WINDOW:
            raise invalid(
                "window_id",
                "仅服务窗口可关联窗口标识",
                "only a service window body may reference a window",
                "window_id",
            )

    def open_on(self, day: date) -> bool:
        """True if the body exists on ``day`` (``opened <= day < closed``)."""
        return in_period(day, self.opened, self.closed)


# -- ranks, titles, officials, technicians -----------------------------------------------------
class Rank(Graded):
    """职级 of an official, lowest first (科员级 < 副科级 < … < 正厅级及以上)."""

    STAFF = "staff"
    DEPUTY_SECTION = "deputy_section"
    SECTION = "section"
    DEPUTY_DIVISION = "deputy_division"
    DIVISION = "division"
    DEPUTY_BUREAU = "deputy_bureau"
    BUREAU_AND_ABOVE = "bureau_and_above"

    @classmethod
    def _label_table(cls) -> Mapping[str, tuple[str, str]]:
        return {
            "staff": ("科员级", "staff level"),
            "deputy_section": ("副科级", "deputy section-chief level"),
            "section": ("正科级", "section-chief level"),
            "deputy_division": ("副处级", "deputy division-chief level"),
            "division": ("正处级", "division-chief level"),
            "deputy_bureau": ("副厅级", "deputy bureau-director level"),
            "bureau_and_above": ("正厅级及以上", "bureau-director level and above"),
        }


class TitleLevel(Graded):
    """专业技术职称 level, lowest first (初级 < 中级 < 副高级 < 正高级)."""

    JUNIOR = "junior"
    INTERMEDIATE = "intermediate"
    ASSOCIATE_SENIOR = "associate_senior"
    SENIOR = "senior"

    @classmethod
    def _label_table(cls) -> Mapping[str, tuple[str, str]]:
        return {
            "junior": ("初级", "junior"),
            "intermediate": ("中级", "intermediate"),
            "associate_senior": ("副高级", "associate senior"),
            "senior": ("正高级", "senior"),
        }


def _rank(value: Any) -> Rank:
    result: Rank = Rank.parse(value, field="rank")
    return result


def _title(value: Any) -> TitleLevel:
    result: TitleLevel = TitleLevel.parse(value, field="title")
    return result


def _since(value: Any) -> date:
    return as_date(value, "since")


def _basis(value: Any) -> str:
    return as_text(value, "basis", required=False)


@attrs.frozen
class RankEntry:
    """An official holds ``rank`` from ``since`` until the next entry (or leaving)."""

    rank: Rank = attrs.field(converter=_rank)
    since: date = attrs.field(converter=_since)
    basis: str = attrs.field(default="", converter=_basis)


@attrs.frozen
class TitleEntry:
    """A technician holds ``title`` from ``since`` until the next entry (or leaving)."""

    title: TitleLevel = attrs.field(converter=_title)
    since: date = attrs.field(converter=_since)
    basis: str = attrs.field(default="", converter=_basis)


def _check_history(
    entries: Sequence[RankEntry | TitleEntry], left_on: date | None, field: str
) -> None:
    for index, (earlier, later) in enumerate(itertools.pairwise(entries), start=1):
        if later.since <= earlier.since:
            raise invalid(
                "history_order",
                "记录须按日期先后排列且日期不能重复",
                "entries must be in date order without repeated dates",
                f"{field}[{index}].since",
            )
    if left_on is not None and entries and left_on <= entries[-1].since:
        raise invalid(
            "left_before_since",
            "离任日期须晚于最后一条记录的日期",
            "left_on must be after the last entry",
            "left_on",
        )


def periods_of(
    entries: Sequence[RankEntry | TitleEntry], left_on: date | None
) -> list[tuple[int, date, date | None]]:
    """``(index, since, until)`` of each entry: it holds on ``since <= d < until``."""
    result = []
    for index, entry in enumerate(entries):
        until = entries[index + 1].since if index + 1 < len(entries) else left_on
        result.append((index, entry.since, until))
    return result


def _rank_entries(values: Iterable[Any]) -> tuple[RankEntry, ...]:
    return tuple(v if isinstance(v, RankEntry) else RankEntry(**v) for v in values)


def _title_entries(values: Iterable[Any]) -> tuple[TitleEntry, ...]:
    return tuple(v if isinstance(v, TitleEntry) else TitleEntry(**v) for v in values)


def _official_unit(value: Any) -> DivisionCode:
    return as_code(value, "unit_code")


def _person_name(value: Any) -> str:
    return as_text(value, "name", required=True)


def _ethnicity(value: Any) -> str:
    return normalize_ethnicity_code(value, field="ethnicity")


def _gender(value: Any) -> Gender | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Gender) else Gender.parse(value)


def _position(value: Any) -> str:
    return as_text(value, "position", required=False)


def _person_id(value: Any) -> uuid.UUID | None:
    return as_opt_uuid(value, "person_id")


def _left_on(value: Any) -> date | None:
    return as_opt_date(value, "left_on")


@attrs.frozen
class Official:
    """A cadre (干部): not necessarily a ledger person. ``name`` is masked in reprs.

    Attributes:
        unit_code: the unit the official serves in (scope and subtree queries use it).
        ethnicity: GB/T 3304 code (any accepted form is normalised).
        ranks: the dated rank history (职级), oldest first; empty for cadres without a civil
            service rank (e.g. community cadres).
        position: the post held, free text (e.g. 党工委书记).
        person_id: the ledger person, if the official is also in the ledger.
        left_on: the first day the official is no longer in service (ends the last rank).
    """

    unit_code: DivisionCode = attrs.field(converter=_official_unit)
    name: str = attrs.field(converter=_person_name, repr=masked_name)
    ethnicity: str = attrs.field(converter=_ethnicity)
    ranks: tuple[RankEntry, ...] = attrs.field(default=(), converter=_rank_entries)
    gender: Gender | None = attrs.field(default=None, converter=_gender)
    position: str = attrs.field(default="", converter=_position)
    person_id: uuid.UUID | None = attrs.field(default=None, converter=_person_id)
    left_on: date | None = attrs.field(default=None, converter=_left_on)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=_id)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        _check_history(self.ranks, self.left_on, "ranks")

    @property
    def is_minority(self) -> bool:
        """True unless the official is 汉族."""
        return self.ethnicity != HAN

    def rank_on(self, day: date) -> Rank | None:
        """The rank held on ``day`` (``None`` before the first entry or after leaving)."""
        for index, since, until in periods_of(self.ranks, self.left_on):
            if in_period(day, since, until):
                return self.ranks[index].rank
        return None

    def with_rank(self, rank: Rank | str, since: date, basis: str = "") -> Official:
        """A copy with a new rank from ``since`` (after every existing entry)."""
        return attrs.evolve(self, ranks=(*self.ranks, RankEntry(rank, since, basis)))


def _specialty(value: Any) -> str:
    return as_text(value, "specialty", required=False)


@attrs.frozen
class Technician:
    """A professional technician (专业技术人员) with a dated title history (职称).

    Attributes:
        unit_code: the unit the technician works in (scope and subtree queries use it).
        specialty: the professional field, free text (e.g. 临床医学).
        titles: the dated title history, oldest first.
        left_on: the first day the technician no longer counts (ends the last title).
    """

    unit_code: DivisionCode = attrs.field(converter=_official_unit)
    name: str = attrs.field(converter=_person_name, repr=masked_name)
    ethnicity: str = attrs.field(converter=_ethnicity)
    titles: tuple[TitleEntry, ...] = attrs.field(default=(), converter=_title_entries)
    gender: Gender | None = attrs.field(default=None, converter=_gender)
    specialty: str = attrs.field(default="", converter=_specialty)
    person_id: uuid.UUID | None = attrs.field(default=None, converter=_person_id)
    left_on: date | None = attrs.field(default=None, converter=_left_on)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=_id)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        _check_history(self.titles, self.left_on, "titles")

    @property
    def is_minority(self) -> bool:
        """True unless the technician is 汉族."""
        return self.ethnicity != HAN

    def title_on(self, day: date) -> TitleLevel | None:
        """The title held on ``day`` (``None`` before the first entry or after leaving)."""
        for index, since, until in periods_of(self.titles, self.left_on):
            if in_period(day, since, until):
                return self.titles[index].title
        return None

    def with_title(self, title: TitleLevel | str, since: date, basis: str = "") -> Technician:
        """A copy with a new title from ``since`` (after every existing entry)."""
        return attrs.evolve(self, titles=(*self.titles, TitleEntry(title, since, basis)))


# -- roles, policy, appointments -----------------------------------------------------------------
FIRST_RESPONSIBLE = "first_responsible"
ETHNIC_AFFAIRS_OFFICER = "ethnic_affairs_officer"
DESIGNATED_CADRE = "designated_cadre"
LEADING_GROUP_LEADER = "leading_group_leader"
LEADING_GROUP_MEMBER = "leading_group_member"


def _role_code(value: Any) -> str:
    return as_vocabulary_code(value, "role")


def _label(value: Any) -> str:
    return as_text(value, "label", required=True)


@attrs.frozen
class Role:
    """A role of the responsibility network: a code and its Chinese and English labels."""

    code: str = attrs.field(converter=_role_code)
    label_zh: str = attrs.field(converter=_label)
    label_en: str = attrs.field(converter=_label)


#: The roles of the seed (三级网络两级责任制).
DEFAULT_ROLES: tuple[Role, ...] = (
    Role(LEADING_GROUP_LEADER, "民族工作领导小组组长", "leading group leader"),
    Role(LEADING_GROUP_MEMBER, "民族工作领导小组成员", "leading group member"),
    Role(FIRST_RESPONSIBLE, "第一责任人", "first responsible person"),
    Role(ETHNIC_AFFAIRS_OFFICER, "统战民宗专干", "ethnic and religious affairs officer"),
    Role(DESIGNATED_CADRE, "民族工作指定干部", "designated community (village) cadre"),
)


def _level(value: Any) -> Level:
    if isinstance(value, Level):
        return value
    try:
        return Level(str(value).strip())
    except ValueError:
        raise invalid(
            "invalid_choice",
            "级别无效",
            "invalid level",
            "level",
            allowed=[m.value for m in Level],
        ) from None


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise invalid("invalid_count", "人数须为非负整数", "counts are non-negative", "min_count")
    return value


def _opt_count(value: Any) -> int | None:
    return None if value is None else _count(value)


@attrs.frozen
class RoleRule:
    """At every unit of ``level``, ``role`` must have between ``min_count`` and ``max_count``
    holders (``max_count=None``: no maximum). ``min_count=0`` makes a role allowed but not
    required."""

    level: Level = attrs.field(converter=_level)
    role: str = attrs.field(converter=_role_code)
    min_count: int = attrs.field(default=1, converter=_count)
    max_count: int | None = attrs.field(default=1, converter=_opt_count)

    def __attrs_post_init__(self) -> None:
        if self.max_count is not None and self.max_count < max(self.min_count, 1):
            raise invalid(
                "invalid_count",
                "人数上限须不小于下限且至少为 1",
                "max_count must be at least min_count and at least 1",
                "max_count",
            )


def _roles(values: Iterable[Any]) -> tuple[Role, ...]:
    return tuple(v if isinstance(v, Role) else Role(**v) for v in values)


def _rules(values: Iterable[Any]) -> tuple[RoleRule, ...]:
    return tuple(v if isinstance(v, RoleRule) else RoleRule(**v) for v in values)


def _policy_name(value: Any) -> str:
    return as_text(value, "name", required=True)


@attrs.frozen
class ResponsibilityPolicy:
    """Which roles every unit of a level needs (责任制规则), as data.

    A store holds one policy (``uow.org.set_policy``); without one, :data:`DEFAULT_POLICY`
    applies. A role may be held at a level only if the policy has a rule for it there.
    """

    KEY: ClassVar[str] = "responsibility_policy"

    roles: tuple[Role, ...] = attrs.field(converter=_roles)
    rules: tuple[RoleRule, ...] = attrs.field(converter=_rules)
    name: str = attrs.field(default="default", converter=_policy_name)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        codes = [r.code for r in self.roles]
        if len(set(codes)) != len(codes):
            raise invalid("duplicate_role", "角色重复", "a role is declared twice", "roles")
        seen: set[tuple[Level, str]] = set()
        for index, rule in enumerate(self.rules):
            if rule.role not in codes:
                raise invalid(
                    "unknown_role",
                    "规则引用了未声明的角色",
                    "a rule names an undeclared role",
                    f"rules[{index}].role",
                )
            if (rule.level, rule.role) in seen:
                raise invalid(
                    "duplicate_rule",
                    "同一级别的同一角色只能有一条规则",
                    "one rule per level and role",
                    f"rules[{index}]",
                )
            seen.add((rule.level, rule.role))

    def role(self, code: str) -> Role:
        """The declared role ``code`` (``ValidationError(code="unknown_role")`` otherwise)."""
        for role in self.roles:
            if role.code == code:
                return role
        raise invalid("unknown_role", "未知的角色", "unknown role", "role")

    def rule(self, level: Level, role: str) -> RoleRule | None:
        """The rule for ``role`` at ``level``, if any."""
        for rule in self.rules:
            if rule.level is level and rule.role == role:
                return rule
        return None

    def rules_for(self, level: Level) -> tuple[RoleRule, ...]:
        """The rules of ``level`` in declaration order."""
        return tuple(r for r in self.rules if r.level is level)

    @property
    def levels(self) -> frozenset[Level]:
        """The levels the policy has rules for."""
        return frozenset(r.level for r in self.rules)

    def allows(self, level: Level, role: str) -> bool:
        """True if ``role`` may be held at a unit of ``level``."""
        return self.rule(level, role) is not None

    def check(self, level: Level, role: str, field: str = "role") -> RoleRule:
        """The rule allowing ``role`` at ``level``, or ``ValidationError(code=
        "role_not_allowed")`` naming ``field``."""
        rule = self.rule(level, role)
        if rule is None:
            allowed = [r.role for r in self.rules_for(level)]
            raise invalid(
                "role_not_allowed",
                f"责任制规则不允许在{level.label_zh}单位设此角色",
                f"the responsibility policy does not allow this role at a {level.label_en} unit",
                field,
                allowed=allowed,
            )
        return rule


#: The seed's rules: 区 — a leading group (one leader, at least one member); 街道(镇) — one
#: 第一责任人 (the 党(工)委书记) and one 统战民宗专干; 社区(村) — one 第一责任人 (the 支部书记)
#: and one designated cadre.
DEFAULT_POLICY = ResponsibilityPolicy(
    roles=DEFAULT_ROLES,
    rules=(
        RoleRule(Level.COUNTY, LEADING_GROUP_LEADER, 1, 1),
        RoleRule(Level.COUNTY, LEADING_GROUP_MEMBER, 1, None),
        RoleRule(Level.TOWNSHIP, FIRST_RESPONSIBLE, 1, 1),
        RoleRule(Level.TOWNSHIP, ETHNIC_AFFAIRS_OFFICER, 1, 1),
        RoleRule(Level.VILLAGE, FIRST_RESPONSIBLE, 1, 1),
        RoleRule(Level.VILLAGE, DESIGNATED_CADRE, 1, 1),
    ),
    name="三级网络两级责任制 (seed default)",
)


def _official_id(value: Any) -> uuid.UUID:
    return as_uuid(value, "official_id")


def _appointment_unit(value: Any) -> DivisionCode:
    return as_code(value, "unit_code")


def _start(value: Any) -> date:
    return as_date(value, "start")


def _end(value: Any) -> date | None:
    return as_opt_date(value, "end")


def _body_id(value: Any) -> uuid.UUID | None:
    return as_opt_uuid(value, "body_id")


@attrs.frozen
class Appointment:
    """An official holds ``role`` at ``unit_code`` on ``start <= d < end`` (任职).

    ``basis`` is the document that made the appointment (任命文件, e.g. 西统字〔2019〕5号);
    ``body_id`` optionally names the body the role belongs to (e.g. the leading group).
    """

    official_id: uuid.UUID = attrs.field(converter=_official_id)
    role: str = attrs.field(converter=_role_code)
    unit_code: DivisionCode = attrs.field(converter=_appointment_unit)
    start: date = attrs.field(converter=_start)
    end: date | None = attrs.field(default=None, converter=_end)
    basis: str = attrs.field(default="", converter=_basis)
    body_id: uuid.UUID | None = attrs.field(default=None, converter=_body_id)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=_id)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        check_period(self.start, self.end)

    def active_on(self, day: date) -> bool:
        """True if the appointment holds on ``day``."""
        return in_period(day, self.start, self.end)


# -- coverage ------------------------------------------------------------------------------------
class ViolationKind(Choice):
    """What is wrong with a unit's role (责任落实问题)."""

    MISSING = "missing"
    EXCESS = "excess"
    GAP = "gap"
    OVERLAP = "overlap"

    @classmethod
    def _label_table(cls) -> Mapping[str, tuple[str, str]]:
        return {
            "missing": ("缺少", "missing"),
            "excess": ("超员", "too many"),
            "gap": ("交接空档", "handover gap"),
            "overlap": ("交接重叠", "handover overlap"),
        }


@attrs.frozen(order=False)
class Violation:
    """One finding of the coverage report.

    * ``missing`` — on the report date the role has fewer than ``min_count`` holders; ``start``
      is the first day of the shortfall (``None``: the role was never filled), ``end`` is None;
    * ``excess`` — on the report date it has more than ``max_count``; ``start`` is the first day
      of the excess;
    * ``gap`` — a past shortfall ``[start, end)`` after the role had been filled, over by the
      report date (the handover left the unit without a holder);
    * ``overlap`` — a past excess ``[start, end)`` over by the report date (two holders at
      once during a handover).

    ``count`` is the number of holders on the report date (missing, excess), or the fewest
    (gap) or most (overlap) during the period. ``appointment_ids`` are the appointments of the
    unit and role (started by the report date) involved, by start: for ``excess``/``overlap``
    those holding on some day of the period; for ``missing``/``gap`` also those ending on its
    first day or starting on its ``end`` (the predecessor and successor of a handover).
    """

    kind: ViolationKind
    unit_code: DivisionCode
    role: str
    start: date | None
    end: date | None
    count: int
    min_count: int
    max_count: int | None
    unit_name: str = ""
    appointment_ids: tuple[uuid.UUID, ...] = ()

    def describe(self, policy: ResponsibilityPolicy | None = None) -> str:
        """One line in Chinese and English (no personal data)."""
        role = self.role
        if policy is not None:
            found = next((r for r in policy.roles if r.code == self.role), None)
            if found is not None:
                role = f"{found.label_zh} {found.label_en}"
        span = f"{self.start.isoformat() if self.start else '…'}→"
        span += self.end.isoformat() if self.end else "now"
        limits = f"{self.min_count}..{'' if self.max_count is None else self.max_count}"
        unit = f"{self.unit_code.short} {self.unit_name}".strip()
        return (
            f"{self.kind.label_zh} {self.kind.label_en}: {unit} | {role} | {span} | "
            f"holders {self.count} (required {limits})"
        )


@attrs.frozen
class CoverageReport:
    """The coverage of the responsibility network as of ``as_of`` (责任落实情况).

    Attributes:
        as_of: the report date.
        since: gaps and overlaps ending on or before this date are left out (``None``: all).
        checked: the units checked (valid on ``as_of``, at a level the policy has rules for).
        violations: every finding, ordered by unit code, then the policy's rule order, then
            date.
    """

    as_of: date
    since: date | None
    checked: tuple[DivisionCode, ...]
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        """True if nothing was found."""
        return not self.violations

    @property
    def fully_covered(self) -> tuple[DivisionCode, ...]:
        """Checked units with every required role filled on ``as_of`` (no ``missing``)."""
        lacking = {v.unit_code for v in self.violations if v.kind is ViolationKind.MISSING}
        return tuple(c for c in self.checked if c not in lacking)

    def of_kind(self, *kinds: ViolationKind) -> tuple[Violation, ...]:
        """The findings of the given kinds."""
        return tuple(v for v in self.violations if v.kind in kinds)

    def for_unit(self, code: DivisionCode | str) -> tuple[Violation, ...]:
        """The findings of one unit."""
        c = as_code(code, "unit_code")
        return tuple(v for v in self.violations if v.unit_code == c)

    def lines(self, policy: ResponsibilityPolicy | None = None) -> list[str]:
        """The report as text lines (a summary, then one line per finding)."""
        head = (
            f"责任落实情况 coverage as of {self.as_of.isoformat()}: "
            f"{len(self.fully_covered)}/{len(self.checked)} units fully covered, "
            f"{len(self.violations)} findings"
        )
        return [head, *(v.describe(policy) for v in self.violations)]


_DAY = timedelta(days=1)


@attrs.frozen
class _Run:
    status: str  # "low", "ok", "high"
    start: date | None  # None: unbounded in the past
    end: date  # exclusive
    counts: tuple[int, ...]


def _runs(appointments: Sequence[Appointment], rule: RoleRule, as_of: date) -> list[_Run]:
    """The maximal runs of days up to ``as_of`` with the same status (below the minimum,
    within the limits, above the maximum), from the step function of the holder count."""
    deltas: dict[date, int] = {}
    for a in appointments:
        if a.start > as_of:
            continue
        deltas[a.start] = deltas.get(a.start, 0) + 1
        if a.end is not None and a.end <= as_of:
            deltas[a.end] = deltas.get(a.end, 0) - 1
    segments: list[tuple[date | None, date, int]] = []
    start: date | None = None
    count = 0
    for point in sorted(deltas):
        segments.append((start, point, count))
        count += deltas[point]
        start = point
    segments.append((start, as_of + _DAY, count))

    def status(n: int) -> str:
        if n < rule.min_count:
            return "low"
        if rule.max_count is not None and n > rule.max_count:
            return "high"
        return "ok"

    runs: list[_Run] = []
    for seg_start, seg_end, n in segments:
        s = status(n)
        if runs and runs[-1].status == s:
            last = runs[-1]
            runs[-1] = _Run(s, last.start, seg_end, (*last.counts, n))
        else:
            runs.append(_Run(s, seg_start, seg_end, (n,)))
    return runs


def _violations_of(
    unit: Unit,
    rule: RoleRule,
    appointments: Sequence[Appointment],
    as_of: date,
    since: date | None,
) -> list[Violation]:
    found = []
    for run in _runs(appointments, rule, as_of):
        if run.status == "ok":
            continue
        current = run.end > as_of
        if current:
            kind = ViolationKind.MISSING if run.status == "low" else ViolationKind.EXCESS
            count = run.counts[-1]
        else:
            if run.status == "low" and run.start is None:
                continue  # before the role was ever filled: not a handover
            if since is not None and run.end <= since:
                continue
            kind = ViolationKind.GAP if run.status == "low" else ViolationKind.OVERLAP
            count = min(run.counts) if run.status == "low" else max(run.counts)
        lo = run.start or date.min
        if run.status == "low":  # the holders around the shortfall (touching it)
            ids = tuple(
                a.id
                for a in sorted(appointments, key=lambda a: (a.start, str(a.id)))
                if a.start <= min(run.end, as_of) and (a.end is None or a.end >= lo)
            )
        else:  # the holders during the excess
            ids = tuple(
                a.id
                for a in sorted(appointments, key=lambda a: (a.start, str(a.id)))
                if a.start < run.end and a.start <= as_of and (a.end is None or a.end > lo)
            )
        found.append(
            Violation(
                kind=kind,
                unit_code=unit.code,
                role=rule.role,
                start=run.start,
                end=None if current else run.end,
                count=count,
                min_count=rule.min_count,
                max_count=rule.max_count,
                unit_name=unit.name,
                appointment_ids=ids,
            )
        )
    return found


def coverage_report(
    units: Iterable[Unit],
    appointments: Iterable[Appointment],
    policy: ResponsibilityPolicy,
    as_of: date,
    *,
    since: date | None = None,
) -> CoverageReport:
    """Check ``units`` against ``policy`` as of ``as_of`` (pure: the repository passes the units
    valid on that date and their appointments).

    For every unit at a level the policy has rules for, and every rule of that level, the
    holder count ``c(d)`` of each day ``d <= as_of`` is the number of the unit's appointments
    of that role holding on ``d``. Maximal runs of days with ``c < min_count`` or
    ``c > max_count`` are findings: ``missing``/``excess`` if the run reaches ``as_of``,
    otherwise ``gap`` (only after the role had been filled) or ``overlap``; with ``since``,
    past runs that ended on or before it are left out. Appointments of roles without a rule at
    the unit's level are ignored.
    """
    by_key: dict[tuple[DivisionCode, str], list[Appointment]] = {}
    for a in appointments:
        by_key.setdefault((a.unit_code, a.role), []).append(a)
    checked: list[DivisionCode] = []
    violations: list[Violation] = []
    seen: set[DivisionCode] = set()
    for unit in sorted(units, key=lambda u: u.code.value):
        if unit.code in seen or not unit.valid_on(as_of):
            continue
        rules = policy.rules_for(unit.level)
        if not rules:
            continue
        seen.add(unit.code)
        checked.append(unit.code)
        for rule in rules:
            held = by_key.get((unit.code, rule.role), [])
            violations.extend(_violations_of(unit, rule, held, as_of, since))
    return CoverageReport(
        as_of=as_of, since=since, checked=tuple(checked), violations=tuple(violations)
    )


# -- who is responsible --------------------------------------------------------------------------
@attrs.frozen
class Holder:
    """One appointment holding on the chain's date, with its official (if readable)."""

    appointment: Appointment
    official: Official | None

    @property
    def role(self) -> str:
        """The role held."""
        return self.appointment.role


@attrs.frozen
class ChainLink:
    """A unit of the chain and the appointments holding there on the chain's date."""

    unit: Unit
    holders: tuple[Holder, ...]

    def of_role(self, role: str) -> tuple[Holder, ...]:
        """The holders of ``role``."""
        return tuple(h for h in self.holders if h.role == role)


@attrs.frozen
class ResponsibilityChain:
    """Who is responsible for ``unit_code`` on ``on``: the unit itself, then each unit above
    it up to the county (district), nearest first."""

    unit_code: DivisionCode
    on: date
    links: tuple[ChainLink, ...]

    def first_responsible(self) -> tuple[Holder, ...]:
        """The 第一责任人 holders along the chain, nearest first."""
        return tuple(h for link in self.links for h in link.of_role(FIRST_RESPONSIBLE))

    def lines(self, policy: ResponsibilityPolicy | None = None) -> list[str]:
        """The chain as text lines: each unit and the roles held there (no names)."""
        out = []
        for link in self.links:
            counts: dict[str, int] = {}
            for h in link.holders:
                counts[h.role] = counts.get(h.role, 0) + 1
            roles = []
            for role, n in counts.items():
                label = role
                if policy is not None:
                    found = next((r for r in policy.roles if r.code == role), None)
                    label = found.label_zh if found else role
                roles.append(label if n == 1 else f"{label}×{n}")
            out.append(f"{link.unit.code.short} {link.unit.name}: {', '.join(roles) or '-'}")
        return out
