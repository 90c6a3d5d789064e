"""A synthetic year 2019 for the Xihu District demo (演示年度数据: 西湖区 2019 年).

:func:`populate_demo_year` adds, to a store on which :func:`minzu_core.demo.run_demo` has built
Xihu District (its 12 townships, synthetic communities and the synthetic ledger), a reproducible
year of every kind of work record, through the public unit-of-work API only:

* the responsibility network (三级网络两级责任制): the district 民族工作领导小组 with a leader and
  members, in every township a 统战工作办公室, a 第一责任人 and a 统战民宗专干, in every community
  or village a 第一责任人 and a designated cadre — complete on 2019-12-16, with same-day handovers
  during the year (no gap, no overlap);
* cadres and talent: exactly 6 minority officials of 副科级 or above and exactly 3 minority
  technicians of 中级 title or above on 2019-12-16 (the seed's figures), besides Han officials,
  minority officials below that rank or who left, and technicians below 中级;
* a service window (民族工作服务窗口) in each of the 12 townships offering at least 登记办证,
  劳动就业, 子女入学 and 法律援助, and a few hundred service requests through the year;
* a few dozen disputes (矛盾纠纷) mediated under the People's Mediation Law;
* activities: 13 safety-education activities (安全宣传教育, the seed's "10余次") and the publicity
  month, exhibitions, performances, contests, galas …; three 国家通用语言培训班 with enrollments
  and completions; a 授牌仪式 with "阿布拉江"式文明诚信经营户 honours; the 阿卜杜拉文明志愿队 with
  its members and service hours; a demonstration site.

Everything is drawn from :class:`random.Random` with the seed, and every record has a UUIDv5 of
a namespace, the seed and its key, so the same store and seed give the same year; records already
stored (by id) are left alone, which makes the function idempotent. Nothing is dated after
2019-12-15: the store's clock must read 2019-12-16 or later.

All names of officials, technicians and parties are synthetic placeholders (示例干部12 …).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import attrs

from minzu_core.activities.model import (
    LANGUAGE_TRAINING,
    PLAQUE_CEREMONY,
    SAFETY_EDUCATION,
    Activity,
    DemonstrationSite,
    Enrollment,
    Honour,
    ServiceHours,
    SiteStatusEntry,
    TrainingCourse,
    VolunteerMembership,
    VolunteerServiceKind,
)
from minzu_core.clock import CST
from minzu_core.codes.divisions import DivisionCode, Level, UnitKind
from minzu_core.codes.resident_id import Gender
from minzu_core.codes.uscc import make_uscc
from minzu_core.demo.xihu import DEMO_AS_OF, XIHU
from minzu_core.disputes.model import CHANNELS, Dispute, Party
from minzu_core.disputes.model import OPEN_STATES as DISPUTE_OPEN_STATES
from minzu_core.errors import NotFoundError, ValidationError
from minzu_core.hierarchy.model import Unit
from minzu_core.ledger.model import LanguageProficiency, Person, Residence
from minzu_core.organisation.bodies import Body, BodyKind
from minzu_core.organisation.cadres import (
    Official,
    Rank,
    RankEntry,
    Technician,
    TitleEntry,
    TitleLevel,
)
from minzu_core.organisation.responsibility import (
    DESIGNATED_CADRE,
    ETHNIC_AFFAIRS_OFFICER,
    FIRST_RESPONSIBLE,
    LEADING_GROUP_LEADER,
    LEADING_GROUP_MEMBER,
    Appointment,
)
from minzu_core.privacy.actor import Actor
from minzu_core.services.model import (
    OPEN_STATES,
    Satisfaction,
    ServiceCategory,
    ServiceRequest,
    ServiceWindow,
)
from minzu_core.store.factory import Store
from minzu_core.store.uow import UnitOfWork

__all__ = [
    "DEMO_YEAR_CUTOFF",
    "DEMO_YEAR_START",
    "RECORD_KINDS",
    "DemoYearCounts",
    "DemoYearSummary",
    "populate_demo_year",
]

#: The first day of the demo year.
DEMO_YEAR_START = date(2019, 1, 1)
#: Nothing of the demo year happens at or after this moment (the start of the seed's date,
#: 2019-12-16, China Standard Time): later steps of a case stay undone (still open).
DEMO_YEAR_CUTOFF = datetime(2019, 12, 16, 0, 0, tzinfo=CST)
#: The kinds of record the demo year adds, in the order they are written.
RECORD_KINDS: tuple[str, ...] = (
    "bodies",
    "officials",
    "appointments",
    "technicians",
    "windows",
    "sites",
    "memberships",
    "volunteer_hours",
    "activities",
    "courses",
    "enrollments",
    "honours",
    "requests",
    "disputes",
)

_NAMESPACE = uuid.UUID("0b4f6e0c-5f3a-4d86-9d0c-7f1e2a9c2019")
_ACTOR = Actor.system("minzu-demo-year")
_REASON = "演示年度数据 synthetic demo year"
_BATCH = 300  # records per commit
_LAST_DAY = DEMO_YEAR_CUTOFF.date() - timedelta(days=1)  # 2019-12-15
_PERIOD_END = DEMO_AS_OF + timedelta(days=1)  # flows are counted in [2019-01-01, 2019-12-17)
_NETWORK_START = date(2019, 3, 1)  # the network after the 2019 institutional reform
_BASIS = "西统字〔2019〕3号"

# Townships with a special role in the calibration (codes of the 2019 NBS edition).
_DINGGONGLU = "360103009"  # 丁公路街道: the volunteer team, the ceremony, the demonstration site
_NANPU = "360103001"
_NANZHAN = "360103010"  # 南站街道: the 党工委书记 changed on 2019-06-18 (same-day handover)
_TAOYUAN = "360103011"
_CHAONONG = "360103013"
_TAOHUA = "360103101"
_REQUIRED_TOWNSHIPS = (_NANPU, _DINGGONGLU, _NANZHAN, _TAOYUAN, _CHAONONG, _TAOHUA)

#: The four categories every window offers (the seed: 登记办证、劳动就业、子女入学、法律援助).
_CORE_CATEGORIES = frozenset(
    {
        ServiceCategory.REGISTRATION,
        ServiceCategory.EMPLOYMENT,
        ServiceCategory.SCHOOLING,
        ServiceCategory.LEGAL_AID,
    }
)
_EXTRA_CATEGORIES = (
    ServiceCategory.BUSINESS,
    ServiceCategory.MEDICAL,
    ServiceCategory.RELIEF,
    ServiceCategory.OTHER,
)
_CATEGORY_WEIGHTS = {
    ServiceCategory.REGISTRATION: 30,
    ServiceCategory.EMPLOYMENT: 22,
    ServiceCategory.SCHOOLING: 15,
    ServiceCategory.LEGAL_AID: 8,
    ServiceCategory.BUSINESS: 8,
    ServiceCategory.MEDICAL: 8,
    ServiceCategory.RELIEF: 6,
    ServiceCategory.OTHER: 3,
}
_REFERRAL_TARGETS = ("区人社局", "区教体局", "区司法局", "区市场监管局")
_SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")


# -- the summary -------------------------------------------------------------------------------
@attrs.frozen
class DemoYearCounts:
    """The demo year's figures as counted by the store's own queries (as of 2019-12-16).

    Stocks are evaluated on 2019-12-16; flows count what happened from 2019-01-01 to
    2019-12-16 inclusive.

    Attributes:
        townships: township units (街道/镇) of Xihu District on 2019-12-16.
        townships_with_window: townships with a window open on that day offering 登记办证,
            劳动就业, 子女入学 and 法律援助 (服务窗口覆盖).
        windows_open: service windows open on that day.
        minority_officials_deputy_section_plus: 少数民族副科级以上干部 (seed: 6).
        minority_technicians_intermediate_plus: 中级以上职称少数民族专业技术人员 (seed: 3).
        officials: officials recorded in the district (any rank, in office or not).
        appointments_active: appointments holding on that day.
        units_checked / units_fully_covered / coverage_findings: the responsibility coverage
            report (责任落实情况) of the district on that day.
        activities, safety_education_activities, activity_participants,
        minority_participants, materials: activities started in the period and their sums.
        language_courses, language_enrollments, language_completions: 国家通用语言培训班.
        honours: honours awarded (授牌/表彰).
        demonstration_sites_named: sites named (已命名) on that day.
        volunteer_members: volunteer team members on that day; volunteer_hours: hours served.
        requests … requests_overdue: service requests (received, accepted, resolved, resolved
            on time, followed up, 满意 or 基本满意, 不满意, still open, open and overdue at the
            cut-off).
        disputes … disputes_ethnic_factor_mass: disputes (registered, agreements,
            terminations, mediations concluded within the target, still open, escalated,
            涉及民族因素, 涉民族因素群体性).
    """

    townships: int
    townships_with_window: int
    windows_open: int
    minority_officials_deputy_section_plus: int
    minority_technicians_intermediate_plus: int
    officials: int
    appointments_active: int
    units_checked: int
    units_fully_covered: int
    coverage_findings: int
    activities: int
    safety_education_activities: int
    activity_participants: int
    minority_participants: int
    materials: int
    language_courses: int
    language_enrollments: int
    language_completions: int
    honours: int
    demonstration_sites_named: int
    volunteer_members: int
    volunteer_hours: float
    requests: int
    requests_accepted: int
    requests_resolved: int
    requests_on_time: int
    requests_followed_up: int
    requests_satisfied: int
    requests_dissatisfied: int
    requests_open: int
    requests_overdue: int
    disputes: int
    disputes_agreement: int
    disputes_terminated: int
    disputes_within_target: int
    disputes_open: int
    disputes_escalated: int
    disputes_ethnic_factor: int
    disputes_ethnic_factor_mass: int

    def lines(self) -> list[str]:
        """The figures as text lines, Chinese label with English beside it."""
        rows: list[tuple[str, object]] = [
            ("街道(镇) townships", self.townships),
            ("设立服务窗口的街道(镇) townships with a service window", self.townships_with_window),
            ("开放的服务窗口 open service windows", self.windows_open),
            (
                "少数民族副科级以上干部 minority officials, deputy-section rank and above",
                self.minority_officials_deputy_section_plus,
            ),
            (
                "中级以上职称少数民族专业技术人员 minority technicians, intermediate and above",
                self.minority_technicians_intermediate_plus,
            ),
            ("在职任职 appointments holding", self.appointments_active),
            (
                "责任全部落实的单位 units fully covered",
                f"{self.units_fully_covered}/{self.units_checked}",
            ),
            ("责任落实问题 coverage findings", self.coverage_findings),
            ("活动开展次数 activities held", self.activities),
            ("安全宣传教育活动 safety-education activities", self.safety_education_activities),
            ("参与人次 participants", self.activity_participants),
            ("其中少数民族 of whom minority", self.minority_participants),
            ("发放资料 materials distributed", self.materials),
            ("国家通用语言培训班 language courses", self.language_courses),
            ("报名人数 enrollments", self.language_enrollments),
            ("结业人数 completions", self.language_completions),
            ("授牌/表彰 honours awarded", self.honours),
            ("已命名示范点 named demonstration sites", self.demonstration_sites_named),
            ("志愿者 volunteer members", self.volunteer_members),
            ("志愿服务时长 volunteer hours", self.volunteer_hours),
            ("服务事项 service requests received", self.requests),
            ("受理 accepted", self.requests_accepted),
            ("办结 resolved", self.requests_resolved),
            ("按时办结 resolved on time", self.requests_on_time),
            ("回访 followed up", self.requests_followed_up),
            ("满意或基本满意 satisfied or basically satisfied", self.requests_satisfied),
            ("不满意 dissatisfied", self.requests_dissatisfied),
            ("在办 still open", self.requests_open),
            ("超期 overdue", self.requests_overdue),
            ("矛盾纠纷受理 disputes registered", self.disputes),
            ("达成调解协议 agreements", self.disputes_agreement),
            ("调解终止 terminated", self.disputes_terminated),
            ("按期调结 concluded within the target", self.disputes_within_target),
            ("调解中 still open", self.disputes_open),
            ("升级处理 escalated", self.disputes_escalated),
            ("涉及民族因素 with an ethnic factor", self.disputes_ethnic_factor),
            (
                "涉民族因素群体性事件 mass incidents with an ethnic factor",
                self.disputes_ethnic_factor_mass,
            ),
        ]
        return [f"{label}: {value}" for label, value in rows]


def _kind_counts(value: Mapping[str, int]) -> dict[str, int]:
    return {kind: int(value.get(kind, 0)) for kind in RECORD_KINDS}


@attrs.frozen
class DemoYearSummary:
    """What :func:`populate_demo_year` did and what the store counts afterwards.

    Attributes:
        added: records written by this run, per kind (:data:`RECORD_KINDS`); all zero when the
            year was already there.
        present: records found already stored (by id) and left alone, per kind.
        counts: the calibrated figures, counted by the store after populating (the same on
            every run for a given store and seed).
    """

    added: dict[str, int] = attrs.field(converter=_kind_counts)
    present: dict[str, int] = attrs.field(converter=_kind_counts)
    counts: DemoYearCounts

    @property
    def total_added(self) -> int:
        """Records written by this run."""
        return sum(self.added.values())

    @property
    def total_present(self) -> int:
        """Records that were already stored."""
        return sum(self.present.values())

    def lines(self) -> list[str]:
        """The summary as text lines (records added, then the figures)."""
        added = ", ".join(f"{k} {v}" for k, v in self.added.items() if v)
        head = [
            f"演示年度 2019 demo year: 新增记录 records added {self.total_added}"
            f"{f' ({added})' if added else ''}; 已存在 already present {self.total_present}"
        ]
        return head + self.counts.lines()


# -- the store's picture of the demo ---------------------------------------------------------------
@attrs.frozen
class _Context:
    district: Unit
    townships: tuple[Unit, ...]
    villages: dict[str, tuple[Unit, ...]]  # by township short code
    # by township short code: the persons with a residence episode there, and those episodes
    people: dict[str, tuple[tuple[Person, tuple[Residence, ...]], ...]]

    def township(self, code: str) -> Unit:
        return next(t for t in self.townships if t.code.short == code)

    def present(
        self,
        township: str,
        day: date,
        *,
        minority: bool = False,
        unit: DivisionCode | None = None,
    ) -> list[Person]:
        """Ledger persons living in the township (or in ``unit``) on ``day``, by id."""
        found = []
        for person, residences in self.people.get(township, ()):
            if minority and not person.is_minority:
                continue
            if any(r.present_on(day) and (unit is None or r.unit_code == unit) for r in residences):
                found.append(person)
        return found


def _context(uow: UnitOfWork) -> _Context:
    district = uow.units.find(XIHU, DEMO_AS_OF)
    townships = sorted(
        uow.units.list(within=XIHU, level=Level.TOWNSHIP, as_of=DEMO_AS_OF),
        key=lambda u: u.code.value,
    )
    codes = [t.code.short for t in townships]
    missing = [c for c in _REQUIRED_TOWNSHIPS if c not in codes]
    if district is None or missing:
        raise NotFoundError(
            "西湖区演示单位尚未建立, 请先运行 run_demo",
            "the Xihu District demo units are not in the store: run run_demo first",
            code="demo_units_missing",
            field="store",
        )
    villages: dict[str, list[Unit]] = {c: [] for c in codes}
    for unit in sorted(
        uow.units.list(within=XIHU, level=Level.VILLAGE, as_of=DEMO_AS_OF),
        key=lambda u: u.code.value,
    ):
        villages.setdefault(unit.code.value[:9], []).append(unit)
    people: dict[str, list[tuple[Person, tuple[Residence, ...]]]] = {c: [] for c in codes}
    for person in sorted(uow.people.list(within=XIHU), key=lambda p: str(p.id)):
        for code in codes:
            here = tuple(r for r in person.residences if r.unit_code.value.startswith(code))
            if here:
                people[code].append((person, here))
    return _Context(
        district=district,
        townships=tuple(townships),
        villages={k: tuple(v) for k, v in villages.items()},
        people={k: tuple(v) for k, v in people.items()},
    )


# -- the writer ----------------------------------------------------------------------------------
class _Run:
    """One populate run: the unit of work, the random stream, ids and what was written."""

    def __init__(self, uow: UnitOfWork, seed: int) -> None:
        self.uow = uow
        self.seed = seed
        self.rng = random.Random(seed)
        self.added = dict.fromkeys(RECORD_KINDS, 0)
        self.present = dict.fromkeys(RECORD_KINDS, 0)
        self._pending = 0
        self._serial = 0
        self._talent = 0

    def id(self, kind: str, key: object) -> uuid.UUID:
        """The deterministic id of the record ``key`` of ``kind``."""
        return uuid.uuid5(_NAMESPACE, f"{self.seed}:{kind}:{key}")

    def fresh(self, kind: str, stored: object | None) -> bool:
        """True if the record must be written (``stored`` is what the store holds or None)."""
        if stored is not None:
            self.present[kind] += 1
            return False
        self.added[kind] += 1
        self._pending += 1
        return True

    def checkpoint(self, force: bool = False) -> None:
        """Commit when enough has been written (always with ``force``)."""
        if self._pending and (force or self._pending >= _BATCH):
            self.uow.commit()
            self._pending = 0

    def official_name(self) -> str:
        self._serial += 1
        return f"示例干部{self._serial}"

    def technician_name(self) -> str:
        self._talent += 1
        return f"示例人才{self._talent}"


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CST)


def _day_in(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _office_time(rng: random.Random, day: date) -> datetime:
    return _at(day, rng.randint(8, 16), rng.randrange(60))


# -- bodies, officials and the responsibility network --------------------------------------------
def _body(run: _Run, key: str, body: Body) -> Body:
    body = attrs.evolve(body, id=run.id("body", key))
    if run.fresh("bodies", run.uow.org.find_body(body.id)):
        run.uow.org.add_body(body, reason=_REASON)
    return body


def _official(
    run: _Run,
    key: str,
    unit: Unit,
    ethnicity: str,
    ranks: Sequence[tuple[str, date]],
    position: str,
    left_on: date | None = None,
) -> Official:
    official = Official(
        unit.code,
        run.official_name(),
        ethnicity,
        [RankEntry(rank, since) for rank, since in ranks],
        gender=run.rng.choice((Gender.MALE, Gender.FEMALE)),
        position=position,
        left_on=left_on,
        id=run.id("official", key),
    )
    if run.fresh("officials", run.uow.org.find_official(official.id)):
        run.uow.org.add_official(official, reason=_REASON)
    return official


def _appoint(
    run: _Run,
    key: str,
    official: Official,
    role: str,
    unit: Unit,
    start: date = _NETWORK_START,
    end: date | None = None,
    body: Body | None = None,
) -> None:
    appointment = Appointment(
        official.id,
        role,
        unit.code,
        start,
        end,
        _BASIS,
        None if body is None else body.id,
        id=run.id("appointment", key),
    )
    if run.fresh("appointments", run.uow.org.find_appointment(appointment.id)):
        run.uow.org.appoint(appointment, reason=_REASON)


def _network(run: _Run, ctx: _Context) -> dict[str, Official]:
    """Bodies, officials and appointments; returns the community cadres by unit code."""
    district = ctx.district
    seat = district.code
    group = _body(
        run,
        "leading_group",
        Body(seat, BodyKind.LEADING_GROUP, "西湖区民族工作领导小组", _NETWORK_START,
             note="以区委统战部名义成立"),
    )  # fmt: skip
    _body(
        run,
        "liaison_station",
        Body(seat, BodyKind.LIAISON_STATION, "南昌市少数民族流动人口联系服务站西湖区联络点",
             date(2019, 4, 1)),
    )  # fmt: skip
    _body(
        run,
        "partner_xinjiang",
        Body(seat, BodyKind.PARTNER_AGENCY, "新疆驻赣工作组(西湖区协作)", date(2019, 5, 1),
             origin_code="650000"),
    )  # fmt: skip

    # The district: a Han leader, members of whom two minority of 副科级 and above count, one
    # minority member left in June, one minority member is below 副科级.
    leader = _official(
        run, "d:leader", district, "01", [("deputy_division", date(2017, 3, 1))],
        "区委常委、统战部部长",
    )  # fmt: skip
    _appoint(run, "d:leader", leader, LEADING_GROUP_LEADER, district, body=group)
    members: list[tuple[str, str, list[tuple[str, date]], str, date | None]] = [
        ("d:m1", "03", [("section", date(2015, 8, 1)), ("deputy_division", date(2019, 1, 15))],
         "区委统战部副部长", None),
        ("d:m2", "01", [("section", date(2016, 3, 1))], "区民宗局局长", None),
        ("d:m3", "22", [("deputy_section", date(2018, 5, 1))], "区教体局副局长", None),
        ("d:m4", "01", [("deputy_section", date(2017, 9, 1))], "区人社局副局长", None),
        ("d:m5", "08", [("deputy_section", date(2016, 1, 1))], "区司法局副局长",
         date(2019, 6, 30)),
        ("d:m6", "05", [("staff", date(2018, 7, 1))], "区民宗局科员", None),
    ]  # fmt: skip
    for key, ethnicity, ranks, position, left in members:
        official = _official(run, key, district, ethnicity, ranks, position, left)
        _appoint(run, key, official, LEADING_GROUP_MEMBER, district, end=left, body=group)

    # Townships: the 党(工)委书记 is the 第一责任人 (正科级), a 统战民宗专干 in the office.
    secretary_ethnicity = {_DINGGONGLU: "03", _TAOHUA: "15"}
    officers: dict[str, tuple[str, list[tuple[str, date]]]] = {
        _NANPU: ("06", [("staff", date(2016, 7, 1)), ("deputy_section", date(2019, 7, 1))]),
        _TAOYUAN: ("03", [("deputy_section", date(2017, 4, 1))]),
        _DINGGONGLU: ("05", [("staff", date(2018, 9, 1))]),
        _CHAONONG: ("12", [("staff", date(2017, 3, 1))]),
    }
    for township in ctx.townships:
        code = township.code.short
        office = _body(
            run,
            f"office:{code}",
            Body(township.code, BodyKind.UNITED_FRONT_OFFICE, f"{township.name}统战工作办公室",
                 _NETWORK_START),
        )  # fmt: skip
        _body(
            run,
            f"mediation:{code}",
            Body(township.code, BodyKind.MEDIATION_COMMITTEE, f"{township.name}人民调解委员会",
                 DEMO_YEAR_START),
        )  # fmt: skip
        since = date(2019 - run.rng.randint(1, 5), run.rng.randint(1, 12), 1)
        secretary = _official(
            run,
            f"t:{code}:secretary",
            township,
            secretary_ethnicity.get(code, "01"),
            [("section", since)],
            "镇党委书记" if township.code.kind is UnitKind.TOWN else "党工委书记",
        )
        if code == _NANZHAN:  # a same-day handover on 2019-06-18: no gap, no overlap
            handover = date(2019, 6, 18)
            _appoint(run, f"t:{code}:fr", secretary, FIRST_RESPONSIBLE, township, end=handover)
            successor = _official(
                run, f"t:{code}:secretary2", township, "01", [("section", handover)], "党工委书记"
            )
            _appoint(run, f"t:{code}:fr2", successor, FIRST_RESPONSIBLE, township, handover)
        else:
            _appoint(run, f"t:{code}:fr", secretary, FIRST_RESPONSIBLE, township)
        ethnicity, ranks = officers.get(
            code, ("01", [(run.rng.choice(("staff", "deputy_section")), date(2018, 1, 1))])
        )
        officer = _official(run, f"t:{code}:officer", township, ethnicity, ranks, "统战民宗专干")
        _appoint(run, f"t:{code}:officer", officer, ETHNIC_AFFAIRS_OFFICER, township, body=office)
    run.checkpoint()

    # Communities and villages: the 支部书记 and a designated cadre (no civil-service rank,
    # a few secretaries of 科员级); one cadre handed over on 2019-09-02.
    cadres: dict[str, Official] = {}
    handed_over = False
    for township in ctx.townships:
        for village in ctx.villages[township.code.short]:
            code = village.code.short
            ranked = run.rng.random() < 0.15
            secretary = _official(
                run,
                f"v:{code}:secretary",
                village,
                run.rng.choice(("01", "01", "01", "01", "03", "06")),
                [("staff", date(2017, 1, 1))] if ranked else [],
                "党支部书记",
            )
            _appoint(run, f"v:{code}:fr", secretary, FIRST_RESPONSIBLE, village)
            ethnicity = run.rng.choice(("01", "03", "05", "06", "08", "15", "22"))
            if not handed_over and township.code.short == _DINGGONGLU:
                handed_over = True
                handover = date(2019, 9, 2)
                cadre = _official(
                    run, f"v:{code}:cadre", village, ethnicity, [], "社区干部", left_on=handover
                )
                _appoint(run, f"v:{code}:dc", cadre, DESIGNATED_CADRE, village, end=handover)
                cadre = _official(run, f"v:{code}:cadre2", village, "05", [], "社区干部")
                _appoint(run, f"v:{code}:dc2", cadre, DESIGNATED_CADRE, village, handover)
            else:
                cadre = _official(run, f"v:{code}:cadre", village, ethnicity, [], "社区干部")
                _appoint(run, f"v:{code}:dc", cadre, DESIGNATED_CADRE, village)
            cadres[code] = cadre
    run.checkpoint(force=True)
    return cadres


def _technicians(run: _Run, ctx: _Context) -> None:
    """Three minority technicians of 中级 or above on 2019-12-16, and others who do not count."""
    seat = ctx.district
    ding = ctx.township(_DINGGONGLU)
    taohua = ctx.township(_TAOHUA)
    rows: list[tuple[Unit, str, list[tuple[str, date]], str, date | None]] = [
        (ding, "05", [("intermediate", date(2017, 9, 1))], "临床医学", None),
        (seat, "03", [("intermediate", date(2010, 9, 1)), ("associate_senior", date(2016, 12, 1))],
         "中学教育", None),
        (taohua, "06", [("junior", date(2015, 7, 1)), ("intermediate", date(2019, 9, 1))],
         "护理", None),
        (seat, "08", [("junior", date(2018, 7, 1))], "会计", None),
        (seat, "01", [("intermediate", date(2014, 6, 1))], "工程管理", None),
        (ding, "01", [("associate_senior", date(2012, 12, 1))], "临床医学", None),
        (seat, "22", [("intermediate", date(2016, 6, 1))], "农业技术", date(2019, 4, 1)),
        (taohua, "15", [("junior", date(2019, 3, 1))], "小学教育", None),
    ]  # fmt: skip
    for index, (unit, ethnicity, titles, specialty, left) in enumerate(rows):
        technician = Technician(
            unit.code,
            run.technician_name(),
            ethnicity,
            [TitleEntry(title, since) for title, since in titles],
            specialty=specialty,
            left_on=left,
            id=run.id("technician", index),
        )
        if run.fresh("technicians", run.uow.org.find_technician(technician.id)):
            run.uow.org.add_technician(technician, reason=_REASON)


# -- service windows and requests ----------------------------------------------------------------
def _windows(run: _Run, ctx: _Context) -> dict[str, ServiceWindow]:
    windows = {}
    for index, township in enumerate(ctx.townships):
        code = township.code.short
        opened = date(2019, 1, 2) + timedelta(days=index * 6 + run.rng.randrange(5))
        extra = {c for c in _EXTRA_CATEGORIES if run.rng.random() < 0.5}
        limits = {ServiceCategory.REGISTRATION: 3} if run.rng.random() < 0.3 else {}
        window = ServiceWindow(
            unit_code=township.code,
            name=f"{township.name}民族工作服务窗口",
            opened=opened,
            categories=_CORE_CATEGORIES | extra,
            time_limits=limits,
            id=run.id("window", code),
        )
        if run.fresh("windows", run.uow.services.find_window(window.id)):
            run.uow.services.add_window(window, reason=_REASON)
        windows[code] = window
        _body(
            run,
            f"window:{code}",
            Body(township.code, BodyKind.SERVICE_WINDOW, window.name, opened, window_id=window.id),
        )
    run.checkpoint(force=True)
    return windows


def _request_steps(
    rng: random.Random, received: datetime, limit: int
) -> list[tuple[str, datetime, dict[str, Any]]]:
    """A plausible history for one request (some of it may lie after the cut-off)."""
    t = received

    def later(low_hours: float, high_hours: float) -> datetime:
        nonlocal t
        t = t + timedelta(minutes=rng.randint(int(low_hours * 60), int(high_hours * 60)))
        return t

    roll = rng.random()
    if roll < 0.05:
        return [("decline", later(1, 24), {"reason": "不属于受理范围"})]
    if roll < 0.08:
        return [("withdraw", later(1, 48), {})]
    accepted = later(0.5, 24)
    steps: list[tuple[str, datetime, dict[str, Any]]] = [
        ("accept", accepted, {}),
        ("start", later(0.2, 4), {}),
    ]
    paused = timedelta(0)
    if rng.random() < 0.2:
        asked = later(1, 8)
        steps.append(("request_documents", asked, {"documents": ["身份证明", "居住证明"]}))
        back = later(24, 120)
        paused += back - asked
        steps.append(("documents_received", back, {}))
    if rng.random() < 0.1:
        steps.append(("refer", later(2, 24), {"to": rng.choice(_REFERRAL_TARGETS)}))
        steps.append(("referral_returned", later(24, 96), {}))
    if rng.random() < 0.03:
        steps.append(("withdraw", later(2, 48), {}))
        return steps
    share = rng.uniform(1.05, 1.6) if rng.random() < 0.1 else rng.uniform(0.2, 0.85)
    t = max(accepted + paused + timedelta(days=limit * share), t + timedelta(hours=1))
    steps.append(("resolve", t, {"outcome": "已办结"}))
    roll = rng.random()
    if roll < 0.65:
        satisfaction = rng.choices(_SATISFACTION, (70, 22, 8))[0]
        steps.append(("follow_up", later(48, 240), {"satisfaction": satisfaction}))
        if satisfaction == "dissatisfied" and rng.random() < 0.6:
            steps.append(("reopen", later(2, 48), {"reason": "回访不满意"}))
            steps.append(("resolve", later(24, 120), {"outcome": "再次办结"}))
            steps.append(("follow_up", later(48, 120), {"satisfaction": "basically_satisfied"}))
        steps.append(("close", later(1, 48), {}))
    elif roll < 0.85:
        steps.append(("close_without_follow_up", later(72, 240), {"reason": "申请人无法联系"}))
    return steps


def _requests(run: _Run, ctx: _Context, windows: Mapping[str, ServiceWindow]) -> None:
    rng = run.rng
    services = run.uow.services
    stored = {r.id for r in services.list(within=XIHU)}
    for township in ctx.townships:
        code = township.code.short
        window = windows[code]
        categories = sorted(window.categories, key=lambda c: c.value)
        weights = [_CATEGORY_WEIGHTS[c] for c in categories]
        for index in range(rng.randint(22, 34)):
            received = _office_time(rng, _day_in(rng, window.opened, _LAST_DAY))
            category = rng.choices(categories, weights)[0]
            pick = rng.random()
            steps = _request_steps(rng, received, window.time_limit(category))
            applicants = ctx.present(code, received.date())
            if not applicants:
                continue
            applicant = applicants[int(pick * len(applicants))]
            request_id = run.id("request", f"{code}:{index}")
            if not run.fresh("requests", request_id if request_id in stored else None):
                continue
            request = services.submit(
                ServiceRequest.submit(
                    window,
                    applicant_id=applicant.id,
                    category=category,
                    received_at=received,
                    actor_id=run.uow.actor.id,
                    description="申请事项(合成数据)",
                    id=request_id,
                ),
                reason=_REASON,
            )
            for action, at, data in steps:
                if at >= DEMO_YEAR_CUTOFF:
                    break  # the rest would happen later: still open on the seed's date
                request = services.act(request, action, at=at, **data)
            run.checkpoint()
    run.checkpoint(force=True)


# -- disputes ------------------------------------------------------------------------------------
_DISPUTE_COUNT = 36
_ESCALATED_ONCE = 6  # positions (by registration date) of the two escalated disputes
_ESCALATED_TWICE = 20
_ETHNIC_FORCED = 3
_MASS = 11


def _dispute_steps(
    rng: random.Random,
    registered: datetime,
    outcome: str,
    escalate_to: Sequence[DivisionCode],
) -> list[tuple[str, datetime, dict[str, Any]]]:
    t = registered

    def later(low_hours: float, high_hours: float) -> datetime:
        nonlocal t
        t = t + timedelta(minutes=rng.randint(int(low_hours * 60), int(high_hours * 60)))
        return t

    if outcome == "redirect":
        return [
            ("redirect", later(1, 24), {"channel": "arbitration"}),
            ("archive", later(24, 120), {}),
        ]
    if outcome == "refuse":
        return [("refuse", later(2, 48), {"party": 1}), ("archive", later(24, 120), {})]
    accepted = later(2, 30)
    steps: list[tuple[str, datetime, dict[str, Any]]] = [
        ("accept", accepted, {}),
        ("notify_rights", later(0.5, 2), {}),
        ("session", later(24, 120), {"mediators": ["社区人民调解委员会"], "summary": "初次调解"}),
    ]
    for target in escalate_to:
        steps.append(("escalate", later(24, 72), {"to": target.short}))
        steps.append(
            (
                "session",
                later(48, 96),
                {"mediators": ["人民调解委员会", "统战民宗专干"], "summary": "联合调解"},
            )
        )
    if outcome == "open":
        return steps
    if outcome == "terminated":
        days = rng.uniform(10, 28)
        t = max(accepted + timedelta(days=days), t + timedelta(hours=4))
        steps.append(
            (
                "terminate",
                t,
                {"reason": "双方分歧较大, 调解不成", "channels_notified": list(CHANNELS)},
            )
        )
        if rng.random() < 0.5:
            steps.append(("follow_up", later(72, 240), {"summary": "回访: 已告知其他途径"}))
        steps.append(("archive", later(24, 240), {}))
        return steps
    if rng.random() < 0.5:
        steps.append(
            ("session", later(24, 96), {"mediators": ["人民调解员"], "summary": "再次调解"})
        )
    days = rng.uniform(31, 45) if rng.random() < 0.15 else rng.uniform(3, 26)
    t = max(accepted + timedelta(days=days), t + timedelta(hours=4))
    written = rng.random() < 0.7
    deadline = (t + timedelta(days=rng.randint(15, 45))).date().isoformat()
    steps.append(
        (
            "agree",
            t,
            {
                "form": "written" if written else "oral",
                "terms": "双方自愿达成和解",
                "performance_deadline": deadline,
            },
        )
    )
    if written and rng.random() < 0.3:
        steps.append(("apply_confirmation", later(72, 600), {"court": "西湖区人民法院"}))
    if rng.random() < 0.05:
        steps.append(("not_performed", later(120, 960), {"reason": "一方未按期履行"}))
    else:
        steps.append(("performed", later(120, 960), {}))
    steps.append(("follow_up", later(72, 360), {"summary": "回访: 履行情况良好"}))
    if rng.random() < 0.8:
        steps.append(("archive", later(24, 240), {}))
    return steps


def _disputes(run: _Run, ctx: _Context) -> None:
    rng = run.rng
    disputes = run.uow.disputes
    stored = {d.id for d in disputes.list(within=XIHU)}
    first, last = date(2019, 1, 5), date(2019, 12, 10)
    dates = sorted(_office_time(rng, _day_in(rng, first, last)) for _ in range(_DISPUTE_COUNT))
    outcomes = ["agreement"] * 25 + ["terminated"] * 6 + ["redirect"] * 2 + ["refuse"] * 1
    rng.shuffle(outcomes)
    outcomes += ["open"] * 2  # the last two registered are still being mediated
    outcomes[_ESCALATED_ONCE] = "agreement"
    outcomes[_ESCALATED_TWICE] = "terminated"
    categories = ("neighbour", "marriage_family", "labour", "business_tenancy", "consumer",
                  "damages", "other")  # fmt: skip
    for index, registered in enumerate(dates):
        township = rng.choice(ctx.townships)
        code = township.code.short
        villages = ctx.villages[code]
        escalations: tuple[DivisionCode, ...] = ()
        if index == _ESCALATED_ONCE:
            escalations = (township.code,)
        elif index == _ESCALATED_TWICE:
            escalations = (township.code, XIHU)
        at_village = bool(villages) and (bool(escalations) or rng.random() < 0.8)
        origin = rng.choice(villages) if at_village else township
        outcome = outcomes[index]
        ethnic = index == _ETHNIC_FORCED or (index != _MASS and rng.random() < 0.25)
        mass = index == _MASS
        category = "labour" if outcome == "redirect" else rng.choice(categories)
        source = rng.choices(("application", "screening", "referral"), (50, 35, 15))[0]
        referred_by = rng.choice(("西湖区公安分局", "西湖区人民法院", "市信访局"))
        severity = "major" if mass or rng.random() < 0.12 else "ordinary"
        steps = _dispute_steps(rng, registered, outcome, escalations)
        unit = origin.code if origin.level is Level.VILLAGE else None
        persons = ctx.present(code, registered.date(), unit=unit) or ctx.present(
            code, registered.date()
        )
        chosen = rng.sample(persons, min(2, len(persons)))
        both = len(chosen) == 2 and rng.random() < 0.3
        parties = [Party(person_id=chosen[0].id, role="申请人")] if chosen else []
        if both:
            parties.append(Party(person_id=chosen[1].id, role="被申请人"))
        while len(parties) < 2:
            parties.append(Party(name=f"当事人{len(parties) + 1}(非台账人员)", role="当事人"))
        if mass:
            parties.append(Party(name="务工人员代表(群体)", role="当事人"))
        dispute_id = run.id("dispute", index)
        if not run.fresh("disputes", dispute_id if dispute_id in stored else None):
            continue
        dispute = disputes.register(
            Dispute.register(
                origin_unit=origin.code,
                parties=parties,
                category=category,
                severity=severity,
                source=source,
                registered_at=registered,
                actor_id=run.uow.actor.id,
                ethnic_factor=ethnic,
                mass=mass,
                referred_by=referred_by if source == "referral" else None,
                narrative="纠纷经过(合成数据)",
                id=dispute_id,
            ),
            reason=_REASON,
        )
        for action, at, data in steps:
            if at >= DEMO_YEAR_CUTOFF:
                break
            dispute = disputes.act(dispute, action, at=at, **data)
    run.checkpoint(force=True)


# -- volunteers, the site, activities, training and honours --------------------------------------
def _volunteers(run: _Run, ctx: _Context) -> Body:
    rng = run.rng
    acts = run.uow.activities
    ding = ctx.township(_DINGGONGLU)
    opened = date(2019, 3, 5)
    team = _body(
        run,
        "volunteer_team",
        Body(ding.code, BodyKind.VOLUNTEER_TEAM, "阿卜杜拉文明志愿队", opened,
             note="民族团结一家亲品牌志愿队"),
    )  # fmt: skip
    site = DemonstrationSite(
        ding.code,
        "丁公路街道民族团结进步示范点",
        [
            SiteStatusEntry("creating", "district", date(2019, 3, 1), "西统字〔2019〕2号"),
            SiteStatusEntry("named", "city", date(2019, 10, 15), "洪统字〔2019〕21号"),
        ],
        body_id=team.id,
        id=run.id("site", "dinggonglu"),
    )
    if run.fresh("sites", acts.find_site(site.id)):
        acts.add_site(site, reason=_REASON)

    candidates = ctx.present(_DINGGONGLU, opened, minority=True)
    chosen = rng.sample(candidates, min(16, len(candidates)))
    members: list[VolunteerMembership] = []
    for index, person in enumerate(chosen):
        start = opened if index < 10 else _day_in(rng, date(2019, 4, 1), date(2019, 8, 31))
        end = date(2019, 9, 30) if index == 3 else None
        residence = person.residence_on(start)
        if residence is None:
            continue  # moved away before joining
        if residence.departure is not None and (end is None or residence.departure < end):
            end = residence.departure  # membership ends when the person leaves
        if end is not None and end <= start:
            continue
        members.append(
            VolunteerMembership(
                team.id,
                person.id,
                start,
                end,
                duty="队长" if index == 0 else "队员",
                id=run.id("membership", index),
            )
        )
    stored = {m.id for m in acts.members(team_id=team.id)}
    for membership in members:
        if run.fresh("memberships", membership.id if membership.id in stored else None):
            acts.add_member(membership, reason=_REASON)

    logged = {h.id for h in acts.service_hours(team_id=team.id)}
    kinds = (
        VolunteerServiceKind.TRAFFIC,
        VolunteerServiceKind.CIVILISED_CITY,
        VolunteerServiceKind.PUBLICITY,
        VolunteerServiceKind.COMMUNITY,
    )
    day = date(2019, 3, 9)
    index = 0
    while day <= _LAST_DAY:
        active = [m for m in members if m.active_on(day)]
        kind = rng.choice(kinds)
        if active and rng.random() < 0.7:
            member = rng.choice(active)
            hours = ServiceHours(team.id, kind, day, rng.choice((2, 2.5, 3, 4)), member.person_id,
                                 id=run.id("hours", index))  # fmt: skip
        else:
            total = max(1, len(active)) * rng.choice((2, 3))
            hours = ServiceHours(team.id, kind, day, total, note="全队", id=run.id("hours", index))
        if run.fresh("volunteer_hours", hours.id if hours.id in logged else None):
            acts.log_hours(hours, reason=_REASON)
        index += 1
        day += timedelta(days=rng.randint(4, 9))
    run.checkpoint(force=True)
    return team


def _activity(
    run: _Run,
    key: str,
    type: str,
    organiser: Unit,
    title: str,
    start: date,
    end: date | None = None,
    *,
    participants: tuple[int, int],
    materials: tuple[int, int] = (0, 0),
    attendees: int = 0,
    body: Body | None = None,
    ctx: _Context | None = None,
) -> Activity:
    rng = run.rng
    total = rng.randint(*participants)
    minority = round(total * rng.uniform(0.45, 0.9))
    copies = rng.randint(*materials)
    attendee_ids: list[uuid.UUID] = []
    if attendees and ctx is not None and organiser.level is Level.TOWNSHIP:
        pool = ctx.present(organiser.code.short, start, minority=True)
        attendee_ids = [p.id for p in rng.sample(pool, min(attendees, len(pool), total))]
    activity = Activity(
        type,
        organiser.code,
        title,
        start,
        end or start + timedelta(days=1),
        participants=total,
        minority_participants=minority,
        materials=copies,
        attendee_ids=attendee_ids,
        body_id=None if body is None else body.id,
        id=run.id("activity", key),
    )
    if run.fresh("activities", run.uow.activities.find(activity.id)):
        run.uow.activities.add(activity, reason=_REASON)
    return activity


_SAFETY_TOPICS = ("消防安全", "交通安全", "防范电信诈骗", "食品安全", "安全生产", "防溺水")


def _activities(run: _Run, ctx: _Context, team: Body, cadres: Mapping[str, Official]) -> None:
    rng = run.rng
    acts = run.uow.activities
    district = ctx.district
    town = ctx.township

    # 13 safety-education activities for the minority floating population (the seed's "10余次").
    for index in range(13):
        township = ctx.townships[(index * 5) % len(ctx.townships)]
        start = date(2019, 1, 15) + timedelta(days=index * 26 + rng.randrange(10))
        topic = _SAFETY_TOPICS[index % len(_SAFETY_TOPICS)]
        _activity(
            run, f"safety:{index}", SAFETY_EDUCATION, township,
            f"少数民族流动人员{topic}宣传教育", start,
            participants=(30, 120), materials=(50, 300), attendees=5, ctx=ctx,
        )  # fmt: skip

    plan: list[tuple[str, str, Unit, str, date, date | None, tuple[int, int], tuple[int, int]]] = [
        ("gala:spring", "gala", district, "民族团结迎新春联欢会", date(2019, 1, 26), None,
         (200, 350), (0, 0)),
        ("materials:1", "materials_distribution", town(_NANPU), "“民族团结一家亲”手册发放",
         date(2019, 4, 12), None, (80, 200), (300, 800)),
        ("reading:1", "reading_club", town(_TAOYUAN), "群众读书推荐会", date(2019, 4, 23), None,
         (30, 60), (20, 60)),
        ("sports", "fun_sports", town(_NANZHAN), "各族居民趣味运动会", date(2019, 5, 18), None,
         (120, 260), (0, 0)),
        ("craft", "folk_craft_contest", town(_DINGGONGLU), "民间传统技艺比赛", date(2019, 6, 15),
         None, (60, 150), (0, 100)),
        ("publicity_month", "unity_publicity", district, "民族团结进步宣传月", date(2019, 9, 1),
         date(2019, 10, 1), (2500, 4000), (5000, 9000)),
        ("photos", "photo_exhibition", town(_DINGGONGLU), "民族团结进步图片展",
         date(2019, 9, 10), date(2019, 9, 21), (600, 1200), (200, 500)),
        ("materials:2", "materials_distribution", district, "民族政策宣传资料发放",
         date(2019, 9, 12), None, (150, 300), (1000, 2000)),
        ("quiz", "knowledge_contest", district, "民族团结进步知识竞赛", date(2019, 9, 18), None,
         (80, 160), (100, 300)),
        ("performance", "performance", district, "民族团结文艺演出", date(2019, 9, 27), None,
         (400, 800), (0, 200)),
        ("flag", "flag_raising", town(_DINGGONGLU), "升国旗暨“小面大爱,祖国万岁”同吃国庆面",
         date(2019, 10, 1), None, (100, 220), (0, 0)),
        ("materials:3", "materials_distribution", town(_TAOHUA), "“民族团结一家亲”手册发放",
         date(2019, 11, 5), None, (60, 150), (200, 600)),
        ("reading:2", "reading_club", town(_NANPU), "群众读书推荐会", date(2019, 11, 20), None,
         (30, 60), (20, 60)),
        ("gala:winter", "gala", town(_TAOHUA), "民族团结主题联欢会", date(2019, 12, 8), None,
         (150, 300), (0, 0)),
    ]  # fmt: skip
    for key, type_, organiser, title, start, end, people, copies in plan:
        _activity(
            run, key, type_, organiser, title, start, end, participants=people, materials=copies,
            attendees=6 if organiser.level is Level.TOWNSHIP else 0, ctx=ctx,
        )  # fmt: skip
    _activity(
        run, "team:publicity", "materials_distribution", town(_DINGGONGLU),
        "阿卜杜拉文明志愿队民族团结宣传", date(2019, 5, 12),
        participants=(20, 40), materials=(200, 400), body=team,
    )  # fmt: skip
    run.checkpoint()

    # Three 国家通用语言培训班 with enrollments (ledger persons, and community cadres in the
    # first) and completions on the last day.
    courses = [
        ("c1", town(_DINGGONGLU), "国家通用语言教学培训班(第一期)", date(2019, 3, 11),
         date(2019, 6, 1), 18),
        ("c2", town(_TAOYUAN), "国家通用语言教学培训班(第二期)", date(2019, 7, 8),
         date(2019, 9, 1), 16),
        ("c3", town(_NANZHAN), "国家通用语言教学培训班(第三期)", date(2019, 10, 14),
         date(2019, 12, 14), 15),
    ]  # fmt: skip
    for key, organiser, title, start, end, size in courses:
        activity = _activity(
            run, f"course:{key}", LANGUAGE_TRAINING, organiser, title, start, end,
            participants=(size + 2, size + 10), materials=(size, size * 3),
        )  # fmt: skip
        course = TrainingCourse(
            organiser.code, title, start, end, LANGUAGE_TRAINING, activity.id,
            id=run.id("course", key),
        )  # fmt: skip
        if run.fresh("courses", acts.find_course(course.id)):
            acts.add_course(course, reason=_REASON)
        pool = ctx.present(organiser.code.short, start, minority=True)
        weak = [p for p in pool if p.language is not LanguageProficiency.FLUENT]
        trainees: list[tuple[str, uuid.UUID]] = [
            ("p", p.id) for p in rng.sample(weak, min(size, len(weak)))
        ]
        if key == "c1":
            villages = ctx.villages[_DINGGONGLU][:2]
            trainees += [("o", cadres[v.code.short].id) for v in villages if v.code.short in cadres]
        last_day = end - timedelta(days=1)
        for tag, trainee in trainees:
            enrolled = start - timedelta(days=rng.randint(1, 7))
            completes = rng.random() < 0.85
            enrollment = Enrollment(
                course.id,
                enrolled,
                person_id=trainee if tag == "p" else None,
                official_id=trainee if tag == "o" else None,
                id=run.id("enrollment", f"{key}:{trainee}"),
            )
            if run.fresh("enrollments", acts.find_enrollment(course.id, trainee)):
                acts.enroll(enrollment, reason=_REASON)
                if completes:
                    acts.complete(course.id, trainee, last_day, reason="结业 completed")
    run.checkpoint()

    # The 授牌仪式: "阿布拉江"式文明诚信经营户 (person and business), and two 表彰 by the district.
    ceremony_day = date(2019, 11, 8)
    ceremony = _activity(
        run, "ceremony", PLAQUE_CEREMONY, town(_DINGGONGLU), "“阿布拉江”式文明诚信经营户授牌仪式",
        ceremony_day, participants=(80, 150), materials=(50, 150),
    )  # fmt: skip
    merchants = [
        p
        for p in ctx.present(_DINGGONGLU, ceremony_day, minority=True)
        if (r := p.residence_on(ceremony_day)) is not None
        and r.occupation in ("餐饮", "商贩", "个体经营")
    ]
    for index, person in enumerate(rng.sample(merchants, min(5, len(merchants)))):
        serial = rng.randrange(10_000_000, 99_999_999)
        honour = Honour(
            "“阿布拉江”式文明诚信经营户",
            town(_DINGGONGLU).code,
            ceremony_day,
            person_id=person.id,
            business_name=f"示例经营户{index + 1}",
            business_uscc=make_uscc(XIHU.short, serial, individual=True),
            ceremony_id=ceremony.id,
            basis="丁统字〔2019〕8号",
            id=run.id("honour", f"ceremony:{index}"),
        )
        if run.fresh("honours", acts.find_honour(honour.id)):
            acts.award(honour, reason=_REASON)
    models = ctx.present(_DINGGONGLU, date(2019, 9, 27), minority=True)
    for index, person in enumerate(rng.sample(models, min(2, len(models)))):
        honour = Honour(
            "民族团结进步模范个人",
            district.code,
            date(2019, 9, 27),
            person_id=person.id,
            basis="西统字〔2019〕15号",
            id=run.id("honour", f"model:{index}"),
        )
        if run.fresh("honours", acts.find_honour(honour.id)):
            acts.award(honour, reason=_REASON)
    run.checkpoint(force=True)


# -- counting ------------------------------------------------------------------------------------
def _count(uow: UnitOfWork, ctx: _Context) -> DemoYearCounts:
    day = DEMO_AS_OF
    org, acts, services, disputes = uow.org, uow.activities, uow.services, uow.disputes
    open_windows = services.windows(within=XIHU, open_on=day)
    covered = {w.unit_code for w in open_windows if w.categories >= _CORE_CATEGORIES}
    report = org.coverage(day, within=XIHU)
    totals = acts.totals(within=XIHU, start_from=DEMO_YEAR_START, start_to=_PERIOD_END)
    period_from = _at(DEMO_YEAR_START, 0)
    period_to = _at(_PERIOD_END, 0)

    def in_period(moment: datetime | None) -> bool:
        return moment is not None and period_from <= moment < period_to

    requests = services.list(within=XIHU, received_from=period_from, received_to=period_to)
    resolved = [r for r in requests if in_period(r.resolved_at)]
    followed = [r for r in requests if r.satisfaction is not None]
    registered: dict[str, Any] = {"registered_from": period_from, "registered_to": period_to}
    cases = disputes.list(within=XIHU, **registered)
    concluded = [d for d in cases if in_period(d.concluded_at)]
    courses = acts.courses(
        within=XIHU, type=LANGUAGE_TRAINING, start_from=DEMO_YEAR_START, start_to=_PERIOD_END
    )
    enrollments = acts.enrollments(within=XIHU, type=LANGUAGE_TRAINING)
    hours = acts.hours_by_kind(within=XIHU, served_from=DEMO_YEAR_START, served_to=_PERIOD_END)
    return DemoYearCounts(
        townships=len(ctx.townships),
        townships_with_window=sum(1 for t in ctx.townships if t.code in covered),
        windows_open=len(open_windows),
        minority_officials_deputy_section_plus=org.count_officials(
            within=XIHU, minority=True, min_rank=Rank.DEPUTY_SECTION, as_of=day
        ),
        minority_technicians_intermediate_plus=org.count_technicians(
            within=XIHU, minority=True, min_title=TitleLevel.INTERMEDIATE, as_of=day
        ),
        officials=org.count_officials(within=XIHU),
        appointments_active=len(org.appointments(within=XIHU, active_on=day)),
        units_checked=len(report.checked),
        units_fully_covered=len(report.fully_covered),
        coverage_findings=len(report.violations),
        activities=totals.activities,
        safety_education_activities=acts.count(
            within=XIHU, type=SAFETY_EDUCATION, start_from=DEMO_YEAR_START, start_to=_PERIOD_END
        ),
        activity_participants=totals.participants,
        minority_participants=totals.minority_participants,
        materials=totals.materials,
        language_courses=len(courses),
        language_enrollments=sum(1 for e in enrollments if e.enrolled_on < _PERIOD_END),
        language_completions=acts.count_completions(
            within=XIHU,
            type=LANGUAGE_TRAINING,
            completed_from=DEMO_YEAR_START,
            completed_to=_PERIOD_END,
        ),
        honours=acts.count_honours(
            within=XIHU, awarded_from=DEMO_YEAR_START, awarded_to=_PERIOD_END
        ),
        demonstration_sites_named=len(acts.sites(within=XIHU, status="named", as_of=day)),
        volunteer_members=len(acts.members(within=XIHU, on=day)),
        volunteer_hours=round(sum(hours.values()), 2),
        requests=len(requests),
        requests_accepted=sum(1 for r in requests if in_period(r.accepted_at)),
        requests_resolved=len(resolved),
        requests_on_time=sum(1 for r in resolved if r.resolved_on_time(uow.calendar)),
        requests_followed_up=len(followed),
        requests_satisfied=sum(
            1 for r in followed if r.satisfaction not in (None, Satisfaction.DISSATISFIED)
        ),
        requests_dissatisfied=sum(
            1 for r in followed if r.satisfaction is Satisfaction.DISSATISFIED
        ),
        requests_open=services.count(within=XIHU, states=OPEN_STATES),
        requests_overdue=services.count_overdue(DEMO_YEAR_CUTOFF, within=XIHU),
        disputes=len(cases),
        disputes_agreement=sum(1 for d in concluded if d.outcome == "agreement"),
        disputes_terminated=sum(1 for d in concluded if d.outcome == "terminated"),
        disputes_within_target=sum(1 for d in concluded if d.concluded_within_target()),
        disputes_open=disputes.count(within=XIHU, states=DISPUTE_OPEN_STATES),
        disputes_escalated=disputes.count(within=XIHU, escalated=True, **registered),
        disputes_ethnic_factor=disputes.count(within=XIHU, ethnic_factor=True, **registered),
        disputes_ethnic_factor_mass=disputes.count(
            within=XIHU, ethnic_factor=True, mass=True, **registered
        ),
    )


# -- the entry point -----------------------------------------------------------------------------
def populate_demo_year(
    store: Store, *, seed: int = 2019, actor: Actor | None = None
) -> DemoYearSummary:
    """Add a reproducible synthetic year 2019 of every record kind to the Xihu District demo.

    The store must hold the demo units and ledger (:func:`minzu_core.demo.run_demo`) and its
    clock must read 2019-12-16 (CST) or later; nothing is dated after 2019-12-15. ``actor``
    (default: an unrestricted system actor) must cover Xihu District (360103). Records already
    stored (by their deterministic ids) are left alone: a second run adds nothing and counts the
    same. Returns what was added and the calibrated figures (:class:`DemoYearCounts`) counted by
    the store.

    Raises:
        NotFoundError: ``demo_units_missing`` if the demo units are not in the store.
        ValidationError: ``clock_before_demo_date`` if the store's clock is before 2019-12-16.
    """
    who = actor or _ACTOR
    with store.unit_of_work(who) as uow:
        if uow.clock() < DEMO_YEAR_CUTOFF:
            raise ValidationError(
                "演示年度数据须在时钟为 2019-12-16 或之后的存储上生成",
                "the demo year needs a store whose clock reads 2019-12-16 or later",
                code="clock_before_demo_date",
                field="clock",
            )
        ctx = _context(uow)
        uow.rollback()
        run = _Run(uow, seed)
        cadres = _network(run, ctx)
        _technicians(run, ctx)
        windows = _windows(run, ctx)
        team = _volunteers(run, ctx)
        _activities(run, ctx, team, cadres)
        _requests(run, ctx, windows)
        _disputes(run, ctx)
        run.checkpoint(force=True)
        counts = _count(uow, ctx)
    return DemoYearSummary(added=run.added, present=run.present, counts=counts)
