"""Dispute prevention and mediation (矛盾纠纷排查化解, 人民调解法 2010).

A :class:`Dispute` arises in a unit, has at least two parties (ledger persons or named others),
a category, the 涉及民族因素 and 群体性 flags, a severity and a source, a confidential narrative
(Art. 15) and a handling unit that moves up on escalation — community → subdistrict → district →
the city's ethnic-religious department — keeping one identity and one history. It runs on the
shared :mod:`minzu_core.lifecycle` mechanism:

    register → registered ─accept→ accepted ─session→ mediating ─agree→ agreement ─performed→ …
    registered ─redirect→ redirected (another channel) · ─refuse→ not_mediated (Art. 17)
    mediating ─terminate→ terminated (the parties told of arbitration, administrative and judicial
    channels, Art. 26) · follow_up → followed_up · archive → archived (立卷归档, file checked)

Judicial confirmation of an agreement must be applied for within 30 days (Art. 33); mediation
normally concludes within 30 days of acceptance (the default target, configurable per store).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs

import minzu_core.fields as fields
from minzu_core.clock import CST, require_aware
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.errors import ValidationError
from minzu_core.fields import masked_length, masked_name
from minzu_core.labels import LabelledEnum
from minzu_core.lifecycle import Case, Event, Lifecycle, State, Transition

__all__ = [
    "CHANNELS",
    "DEFAULT_TARGET_DAYS",
    "DISPUTE_LIFECYCLE",
    "JUDICIAL_CONFIRMATION_DAYS",
    "OPEN_STATES",
    "Dispute",
    "DisputeCategory",
    "DisputeSource",
    "Party",
    "Severity",
]

#: Mediation normally concludes within one month (MOJ rules on people's mediation, Art. 33).
DEFAULT_TARGET_DAYS = 30
#: Judicial confirmation must be applied for within 30 days of the agreement (Art. 33).
JUDICIAL_CONFIRMATION_DAYS = 30
#: The channels the parties must be told of when mediation fails (Art. 26).
CHANNELS = ("arbitration", "administrative", "judicial")
_REDIRECT_CHANNELS = ("arbitration", "administrative", "judicial", "police", "petition", "other")


class DisputeCategory(LabelledEnum):
    """纠纷类别."""

    NEIGHBOUR = "neighbour", "邻里", "neighbours"
    MARRIAGE_FAMILY = "marriage_family", "婚姻家庭", "marriage and family"
    LABOUR = "labour", "劳动争议", "labour"
    BUSINESS_TENANCY = "business_tenancy", "经营/租赁", "business and tenancy"
    CONSUMER = "consumer", "消费", "consumer"
    DAMAGES = "damages", "损害赔偿", "damages"
    OTHER = "other", "其他", "other"


class Severity(LabelledEnum):
    """严重程度, ordered: ordinary < major < serious."""

    ORDINARY = "ordinary", "一般", "ordinary"
    MAJOR = "major", "较大", "major"
    SERIOUS = "serious", "重大", "serious"


class DisputeSource(LabelledEnum):
    """来源: a party's application, found by screening, or referred by another body."""

    APPLICATION = "application", "当事人申请", "application"
    SCREENING = "screening", "排查", "screening"
    REFERRAL = "referral", "移交", "referral"


@attrs.frozen
class Party:
    """A party to a dispute: a ledger person (``person_id``) or a named other (``name``)."""

    person_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    name: str | None = attrs.field(default=None, converter=fields.to_text_or_none, repr=masked_name)
    role: str = attrs.field(default="party", converter=fields.to_text)

    def __attrs_post_init__(self) -> None:
        if self.person_id is None and self.name is None:
            raise ValidationError(
                "当事人须为台账人员或注明姓名",
                "a party is a ledger person or a named other",
                code="required",
                field="parties",
            )


# -- guards ------------------------------------------------------------------------------------
Refusal = tuple[str, str, str] | None


def handling_unit(origin: DivisionCode, history: Sequence[Event]) -> DivisionCode:
    """The unit handling a dispute after ``history``: the origin, or the last escalation's."""
    unit = origin
    for event in history:
        if event.action == "escalate":
            unit = DivisionCode.parse(event.data["to"], field="to")
    return unit


def _escalation_upwards(history: Sequence[Event], event: Event) -> Refusal:
    try:
        target = DivisionCode.parse(event.data.get("to", ""), field="to")
    except ValidationError:
        return ("invalid_escalation", "升级目标单位代码无效", "the escalation target is invalid")
    origin = DivisionCode.parse(history[0].data["origin_unit"], field="origin_unit")
    current = handling_unit(origin, history)
    if not target.is_ancestor_of(current) or target.level < Level.PREFECTURE:
        return (
            "escalation_not_upwards",
            "只能升级到本纠纷所在单位的上级(街道、区、市民宗部门)",
            "a dispute can only be escalated to a unit above its handling unit "
            "(subdistrict, district or the city department)",
        )
    return None


def _channels_notified(history: Sequence[Event], event: Event) -> Refusal:
    told = event.data.get("channels_notified")
    if not isinstance(told, list | tuple) or not set(CHANNELS) <= set(told):
        return (
            "channels_not_notified",
            "终止调解须记录已告知当事人仲裁、行政、司法等途径 (人民调解法第26条)",
            "terminating mediation requires a record that the parties were told of "
            "arbitration, administrative and judicial channels (Art. 26)",
        )
    return None


def _redirect_channel(history: Sequence[Event], event: Event) -> Refusal:
    if event.data.get("channel") not in _REDIRECT_CHANNELS:
        return ("invalid_channel", "分流途径无效", "unknown channel to redirect to")
    return None


def _refusing_party(history: Sequence[Event], event: Event) -> Refusal:
    index = event.data.get("party")
    count = int(history[0].data.get("party_count", 0))
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
        return ("invalid_party", "须指明拒绝调解的当事人", "name the party who refuses")
    return None


def _agreement_form(history: Sequence[Event], event: Event) -> Refusal:
    if event.data.get("form") not in ("written", "oral"):
        return (
            "invalid_agreement_form",
            "调解协议须为书面或口头",
            "an agreement is written or oral",
        )
    deadline = event.data.get("performance_deadline")
    if deadline is not None:
        try:
            datetime.fromisoformat(str(deadline))
        except ValueError:
            return ("invalid_deadline", "履行期限不是有效日期", "invalid performance deadline")
    return None


def _within_confirmation_window(history: Sequence[Event], event: Event) -> Refusal:
    agreement = next((e for e in reversed(history) if e.action == "agree"), None)
    if agreement is None or agreement.data.get("form") != "written":
        return (
            "confirmation_needs_written_agreement",
            "司法确认须有书面调解协议",
            "judicial confirmation needs a written agreement",
        )
    if event.at - agreement.at > timedelta(days=JUDICIAL_CONFIRMATION_DAYS):
        return (
            "confirmation_window_passed",
            "须自调解协议生效之日起三十日内申请司法确认 (人民调解法第33条)",
            "judicial confirmation must be applied for within 30 days of the agreement (Art. 33)",
        )
    return None


def _file_complete(history: Sequence[Event], event: Event) -> Refusal:
    actions = {e.action for e in history}
    if "accept" not in actions:
        return None  # redirected or not mediated: the registration and its decision suffice
    missing = []
    if "notify_rights" not in actions:
        missing.append("notice of rights 权利义务告知")
    if "session" not in actions:
        missing.append("record of mediation 调解记录")
    if not actions & {"agree", "terminate"}:
        missing.append("agreement or termination 调解协议或终止记录")
    if missing:
        return (
            "archive_incomplete",
            "卷宗不完整, 不能归档: " + "; ".join(missing),
            "the file is incomplete and cannot be archived: " + "; ".join(missing),
        )
    return None


_OPEN_FOR_ESCALATION = ("registered", "accepted", "mediating")

DISPUTE_LIFECYCLE = Lifecycle(
    name="dispute",
    initial_action="register",
    states=(
        State("registered", "受理登记", "registered"),
        State("accepted", "已受理调解", "accepted for mediation"),
        State("redirected", "已分流", "redirected"),
        State("not_mediated", "不予调解", "not mediated (a party refuses)"),
        State("mediating", "调解中", "mediating"),
        State("agreement", "达成协议", "agreement reached"),
        State("terminated", "调解终止", "terminated"),
        State("performed", "已履行", "performed"),
        State("not_performed", "未履行", "not performed"),
        State("followed_up", "已回访", "followed up"),
        State("archived", "已归档", "archived", terminal=True),
    ),
    transitions=(
        Transition("register", {"new"}, "registered", "受理登记", "register"),
        Transition("accept", {"registered"}, "accepted", "受理调解", "accept"),
        Transition(
            "redirect",
            {"registered"},
            "redirected",
            "分流",
            "redirect",
            required=("channel",),
            guards=(_redirect_channel,),
        ),
        Transition(
            "refuse",
            {"registered"},
            "not_mediated",
            "当事人拒绝调解",
            "party refuses",
            required=("party",),
            guards=(_refusing_party,),
        ),
        *(
            Transition(
                "escalate",
                {state},
                state,
                "升级",
                "escalate",
                required=("to",),
                guards=(_escalation_upwards,),
            )
            for state in _OPEN_FOR_ESCALATION
        ),
        *(
            Transition("notify_rights", {state}, state, "告知权利义务", "notify rights")
            for state in ("accepted", "mediating")
        ),
        Transition(
            "session",
            {"accepted", "mediating"},
            "mediating",
            "调解",
            "mediation session",
            required=("mediators", "summary"),
        ),
        Transition(
            "agree",
            {"mediating"},
            "agreement",
            "达成调解协议",
            "agreement",
            required=("form", "terms"),
            guards=(_agreement_form,),
        ),
        Transition(
            "terminate",
            {"mediating"},
            "terminated",
            "终止调解",
            "terminate",
            required=("reason", "channels_notified"),
            guards=(_channels_notified,),
        ),
        *(
            Transition(
                "apply_confirmation",
                {state},
                state,
                "申请司法确认",
                "apply for judicial confirmation",
                required=("court",),
                guards=(_within_confirmation_window,),
            )
            for state in ("agreement", "performed", "not_performed")
        ),
        Transition("performed", {"agreement", "not_performed"}, "performed", "已履行", "performed"),
        Transition(
            "not_performed",
            {"agreement"},
            "not_performed",
            "未履行",
            "not performed",
            required=("reason",),
        ),
        Transition(
            "follow_up",
            {"performed", "not_performed", "terminated"},
            "followed_up",
            "回访",
            "follow up",
            required=("summary",),
        ),
        Transition(
            "archive",
            {
                "followed_up",
                "performed",
                "not_performed",
                "terminated",
                "redirected",
                "not_mediated",
            },
            "archived",
            "立卷归档",
            "archive",
            guards=(_file_complete,),
        ),
    ),
)

#: Disputes whose mediation has not concluded (no agreement, termination or other outcome yet).
OPEN_STATES = frozenset({"registered", "accepted", "mediating"})


# -- the aggregate -----------------------------------------------------------------------------
def _parties(values: Any) -> tuple[Party, ...]:
    parties = fields.as_records(Party, values, "parties")
    if len(parties) < 2:
        raise ValidationError(
            "纠纷至少须有两方当事人",
            "a dispute has at least two parties",
            code="too_few_parties",
            field="parties",
        )
    return parties


def _registered(value: datetime) -> datetime:
    return require_aware(value, "registered_at").astimezone(CST)


@attrs.frozen
class Dispute(Case):
    """A dispute case (矛盾纠纷): its facts, its append-only history and its derived state.

    Build a new one with :meth:`register` and move it with :meth:`act`. ``narrative`` is
    confidential: masked in reprs, and ``None`` when read by an actor outside the handling
    unit's scope.
    """

    LIFECYCLE: ClassVar[Lifecycle] = DISPUTE_LIFECYCLE

    origin_unit: DivisionCode = attrs.field(converter=fields.to_code)
    parties: tuple[Party, ...] = attrs.field(converter=_parties)
    category: DisputeCategory = attrs.field(converter=fields.to_choice)
    severity: Severity = attrs.field(converter=fields.to_choice)
    source: DisputeSource = attrs.field(converter=fields.to_choice)
    registered_at: datetime = attrs.field(converter=_registered)
    events: tuple[Event, ...] = attrs.field(converter=fields.to_records)
    ethnic_factor: bool = attrs.field(default=False, converter=fields.to_flag)
    mass: bool = attrs.field(default=False, converter=fields.to_flag)
    referred_by: str | None = attrs.field(default=None, converter=fields.to_text_or_none)
    narrative: str | None = attrs.field(default=None, repr=masked_length)
    mediators: tuple[str, ...] = attrs.field(default=(), converter=fields.to_strings, repr=False)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0
    state: str = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        if self.origin_unit.level < Level.COUNTY:
            raise ValidationError(
                "纠纷发生单位须为区县及以下单位",
                "a dispute arises in a county-level unit or below",
                code="origin_level",
                field="origin_unit",
            )
        if self.source is DisputeSource.REFERRAL and self.referred_by is None:
            raise ValidationError(
                "移交的纠纷须注明移交单位",
                "a referral names the referring body",
                code="required",
                field="referred_by",
            )
        first = self.events[0].data if self.events else {}
        self._start(
            self.registered_at,
            first_fits=first.get("origin_unit") == self.origin_unit.value
            and first.get("party_count") == len(self.parties),
        )

    @classmethod
    def register(
        cls,
        *,
        origin_unit: DivisionCode | str,
        parties: Sequence[Party],
        category: DisputeCategory | str,
        severity: Severity | str,
        source: DisputeSource | str,
        registered_at: datetime,
        actor_id: str,
        ethnic_factor: bool = False,
        mass: bool = False,
        referred_by: str | None = None,
        narrative: str | None = None,
        mediators: Sequence[str] = (),
        id: uuid.UUID | None = None,
    ) -> Dispute:
        """A newly registered dispute (受理登记)."""
        code = fields.as_code(origin_unit, "origin_unit")
        at = _registered(registered_at)
        parties = _parties(parties)
        event = Event(
            "register", at, actor_id, data={"origin_unit": code.value, "party_count": len(parties)}
        )
        return cls(
            origin_unit=code,
            parties=parties,
            category=category,
            severity=severity,
            source=source,
            registered_at=at,
            events=(event,),
            ethnic_factor=ethnic_factor,
            mass=mass,
            referred_by=referred_by,
            narrative=narrative,
            mediators=mediators,
            id=uuid.uuid4() if id is None else id,
        )

    # -- derived from the history ------------------------------------------------------------
    @property
    def handling_unit(self) -> DivisionCode:
        """The unit handling the dispute now (the origin, or where it was escalated to)."""
        return handling_unit(self.origin_unit, self.events)

    @property
    def escalations(self) -> int:
        """How many times the dispute was escalated."""
        return self.count("escalate")

    @property
    def accepted_at(self) -> datetime | None:
        """When it was accepted for mediation."""
        return self.last_at("accept")

    @property
    def target_days(self) -> int:
        """The target for concluding mediation, recorded at acceptance."""
        event = self.last("accept")
        value = None if event is None else event.data.get("target_days")
        return int(value) if value is not None else DEFAULT_TARGET_DAYS

    @property
    def due_at(self) -> datetime | None:
        """Acceptance plus the target."""
        accepted = self.accepted_at
        return None if accepted is None else accepted + timedelta(days=self.target_days)

    @property
    def concluded_at(self) -> datetime | None:
        """When mediation concluded with an agreement or a termination."""
        event = self.first("agree", "terminate")
        return None if event is None else event.at

    @property
    def outcome(self) -> str | None:
        """``"agreement"``, ``"terminated"`` or ``None``."""
        event = self.first("agree", "terminate")
        if event is None:
            return None
        return "agreement" if event.action == "agree" else "terminated"

    def days_to_conclusion(self) -> int | None:
        """Whole days from acceptance to conclusion."""
        accepted, concluded = self.accepted_at, self.concluded_at
        if accepted is None or concluded is None:
            return None
        return (concluded - accepted).days

    def concluded_within_target(self) -> bool | None:
        """Whether mediation concluded by the target (``None`` while not concluded)."""
        due, concluded = self.due_at, self.concluded_at
        if due is None or concluded is None:
            return None
        return concluded <= due

    def is_overdue(self, as_of: datetime) -> bool:
        """True if mediation is still open at ``as_of`` and past its target."""
        due = self.due_at
        return self.state in OPEN_STATES and due is not None and as_of > due
