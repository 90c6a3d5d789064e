"""The coverage report is exactly the set of violations of a brute-force, day-by-day evaluation.

For random policies (minimum and maximum holders per role) and random appointment histories of a
few units, every day up to the report date is evaluated on its own: the number of holders of
each role, whether it is below the minimum or above the maximum, and from that the maximal runs
of days, their kind (missing/excess if they reach the report date, else gap/overlap; a shortfall
before the role was ever filled is no handover gap), their dates, counts and the appointments
involved. The report must contain exactly these findings, in unit and rule order, and the same
report must come out of a store (the memory adapter) holding the same appointments.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings, target
from hypothesis import strategies as st

from minzu_core.clock import CST, FixedClock
from minzu_core.codes.divisions import Level
from minzu_core.hierarchy import Unit
from minzu_core.organisation import (
    Appointment,
    Official,
    ResponsibilityPolicy,
    Role,
    RoleRule,
    Violation,
    ViolationKind,
    coverage_report,
)
from minzu_core.privacy import Actor
from minzu_core.store import open_store

BASE = date(2019, 1, 1)
ROLES = ("alpha", "beta")
UNITS = (
    Unit.create("360103001", "甲街道"),
    Unit.create("360103001001", "甲第一社区"),
    Unit.create("360103001002", "甲第二社区"),
)
ANCESTORS = (
    Unit.create("360000", "江西省"),
    Unit.create("360100", "南昌市"),
    Unit.create("360103", "西湖区"),
)
DAY = timedelta(days=1)


@st.composite
def rules(draw: st.DrawFn) -> ResponsibilityPolicy:
    """A policy over two roles at the township and village levels, random limits."""
    found = []
    for level in (Level.TOWNSHIP, Level.VILLAGE):
        for role in ROLES:
            if draw(st.booleans()) or role == "alpha":
                low = draw(st.integers(0, 2))
                high = draw(st.one_of(st.none(), st.integers(max(low, 1), 3)))
                found.append(RoleRule(level, role, low, high))
    return ResponsibilityPolicy(
        roles=tuple(Role(r, f"角色{r}", r) for r in ROLES), rules=tuple(found), name="随机规则"
    )


@st.composite
def histories(draw: st.DrawFn) -> list[Appointment]:
    """Up to 16 appointments on one to three units and one or two roles (so that handovers
    crowd together), starting within 25 days of BASE, some ended."""
    units = UNITS[: draw(st.integers(1, len(UNITS)))]
    roles = ROLES[: draw(st.integers(1, len(ROLES)))]
    appointments = []
    for index in range(draw(st.integers(0, 16))):
        start = BASE + draw(st.integers(0, 25)) * DAY
        length = draw(st.one_of(st.none(), st.integers(1, 20)))
        appointments.append(
            Appointment(
                official_id=uuid.UUID(int=draw(st.integers(1, 4))),
                role=draw(st.sampled_from(roles)),
                unit_code=draw(st.sampled_from(units)).code,
                start=start,
                end=None if length is None else start + length * DAY,
                id=uuid.UUID(int=index + 1),
            )
        )
    return appointments


def brute_force(
    units: tuple[Unit, ...],
    appointments: list[Appointment],
    policy: ResponsibilityPolicy,
    as_of: date,
    since: date | None,
) -> list[tuple[Any, ...]]:
    """Findings computed one day at a time."""
    first = BASE - DAY  # before every appointment: nobody holds anything
    days = [first + n * DAY for n in range((as_of - first).days + 1)]
    found = []
    for unit in sorted(units, key=lambda u: u.code.value):
        for rule in policy.rules_for(unit.level):
            mine = [a for a in appointments if a.unit_code == unit.code and a.role == rule.role]

            def status(count: int, rule: RoleRule = rule) -> str:
                if count < rule.min_count:
                    return "low"
                if rule.max_count is not None and count > rule.max_count:
                    return "high"
                return "ok"

            counts = [sum(1 for a in mine if a.active_on(d)) for d in days]
            runs: list[tuple[str, int, int]] = []  # status, first index, last index
            for i, c in enumerate(counts):
                if runs and runs[-1][0] == status(c):
                    runs[-1] = (runs[-1][0], runs[-1][1], i)
                else:
                    runs.append((status(c), i, i))
            for kind_status, lo, hi in runs:
                if kind_status == "ok":
                    continue
                current = hi == len(days) - 1
                start = None if lo == 0 else days[lo]  # the first day stands for "ever before"
                end = None if current else days[hi] + DAY
                if current:
                    kind = ViolationKind.MISSING if kind_status == "low" else ViolationKind.EXCESS
                    count = counts[hi]
                else:
                    if kind_status == "low" and start is None:
                        continue
                    if since is not None and end is not None and end <= since:
                        continue
                    kind = ViolationKind.GAP if kind_status == "low" else ViolationKind.OVERLAP
                    run = counts[lo : hi + 1]
                    count = min(run) if kind_status == "low" else max(run)
                span = days[lo : hi + 1]
                involved = []
                for a in sorted(mine, key=lambda a: (a.start, str(a.id))):
                    if a.start > as_of:
                        continue
                    holds = any(a.active_on(d) for d in span)
                    touches = kind_status == "low" and (
                        (start is not None and a.end == start)
                        or (end is not None and a.start == end)
                    )
                    if holds or touches:
                        involved.append(a.id)
                found.append(
                    (kind, unit.code, rule.role, start, end, count, tuple(involved), unit.name)
                )
    return found


def as_tuples(violations: tuple[Violation, ...]) -> list[tuple[Any, ...]]:
    return [
        (v.kind, v.unit_code, v.role, v.start, v.end, v.count, v.appointment_ids, v.unit_name)
        for v in violations
    ]


EXAMPLES = 500


def _policy(low: int, high: int | None) -> ResponsibilityPolicy:
    return ResponsibilityPolicy(
        roles=(Role("alpha", "角色甲", "alpha"),),
        rules=(RoleRule(Level.TOWNSHIP, "alpha", low, high),),
    )


def _a(n: int, start: int, end: int | None, unit: Unit = UNITS[0]) -> Appointment:
    return Appointment(
        official_id=uuid.UUID(int=1),
        role="alpha",
        unit_code=unit.code,
        start=BASE + start * DAY,
        end=None if end is None else BASE + end * DAY,
        id=uuid.UUID(int=n),
    )


# Edge cases worth keeping whatever the random search finds: a shortfall whose count varies
# (2 required: 1 holder, then none, then 2 again), a report whose ``since`` is exactly the end
# of a gap, an overlap that ends on the day a third holder starts.
_VARYING_GAP = [_a(1, 0, 10), _a(2, 0, 5), _a(3, 12, None), _a(4, 12, None)]
_SINCE_AT_GAP_END = [_a(1, 0, 5), _a(2, 8, None)]
_OVERLAP_THEN_START = [_a(1, 0, 10), _a(2, 5, 10), _a(3, 10, None)]


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    policy=rules(),
    appointments=histories(),
    as_of_day=st.integers(0, 45),
    since=st.data(),
)
@example(policy=_policy(2, None), appointments=_VARYING_GAP, as_of_day=20, since=None)
@example(policy=_policy(1, 1), appointments=_SINCE_AT_GAP_END, as_of_day=20, since=8)
@example(policy=_policy(1, 1), appointments=_SINCE_AT_GAP_END, as_of_day=20, since=9)
@example(policy=_policy(1, 1), appointments=_OVERLAP_THEN_START, as_of_day=20, since=None)
def test_report_is_exactly_the_brute_force_violations(
    policy: ResponsibilityPolicy,
    appointments: list[Appointment],
    as_of_day: int,
    since: Any,
) -> None:
    as_of = BASE + as_of_day * DAY
    if isinstance(since, int) or since is None:
        since_day = since
    else:  # often exactly on a boundary of some appointment
        bounds = sorted({(a.end - BASE).days for a in appointments if a.end} | {0})
        since_day = since.draw(
            st.one_of(st.none(), st.integers(0, 45), st.sampled_from(bounds)), label="since"
        )
    since_date = None if since_day is None else BASE + since_day * DAY
    report = coverage_report(UNITS, appointments, policy, as_of, since=since_date)
    expected = brute_force(UNITS, appointments, policy, as_of, since_date)
    assert as_tuples(report.violations) == expected
    checked = [u.code for u in UNITS if policy.rules_for(u.level)]
    assert list(report.checked) == checked
    lacking = {v.unit_code for v in report.violations if v.kind is ViolationKind.MISSING}
    assert list(report.fully_covered) == [c for c in checked if c not in lacking]
    handovers = report.of_kind(ViolationKind.GAP, ViolationKind.OVERLAP)
    target(float(len(handovers)), label="handover findings")
    target(float(len({v.count for v in report.violations})), label="distinct counts")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(policy=rules(), appointments=histories(), as_of_day=st.integers(0, 45))
def test_store_report_matches_the_pure_one(
    policy: ResponsibilityPolicy, appointments: list[Appointment], as_of_day: int
) -> None:
    """Appointments stored through ``uow.org`` (policy set in the store) give the same report."""
    as_of = BASE + as_of_day * DAY
    store = open_store("memory://", clock=FixedClock(datetime(2019, 12, 16, 9, tzinfo=CST)))
    admin = Actor.system("property")
    with store.unit_of_work(admin) as uow:
        uow.units.add_many([*ANCESTORS, *UNITS], reason="区划")
        uow.org.set_policy(policy, reason="规则")
        for n in range(1, 5):
            uow.org.add_official(
                Official(unit_code="360103001", name="干部", ethnicity="01", id=uuid.UUID(int=n)),
                reason="登记",
            )
        stored = []
        for a in appointments:
            unit = next(u for u in UNITS if u.code == a.unit_code)
            if policy.allows(unit.level, a.role):
                stored.append(uow.org.appoint(a, reason="任命"))
        uow.commit()
    with store.unit_of_work(admin) as uow:
        from_store = uow.org.coverage(as_of, within="360103001")
    expected = coverage_report(UNITS, stored, policy, as_of)
    assert from_store == expected
