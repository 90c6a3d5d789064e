"""The independent check (DESIGN §5, issue 7 item 8): every catalog indicator computed a second
way and compared with the engine.

The second way is deliberately simple: plain Python loops over every domain object that was
stored, one hand-written function per catalog indicator, written from DESIGN §5's table and
without the engine, its queries or its row evaluator. Datasets are random (hypothesis draws a
seed and sizes) over a small Xihu hierarchy where 桃花镇 (360103101) is recoded to 桃花街道
(360103014) on 2020-01-01 together with one of its communities, so the two hierarchy modes
differ. The engine must give identical numerators, denominators, values and statuses on the
memory store, SQLite, PostgreSQL and MariaDB, by township and by community, in both modes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import create_place, drop_place
from minzu_core import CST, Actor, FixedClock, open_store
from minzu_core.activities import Activity, Enrollment, Honour, ServiceHours, TrainingCourse
from minzu_core.codes.resident_id import make_resident_id
from minzu_core.disputes import CHANNELS, Dispute, Party
from minzu_core.hierarchy import Unit, UnitChange, UnitChangeKind
from minzu_core.indicators import ratio
from minzu_core.indicators.catalog import CATALOG, CATALOG_BY_ID
from minzu_core.indicators.engine import compute
from minzu_core.ledger import Person, Residence
from minzu_core.organisation import Appointment, Body, Official, RankEntry, Technician, TitleEntry
from minzu_core.organisation import responsibility as duty
from minzu_core.services import ServiceRequest, ServiceWindow
from minzu_core.store import Store

NOW = datetime(2020, 6, 30, 12, 0, tzinfo=CST)
ADMIN = Actor.system("check")
REASON = "独立核对数据 check data"
CHANGE_DAY = date(2020, 1, 1)
T1, T2, T3, T3_NEW = "360103001", "360103002", "360103101", "360103014"
COMMUNITIES = [f"{T1}001", f"{T1}002", f"{T2}001", f"{T3}001", f"{T3}002"]
STABLE = [T1, T2, f"{T1}001", f"{T1}002", f"{T2}001"]  # valid for the whole data range


@attrs.define
class Dataset:
    """What was stored, as the domain objects the repositories returned."""

    units: list[Unit] = attrs.Factory(list)
    persons: list[Person] = attrs.Factory(list)
    windows: list[ServiceWindow] = attrs.Factory(list)
    requests: list[ServiceRequest] = attrs.Factory(list)
    disputes: list[Dispute] = attrs.Factory(list)
    officials: list[Official] = attrs.Factory(list)
    technicians: list[Technician] = attrs.Factory(list)
    appointments: list[Appointment] = attrs.Factory(list)
    activities: list[Activity] = attrs.Factory(list)
    courses: list[TrainingCourse] = attrs.Factory(list)
    enrollments: list[Enrollment] = attrs.Factory(list)
    honours: list[Honour] = attrs.Factory(list)
    teams: list[Body] = attrs.Factory(list)
    hours: list[ServiceHours] = attrs.Factory(list)


_Case = TypeVar("_Case")


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _moment(rng: random.Random, start: date, end: date) -> datetime:
    day = _day(rng, start, end)
    return datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), tzinfo=CST)


def _graded_history(
    rng: random.Random, entry: Callable[[str, date], Any], grades: tuple[str, ...], gap_days: int
) -> tuple[list[Any], date | None]:
    """One or two dated grades (ranks or titles) since 2015-2019, and the day their holder
    left (``None`` for most)."""
    since = _day(rng, date(2015, 1, 1), date(2019, 6, 1))
    entries = [entry(rng.choice(grades), since)]
    if rng.random() < 0.4:
        entries.append(entry(rng.choice(grades), since + timedelta(days=gap_days)))
    left = None if rng.random() < 0.7 else entries[-1].since + timedelta(days=rng.randrange(1, 600))
    return entries, left


def _some_steps(
    rng: random.Random,
    act: Callable[..., _Case],
    case: _Case,
    at: datetime,
    steps: list[tuple[str, dict[str, Any]]],
    max_hours: int,
) -> _Case:
    """``case`` after a random number of the first ``steps``, each 1 to ``max_hours`` hours
    after the one before (none after ``NOW``)."""
    for action, payload in steps[: rng.randrange(len(steps) + 1)]:
        at += timedelta(hours=rng.randrange(1, max_hours))
        if at > NOW:
            break
        case = act(case, action, at=at, **payload)
    return case


def build(store: Store, seed: int, sizes: dict[str, int]) -> Dataset:
    """Store a random dataset through the repositories; return what was stored."""
    rng = random.Random(seed)
    data = Dataset()
    with store.unit_of_work(ADMIN) as uow:
        base = [
            Unit.create("360000", "江西省"),
            Unit.create("360100", "南昌市"),
            Unit.create("360103", "西湖区"),
            Unit.create(T1, "南浦街道"),
            Unit.create(T2, "朝阳洲街道"),
            Unit.create(T3, "桃花镇"),
            *(Unit.create(code, f"社区{code[-5:]}") for code in COMMUNITIES),
        ]
        uow.units.add_many(base, reason=REASON)
        uow.units.apply_change(
            UnitChange(
                UnitChangeKind.RECODED, CHANGE_DAY, T3, successors=[T3_NEW], new_name="桃花街道"
            ),
            reason=REASON,
        )
        uow.units.apply_change(
            UnitChange(UnitChangeKind.RECODED, CHANGE_DAY, f"{T3}001", successors=[f"{T3_NEW}001"]),
            reason=REASON,
        )
        uow.commit()
        data.units = uow.units.list()

        # -- ledger ---------------------------------------------------------------------------
        for index in range(sizes["persons"]):
            residences = []
            arrival = _day(rng, date(2017, 1, 1), date(2019, 12, 31))
            for _ in range(rng.choice((1, 1, 2))):
                departure = (
                    None
                    if rng.random() < 0.5
                    else min(arrival + timedelta(days=rng.randrange(1, 900)), date(2020, 6, 15))
                )
                floating = rng.random() < 0.6
                residences.append(
                    Residence(
                        unit_code=rng.choice([*COMMUNITIES[:3], f"{T3}002"]),
                        status="floating" if floating else "resident",
                        arrival=arrival,
                        departure=departure,
                        address=None if rng.random() < 0.2 else f"测试路{index}号",
                        origin=("653101" if rng.random() < 0.8 else None) if floating else None,
                    )
                )
                if departure is None:
                    break
                arrival = departure + timedelta(days=rng.randrange(0, 60))
                if arrival > date(2020, 6, 1):
                    break
            birth = date(1960, 1, 1) + timedelta(days=rng.randrange(15000))
            has_id = rng.random() < 0.7
            person = Person(
                name=f"示例{index}",
                ethnicity=rng.choice(("01", "03", "05", "06")),
                id_number=make_resident_id("653101", birth, index + 1) if has_id else None,
                birth_date=birth if has_id or rng.random() < 0.5 else None,
                gender=None if has_id else rng.choice(("male", "female", None)),
                phone=None if rng.random() < 0.2 else f"139{index:08d}",
                residences=residences,
            )
            data.persons.append(uow.people.add(person, reason=REASON))
        uow.commit()

        # -- windows and requests -------------------------------------------------------------
        for township in (T1, T2, T3):
            if rng.random() < 0.75:
                opened = _day(rng, date(2018, 1, 1), date(2019, 10, 1))
                closed = (
                    None if rng.random() < 0.7 else opened + timedelta(days=rng.randrange(30, 800))
                )
                if township == T3:
                    closed = closed if closed is not None and closed < CHANGE_DAY else CHANGE_DAY
                window = ServiceWindow(
                    unit_code=township,
                    name=f"{township} 服务窗口",
                    opened=opened,
                    closed=closed,
                    categories={"registration", "employment", "schooling", "legal_aid"},
                )
                data.windows.append(uow.services.add_window(window, reason=REASON))
        uow.commit()
        for _ in range(sizes["requests"] if data.windows and data.persons else 0):
            window = rng.choice(data.windows)
            last = min(window.closed or date(2019, 12, 31), date(2019, 12, 31)) - timedelta(days=1)
            if last < window.opened:
                continue
            received = _moment(rng, window.opened, last)
            request = uow.services.submit(
                ServiceRequest.submit(
                    window,
                    applicant_id=rng.choice(data.persons).id,
                    category=rng.choice(("registration", "employment", "legal_aid")),
                    received_at=received,
                    actor_id=ADMIN.id,
                )
            )
            steps: list[tuple[str, dict[str, Any]]] = [("accept", {}), ("start", {})]
            steps.append(("resolve", {"outcome": "办结"}))
            steps.append(
                (
                    "follow_up",
                    {
                        "satisfaction": rng.choice(
                            ("satisfied", "basically_satisfied", "dissatisfied")
                        )
                    },
                )
            )
            steps.append(("close", {}))
            request = _some_steps(rng, uow.services.act, request, received, steps, 24 * 25)
            data.requests.append(request)
        uow.commit()

        # -- disputes -------------------------------------------------------------------------
        for _ in range(sizes["disputes"]):
            origin = rng.choice([*COMMUNITIES[:3], T1, T2, f"{T3}002"])
            registered = _moment(rng, date(2018, 10, 1), date(2019, 12, 31))
            dispute = uow.disputes.register(
                Dispute.register(
                    origin_unit=origin,
                    parties=[Party(name="甲方"), Party(name="乙方")],
                    category="neighbour",
                    severity="ordinary",
                    source="application",
                    ethnic_factor=rng.random() < 0.4,
                    mass=rng.random() < 0.4,
                    registered_at=registered,
                    actor_id=ADMIN.id,
                )
            )
            target = rng.choice((None, 10, 30))
            accept: dict[str, Any] = {} if target is None else {"target_days": target}
            steps = [("accept", accept), ("session", {"mediators": ["调解员"], "summary": "调解"})]
            if rng.random() < 0.6:
                steps.append(("agree", {"form": "oral", "terms": "和解"}))
            else:
                steps.append(
                    ("terminate", {"reason": "未达成", "channels_notified": list(CHANNELS)})
                )
            dispute = _some_steps(rng, uow.disputes.act, dispute, registered, steps, 24 * 20)
            data.disputes.append(dispute)
        uow.commit()

        # -- cadres, talent and the responsibility network ------------------------------------
        ranks = ("staff", "deputy_section", "section", "deputy_division")
        titles = ("junior", "intermediate", "associate_senior")
        for index in range(sizes["officials"]):
            ranks_held, left = _graded_history(rng, RankEntry, ranks, 200)
            unit, ethnicity = rng.choice(["360103", T1, T2]), rng.choice(("01", "03", "05"))
            official = Official(unit, f"干部{index}", ethnicity, ranks_held, left_on=left)
            data.officials.append(uow.org.add_official(official, reason=REASON))
        for index in range(sizes["technicians"]):
            titles_held, left = _graded_history(rng, TitleEntry, titles, 300)
            unit, ethnicity = rng.choice([T1, T2, f"{T1}001"]), rng.choice(("01", "03", "05"))
            technician = Technician(unit, f"技术人员{index}", ethnicity, titles_held, left_on=left)
            data.technicians.append(uow.org.add_technician(technician, reason=REASON))
        roles = {
            "360103": (duty.LEADING_GROUP_LEADER, duty.LEADING_GROUP_MEMBER),
            T1: (duty.FIRST_RESPONSIBLE, duty.ETHNIC_AFFAIRS_OFFICER),
            T2: (duty.FIRST_RESPONSIBLE, duty.ETHNIC_AFFAIRS_OFFICER),
            f"{T1}001": (duty.FIRST_RESPONSIBLE, duty.DESIGNATED_CADRE),
            f"{T1}002": (duty.FIRST_RESPONSIBLE, duty.DESIGNATED_CADRE),
            f"{T2}001": (duty.FIRST_RESPONSIBLE, duty.DESIGNATED_CADRE),
        }
        serial = 0
        for unit_code, unit_roles in roles.items():
            for role in unit_roles:
                for _ in range(rng.choice((0, 1, 1, 2))):
                    serial += 1
                    official = uow.org.add_official(
                        Official(unit_code, f"任职干部{serial}", "01"), reason=REASON
                    )
                    start = _day(rng, date(2018, 1, 1), date(2019, 12, 31))
                    end = (
                        None
                        if rng.random() < 0.6
                        else start + timedelta(days=rng.randrange(1, 500))
                    )
                    data.appointments.append(
                        uow.org.appoint(
                            Appointment(official.id, role, unit_code, start, end), reason=REASON
                        )
                    )
        uow.commit()

        # -- activities, training, honours, volunteers ----------------------------------------
        organisers = ["360103", T1, T2, *COMMUNITIES[:3], f"{T3}002"]
        for index in range(sizes["activities"]):
            data.activities.append(
                uow.activities.add(
                    Activity(
                        type=rng.choice(("safety_education", "unity_publicity", "other")),
                        organiser_code=rng.choice(organisers),
                        title=f"活动{index}",
                        start=_day(rng, date(2018, 10, 1), date(2019, 12, 31)),
                        participants=rng.randrange(0, 300),
                    ),
                    reason=REASON,
                )
            )
        for index, (organiser, kind) in enumerate(
            [(T1, "language_training"), (f"{T3}002", "language_training"), (T2, "other")]
        ):
            course = uow.activities.add_course(
                TrainingCourse(organiser, f"培训班{index}", date(2019, 3, 1), type=kind),
                reason=REASON,
            )
            data.courses.append(course)
            for person in rng.sample(data.persons, min(len(data.persons), sizes["trainees"])):
                uow.activities.enroll(
                    Enrollment(course.id, date(2019, 3, 1), person_id=person.id), reason=REASON
                )
                if rng.random() < 0.7:
                    uow.activities.complete(
                        course.id,
                        person.id,
                        _day(rng, date(2019, 3, 2), date(2020, 3, 1)),
                        reason=REASON,
                    )
        for index in range(sizes["honours"] if data.persons else 0):
            data.honours.append(
                uow.activities.award(
                    Honour(
                        f"表彰{index}",
                        rng.choice(organisers),
                        _day(rng, date(2018, 6, 1), date(2019, 12, 31)),
                        person_id=rng.choice(data.persons).id,
                    ),
                    reason=REASON,
                )
            )
        team = uow.org.add_body(
            Body(T1, "volunteer_team", "南浦志愿服务队", date(2018, 1, 1)), reason=REASON
        )
        data.teams.append(team)
        for _ in range(sizes["hours"]):
            data.hours.append(
                uow.activities.log_hours(
                    ServiceHours(
                        team.id,
                        "interpreting",
                        _day(rng, date(2018, 6, 1), date(2019, 12, 31)),
                        rng.choice((0.5, 1.25, 2, 3.75, 8)),
                    ),
                    reason=REASON,
                )
            )
        uow.commit()
        data.enrollments = uow.activities.enrollments()
    return data


# -- the second way: plain Python, one function per catalog indicator ----------------------------
def mapped_code(code: str, mode: str) -> str:
    """Where a fact recorded at ``code`` is counted (the recorded changes, written out)."""
    if mode == "mapped":
        if code.startswith(f"{T3}001"):
            return f"{T3_NEW}001"
        if code.startswith(T3):
            return f"{T3_NEW}000"
    return code


@attrs.frozen
class Ask:
    prefix: str  # the unit's key: the scope's significant digits or a breakdown key
    mode: str
    start: date
    end: date
    group: str | None

    def has(self, code: Any) -> bool:
        return mapped_code(str(getattr(code, "value", code)), self.mode).startswith(self.prefix)

    def within(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    def at(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment.astimezone(CST).date() <= self.end

    def present(self, since: date | None, until: date | None) -> bool:
        return (since is None or since <= self.end) and (until is None or self.end < until)


def _last(events: Any, *actions: str) -> Any:
    found = None
    for event in events:
        if event.action in actions:
            found = event
    return found


def _complete(person: Person, residence: Residence) -> bool:
    identity = person.id_number is not None or (
        person.birth_date is not None and person.gender is not None
    )
    ok = bool(person.name) and identity and bool(person.ethnicity) and bool(person.phone)
    ok = ok and bool(residence.address and residence.address.strip())
    if residence.status.value == "floating":
        ok = ok and residence.origin is not None
    return ok


def _active_episodes(
    keep: Callable[[Person, Residence, Ask], bool],
) -> Callable[[Dataset, Ask], tuple[float, float | None]]:
    """Count the residence episodes of active persons in the asked units that ``keep`` keeps."""

    def count(d: Dataset, a: Ask) -> tuple[float, float | None]:
        n = 0
        for p in d.persons:
            for r in p.residences:
                if p.status.value == "active" and a.has(r.unit_code) and keep(p, r, a):
                    n += 1
        return n, None

    return count


def _residents(status: str) -> Callable[[Dataset, Ask], tuple[float, float | None]]:
    return _active_episodes(
        lambda p, r, a: (
            p.ethnicity != "01" and r.status.value == status and a.present(r.arrival, r.departure)
        )
    )


def _episodes(which: str) -> Callable[[Dataset, Ask], tuple[float, float | None]]:
    return _active_episodes(
        lambda p, r, a: (
            r.status.value == "floating"
            and a.within(r.arrival if which == "arrival" else r.departure)
        )
    )


def completeness(d: Dataset, a: Ask) -> tuple[float, float | None]:
    num = den = 0
    for p in d.persons:
        for r in p.residences:
            if a.present(r.arrival, r.departure) and a.has(r.unit_code):
                den += 1
                num += _complete(p, r)
    return num, den


def window_coverage(d: Dataset, a: Ask) -> tuple[float, float | None]:
    num = den = 0
    for u in d.units:
        if u.level.value == "township" and a.present(u.valid_from, u.valid_to) and a.has(u.code):
            den += 1
            num += any(w.unit_code == u.code and a.present(w.opened, w.closed) for w in d.windows)
    return num, den


def responsibility(d: Dataset, a: Ask) -> tuple[float, float | None]:
    num = den = 0
    for u in d.units:
        rules = [r for r in duty.DEFAULT_POLICY.rules if r.level == u.level]
        if not rules or not a.present(u.valid_from, u.valid_to) or not a.has(u.code):
            continue
        den += 1
        ok = True
        for rule in rules:
            held = sum(
                1
                for x in d.appointments
                if x.unit_code == u.code and x.role == rule.role and a.present(x.start, x.end)
            )
            if held < rule.min_count or (rule.max_count is not None and held > rule.max_count):
                ok = False
        num += ok
    return num, den


def requests_accepted(d: Dataset, a: Ask) -> tuple[float, float | None]:
    n = sum(
        1
        for r in d.requests
        if a.has(r.unit_code) and a.at(getattr(_last(r.events, "accept"), "at", None))
    )
    return n, None


def resolution(d: Dataset, a: Ask) -> tuple[float, float | None]:
    num = sum(
        1
        for r in d.requests
        if a.has(r.unit_code) and a.at(getattr(_last(r.events, "resolve"), "at", None))
    )
    return num, requests_accepted(d, a)[0]


def _requests_after(
    action: str, counted: Callable[[ServiceRequest, Any], bool]
) -> Callable[[Dataset, Ask], tuple[float, float | None]]:
    """Of the requests whose last ``action`` event lies in the period: those ``counted`` (given
    the request and that event) ÷ all."""

    def share(d: Dataset, a: Ask) -> tuple[float, float | None]:
        num = den = 0
        for r in d.requests:
            event = _last(r.events, action)
            if event is not None and a.at(event.at) and a.has(r.unit_code):
                den += 1
                num += counted(r, event)
        return num, den

    return share


on_time = _requests_after("resolve", lambda r, _: bool(r.resolved_on_time()))
satisfaction = _requests_after(
    "follow_up", lambda _, e: e.data["satisfaction"] in ("satisfied", "basically_satisfied")
)


def _concluded(x: Dispute) -> Any:
    for event in x.events:
        if event.action in ("agree", "terminate"):
            return event
    return None


def disputes_registered(d: Dataset, a: Ask) -> tuple[float, float | None]:
    return sum(1 for x in d.disputes if a.at(x.registered_at) and a.has(x.origin_unit)), None


def dispute_success(d: Dataset, a: Ask) -> tuple[float, float | None]:
    num = den = 0
    for x in d.disputes:
        end = _concluded(x)
        if end is not None and a.at(end.at) and a.has(x.origin_unit):
            den += 1
            num += end.action == "agree"
    return num, den


def dispute_within(d: Dataset, a: Ask) -> tuple[float, float | None]:
    num = den = 0
    for x in d.disputes:
        end = _concluded(x)
        accept = _last(x.events, "accept")
        if end is None or accept is None or not a.at(end.at) or not a.has(x.origin_unit):
            continue
        den += 1
        days = accept.data.get("target_days") or 30
        num += end.at <= accept.at + timedelta(days=days)
    return num, den


def incidents(d: Dataset, a: Ask) -> tuple[float, float | None]:
    n = sum(
        1
        for x in d.disputes
        if x.ethnic_factor and x.mass and a.at(x.registered_at) and a.has(x.origin_unit)
    )
    return n, None


def _activities(
    kind: str | None, field: str | None
) -> Callable[[Dataset, Ask], tuple[float, float | None]]:
    def total(d: Dataset, a: Ask) -> tuple[float, float | None]:
        n = 0.0
        for x in d.activities:
            if not (a.within(x.start) and a.has(x.organiser_code)):
                continue
            if kind is not None and x.type != kind:
                continue
            if a.group is not None and x.type != a.group:
                continue
            n += 1 if field is None else getattr(x, field)
        return n, None

    return total


def completions(d: Dataset, a: Ask) -> tuple[float, float | None]:
    courses = {c.id: c for c in d.courses}
    n = 0
    for e in d.enrollments:
        course = courses[e.course_id]
        if (
            course.type == "language_training"
            and a.within(e.completed_on)
            and a.has(course.organiser_code)
        ):
            n += 1
    return n, None


def _graded(
    holders: str, entries: str, grade: str, order: tuple[str, ...], minimum: str
) -> Callable[[Dataset, Ask], tuple[float, float | None]]:
    """Minority holders in service at period end whose grade then is ``minimum`` or above."""

    def count(d: Dataset, a: Ask) -> tuple[float, float | None]:
        n = 0
        for holder in getattr(d, holders):
            history = getattr(holder, entries)
            held = None
            for i, entry in enumerate(history):
                until = history[i + 1].since if i + 1 < len(history) else holder.left_on
                if entry.since <= a.end and (until is None or a.end < until):
                    held = getattr(entry, grade).value
            if (
                holder.ethnicity != "01"
                and (holder.left_on is None or a.end < holder.left_on)
                and held is not None
                and order.index(held) >= order.index(minimum)
                and a.has(holder.unit_code)
            ):
                n += 1
        return n, None

    return count


cadres = _graded(
    "officials",
    "ranks",
    "rank",
    ("staff", "deputy_section", "section", "deputy_division"),
    "deputy_section",
)
technicians = _graded(
    "technicians", "titles", "title", ("junior", "intermediate", "associate_senior"), "intermediate"
)


def honours(d: Dataset, a: Ask) -> tuple[float, float | None]:
    return sum(1 for h in d.honours if a.within(h.awarded_on) and a.has(h.unit_code)), None


def volunteer_hours(d: Dataset, a: Ask) -> tuple[float, float | None]:
    teams = {t.id: t.unit_code for t in d.teams}
    total = sum(h.hours for h in d.hours if a.within(h.served_on) and a.has(teams[h.team_id]))
    return total, None


ORACLE: dict[str, Callable[[Dataset, Ask], tuple[float, float | None]]] = {
    "minority_residents": _residents("resident"),
    "minority_floating": _residents("floating"),
    "floating_arrivals": _episodes("arrival"),
    "floating_departures": _episodes("departure"),
    "ledger_completeness": completeness,
    "window_coverage": window_coverage,
    "responsibility_coverage": responsibility,
    "service_requests": requests_accepted,
    "service_resolution_rate": resolution,
    "service_on_time_rate": on_time,
    "service_satisfaction_rate": satisfaction,
    "disputes_registered": disputes_registered,
    "dispute_success_rate": dispute_success,
    "dispute_within_target_rate": dispute_within,
    "ethnic_factor_incidents": incidents,
    "activities_held": _activities(None, None),
    "safety_education_activities": _activities("safety_education", None),
    "activity_participants": _activities(None, "participants"),
    "language_training_completions": completions,
    "minority_cadres_deputy_section_plus": cadres,
    "minority_professionals_intermediate_plus": technicians,
    "honours_awarded": honours,
    "volunteer_hours": volunteer_hours,
}


def test_the_oracle_covers_the_whole_catalog() -> None:
    assert set(ORACLE) == {i.id for i in CATALOG}


def check(store: Store, data: Dataset, period: str, by: str, mode: str) -> int:
    """Compare every engine row with the oracle; return how many rows were compared."""
    with store.unit_of_work(ADMIN) as uow:
        table = compute(
            uow,
            period=period,
            unit="360103",
            by=by,
            mode=mode,
            mapped_on=date(2020, 6, 30) if mode == "mapped" else None,
        )
    by_len = 9 if by == "township" else 12
    hierarchy_day = date(2020, 6, 30) if mode == "mapped" else table.rows[0].period_obj.end
    expected_units = {
        u.code.value
        for u in data.units
        if u.level.value == by
        and (u.valid_from is None or u.valid_from <= hierarchy_day)
        and (u.valid_to is None or hierarchy_day < u.valid_to)
    }
    for indicator in CATALOG:
        listed = {r.unit_code for r in table.rows if r.indicator_id == indicator.id}
        assert expected_units <= listed, (indicator.id, expected_units - listed)
    compared = 0
    for row in table.rows:
        period_obj = row.period_obj
        key = "360103" if row.unit_code == "360103000000" else row.unit_code[:by_len]
        ask = Ask(key, mode, period_obj.start, period_obj.end, row.breakdown)
        num, den = ORACLE[row.indicator_id](data, ask)
        indicator = CATALOG_BY_ID[row.indicator_id]
        value, status = ratio(
            num, den, indicator.factor, indicator.decimals, has_denominator=den is not None
        )
        got = (row.numerator, row.denominator, row.value, row.status)
        assert got == pytest.approx((num, den, value, status)), (
            row.indicator_id,
            row.unit_code,
            row.breakdown,
            got,
            (num, den),
        )
        compared += 1
    return compared


SIZES = st.fixed_dictionaries(
    {
        "persons": st.integers(0, 30),
        "requests": st.integers(0, 25),
        "disputes": st.integers(0, 12),
        "officials": st.integers(0, 8),
        "technicians": st.integers(0, 6),
        "activities": st.integers(0, 12),
        "trainees": st.integers(0, 5),
        "honours": st.integers(0, 4),
        "hours": st.integers(0, 6),
    }
)
PERIODS = st.sampled_from(["2019", "2019Q4", "2019-06", "2019-12-31", "2018-11-01/2019-03-31"])


@contextmanager
def _store(kind: str) -> Iterator[Store]:
    if kind == "memory":
        yield open_store("memory://", clock=FixedClock(NOW))
        return
    if kind == "sqlite":
        store = open_store("sqlite://", clock=FixedClock(NOW))
        try:
            yield store
        finally:
            store.close()
        return
    place = create_place(kind)
    store = open_store(place.url, clock=FixedClock(NOW), **place.options)
    try:
        yield store
    finally:
        store.close()
        drop_place(place)


EXAMPLES = {"memory": 25, "sqlite": 15, "postgresql": 6, "mysql": 6}


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgresql", "mysql"])
def test_engine_matches_the_plain_python_evaluation(kind: str) -> None:
    @settings(
        max_examples=EXAMPLES[kind],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(seed=st.integers(0, 2**32 - 1), sizes=SIZES, period=PERIODS)
    def run(seed: int, sizes: dict[str, int], period: str) -> None:
        with _store(kind) as store:
            data = build(store, seed, sizes)
            for by in ("township", "village"):
                for mode in ("as_recorded", "mapped"):
                    assert check(store, data, period, by, mode) > 0

    run()
