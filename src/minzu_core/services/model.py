"""Service windows and service requests (民族工作服务窗口与服务事项).

A :class:`ServiceWindow` belongs to a township unit, opens and closes on dates and offers service
categories, each with a promised time limit (承诺时限). A :class:`ServiceRequest` runs on the
shared :mod:`minzu_core.lifecycle` mechanism::

    submit → submitted ─accept→ accepted ─start→ in_progress ─resolve→ resolved ─follow_up→
    followed_up ─close→ closed            (decline, withdraw, request_documents, refer, reopen …)

The clock starts at acceptance (受理) with the time limit promised then; it pauses while
documents are awaited (补正材料). Due date, paused time, overdue and time-to-resolve are computed
from the event history, never entered by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Protocol

import attrs

import minzu_core.fields as fields
from minzu_core.clock import CST, require_aware
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.errors import ValidationError
from minzu_core.labels import LabelledEnum
from minzu_core.lifecycle import Case, Event, Lifecycle, State, Transition

__all__ = [
    "DEFAULT_TIME_LIMITS",
    "OPEN_STATES",
    "SERVICE_LIFECYCLE",
    "Calendar",
    "CalendarDays",
    "Satisfaction",
    "ServiceCategory",
    "ServiceRequest",
    "ServiceWindow",
    "WorkingDays",
]


class ServiceCategory(LabelledEnum):
    """服务类别: what a window offers."""

    REGISTRATION = "registration", "登记办证", "registration and permits"
    EMPLOYMENT = "employment", "劳动就业", "employment"
    BUSINESS = "business", "创业", "starting a business"
    SCHOOLING = "schooling", "子女入学", "school enrollment"
    MEDICAL = "medical", "就医", "medical care"
    RELIEF = "relief", "困难救济", "hardship relief"
    LEGAL_AID = "legal_aid", "法律援助", "legal aid"
    OTHER = "other", "其他", "other"

    @classmethod
    def parse(cls, value: Any, *, field: str = "category") -> ServiceCategory:
        """Accept a member, its value or name, or its Chinese/English label."""
        parsed: ServiceCategory = super().parse(value, field=field)
        return parsed


#: Default promised time limits in days (承诺时限); a deployment overrides them per window.
DEFAULT_TIME_LIMITS: Mapping[ServiceCategory, int] = {
    ServiceCategory.REGISTRATION: 5,
    ServiceCategory.EMPLOYMENT: 10,
    ServiceCategory.BUSINESS: 15,
    ServiceCategory.SCHOOLING: 10,
    ServiceCategory.MEDICAL: 5,
    ServiceCategory.RELIEF: 10,
    ServiceCategory.LEGAL_AID: 15,
    ServiceCategory.OTHER: 10,
}


class Satisfaction(LabelledEnum):
    """回访满意度."""

    SATISFIED = "satisfied", "满意", "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied", "基本满意", "basically satisfied"
    DISSATISFIED = "dissatisfied", "不满意", "dissatisfied"


# -- calendars ---------------------------------------------------------------------------------
class Calendar(Protocol):
    """Counts promised days. ``add_days(start, n)`` is the moment ``n`` counted days after
    ``start`` (same time of day)."""

    def add_days(self, start: datetime, days: int) -> datetime:
        """``start`` plus ``days`` counted days."""
        ...


@attrs.frozen
class CalendarDays:
    """Every day counts (自然日), the default."""

    def add_days(self, start: datetime, days: int) -> datetime:
        """``start + days``."""
        return start + timedelta(days=days)


def _dates(values: Iterable[date]) -> frozenset[date]:
    return frozenset(values)


@attrs.frozen
class WorkingDays:
    """Working days (工作日): Monday–Friday, minus ``holidays``, plus make-up ``workdays``
    (调休上班的周末). Dates are China Standard Time."""

    holidays: frozenset[date] = attrs.field(default=frozenset(), converter=_dates)
    workdays: frozenset[date] = attrs.field(default=frozenset(), converter=_dates)

    def is_working_day(self, day: date) -> bool:
        """True if ``day`` counts."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_days(self, start: datetime, days: int) -> datetime:
        """The moment ``days`` working days after ``start``."""
        local = start.astimezone(CST)
        current = local
        counted = 0
        while counted < days:
            current += timedelta(days=1)
            if self.is_working_day(current.date()):
                counted += 1
        return current


# -- lifecycle ---------------------------------------------------------------------------------
def _satisfaction_valid(history: Sequence[Event], event: Event) -> tuple[str, str, str] | None:
    try:
        Satisfaction(str(event.data.get("satisfaction")))
    except ValueError:
        return (
            "invalid_satisfaction",
            "满意度须为 满意/基本满意/不满意",
            "satisfaction must be satisfied, basically_satisfied or dissatisfied",
        )
    return None


def _last_follow_up_dissatisfied(
    history: Sequence[Event], event: Event
) -> tuple[str, str, str] | None:
    for past in reversed(history):
        if past.action == "follow_up":
            if past.data.get("satisfaction") == Satisfaction.DISSATISFIED.value:
                return None
            break
    return (
        "reopen_needs_dissatisfied",
        "仅回访不满意时可重新办理",
        "only a dissatisfied follow-up can reopen a request",
    )


def _time_limit_valid(history: Sequence[Event], event: Event) -> tuple[str, str, str] | None:
    value = event.data.get("time_limit_days")
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return ("invalid_time_limit", "承诺时限须为正整数天", "time limit must be positive days")
    return None


_BEFORE_RESOLUTION = ("submitted", "accepted", "in_progress", "awaiting_documents", "referred")

SERVICE_LIFECYCLE = Lifecycle(
    name="service_request",
    initial_action="submit",
    states=(
        State("submitted", "已提交", "submitted"),
        State("accepted", "已受理", "accepted"),
        State("declined", "不予受理", "declined", terminal=True),
        State("in_progress", "办理中", "in progress"),
        State("awaiting_documents", "补正材料", "awaiting documents"),
        State("referred", "已转办", "referred"),
        State("resolved", "已办结", "resolved"),
        State("followed_up", "已回访", "followed up"),
        State("closed", "已关闭", "closed", terminal=True),
        State("withdrawn", "已撤回", "withdrawn", terminal=True),
    ),
    transitions=(
        Transition("submit", {"new"}, "submitted", "提交", "submit"),
        Transition(
            "accept",
            {"submitted"},
            "accepted",
            "受理",
            "accept",
            required=("time_limit_days",),
            guards=(_time_limit_valid,),
        ),
        Transition(
            "decline", {"submitted"}, "declined", "不予受理", "decline", required=("reason",)
        ),
        Transition("start", {"accepted"}, "in_progress", "开始办理", "start"),
        Transition(
            "request_documents",
            {"in_progress"},
            "awaiting_documents",
            "补正材料",
            "request documents",
            required=("documents",),
        ),
        Transition(
            "documents_received",
            {"awaiting_documents"},
            "in_progress",
            "材料补齐",
            "documents received",
        ),
        Transition("refer", {"in_progress"}, "referred", "转办", "refer", required=("to",)),
        Transition(
            "referral_returned", {"referred"}, "in_progress", "转办退回", "referral returned"
        ),
        Transition(
            "resolve", {"in_progress"}, "resolved", "办结", "resolve", required=("outcome",)
        ),
        Transition(
            "follow_up",
            {"resolved"},
            "followed_up",
            "回访",
            "follow up",
            required=("satisfaction",),
            guards=(_satisfaction_valid,),
        ),
        Transition("close", {"followed_up"}, "closed", "关闭", "close"),
        Transition(
            "close_without_follow_up",
            {"resolved"},
            "closed",
            "未回访关闭",
            "close without follow-up",
            required=("reason",),
        ),
        Transition(
            "reopen",
            {"followed_up"},
            "in_progress",
            "重新办理",
            "reopen",
            required=("reason",),
            guards=(_last_follow_up_dissatisfied,),
        ),
        Transition("withdraw", set(_BEFORE_RESOLUTION), "withdrawn", "撤回", "withdraw"),
    ),
)

#: States of a request still being handled (not finished).
OPEN_STATES = frozenset(_BEFORE_RESOLUTION)


# -- windows -----------------------------------------------------------------------------------
def _categories(values: Iterable[Any]) -> frozenset[ServiceCategory]:
    items = fields.as_items(values, "categories")
    return frozenset(ServiceCategory.parse(v, field="categories") for v in items)


def _limits(values: Mapping[Any, int] | None) -> dict[ServiceCategory, int]:
    limits = {}
    if values is not None and not isinstance(values, Mapping):
        raise fields.invalid(
            "invalid_type", "承诺时限须为映射", "time limits must be a mapping", "time_limits"
        )
    for key, days in (values or {}).items():
        category = ServiceCategory.parse(key, field="time_limits")
        if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
            raise ValidationError(
                "承诺时限须为正整数天",
                "time limits must be positive days",
                code="invalid_time_limit",
                field="time_limits",
            )
        limits[category] = days
    return limits


def _unit(value: Any) -> DivisionCode:
    code = fields.as_code(value, "unit_code")
    if code.level is not Level.TOWNSHIP:
        raise ValidationError(
            "服务窗口须设在街道(镇)级单位",
            "a service window belongs to a township unit",
            code="window_level",
            field="unit_code",
        )
    return code


@attrs.frozen
class ServiceWindow:
    """民族工作服务窗口 at a township unit."""

    unit_code: DivisionCode = attrs.field(converter=_unit)
    name: str = attrs.field(converter=fields.to_text)
    opened: date = attrs.field(converter=fields.to_date)
    categories: frozenset[ServiceCategory] = attrs.field(converter=_categories)
    closed: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    time_limits: dict[ServiceCategory, int] = attrs.field(factory=dict, converter=_limits)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        if self.closed is not None and self.closed <= self.opened:
            raise ValidationError(
                "关闭日期须晚于开设日期",
                "closed must be after opened",
                code="invalid_validity",
                field="closed",
            )
        if not self.categories:
            raise ValidationError(
                "窗口须提供至少一类服务",
                "a window offers at least one category",
                code="required",
                field="categories",
            )

    def open_on(self, day: date) -> bool:
        """True if the window is open on ``day`` (opened <= day < closed)."""
        return self.opened <= day and (self.closed is None or day < self.closed)

    def time_limit(self, category: ServiceCategory) -> int:
        """The promised limit in days for ``category`` (window override or the default)."""
        return self.time_limits.get(category, DEFAULT_TIME_LIMITS[category])


# -- requests ----------------------------------------------------------------------------------
def _received(value: datetime) -> datetime:
    return require_aware(value, "received_at").astimezone(CST)


@attrs.frozen
class ServiceRequest(Case):
    """A service request (服务事项): its facts, its append-only event history and its state.

    Build a new one with :meth:`submit` and move it with :meth:`act`; ``state`` is derived from
    the events (a request whose history is not a valid path through
    :data:`SERVICE_LIFECYCLE` cannot exist). ``description`` is confidential (masked in reprs).
    """

    LIFECYCLE: ClassVar[Lifecycle] = SERVICE_LIFECYCLE

    window_id: uuid.UUID = attrs.field(converter=fields.to_uuid)
    unit_code: DivisionCode = attrs.field(converter=_unit)
    applicant_id: uuid.UUID = attrs.field(converter=fields.to_uuid)
    category: ServiceCategory = attrs.field(converter=fields.to_choice)
    received_at: datetime = attrs.field(converter=_received)
    events: tuple[Event, ...] = attrs.field(converter=fields.to_records)
    description: str = attrs.field(
        default="", converter=fields.to_text_or_empty, repr=fields.masked_length
    )
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0
    state: str = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._start(self.received_at)

    @classmethod
    def submit(
        cls,
        window: ServiceWindow,
        *,
        applicant_id: uuid.UUID,
        category: ServiceCategory | str,
        received_at: datetime,
        actor_id: str,
        description: str = "",
        id: uuid.UUID | None = None,
    ) -> ServiceRequest:
        """A new request received at ``window`` (the window's rules are checked by the unit of
        work, which knows the store)."""
        if not isinstance(window, ServiceWindow):
            raise ValidationError(
                "须提供受理窗口", "a ServiceWindow is required", code="invalid_type", field="window"
            )
        at = _received(received_at)
        return cls(
            window_id=window.id,
            unit_code=window.unit_code,
            applicant_id=applicant_id,
            category=category,
            received_at=at,
            events=(Event("submit", at, actor_id),),
            description=description,
            id=uuid.uuid4() if id is None else id,
        )

    # -- derived from the history ------------------------------------------------------------
    @property
    def accepted_at(self) -> datetime | None:
        """When the request was accepted (the clock starts), if it was."""
        return self.last_at("accept")

    @property
    def time_limit_days(self) -> int | None:
        """The time limit promised at acceptance."""
        event = self.last("accept")
        return None if event is None else int(event.data["time_limit_days"])

    @property
    def resolved_at(self) -> datetime | None:
        """When the request was (last) resolved."""
        return self.last_at("resolve")

    @property
    def paused_since(self) -> datetime | None:
        """Start of the current pause (awaiting documents), if paused now."""
        if self.state != "awaiting_documents":
            return None
        return self.last_at("request_documents")

    def paused(self, as_of: datetime | None = None) -> timedelta:
        """Total time the clock was paused up to ``as_of`` (default: the last event)."""
        end = as_of or self.events[-1].at
        total = timedelta(0)
        start: datetime | None = None
        for event in self.events:
            if event.at > end:
                break
            if event.action == "request_documents":
                start = event.at
            elif event.action in ("documents_received", "withdraw") and start is not None:
                total += event.at - start
                start = None
        if start is not None:
            total += end - start
        return total

    def due_base(self, calendar: Calendar | None = None) -> datetime | None:
        """Acceptance plus the promised days plus the *completed* pauses: with
        :attr:`paused_since` this is what a store needs to answer "overdue" in a query."""
        promised = self._promised(calendar)
        if promised is None:
            return None
        completed = self.paused(self.paused_since) if self.paused_since else self.paused()
        return promised + completed

    def due_at(
        self, as_of: datetime | None = None, calendar: Calendar | None = None
    ) -> datetime | None:
        """The due date as of ``as_of``: acceptance + promised days + every pause up to then."""
        promised = self._promised(calendar)
        return None if promised is None else promised + self.paused(as_of)

    def _promised(self, calendar: Calendar | None) -> datetime | None:
        """Acceptance plus the promised days (counted by ``calendar``), pauses left out."""
        accepted, limit = self.accepted_at, self.time_limit_days
        if accepted is None or limit is None:
            return None
        return (calendar or CalendarDays()).add_days(accepted, limit)

    def is_overdue(self, as_of: datetime, calendar: Calendar | None = None) -> bool:
        """True if the request is still open at ``as_of`` and past its due date."""
        due = self.due_at(as_of, calendar)
        return self.state in OPEN_STATES and due is not None and as_of > due

    def resolved_on_time(self, calendar: Calendar | None = None) -> bool | None:
        """Whether the (last) resolution came by the due date; ``None`` if not resolved."""
        resolved = self.resolved_at
        if resolved is None:
            return None
        due = self.due_at(resolved, calendar)
        return due is not None and resolved <= due

    def time_to_resolve(self) -> timedelta | None:
        """Handling time from acceptance to resolution, pauses excluded."""
        accepted, resolved = self.accepted_at, self.resolved_at
        if accepted is None or resolved is None:
            return None
        return resolved - accepted - self.paused(resolved)

    @property
    def satisfaction(self) -> Satisfaction | None:
        """The satisfaction of the last follow-up."""
        event = self.last("follow_up")
        return None if event is None else Satisfaction(event.data["satisfaction"])

    @property
    def followed_up_at(self) -> datetime | None:
        """When the (last) follow-up call was made."""
        return self.last_at("follow_up")

    @property
    def closed_at(self) -> datetime | None:
        """When the request was closed (with or without a follow-up)."""
        return self.last_at("close", "close_without_follow_up")
