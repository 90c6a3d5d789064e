"""The standard catalog (标准指标目录) of DESIGN §5: every definition as data.

:data:`CATALOG` holds the indicators in report order; their ids are stable. Each is an ordinary
:class:`~minzu_core.indicators.Indicator` — users add their own the same way and pass them to
the engine beside (or instead of) these. ``docs/indicators.md`` prints the table.

Conventions the definitions share:

* "present at period end" for a ledger person is the residence episode's half-open validity
  ``arrival <= end < departure`` (departure = the first day away), for persons whose record is
  ``active`` (merged duplicates are not counted twice);
* requests are attributed to the unit of their window, disputes to the unit where they arose
  (``origin_unit``), activities to the organising unit, training completions to the course's
  organiser, volunteer hours to the team's unit;
* "in the period" for a timestamp is CST: ``period.start 00:00 <= t < (period.end + 1) 00:00``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from minzu_core.errors import NotFoundError
from minzu_core.indicators.definitions import Filter, Indicator, Measure

__all__ = ["CATALOG", "CATALOG_BY_ID", "catalog_indicator", "resolve_indicators"]

_PRESENT = {"valid_from": "residence.arrival", "valid_to": "residence.departure"}
_ACTIVE = Filter("status", "eq", "active")
_MINORITY = Filter("is_minority", "eq", True)
_UNIT_VALID = {"valid_from": "valid_from", "valid_to": "valid_to"}
_TOWNSHIP = Filter("level", "eq", "township")


def _residents(status: str) -> Measure:
    return Measure.stock(
        "person", _ACTIVE, _MINORITY, ("residence.status", "eq", status), **_PRESENT
    )


def _episodes(date_field: str) -> Measure:
    # A person row is one residence episode, so this counts episodes; on the person entity it
    # shares the ledger's one statement with the stocks above.
    return Measure.flow(
        "person", f"residence.{date_field}", _ACTIVE, ("residence.status", "eq", "floating")
    )


#: The standard catalog, in report order.
CATALOG: Final[tuple[Indicator, ...]] = (
    Indicator(
        "minority_residents",
        "少数民族常住人口",
        "minority resident population",
        _residents("resident"),
        description="台账中少数民族、常住、期末在册的人数 / minority ledger persons, resident "
        "status, present at period end",
    ),
    Indicator(
        "minority_floating",
        "少数民族流动人口",
        "minority floating population",
        _residents("floating"),
        description="台账中少数民族、流动、期末在册的人数 / minority ledger persons, floating "
        "status, present at period end",
    ),
    Indicator(
        "floating_arrivals",
        "流入人数",
        "floating arrivals",
        _episodes("arrival"),
        description="期间内开始的流动居住记录 / floating residence episodes starting in the period",
    ),
    Indicator(
        "floating_departures",
        "流出人数",
        "floating departures",
        _episodes("departure"),
        description="期间内结束的流动居住记录 / floating residence episodes ending in the period",
    ),
    Indicator(
        "ledger_completeness",
        "台账信息完整率",
        "ledger completeness rate",
        Measure.stock("person", _ACTIVE, ("is_complete", "eq", True), **_PRESENT),
        Measure.stock("person", _ACTIVE, **_PRESENT),
        factor=100,
        description="期末在册人员中必填项齐全者占比 / share of present persons whose required "
        "fields are all filled",
    ),
    Indicator(
        "window_coverage",
        "服务窗口覆盖率",
        "service window coverage",
        Measure.stock("unit", _TOWNSHIP, ("has_open_window", "eq", True), **_UNIT_VALID),
        Measure.stock("unit", _TOWNSHIP, **_UNIT_VALID),
        factor=100,
        description="期末有开放服务窗口的街道(乡镇)占比 / share of township units with an open "
        "service window at period end",
    ),
    Indicator(
        "responsibility_coverage",
        "责任落实率",
        "responsibility coverage",
        Measure.stock("unit", ("responsibility_complete", "eq", True), **_UNIT_VALID),
        Measure.stock("unit", ("responsibility_complete", "not_null"), **_UNIT_VALID),
        factor=100,
        description="期末各级责任人配齐的单位占比 (按责任制规则) / share of units whose required "
        "roles are all filled at period end (per the responsibility policy)",
    ),
    Indicator(
        "service_requests",
        "服务事项受理数",
        "service requests accepted",
        Measure.flow("service_request", "accepted_at"),
        description="期间内受理的服务事项 / requests accepted in the period",
    ),
    Indicator(
        "service_resolution_rate",
        "办结率",
        "resolution rate",
        Measure.flow("service_request", "resolved_at"),
        Measure.flow("service_request", "accepted_at"),
        factor=100,
        description="期间内办结数 ÷ 期间内受理数 / resolved in the period ÷ accepted in the period",
    ),
    Indicator(
        "service_on_time_rate",
        "按时办结率",
        "on-time resolution rate",
        Measure.flow("service_request", "resolved_at", ("resolved_on_time", "eq", True)),
        Measure.flow("service_request", "resolved_at"),
        factor=100,
        description="期间内按时办结 ÷ 期间内办结 / resolved within the time limit ÷ resolved",
    ),
    Indicator(
        "service_satisfaction_rate",
        "满意率",
        "satisfaction rate",
        Measure.flow(
            "service_request",
            "followed_up_at",
            ("satisfaction", "in", ("satisfied", "basically_satisfied")),
        ),
        Measure.flow("service_request", "followed_up_at", ("satisfaction", "not_null")),
        factor=100,
        description="回访满意或基本满意 ÷ 回访数 / follow-ups satisfied or basically satisfied "
        "÷ follow-ups",
    ),
    Indicator(
        "disputes_registered",
        "矛盾纠纷受理数",
        "disputes registered",
        Measure.flow("dispute", "registered_at"),
        description="期间内登记的矛盾纠纷 (按发生单位) / disputes registered in the period (by "
        "the unit where they arose)",
    ),
    Indicator(
        "dispute_success_rate",
        "调解成功率",
        "mediation success rate",
        Measure.flow("dispute", "concluded_at", ("outcome", "eq", "agreement")),
        Measure.flow("dispute", "concluded_at", ("outcome", "in", ("agreement", "terminated"))),
        factor=100,
        description="期间内达成协议 ÷ (达成协议 + 终止调解) / agreements ÷ (agreements + "
        "terminations) concluded in the period",
    ),
    Indicator(
        "dispute_within_target_rate",
        "按期调结率",
        "mediation within target rate",
        Measure.flow("dispute", "concluded_at", ("concluded_within_target", "eq", True)),
        Measure.flow("dispute", "concluded_at", ("concluded_within_target", "not_null")),
        factor=100,
        description="期间内在期限内调结 ÷ 期间内调结 / concluded within the target ÷ concluded",
    ),
    Indicator(
        "ethnic_factor_incidents",
        "涉民族因素群体性事件",
        "mass incidents involving ethnic factors",
        Measure.flow(
            "dispute", "registered_at", ("ethnic_factor", "eq", True), ("mass", "eq", True)
        ),
        description="期间内登记、涉及民族因素且为群体性的纠纷 / disputes registered in the period "
        "flagged both ethnic factor and mass",
    ),
    Indicator(
        "activities_held",
        "活动开展次数",
        "activities held",
        Measure.flow("activity", "start"),
        breakdown="type",
        description="期间内开始的活动, 按类型分组 / activities starting in the period, by type",
    ),
    Indicator(
        "safety_education_activities",
        "安全宣传教育活动次数",
        "safety education activities",
        Measure.flow("activity", "start", ("type", "eq", "safety_education")),
        description="期间内的安全宣传教育活动 / safety-education activities in the period",
    ),
    Indicator(
        "activity_participants",
        "参与人次",
        "activity participants",
        Measure.flow("activity", "start", aggregate="sum", field="participants"),
        decimals=0,
        description="期间内活动参与人次之和 / sum of participants of activities in the period",
    ),
    Indicator(
        "language_training_completions",
        "国家通用语言培训结业人数",
        "national common language training completions",
        Measure.flow("enrollment", "completed_on", ("course.type", "eq", "language_training")),
        description="期间内国家通用语言培训班结业的学员 / trainees completing a national common "
        "language course in the period",
    ),
    Indicator(
        "minority_cadres_deputy_section_plus",
        "少数民族副科级以上干部数",
        "minority officials at deputy section level or above",
        Measure.stock("official", _MINORITY, ("rank", "ge", "deputy_section"), valid_to="left_on"),
        description="期末在职、职级副科级及以上的少数民族干部 / minority officials in service at "
        "period end with a rank of 副科级 or above",
    ),
    Indicator(
        "minority_professionals_intermediate_plus",
        "中级以上职称少数民族专业技术人员数",
        "minority technicians with intermediate title or above",
        Measure.stock("technician", _MINORITY, ("title", "ge", "intermediate"), valid_to="left_on"),
        description="期末在职、中级及以上职称的少数民族专业技术人员 / minority technicians in "
        "service at period end with an intermediate title or above",
    ),
    Indicator(
        "honours_awarded",
        "授牌 / 表彰数",
        "honours awarded",
        Measure.flow("honour", "awarded_on"),
        description="期间内的授牌和表彰 / plaques and commendations awarded in the period",
    ),
    Indicator(
        "volunteer_hours",
        "志愿服务时长",
        "volunteer service hours",
        Measure.flow("service_hours", "served_on", aggregate="sum", field="hours"),
        decimals=1,
        description="期间内志愿服务人·小时之和 / person-hours of volunteer service in the period",
    ),
)

#: The catalog by id.
CATALOG_BY_ID: Final[Mapping[str, Indicator]] = {i.id: i for i in CATALOG}


def catalog_indicator(indicator_id: str) -> Indicator:
    """The catalog indicator ``indicator_id`` (``NotFoundError(code="unknown_indicator")``)."""
    found = CATALOG_BY_ID.get(indicator_id)
    if found is None:
        raise NotFoundError(
            f"未知的指标代码: {indicator_id!r}",
            f"unknown indicator id: {indicator_id!r}",
            code="unknown_indicator",
            field="indicator",
            details={"indicator": indicator_id, "known": sorted(CATALOG_BY_ID)},
        )
    return found


def resolve_indicators(
    wanted: Iterable[str | Indicator] | None, extra: Iterable[Indicator] = ()
) -> tuple[Indicator, ...]:
    """The indicators named by id (from ``extra`` first, then the catalog) or given as objects;
    ``None`` or empty: the whole catalog (plus ``extra``). Duplicates are dropped."""
    known = {i.id: i for i in extra}
    chosen: list[Indicator] = []
    items = list(wanted or ())
    if not items:
        chosen = [*CATALOG, *(i for i in known.values() if i.id not in CATALOG_BY_ID)]
    for item in items:
        if isinstance(item, Indicator):
            chosen.append(item)
        else:
            text = str(item).strip()
            chosen.append(known[text] if text in known else catalog_indicator(text))
    seen: set[str] = set()
    unique = []
    for indicator in chosen:
        if indicator.id not in seen:
            seen.add(indicator.id)
            unique.append(indicator)
    return tuple(unique)
