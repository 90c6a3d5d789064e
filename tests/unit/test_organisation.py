"""The organisation domain: vocabularies, validation of every record, the policy, the coverage
report on hand-made histories, serialization, and the responsibility-network example."""

from __future__ import annotations

import runpy
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest

from minzu_core.activities import (
    DEFAULT_ACTIVITY_TYPES,
    Activity,
    ActivityType,
    DemonstrationSite,
    Enrollment,
    Honour,
    ServiceHours,
    SiteLevel,
    SiteStatusEntry,
    TrainingCourse,
    VolunteerMembership,
    VolunteerServiceKind,
)
from minzu_core.codes.divisions import Level
from minzu_core.codes.uscc import make_uscc
from minzu_core.errors import MinzuError, ValidationError
from minzu_core.hierarchy import Unit
from minzu_core.organisation import (
    DEFAULT_POLICY,
    DESIGNATED_CADRE,
    ETHNIC_AFFAIRS_OFFICER,
    FIRST_RESPONSIBLE,
    Appointment,
    Body,
    BodyKind,
    Official,
    Rank,
    RankEntry,
    ResponsibilityPolicy,
    Role,
    RoleRule,
    Technician,
    TitleEntry,
    TitleLevel,
    ViolationKind,
    coverage_report,
)
from minzu_core.serialization import structure, unstructure

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "responsibility_network.py"
TOWNSHIP = "360103001"
COMMUNITY = "360103001001"


def _error(call: Any, *args: Any, **kw: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kw)
    err = caught.value
    assert err.message_zh and err.message_en and err.field
    return err


# -- vocabularies --------------------------------------------------------------------------------
def test_ranks_and_titles_are_ordered_with_labels() -> None:
    assert list(Rank) == sorted(Rank)
    assert Rank.STAFF < Rank.DEPUTY_SECTION < Rank.SECTION < Rank.BUREAU_AND_ABOVE
    assert Rank.parse("副科级", field="r") is Rank.DEPUTY_SECTION
    assert Rank.parse("deputy section-chief level", field="r") is Rank.DEPUTY_SECTION
    assert Rank.BUREAU_AND_ABOVE.label_zh == "正厅级及以上" and Rank.SECTION.order == 3
    assert TitleLevel.JUNIOR < TitleLevel.INTERMEDIATE < TitleLevel.SENIOR
    assert TitleLevel.parse("副高级", field="t") is TitleLevel.ASSOCIATE_SENIOR
    assert SiteLevel.NATIONAL > SiteLevel.CITY
    with pytest.raises(TypeError):
        assert Rank.STAFF < TitleLevel.SENIOR  # type: ignore[operator]
    err = _error(Rank.parse, "处长", field="min_rank")
    assert err.code == "invalid_choice" and err.field == "min_rank"


def test_activity_types_cover_design_section_4() -> None:
    labels = [t.label_zh for t in DEFAULT_ACTIVITY_TYPES]
    assert labels == [
        "民族团结宣传月/周", "图片展", "宣传资料发放", "文艺演出", "民间传统技艺比赛", "升国旗",
        "国家通用语言培训班", "知识竞赛", "安全宣传教育", "联欢会", "趣味运动会", "读书推荐会",
        "授牌仪式", "其他",
    ]  # fmt: skip
    assert all(t.label_en and t.code.isidentifier() for t in DEFAULT_ACTIVITY_TYPES)
    assert Activity("授牌仪式", TOWNSHIP, "x", date(2019, 1, 1)).type == "plaque_ceremony"
    assert _error(ActivityType, "Bad Code", "x", "x").code == "invalid_code"
    assert BodyKind.parse("人民调解委员会", field="kind") is BodyKind.MEDIATION_COMMITTEE
    assert VolunteerServiceKind.parse("交通协勤", field="kind") is VolunteerServiceKind.TRAFFIC


# -- records -------------------------------------------------------------------------------------
def test_body_rules() -> None:
    opened = date(2019, 1, 1)
    assert Body(TOWNSHIP, "united_front_office", "办公室", opened).open_on(opened)
    assert _error(Body, COMMUNITY, "united_front_office", "x", opened).code == "body_level"
    assert _error(Body, TOWNSHIP, "leading_group", "x", opened).field == "unit_code"
    assert _error(Body, "360103", "partner_agency", "x", opened).field == "origin_code"
    assert _error(Body, "360103", "liaison_station", "x", opened, origin_code="65").code == (
        "origin_code"
    )
    err = _error(Body, TOWNSHIP, "liaison_station", "x", opened, window_id=uuid.uuid4())
    assert err.field == "window_id"
    err = _error(Body, TOWNSHIP, "liaison_station", "x", opened, closed=opened)
    assert (err.code, err.field) == ("end_before_start", "closed")
    assert _error(Body, TOWNSHIP, "liaison_station", " ", opened).code == "required"


def test_official_history_and_privacy() -> None:
    official = Official(
        TOWNSHIP,
        "买买提·艾力",
        "维吾尔族",
        [RankEntry("科员级", date(2010, 1, 1)), RankEntry("副科级", date(2016, 1, 1))],
        left_on=date(2020, 1, 1),
    )
    assert official.ethnicity == "05" and official.is_minority
    assert official.rank_on(date(2009, 12, 31)) is None
    assert official.rank_on(date(2016, 1, 1)) is Rank.DEPUTY_SECTION
    assert official.rank_on(date(2020, 1, 1)) is None
    assert "买买提" not in repr(official) and "艾力" not in repr(official)
    err = _error(
        attrs.evolve, official, ranks=[*official.ranks, RankEntry("正科级", date(2015, 1, 1))]
    )
    assert (err.code, err.field) == ("history_order", "ranks[2].since")
    err = _error(attrs.evolve, official, left_on=date(2016, 1, 1))
    assert (err.code, err.field) == ("left_before_since", "left_on")
    technician = Technician(TOWNSHIP, "古丽", "05", [TitleEntry("中级", date(2017, 1, 1))])
    assert technician.title_on(date(2018, 1, 1)) is TitleLevel.INTERMEDIATE
    assert technician.with_title("副高级", date(2019, 1, 1)).title_on(date(2019, 1, 1)) is (
        TitleLevel.ASSOCIATE_SENIOR
    )
    assert "古丽" not in repr(technician)
    assert _error(Official, TOWNSHIP, "x", "火星族").code == "unknown_ethnicity"


def test_appointment_and_policy_rules() -> None:
    official = uuid.uuid4()
    err = _error(Appointment, official, FIRST_RESPONSIBLE, TOWNSHIP, date(2019, 5, 1),
                 end=date(2019, 4, 1))  # fmt: skip
    assert (err.code, err.field) == ("end_before_start", "end")
    assert _error(Appointment, official, "第一责任人", TOWNSHIP, date(2019, 5, 1)).field == "role"
    assert DEFAULT_POLICY.allows(Level.TOWNSHIP, ETHNIC_AFFAIRS_OFFICER)
    assert not DEFAULT_POLICY.allows(Level.VILLAGE, ETHNIC_AFFAIRS_OFFICER)
    err = _error(DEFAULT_POLICY.check, Level.VILLAGE, ETHNIC_AFFAIRS_OFFICER)
    assert (err.code, err.field) == ("role_not_allowed", "role")
    assert err.details["allowed"] == [FIRST_RESPONSIBLE, DESIGNATED_CADRE]
    roles = (Role("a", "甲", "a"),)
    assert _error(ResponsibilityPolicy, roles, [RoleRule("village", "b")]).code == "unknown_role"
    rules = [RoleRule("village", "a"), RoleRule(Level.VILLAGE, "a", 0, None)]
    assert _error(ResponsibilityPolicy, roles, rules).code == "duplicate_rule"
    assert _error(RoleRule, "village", "a", 2, 1).field == "max_count"
    assert _error(RoleRule, "village", "a", -1, 1).code == "invalid_count"
    assert _error(RoleRule, "district", "a").code == "invalid_choice"


def test_activity_rules() -> None:
    day = date(2019, 9, 20)
    activity = Activity("gala", TOWNSHIP, "联欢会", day, participants=10, minority_participants=4)
    assert activity.end == date(2019, 9, 21) and activity.held_on(day)
    assert not activity.held_on(activity.end)
    for field in ("participants", "minority_participants", "materials"):
        err = _error(Activity, "gala", TOWNSHIP, "x", day, **{"participants": 1, field: -1})
        assert (err.code, err.field) == ("negative_count", field)
    err = _error(Activity, "gala", TOWNSHIP, "x", day, participants=3, minority_participants=4)
    assert (err.code, err.field) == ("minority_exceeds_total", "minority_participants")
    err = _error(Activity, "gala", TOWNSHIP, "x", day, participants=True)
    assert err.code == "invalid_count"
    err = _error(Activity, "gala", TOWNSHIP, "x", day, attendee_ids={uuid.uuid4()})
    assert err.field == "attendee_ids"
    assert _error(Activity, "gala", TOWNSHIP, "x", day, end=day).code == "end_before_start"


def test_training_recognition_and_volunteer_rules() -> None:
    course = TrainingCourse(TOWNSHIP, "国家通用语言培训班", date(2019, 4, 1))
    assert course.type == "language_training"
    err = _error(Enrollment, course.id, date(2019, 4, 1))
    assert (err.code, err.field) == ("trainee_required", "person_id")
    both = {"person_id": uuid.uuid4(), "official_id": uuid.uuid4()}
    assert _error(Enrollment, course.id, date(2019, 4, 1), **both).code == "trainee_required"
    err = _error(Enrollment, course.id, date(2019, 4, 1), person_id=uuid.uuid4(),
                 completed_on=date(2019, 3, 1))  # fmt: skip
    assert (err.code, err.field) == ("completion_before_enrollment", "completed_on")
    uscc = make_uscc("360103", 77, individual=True)
    honour = Honour("文明诚信经营户", "360103", date(2019, 10, 20), business_uscc=uscc.lower())
    assert honour.business_uscc == uscc and uscc not in repr(honour)
    assert _error(Honour, "x", "360103", date(2019, 1, 1)).code == "recipient_required"
    err = _error(Honour, "x", "360103", date(2019, 1, 1), business_name="某店")
    assert err.field == "business_uscc"
    site = DemonstrationSite(
        TOWNSHIP, "示范点", [SiteStatusEntry("creating", "区级", date(2018, 1, 1))]
    )
    named = site.with_status("named", date(2019, 1, 1), level="市级")
    assert named.status_on(date(2018, 6, 1)) == site.current
    assert named.current.level is SiteLevel.CITY and named.status_on(date(2017, 1, 1)) is None
    assert _error(site.with_status, "named", date(2018, 1, 1)).code == "history_order"
    assert _error(DemonstrationSite, TOWNSHIP, "x", []).field == "statuses"
    member = VolunteerMembership(uuid.uuid4(), uuid.uuid4(), date(2019, 1, 1))
    assert member.active_on(date(2030, 1, 1))
    hours = ServiceHours(uuid.uuid4(), "宣传", date(2019, 1, 1), 2.345)
    assert hours.hours == 2.35 and hours.kind is VolunteerServiceKind.PUBLICITY
    for bad in (0, -1, float("nan"), "2", True):
        assert _error(ServiceHours, uuid.uuid4(), "宣传", date(2019, 1, 1), bad).field == "hours"


def test_every_record_round_trips_through_the_converter() -> None:
    official = Official(TOWNSHIP, "马某", "03", [RankEntry("副科级", date(2016, 1, 1), "文号")])
    records: list[Any] = [
        Body("360103", "partner_agency", "新疆驻赣工作组", date(2018, 1, 1), origin_code="65"),
        official,
        Technician(TOWNSHIP, "古丽", "05", [TitleEntry("中级", date(2017, 1, 1))]),
        Appointment(official.id, FIRST_RESPONSIBLE, TOWNSHIP, date(2019, 1, 1), basis="文号"),
        DEFAULT_POLICY,
        ActivityType("noodles", "同吃国庆面", "National Day noodles"),
        Activity("gala", TOWNSHIP, "x", date(2019, 1, 1), participants=2,
                 attendee_ids={uuid.uuid4(), uuid.uuid4()}),
        TrainingCourse(TOWNSHIP, "x", date(2019, 1, 1), end=date(2019, 2, 1)),
        Enrollment(uuid.uuid4(), date(2019, 1, 1), official_id=uuid.uuid4()),
        DemonstrationSite(TOWNSHIP, "x", [SiteStatusEntry("named", "city", date(2019, 1, 1))]),
        Honour("x", TOWNSHIP, date(2019, 1, 1), person_id=uuid.uuid4(),
               business_uscc=make_uscc("360103", 5)),
        VolunteerMembership(uuid.uuid4(), uuid.uuid4(), date(2019, 1, 1), duty="队长"),
        ServiceHours(uuid.uuid4(), "traffic", date(2019, 1, 1), 1.5, member_id=uuid.uuid4()),
    ]  # fmt: skip
    for record in records:
        assert structure(unstructure(record), type(record)) == record


# -- coverage on hand-made histories -------------------------------------------------------------
UNITS = [Unit.create("360103", "西湖区"), Unit.create(TOWNSHIP, "南浦街道"),
         Unit.create(COMMUNITY, "第一社区"), Unit.create("360103001002", "第二社区",
         valid_to=date(2019, 6, 1))]  # fmt: skip


def _a(role: str, unit: str, start: date, end: date | None = None) -> Appointment:
    return Appointment(uuid.uuid4(), role, unit, start, end)


def test_coverage_on_hand_made_history() -> None:
    appointments = [
        _a(FIRST_RESPONSIBLE, TOWNSHIP, date(2019, 1, 1), date(2019, 5, 1)),
        _a(FIRST_RESPONSIBLE, TOWNSHIP, date(2019, 5, 1)),  # a clean handover
        _a(ETHNIC_AFFAIRS_OFFICER, TOWNSHIP, date(2019, 1, 1), date(2019, 3, 1)),
        _a(ETHNIC_AFFAIRS_OFFICER, TOWNSHIP, date(2019, 4, 1)),  # a month's gap
        _a(FIRST_RESPONSIBLE, COMMUNITY, date(2019, 1, 1)),
        _a(DESIGNATED_CADRE, COMMUNITY, date(2019, 1, 1)),
        _a(DESIGNATED_CADRE, COMMUNITY, date(2019, 7, 1)),  # a second cadre: excess
        _a("nonexistent_role", COMMUNITY, date(2019, 1, 1)),  # no rule: ignored
    ]
    report = coverage_report(UNITS, appointments, DEFAULT_POLICY, date(2019, 12, 16))
    # the closed community is not checked; the district lacks its leading group
    assert [c.short for c in report.checked] == ["360103", TOWNSHIP, COMMUNITY]
    assert [(v.kind, v.unit_code.short, v.role, v.start, v.end) for v in report.violations] == [
        (ViolationKind.MISSING, "360103", "leading_group_leader", None, None),
        (ViolationKind.MISSING, "360103", "leading_group_member", None, None),
        (ViolationKind.GAP, TOWNSHIP, ETHNIC_AFFAIRS_OFFICER, date(2019, 3, 1), date(2019, 4, 1)),
        (ViolationKind.EXCESS, COMMUNITY, DESIGNATED_CADRE, date(2019, 7, 1), None),
    ]
    gap = report.violations[2]
    assert gap.appointment_ids == (appointments[2].id, appointments[3].id)
    assert [c.short for c in report.fully_covered] == [TOWNSHIP, COMMUNITY]
    assert "交接空档 handover gap: 360103001 南浦街道" in report.lines(DEFAULT_POLICY)[3]
    later = coverage_report(UNITS, appointments, DEFAULT_POLICY, date(2019, 12, 16),
                            since=date(2019, 4, 1))  # fmt: skip
    assert ViolationKind.GAP not in {v.kind for v in later.violations}
    before = coverage_report(UNITS, appointments, DEFAULT_POLICY, date(2019, 3, 15))
    missing = before.for_unit(TOWNSHIP)
    assert [(v.kind, v.start, v.count) for v in missing] == [
        (ViolationKind.MISSING, date(2019, 3, 1), 0)
    ]
    assert coverage_report([], appointments, DEFAULT_POLICY, date(2019, 1, 1)).ok


def test_errors_carry_no_personal_data() -> None:
    err = _error(Official, TOWNSHIP, "买买提", "05", [RankEntry("副科级", date(2016, 1, 1))],
                 left_on=date(2015, 1, 1))  # fmt: skip
    assert isinstance(err, MinzuError)
    assert "买买提" not in str(err) and "买买提" not in repr(err.to_dict())


# -- the example ---------------------------------------------------------------------------------
def test_responsibility_network_example(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLE), run_name="example")["main"]()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "西湖区 Xihu District: 12 townships, 20 communities and villages"
    assert out[2] == "责任落实情况 coverage as of 2019-12-16: 32/33 units fully covered, 2 findings"
    assert out[3].startswith("缺少 missing: 360103009002 丁公路第2社区 | 民族工作指定干部")
    assert "2019-11-20→now" in out[3]
    assert out[4].startswith("交接空档 handover gap: 360103010 南站街道 | 统战民宗专干")
    assert "2019-09-01→2019-10-15" in out[4]
    assert "  360103 西湖区: 民族工作领导小组组长, 民族工作领导小组成员×4" in out
    assert out[-2].endswith(": 6") and out[-1].endswith(": 3")  # the seed's figures
