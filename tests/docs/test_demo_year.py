"""The synthetic demo year 2019 (演示年度数据): calibrated to the seed, idempotent, reproducible.

Every figure is checked with the repositories' own queries on ``memory://`` and on a private
SQLite store (``sqlite://``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import attrs
import pytest

from minzu_core import CST, Actor, FixedClock, Store, open_store
from minzu_core.activities import LANGUAGE_TRAINING, SAFETY_EDUCATION
from minzu_core.codes.divisions import Level
from minzu_core.demo import (
    DEMO_AS_OF,
    DEMO_YEAR_CUTOFF,
    RECORD_KINDS,
    XIHU,
    DemoYearSummary,
    populate_demo_year,
    run_demo,
)
from minzu_core.errors import NotFoundError, ValidationError
from minzu_core.organisation import FIRST_RESPONSIBLE, Appointment, Rank, TitleLevel
from minzu_core.privacy import ETHNIC_AFFAIRS_OFFICER
from minzu_core.services import OPEN_STATES, Satisfaction, ServiceCategory

NOW = datetime(2019, 12, 16, 9, 0, tzinfo=CST)
YEAR_FROM = date(2019, 1, 1)
YEAR_TO = DEMO_AS_OF + timedelta(days=1)  # flows up to and including 2019-12-16
T_FROM = datetime(2019, 1, 1, tzinfo=CST)
T_TO = datetime(2019, 12, 17, tzinfo=CST)
ADMIN = Actor.system("test-demo-year")
FOUR = {
    ServiceCategory.REGISTRATION,
    ServiceCategory.EMPLOYMENT,
    ServiceCategory.SCHOOLING,
    ServiceCategory.LEGAL_AID,
}


@attrs.frozen
class Year:
    """A store with the demo and the demo year (populated twice)."""

    store: Store
    first: DemoYearSummary
    second: DemoYearSummary


def _build(url: str, actor: Actor | None = None) -> tuple[Store, DemoYearSummary]:
    store = open_store(url, clock=FixedClock(NOW))
    run_demo(store)
    return store, populate_demo_year(store, actor=actor)


@pytest.fixture(scope="module", params=["memory://", "sqlite://"])
def year(request: pytest.FixtureRequest) -> Iterator[Year]:
    store, first = _build(request.param)
    second = populate_demo_year(store)
    yield Year(store, first, second)
    store.close()


def _start(appointment: Appointment) -> date:
    return appointment.start


def _townships(store: Store) -> set[str]:
    with store.unit_of_work(ADMIN) as uow:
        units = uow.units.list(within=XIHU, level=Level.TOWNSHIP, as_of=DEMO_AS_OF)
    return {u.code.short for u in units}


# -- 1. service windows ------------------------------------------------------------------------
def test_a_window_in_every_township_with_the_four_categories(year: Year) -> None:
    townships = _townships(year.store)
    assert len(townships) == 12
    with year.store.unit_of_work(ADMIN) as uow:
        windows = uow.services.windows(within=XIHU, open_on=DEMO_AS_OF)
    assert {w.unit_code.short for w in windows} == townships
    assert all(w.categories >= FOUR for w in windows)
    assert all(YEAR_FROM <= w.opened <= DEMO_AS_OF for w in windows)
    assert year.first.counts.townships_with_window == year.first.counts.townships == 12


# -- 2./3. cadres and talent -------------------------------------------------------------------
def test_six_minority_officials_of_deputy_section_rank_and_above(year: Year) -> None:
    with year.store.unit_of_work(ADMIN) as uow:
        org = uow.org
        counted = org.count_officials(
            within=XIHU, minority=True, min_rank=Rank.DEPUTY_SECTION, as_of=DEMO_AS_OF
        )
        by_label = org.count_officials(minority=True, min_rank="副科级", as_of=DEMO_AS_OF)
        # the filter matters: Han officials of that rank, minority officials below it or gone
        any_rank = org.count_officials(within=XIHU, minority=True, as_of=DEMO_AS_OF)
        han_too = org.count_officials(within=XIHU, min_rank="副科级", as_of=DEMO_AS_OF)
        mid_year = org.count_officials(minority=True, min_rank="副科级", as_of=date(2019, 6, 1))
        listed = org.officials(within=XIHU, minority=True, min_rank="副科级", as_of=DEMO_AS_OF)
        everyone = org.officials(within=XIHU)
    assert counted == by_label == len(listed) == 6
    assert year.first.counts.minority_officials_deputy_section_plus == 6
    assert any_rank > 6 and han_too > 6
    assert mid_year == 6  # one left on 2019-06-30, one was promoted on 2019-07-01
    assert any(o.left_on is not None and o.is_minority for o in everyone)
    assert all(re.fullmatch(r"示例干部\d+", o.name) for o in everyone)
    assert all(o.name not in repr(o) for o in everyone)


def test_three_minority_technicians_of_intermediate_title_and_above(year: Year) -> None:
    with year.store.unit_of_work(ADMIN) as uow:
        org = uow.org
        counted = org.count_technicians(
            within=XIHU, minority=True, min_title=TitleLevel.INTERMEDIATE, as_of=DEMO_AS_OF
        )
        any_title = org.count_technicians(within=XIHU, minority=True, as_of=DEMO_AS_OF)
        han_too = org.count_technicians(within=XIHU, min_title="中级", as_of=DEMO_AS_OF)
        listed = org.technicians(within=XIHU)
    assert counted == 3 == year.first.counts.minority_technicians_intermediate_plus
    assert any_title > 3 and han_too > 3
    assert all(re.fullmatch(r"示例人才\d+", t.name) for t in listed)


# -- 4. activities -----------------------------------------------------------------------------
def test_more_than_ten_safety_education_activities_and_other_types(year: Year) -> None:
    with year.store.unit_of_work(ADMIN) as uow:
        acts = uow.activities
        safety = acts.count(
            within=XIHU, type=SAFETY_EDUCATION, start_from=YEAR_FROM, start_to=YEAR_TO
        )
        every = acts.list(within=XIHU, start_from=YEAR_FROM, start_to=YEAR_TO)
        totals = acts.totals(within=XIHU, start_from=YEAR_FROM, start_to=YEAR_TO)
    assert 10 < safety <= 14
    assert safety == year.first.counts.safety_education_activities
    types = {a.type for a in every}
    assert {"unity_publicity", LANGUAGE_TRAINING, "plaque_ceremony", "gala"} <= types
    assert len(types) >= 10
    assert totals.activities == len(every) == year.first.counts.activities
    assert totals.participants > totals.minority_participants > 0
    assert all(a.participants > 0 and a.end <= DEMO_AS_OF for a in every)
    assert any(a.attendee_ids for a in every)


# -- 5. the responsibility network -------------------------------------------------------------
def test_the_responsibility_network_has_no_gaps(year: Year) -> None:
    with year.store.unit_of_work(ADMIN) as uow:
        report = uow.org.coverage(DEMO_AS_OF, within=XIHU)
        villages = uow.units.list(within=XIHU, level=Level.VILLAGE, as_of=DEMO_AS_OF)
        nanzhan = uow.org.appointments(within="360103010", role=FIRST_RESPONSIBLE)
        chain = uow.org.responsible_for(villages[0].code, DEMO_AS_OF)
    assert report.ok, report.lines()
    assert len(report.checked) == 1 + 12 + len(villages)
    assert report.fully_covered == report.checked
    # 南站街道: a same-day handover of the 党工委书记 in June, neither gap nor overlap
    before, after = sorted((a for a in nanzhan if a.unit_code.short == "360103010"), key=_start)
    assert before.end == after.start == date(2019, 6, 18) and after.end is None
    assert len(chain.first_responsible()) == 2  # the community's and its township's
    counts = year.first.counts
    assert counts.coverage_findings == 0
    assert counts.units_fully_covered == counts.units_checked == len(report.checked)


# -- 6. requests, disputes, training, honours, volunteers --------------------------------------
def test_service_requests_through_the_year(year: Year) -> None:
    with year.store.unit_of_work(ADMIN) as uow:
        requests = uow.services.list(within=XIHU, received_from=T_FROM, received_to=T_TO)
        still_open = uow.services.count(within=XIHU, states=OPEN_STATES)
        applicants = {r.applicant_id for r in requests}
        missing = [a for a in applicants if uow.people.find(a) is None]
        calendar = uow.calendar
    n = len(requests)
    assert 200 <= n <= 500 and n == year.first.counts.requests
    assert not missing
    accepted = [r for r in requests if r.accepted_at is not None]
    resolved = [r for r in requests if r.resolved_at is not None]
    on_time = [r for r in resolved if r.resolved_on_time(calendar)]
    assert len(accepted) > 0.8 * n and len(resolved) > 0.7 * n
    assert len(on_time) > 0.7 * len(resolved) and len(on_time) < len(resolved)
    seen = {r.satisfaction for r in requests if r.satisfaction is not None}
    assert seen == set(Satisfaction)
    assert 0 < still_open < 0.1 * n
    assert {r.state for r in requests} >= {"declined", "withdrawn", "closed", "resolved"}
    assert all(e.at < DEMO_YEAR_CUTOFF for r in requests for e in r.events)
    assert len({r.unit_code for r in requests}) == 12


def test_disputes_through_the_year(year: Year) -> None:
    with year.store.unit_of_work(ADMIN) as uow:
        d = uow.disputes
        cases = d.list(within=XIHU, registered_from=T_FROM, registered_to=T_TO)
        escalated = d.count(within=XIHU, escalated=True)
        ethnic = d.count(within=XIHU, ethnic_factor=True)
        incidents = d.count(within=XIHU, ethnic_factor=True, mass=True)
        concluded = d.list(within=XIHU, concluded_from=T_FROM, concluded_to=T_TO)
    assert 20 <= len(cases) <= 60
    outcomes = [c.outcome for c in concluded]
    agreements, terminations = outcomes.count("agreement"), outcomes.count("terminated")
    assert agreements > 0.6 * len(cases) and 0 < terminations < agreements
    assert escalated == 2 and ethnic >= 1 and incidents in (0, 1)
    states = {c.state for c in cases}
    assert {"archived", "followed_up", "mediating"} <= states
    actions = {e.action for c in cases for e in c.events}
    assert {"redirect", "refuse", "apply_confirmation", "terminate", "agree"} <= actions
    assert max(c.escalations for c in cases) == 2
    assert all(e.at < DEMO_YEAR_CUTOFF for c in cases for e in c.events)
    counts = year.first.counts
    assert (counts.disputes, counts.disputes_escalated) == (len(cases), 2)
    assert counts.disputes_ethnic_factor_mass == incidents


def test_training_honours_and_volunteers(year: Year) -> None:
    with year.store.unit_of_work(ADMIN) as uow:
        acts = uow.activities
        courses = acts.courses(within=XIHU, type=LANGUAGE_TRAINING)
        enrollments = acts.enrollments(within=XIHU, type=LANGUAGE_TRAINING)
        completions = acts.count_completions(
            within=XIHU, type=LANGUAGE_TRAINING, completed_from=YEAR_FROM, completed_to=YEAR_TO
        )
        honours = acts.honours(within=XIHU, awarded_from=YEAR_FROM, awarded_to=YEAR_TO)
        members = acts.members(within=XIHU, on=DEMO_AS_OF)
        hours = acts.hours_by_kind(within=XIHU, served_from=YEAR_FROM, served_to=YEAR_TO)
        sites = acts.sites(within=XIHU, status="named", as_of=DEMO_AS_OF)
    assert len(courses) >= 2
    assert len(enrollments) > completions > 0
    assert any(e.official_id is not None for e in enrollments)
    assert len(honours) >= 3 and any(h.ceremony_id is not None for h in honours)
    assert any(h.business_uscc is not None for h in honours)
    assert members and sum(hours.values()) > 0 and len(hours) >= 3
    assert len(sites) == 1
    counts = year.first.counts
    assert (counts.language_completions, counts.honours) == (completions, len(honours))
    assert counts.volunteer_hours == round(sum(hours.values()), 2)


# -- idempotency and reproducibility -----------------------------------------------------------
def test_a_second_run_adds_nothing_and_counts_the_same(year: Year) -> None:
    first, second = year.first, year.second
    assert first.total_added > 500 and first.total_present == 0
    assert all(first.added[kind] > 0 for kind in RECORD_KINDS)
    assert second.total_added == 0
    assert second.present == first.added
    assert second.counts == first.counts
    with year.store.unit_of_work(ADMIN) as uow:
        assert uow.services.count(within=XIHU) == first.added["requests"]
        assert uow.disputes.count(within=XIHU) == first.added["disputes"]
        assert len(uow.org.appointments(within=XIHU)) == first.added["appointments"]


def test_the_summary_is_readable_and_holds_no_personal_data(year: Year) -> None:
    text = "\n".join(year.first.lines())
    assert "少数民族副科级以上干部 minority officials" in text and ": 6" in text
    assert "示例干部" not in repr(year.first) and "示例干部" not in text


def test_same_seed_same_year_other_seed_other_year() -> None:
    _, a = _build("memory://")
    _, b = _build(
        "memory://", Actor.for_units("xihu-united-front", XIHU, roles={ETHNIC_AFFAIRS_OFFICER})
    )
    assert a.counts == b.counts and a.added == b.added  # a district-scoped actor suffices
    store = open_store("memory://", clock=FixedClock(NOW))
    run_demo(store)
    c = populate_demo_year(store, seed=7)
    assert c.counts.minority_officials_deputy_section_plus == 6
    assert c.counts.minority_technicians_intermediate_plus == 3
    assert c.counts.coverage_findings == 0
    assert c.counts != a.counts


def test_refused_before_the_demo_date_or_without_the_demo() -> None:
    early = open_store("memory://", clock=FixedClock(datetime(2019, 12, 15, 18, tzinfo=CST)))
    with pytest.raises(ValidationError) as refused:
        populate_demo_year(early)
    assert refused.value.code == "clock_before_demo_date"
    empty = open_store("memory://", clock=FixedClock(NOW))
    with pytest.raises(NotFoundError) as missing:
        populate_demo_year(empty)
    assert missing.value.code == "demo_units_missing"
