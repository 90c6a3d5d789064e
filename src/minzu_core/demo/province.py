"""A province-sized synthetic dataset (合成省级数据集) for benchmarks and load tests.

:func:`generate_province` fills an empty store (a new SQLite file, or any store URL: PostgreSQL,
MariaDB, memory) with the Jiangxi division hierarchy of the shipped NBS edition
(``jiangxi-2019``: the province, its prefectures, counties and ~1,800 township-level units, plus
a few synthetic communities and villages under each township, where people live), service
windows at the townships, a ledger of persons with their residence episodes, service requests and
disputes with complete event histories. Everything is drawn from a seed, so the same seed gives
the same contents (ids included) on every machine.

It streams: records are generated in fixed-size chunks, each chunk from its own seeded random
stream, so memory stays flat whatever the size (and worker processes can generate chunks while
the calling process writes). Every record is a domain object (:class:`~minzu_core.ledger.Person`,
:class:`~minzu_core.services.ServiceRequest`, :class:`~minzu_core.disputes.Dispute`, whose
constructors check them, and replay and check a case's whole history), and each chunk is written
in one transaction through the store's bulk-write port (:class:`~minzu_core.store.BulkPort`:
multi-row ``INSERT`` statements on the SQL stores, built by the adapter's own row builders).
The generator is the system actor writing data that is consistent by construction, so it uses
the port directly, without the repositories' per-record checks (see :mod:`minzu_core.store.bulk`
for the checked path), and it records no change history.

The data is synthetic: names come from small pools, ID numbers are valid by construction (and
unique) but belong to nobody.
"""

from __future__ import annotations

import bisect
import itertools
import math
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from minzu_core.clock import CST
from minzu_core.codes.divisions import DivisionCode, Level, UnitKind
from minzu_core.codes.resident_id import make_resident_id
from minzu_core.demo.synthetic import (
    OCCUPATIONS,
    ORIGINS,
    RESIDENT_ETHNICITIES,
    synthetic_communities,
    synthetic_name,
)
from minzu_core.disputes.model import (
    CHANNELS,
    DEFAULT_TARGET_DAYS,
    Dispute,
    DisputeCategory,
    DisputeSource,
    Party,
    Severity,
)
from minzu_core.disputes.ports import DisputeIndex
from minzu_core.hierarchy.editions import load_edition
from minzu_core.hierarchy.model import Unit
from minzu_core.ledger.model import (
    HouseholdRegistration,
    LanguageProficiency,
    MigrationReason,
    Person,
    PersonStatus,
    Residence,
    ResidenceStatus,
)
from minzu_core.lifecycle import Event
from minzu_core.privacy.actor import Actor
from minzu_core.services.model import (
    CalendarDays,
    Satisfaction,
    ServiceCategory,
    ServiceRequest,
    ServiceWindow,
)
from minzu_core.services.ports import RequestIndex
from minzu_core.store.bulk import BulkBatch, write_batch
from minzu_core.store.ports import Analyzable

__all__ = [
    "CHUNK_SIZE",
    "EDITION",
    "ProgressCallback",
    "ProvinceLayout",
    "ProvinceSummary",
    "generate_province",
    "main",
    "province_layout",
]

#: The shipped NBS edition whose units the province is built on.
EDITION = "jiangxi-2019"
#: Rows generated per chunk; each chunk has its own random stream and its own transaction.
CHUNK_SIZE = 10_000

#: ``progress(stage, done, total)``: called after every chunk written (stages ``"units"``,
#: ``"service_windows"``, ``"persons"``, ``"requests"``, ``"disputes"``, ``"analyze"``).
ProgressCallback = Callable[[str, int, int], None]

_NAMESPACE = uuid.UUID("0b7f9a3e-3c1d-4a55-9e0e-6a2f1d5c2019")
_ACTOR_PREFIX = "synthetic:"
_SYSTEM = Actor.system("synthetic:province")

# Persons per township by kind (街道 are urban and dense) before a per-township jitter.
_KIND_WEIGHT = {
    UnitKind.SUBDISTRICT: 6.0,
    UnitKind.TOWN: 2.5,
    UnitKind.TOWNSHIP: 1.0,
    UnitKind.TOWNSHIP_LIKE: 1.5,
}
_CATEGORY_WEIGHT = {
    ServiceCategory.REGISTRATION: 30,
    ServiceCategory.EMPLOYMENT: 18,
    ServiceCategory.BUSINESS: 8,
    ServiceCategory.SCHOOLING: 14,
    ServiceCategory.MEDICAL: 10,
    ServiceCategory.RELIEF: 6,
    ServiceCategory.LEGAL_AID: 6,
    ServiceCategory.OTHER: 8,
}
_DISPUTE_CATEGORIES = (
    (DisputeCategory.NEIGHBOUR, 25),
    (DisputeCategory.MARRIAGE_FAMILY, 18),
    (DisputeCategory.LABOUR, 20),
    (DisputeCategory.BUSINESS_TENANCY, 15),
    (DisputeCategory.CONSUMER, 8),
    (DisputeCategory.DAMAGES, 9),
    (DisputeCategory.OTHER, 5),
)
_SATISFACTION = (
    (Satisfaction.SATISFIED, 70),
    (Satisfaction.BASICALLY_SATISFIED, 22),
    (Satisfaction.DISSATISFIED, 8),
)
_REFERRERS = ("派出所", "人民法院", "信访部门", "劳动监察大队")
_REDIRECT = ("arbitration", "administrative", "judicial", "police", "petition")
_EARLIEST_BIRTH = date(1950, 1, 1)
_LATEST_BIRTH = date(2001, 12, 31)
_SEQUENCES = 999  # ID-number sequence codes 001–999


@attrs.frozen
class ProvinceSummary:
    """What :func:`generate_province` wrote."""

    #: the SQLite file written, or the store's URL (password masked).
    path: str
    seed: int
    year: int
    units: int
    townships: int
    windows: int
    persons: int
    requests: int
    disputes: int
    case_events: int
    seconds: float

    @property
    def file_size(self) -> int | None:
        """Size of the database file in bytes (``None`` for a store that is not a file)."""
        return os.path.getsize(self.path) if os.path.isfile(self.path) else None


@attrs.frozen
class ProvinceLayout:
    """The fixed part of a province dataset, derived from the seed only.

    Attributes:
        base_units: province, prefectures, counties and townships of :data:`EDITION`
            (``valid_from=None``).
        communities: the synthetic communities and villages people live in.
        townships: the township-level units, by code.
        person_starts: persons are laid out township by township: township ``k`` holds the
            person indices ``person_starts[k] <= i < person_starts[k + 1]``.
        communities_of: for each township, the indices (into ``communities``) of its units.
        weights: the relative population weight of each township.
        windows: the service windows (one or two at most townships, none at a few).
    """

    base_units: tuple[Unit, ...]
    communities: tuple[Unit, ...]
    townships: tuple[Unit, ...]
    person_starts: tuple[int, ...]
    communities_of: tuple[tuple[int, ...], ...]
    weights: tuple[float, ...]
    windows: tuple[ServiceWindow, ...]

    def township_of(self, person_index: int) -> int:
        """The index of the township person ``person_index`` lives in."""
        return bisect.bisect_right(self.person_starts, person_index) - 1

    def persons_in(self, township: int) -> range:
        """The person indices living in township ``township``."""
        return range(self.person_starts[township], self.person_starts[township + 1])


def _id(seed: int, kind: str, index: int | str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{seed}:{kind}:{index}"))


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [math.floor(x) for x in exact]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda k: (parts[k] - exact[k], k))
    for k in order[:left]:
        parts[k] += 1
    return parts


def province_layout(*, persons: int, seed: int = 2019, year: int = 2019) -> ProvinceLayout:
    """The units, the township of every person index and the service windows of the dataset
    that :func:`generate_province` writes for these arguments (nothing is written)."""
    rng = random.Random(f"{seed}:layout")
    base = tuple(attrs.evolve(u, valid_from=None, version=1) for u in load_edition(EDITION))
    townships = tuple(sorted((u for u in base if u.level is Level.TOWNSHIP), key=_code))
    communities = tuple(
        attrs.evolve(u, version=1) for u in synthetic_communities(townships, seed=seed)
    )
    by_township: dict[str, list[int]] = {}
    for k, unit in enumerate(communities):
        by_township.setdefault(unit.code.value[:9], []).append(k)
    weights = []
    for t in townships:
        w = _KIND_WEIGHT.get(t.kind, 1.0)
        if t.code.value.startswith("3601"):  # Nanchang, the provincial capital
            w *= 2.0
        if int(t.code.value[4:6]) < 20:  # 市辖区: urban districts
            w *= 1.5
        weights.append(w * rng.uniform(0.5, 1.5))
    counts = _allocate(persons, weights)
    starts = [0, *itertools.accumulate(counts)]
    windows = tuple(_windows(rng, townships, seed, year))
    return ProvinceLayout(
        base_units=base,
        communities=communities,
        townships=townships,
        person_starts=tuple(starts),
        communities_of=tuple(tuple(by_township[t.code.value[:9]]) for t in townships),
        weights=tuple(weights),
        windows=windows,
    )


def _code(unit: Unit) -> str:
    return unit.code.value


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _windows(
    rng: random.Random, townships: Sequence[Unit], seed: int, year: int
) -> Iterator[ServiceWindow]:
    """About 92% of townships open a window (a few only recently, a few closed during the
    last year), and about 10% of those a second, specialised one."""
    count = 0
    all_categories = list(ServiceCategory)
    for t in townships:
        if rng.random() >= 0.92:
            continue
        stem = t.name
        for second in (False, True):
            if second and rng.random() >= 0.10:
                break
            if rng.random() < 0.05:
                opened = _day(rng, date(year - 1, 3, 1), date(year, 6, 30))
            else:
                opened = _day(rng, date(year - 4, 1, 1), date(year - 2, 6, 30))
            closed = None
            if rng.random() < 0.03:
                closed = _day(
                    rng, max(opened + timedelta(days=1), date(year, 3, 1)), date(year, 11, 30)
                )
            if second:
                categories = rng.sample(all_categories, rng.randint(3, 5))
                name = f"{stem}便民服务中心少数民族服务专窗"
            else:
                categories = all_categories
                name = f"{stem}民族工作服务窗口"
            limits: dict[ServiceCategory, int] = {}
            if rng.random() < 0.2:
                limits[ServiceCategory.REGISTRATION] = 3
            if rng.random() < 0.1:
                limits[ServiceCategory.LEGAL_AID] = 20
            yield ServiceWindow(
                unit_code=t.code,
                name=name,
                opened=opened,
                closed=closed,
                categories=frozenset(categories),
                time_limits=limits,
                id=uuid.UUID(_id(seed, "window", count)),
                version=1,
            )
            count += 1


# -- persons -------------------------------------------------------------------------------------
class _IdNumbers:
    """Unique (birth date, sequence) pairs for person indices: an affine bijection of the slot
    space, so no set of issued numbers has to be kept."""

    def __init__(self, seed: int, count: int) -> None:
        days = (_LATEST_BIRTH - _EARLIEST_BIRTH).days + 1
        self.size = days * _SEQUENCES
        if count > self.size:
            raise ValueError(f"at most {self.size} persons")
        rng = random.Random(f"{seed}:id-numbers")
        self.offset = rng.randrange(self.size)
        while True:
            self.step = rng.randrange(self.size // 3, self.size)
            if math.gcd(self.step, self.size) == 1:
                break

    def slot(self, index: int) -> tuple[date, int]:
        """Birth date and sequence code of person ``index``."""
        slot = (self.step * index + self.offset) % self.size
        return _EARLIEST_BIRTH + timedelta(days=slot // _SEQUENCES), slot % _SEQUENCES + 1


def _persons(g: _Generator, start: int, stop: int, chunk: int) -> list[Person]:
    layout, ids, seed, year = g.layout, g.ids, g.seed, g.year
    rng = random.Random(f"{seed}:persons:{chunk}")
    origin_weights = [w for _, _, w in ORIGINS]
    languages = list(LanguageProficiency)
    reasons = list(MigrationReason)
    first_arrival, last_day = date(2010, 1, 1), date(year, 12, 31)
    first_departure = date(year - 2, 1, 1)
    persons: list[Person] = []
    township = layout.township_of(start)
    for index in range(start, stop):
        while index >= layout.person_starts[township + 1]:
            township += 1
        t = layout.townships[township]
        community = layout.communities[rng.choice(layout.communities_of[township])]
        floating = rng.random() < 0.6
        if floating:
            origin6, ethnicities, _ = rng.choices(ORIGINS, weights=origin_weights)[0]
            ethnicity = rng.choice(ethnicities)
            origin: str | None = DivisionCode.parse(origin6).value
        else:
            origin6 = t.code.value[:6]
            ethnicity = rng.choice(RESIDENT_ETHNICITIES)
            origin = None
        if rng.random() < 0.04:
            ethnicity = "01"
        birth, sequence = ids.slot(index)
        gender: str | None = "male" if sequence % 2 else "female"
        birth_date: date | None = birth
        merged = index % 200 == 199  # a duplicate, merged into the record before it
        id_number: str | None = make_resident_id(origin6, birth, sequence)
        if merged or rng.random() < 0.05:
            id_number = None
            if rng.random() < 0.4:  # nothing at hand: not even birth date and gender
                birth_date = gender = None
        arrival = _day(rng, first_arrival, last_day)
        departure = None
        if floating and rng.random() < 0.1:
            low = max(arrival + timedelta(days=1), first_departure)
            if low <= last_day:
                departure = _day(rng, low, last_day)
        name = synthetic_name(rng, ethnicity)
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if rng.random() < 0.96 else None
        language = rng.choice(languages)
        address = (
            f"{community.name}{rng.randint(1, 60)}栋{rng.randint(1, 30)}号"
            if rng.random() < 0.97
            else None
        )
        residence = Residence(
            id=_id(seed, "residence", index),
            unit_code=community.code,
            status=ResidenceStatus.FLOATING if floating else ResidenceStatus.RESIDENT,
            arrival=arrival,
            departure=departure,
            address=address,
            origin=origin if rng.random() < 0.98 else None,
            reason=rng.choice(reasons) if floating else None,
            occupation=rng.choice(OCCUPATIONS),
        )
        persons.append(
            Person(
                id=_id(seed, "person", index),
                name=name,
                ethnicity=ethnicity,
                id_number=id_number,
                gender=gender,
                birth_date=birth_date,
                phone=phone,
                household=HouseholdRegistration(division_code=origin6),
                language=language,
                residences=(residence,),
                status=PersonStatus.MERGED if merged else PersonStatus.ACTIVE,
                merged_into=_id(seed, "person", index - 1) if merged else None,
                version=1,
            )
        )
    return persons


# -- cases ---------------------------------------------------------------------------------------
class _History:
    """Appends events at increasing times until the horizon (the dataset's "now")."""

    def __init__(self, first: Event, horizon: datetime) -> None:
        self.events = [first]
        self.at = first.at
        self.horizon = horizon
        self.open = True

    def step(self, action: str, delay: timedelta, **data: Any) -> bool:
        """Append ``action`` ``delay`` after the last event; False (and nothing more is ever
        appended) once the horizon is reached."""
        if not self.open:
            return False
        at = self.at + delay
        if at >= self.horizon:
            self.open = False
            return False
        self.events.append(Event(action, at, self.events[0].actor_id, data=data))
        self.at = at
        return True


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=round(rng.uniform(low, high) * 3600))


def _working_time(rng: random.Random, day: date) -> datetime:
    minutes = rng.randrange(8 * 60 + 30, 17 * 60 + 30)
    return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=CST)


def _request_history(
    rng: random.Random, first: Event, limit: int, horizon: datetime
) -> list[Event]:
    h = _History(first, horizon)
    r = rng.random()
    if r < 0.06:
        h.step("decline", _hours(rng, 1, 48), reason="不属于本窗口受理范围")
        return h.events
    if r < 0.09:
        h.step("withdraw", _hours(rng, 1, 48))
        return h.events
    if r < 0.10:
        return h.events  # still waiting to be accepted
    if not h.step("accept", _hours(rng, 0.2, 48), time_limit_days=limit):
        return h.events
    accepted = h.at
    if rng.random() < 0.02:
        h.step("withdraw", _hours(rng, 2, 72))
        return h.events
    h.step("start", _hours(rng, 0, 24))
    paused = timedelta(0)
    if rng.random() < 0.12:
        h.step("request_documents", _hours(rng, 2, 72), documents="补充身份或居住证明材料")
        before = h.at
        h.step("documents_received", _hours(rng, 24, 240))
        paused = h.at - before
    if rng.random() < 0.05:
        h.step("refer", _hours(rng, 2, 48), to="县人力资源和社会保障局")
        h.step("referral_returned", _hours(rng, 24, 168))
    if rng.random() < 0.10:
        return h.events  # still being handled
    for round_ in range(2):
        if rng.random() < 0.85:
            days = rng.uniform(0.1, 0.95) * limit
        else:
            days = rng.uniform(1.05, 2.5) * limit
        target = accepted + paused + timedelta(days=days)
        if round_:
            target = h.at + timedelta(days=rng.uniform(1, limit))
        if not h.step("resolve", max(target - h.at, _hours(rng, 0.5, 4)), outcome="已办结"):
            return h.events
        if rng.random() >= 0.6:
            if rng.random() < 0.5:
                h.step("close_without_follow_up", _hours(rng, 72, 480), reason="无法联系申请人")
            return h.events
        satisfaction = rng.choices(
            [s.value for s, _ in _SATISFACTION], weights=[w for _, w in _SATISFACTION]
        )[0]
        if not h.step("follow_up", _hours(rng, 24, 336), satisfaction=satisfaction):
            return h.events
        if satisfaction == Satisfaction.DISSATISFIED.value and round_ == 0 and rng.random() < 0.3:
            h.step("reopen", _hours(rng, 1, 48), reason="回访不满意, 重新办理")
            continue
        if rng.random() < 0.85:
            h.step("close", _hours(rng, 1, 48))
        return h.events
    return h.events


def _requests(
    g: _Generator, start: int, stop: int, chunk: int
) -> list[tuple[ServiceRequest, RequestIndex]]:
    layout, seed, year, persons = g.layout, g.seed, g.year, g.persons
    open_windows, cum_weights = g.open_windows, g.request_weights
    rng = random.Random(f"{seed}:requests:{chunk}")
    horizon = datetime(year + 1, 1, 1, tzinfo=CST)
    first_day, last_day = date(year - 1, 1, 1), date(year, 12, 31)
    calendar = CalendarDays()
    candidates = range(len(layout.townships))
    requests: list[tuple[ServiceRequest, RequestIndex]] = []
    for index in range(start, stop):
        while True:
            township = rng.choices(candidates, cum_weights=cum_weights)[0]
            day = _day(rng, first_day, last_day)
            windows = open_windows(township, day)
            if windows:
                break
        window = windows[0] if len(windows) == 1 else rng.choice(windows)
        offered = sorted(window.categories, key=lambda c: c.value)
        category = rng.choices(offered, weights=[_CATEGORY_WEIGHT[c] for c in offered])[0]
        people = layout.persons_in(township)
        applicant = rng.choice(people) if people else rng.randrange(persons)
        received = _working_time(rng, day)
        actor = f"{_ACTOR_PREFIX}clerk-{window.unit_code.short}"
        history = _request_history(
            rng, Event("submit", received, actor), window.time_limit(category), horizon
        )
        request = ServiceRequest(
            window_id=window.id,
            unit_code=window.unit_code,
            applicant_id=uuid.UUID(_id(seed, "person", applicant)),
            category=category,
            received_at=received,
            events=history,
            description="",
            id=uuid.UUID(_id(seed, "request", index)),
            version=len(history),
        )
        requests.append((request, RequestIndex.of(request, calendar)))
    return requests


def _dispute_history(
    rng: random.Random,
    first: Event,
    township: DivisionCode,
    party_count: int,
    mediators: list[str],
    horizon: datetime,
) -> list[Event]:
    h = _History(first, horizon)
    county = DivisionCode.parse(township.value[:6])
    prefecture = DivisionCode.parse(township.value[:4])
    escalated = False
    if rng.random() < 0.02:  # escalated at once (serious or beyond the township's means)
        escalated = h.step("escalate", _hours(rng, 2, 48), to=county.value)
    r = rng.random()
    if r < 0.08:
        redirected = h.step("redirect", _hours(rng, 2, 72), channel=rng.choice(_REDIRECT))
        if redirected and rng.random() < 0.6:
            h.step("archive", _hours(rng, 24, 240))
        return h.events
    if r < 0.12:
        refused = h.step("refuse", _hours(rng, 2, 72), party=rng.randrange(party_count))
        if refused and rng.random() < 0.6:
            h.step("archive", _hours(rng, 24, 240))
        return h.events
    if r < 0.15:
        return h.events  # still to be decided
    if not h.step("accept", _hours(rng, 1, 72), target_days=DEFAULT_TARGET_DAYS):
        return h.events
    accepted = h.at
    h.step("notify_rights", _hours(rng, 0.5, 24))
    if not escalated and rng.random() < 0.04:
        escalated = h.step("escalate", _hours(rng, 24, 240), to=county.value)
        if escalated and rng.random() < 0.1:
            h.step("escalate", _hours(rng, 24, 240), to=prefecture.value)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        h.step("session", _hours(rng, 24, 240), mediators=mediators, summary="调解记录")
    if rng.random() >= 0.75:
        return h.events  # mediation still going on
    within = rng.random() < 0.85
    days = rng.uniform(0.5, 0.98) * DEFAULT_TARGET_DAYS
    if not within:
        days = rng.uniform(1.05, 3) * DEFAULT_TARGET_DAYS
    delay = max(accepted + timedelta(days=days) - h.at, _hours(rng, 1, 24))
    if rng.random() < 0.8:
        form = "written" if rng.random() < 0.7 else "oral"
        if not h.step("agree", delay, form=form, terms="双方达成调解协议"):
            return h.events
        if form == "written" and rng.random() < 0.15:
            h.step("apply_confirmation", _hours(rng, 24, 600), court="基层人民法院")
        r = rng.random()
        if r < 0.75:
            h.step("performed", _hours(rng, 24, 720))
        elif r < 0.85:
            h.step("not_performed", _hours(rng, 24, 720), reason="一方未按期履行")
        else:
            return h.events
    elif not h.step("terminate", delay, reason="调解不成", channels_notified=list(CHANNELS)):
        return h.events
    if rng.random() < 0.5:
        h.step("follow_up", _hours(rng, 72, 720), summary="回访情况良好")
    if rng.random() < 0.6:
        h.step("archive", _hours(rng, 24, 480))
    return h.events


def _disputes(
    g: _Generator, start: int, stop: int, chunk: int
) -> list[tuple[Dispute, DisputeIndex]]:
    layout, seed, year, persons = g.layout, g.seed, g.year, g.persons
    cum_weights = g.dispute_weights
    rng = random.Random(f"{seed}:disputes:{chunk}")
    horizon = datetime(year + 1, 1, 1, tzinfo=CST)
    first_day, last_day = date(year - 1, 1, 1), date(year, 12, 31)
    candidates = range(len(layout.townships))
    categories = [c for c, _ in _DISPUTE_CATEGORIES]
    category_weights = [w for _, w in _DISPUTE_CATEGORIES]
    disputes: list[tuple[Dispute, DisputeIndex]] = []
    for index in range(start, stop):
        township = rng.choices(candidates, cum_weights=cum_weights)[0]
        origin = layout.townships[township].code
        ethnic = rng.random() < 0.05
        mass = rng.random() < (0.10 if ethnic else 0.015)
        count = rng.randint(5, 20) if mass else rng.choice((2, 2, 2, 2, 2, 2, 2, 3, 3, 4))
        people = layout.persons_in(township)
        parties = []
        for _ in range(count):
            if rng.random() < 0.7:
                person = rng.choice(people) if people else rng.randrange(persons)
                parties.append(Party(person_id=uuid.UUID(_id(seed, "person", person))))
            else:
                parties.append(Party(name=synthetic_name(rng, "01")))
        if mass:
            severity = rng.choice((Severity.MAJOR, Severity.MAJOR, Severity.SERIOUS))
        else:
            severity = rng.choices(list(Severity), weights=(85, 12, 3))[0]
        source = rng.choices(list(DisputeSource), weights=(45, 40, 15))[0]
        category = rng.choices(categories, weights=category_weights)[0]
        registered = _working_time(rng, _day(rng, first_day, last_day))
        actor = f"{_ACTOR_PREFIX}mediator-{origin.short}"
        mediators = [synthetic_name(rng, "01") for _ in range(rng.randint(1, 3))]
        first = Event(
            "register", registered, actor, data={"origin_unit": origin.value, "party_count": count}
        )
        history = _dispute_history(rng, first, origin, count, mediators, horizon)
        accepted = any(e.action == "accept" for e in history)
        dispute = Dispute(
            origin_unit=origin,
            parties=tuple(parties),
            category=category,
            severity=severity,
            source=source,
            registered_at=registered,
            events=history,
            ethnic_factor=ethnic,
            mass=mass,
            referred_by=rng.choice(_REFERRERS) if source is DisputeSource.REFERRAL else None,
            narrative=f"{category.label_zh}纠纷" if rng.random() < 0.9 else None,
            mediators=mediators if accepted else (),
            id=uuid.UUID(_id(seed, "dispute", index)),
            version=len(history),
        )
        disputes.append((dispute, DisputeIndex.of(dispute)))
    return disputes


def _chunks(total: int) -> Iterator[tuple[int, int, int]]:
    for chunk, start in enumerate(range(0, total, CHUNK_SIZE)):
        yield chunk, start, min(start + CHUNK_SIZE, total)


class _Generator:
    """Generates the records of any chunk of the dataset, in any process: everything it needs
    is derived from the arguments, so worker processes rebuild it instead of receiving it."""

    def __init__(self, persons: int, seed: int, year: int) -> None:
        self.persons, self.seed, self.year = persons, seed, year
        self.layout = layout = province_layout(persons=persons, seed=seed, year=year)
        self.ids = _IdNumbers(seed, persons)
        self.windows_of: list[list[ServiceWindow]] = [[] for _ in layout.townships]
        position = {u.code.value: k for k, u in enumerate(layout.townships)}
        for window in layout.windows:
            self.windows_of[position[window.unit_code.value]].append(window)
        population = [float(len(layout.persons_in(k))) for k in range(len(layout.townships))]
        served = [n if self.windows_of[k] else 0.0 for k, n in enumerate(population)]
        self.request_weights = list(itertools.accumulate(served))
        self.dispute_weights = list(itertools.accumulate(population))

    def open_windows(self, township: int, day: date) -> list[ServiceWindow]:
        """The windows of township ``township`` open on ``day``."""
        return [w for w in self.windows_of[township] if w.open_on(day)]

    def fixed(self) -> BulkBatch:
        """The units (parents first) and the service windows."""
        layout = self.layout
        units = sorted(
            [*layout.base_units, *layout.communities], key=lambda u: (u.level.depth, _code(u))
        )
        return BulkBatch(units=units, windows=list(layout.windows))

    def chunk(self, stage: str, chunk: int, start: int, stop: int) -> BulkBatch:
        """The records of chunk ``chunk`` (indices ``start``..``stop - 1``) of ``stage``."""
        if stage == "persons":
            return BulkBatch(persons=_persons(self, start, stop, chunk))
        if stage == "requests":
            return BulkBatch(requests=_requests(self, start, stop, chunk))
        return BulkBatch(disputes=_disputes(self, start, stop, chunk))


_WORKER: _Generator | None = None


def _start_worker(persons: int, seed: int, year: int) -> None:
    global _WORKER
    _WORKER = _Generator(persons, seed, year)


def _work(task: tuple[str, int, int, int]) -> BulkBatch:
    assert _WORKER is not None
    return _WORKER.chunk(*task)


def _batches(
    generator: _Generator, tasks: Sequence[tuple[str, int, int, int]], workers: int
) -> Iterator[BulkBatch]:
    """The chunks' rows in task order, generated by ``workers`` processes (``0``: here)."""
    if workers <= 0 or len(tasks) <= 1:
        for task in tasks:
            yield generator.chunk(*task)
        return
    from concurrent.futures import Future, ProcessPoolExecutor

    args = (generator.persons, generator.seed, generator.year)
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=args) as pool:
        pending: list[Future[BulkBatch]] = []
        queued = iter(tasks)
        for task in itertools.islice(queued, 2 * workers):
            pending.append(pool.submit(_work, task))
        while pending:
            batch = pending.pop(0).result()
            for task in itertools.islice(queued, 1):
                pending.append(pool.submit(_work, task))
            yield batch


def _target(path_or_url: str | os.PathLike[str]) -> tuple[str, Path | None]:
    """``(store URL, database file or None)``: a path or ``sqlite:///path`` is a SQLite file;
    anything else with a scheme is a store URL."""
    text = os.fspath(path_or_url)
    if "://" not in text:
        return f"sqlite:///{text}", Path(text)
    scheme, _, rest = text.partition("://")
    if scheme.lower().split("+")[0] != "sqlite":
        return text, None
    if not rest.startswith("/") or rest in ("/", "/:memory:"):
        raise ValueError("expected a file path, a sqlite:///path URL or a store URL")
    return text, Path(rest[1:])


def _prepare_file(path: Path, overwrite: bool) -> None:
    leftovers = [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]
    if any(f.exists() for f in leftovers[:2]) and not overwrite:
        raise FileExistsError(str(path))
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)


def generate_province(
    path_or_url: str | os.PathLike[str],
    *,
    persons: int = 1_000_000,
    requests: int = 1_000_000,
    disputes: int = 200_000,
    seed: int = 2019,
    year: int = 2019,
    progress: ProgressCallback | None = None,
    overwrite: bool = False,
    workers: int | None = None,
    **options: Any,
) -> ProvinceSummary:
    """Fill a new store with a province-sized synthetic dataset over Jiangxi's real townships.

    Args:
        path_or_url: a SQLite database file (``"province.db"`` or ``sqlite:///path``; it must
            not exist unless ``overwrite``, then it is replaced), or the URL of an empty store
            (``postgresql+psycopg://…``, ``mysql+pymysql://…``, ``memory://NAME``).
        persons: ledger persons, each with one residence episode in a synthetic community
            under a township (urban 街道 are denser). About 40% are resident (常住) and 60%
            floating (流动); about 10% of floating persons left during the last three years;
            about 4% are 汉族 (``"01"``); a few percent lack a phone, an address, an ID number
            (some also birth date and gender) or an origin, so ledger completeness is not 100%;
            about 0.5% are duplicates already merged into another record. Arrivals are spread
            over 2010–``year``.
        requests: service requests received during ``year - 1`` and ``year`` at an open window
            of a township, the applicant a person of that township: about 90% accepted, 80%
            resolved (mostly on time), 60% of the resolved followed up with a satisfaction.
        disputes: disputes registered during ``year - 1`` and ``year`` at a township: about
            85% accepted for mediation, of those about 75% concluded (agreement or
            termination); some escalated to the county (the handling unit then is the
            county); about 5% involve ethnic factors, about 2% are mass disputes.
        seed: the same seed gives the same contents (UUIDs are UUIDv5 of the seed and index).
        year: the last year of the data; no event is later than the end of this year (CST).
        progress: called as ``progress(stage, done, total)`` after every chunk.
        overwrite: replace an existing SQLite file.
        workers: processes generating records while this one writes them (default: one less
            than the number of CPUs, at most 4; ``0``: generate here). The contents do not
            depend on it.
        options: passed to :func:`~minzu_core.store.open_store` (e.g. ``prefix="minzu_"`` for
            the SQL stores).

    Returns:
        what was written. A SQLite file opens with ``open_store("sqlite:///<path>")``.

    Raises:
        FileExistsError: the file exists and ``overwrite`` is false.
        ValueError: a negative size, requests or disputes without persons, or a store URL
            whose store already holds the province.
    """
    from minzu_core.store.factory import open_store

    if min(persons, requests, disputes) < 0:
        raise ValueError("sizes must not be negative")
    if persons == 0 and (requests or disputes):
        raise ValueError("requests and disputes need persons (their applicants and parties)")
    began = time.perf_counter()
    url, path = _target(path_or_url)
    if path is not None:
        _prepare_file(path, overwrite)
    report = progress or (lambda stage, done, total: None)
    if workers is None:
        workers = min(max((os.cpu_count() or 1) - 1, 0), 4)

    generator = _Generator(persons, seed, year)
    if requests and not generator.request_weights[-1]:
        raise ValueError("no township has both a service window and persons")
    sizes = {"persons": persons, "requests": requests, "disputes": disputes}
    tasks = [
        (stage, chunk, start, stop)
        for stage, total in sizes.items()
        for chunk, start, stop in _chunks(total)
    ]
    events = 0
    store = open_store(url, **options)
    try:
        with store.unit_of_work(_SYSTEM) as uow:
            if path is None and uow.units.find(generator.layout.base_units[0].code):
                raise ValueError(f"the store already holds {EDITION}: {store.backend.url}")
            fixed = generator.fixed()
            write_batch(uow.session, fixed)
            uow.commit()
            report("units", len(fixed.units), len(fixed.units))
            report("service_windows", len(fixed.windows), len(fixed.windows))
            for (stage, _, _, stop), batch in zip(
                tasks, _batches(generator, tasks, workers), strict=True
            ):
                write_batch(uow.session, batch)
                uow.commit()
                events += sum(len(r.events) for r, _ in batch.requests)
                events += sum(len(d.events) for d, _ in batch.disputes)
                report(stage, stop, sizes[stage])
        if isinstance(store.backend, Analyzable):
            store.backend.analyze()  # a bulk load leaves the planner without statistics
            report("analyze", 1, 1)
    except BaseException:
        store.close()
        if path is not None:
            _prepare_file(path, overwrite=True)  # never leave half a store behind
        raise
    store.close()
    layout = generator.layout
    return ProvinceSummary(
        path=str(path) if path is not None else store.backend.url,
        seed=seed,
        year=year,
        units=len(layout.base_units) + len(layout.communities),
        townships=len(layout.townships),
        windows=len(layout.windows),
        persons=persons,
        requests=requests,
        disputes=disputes,
        case_events=events,
        seconds=time.perf_counter() - began,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m minzu_core.demo.province PATH|URL [--persons N] [--requests N]
    [--disputes N] [--seed N] [--year N] [--workers N] [--overwrite]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m minzu_core.demo.province", description=main.__doc__
    )
    parser.add_argument(
        "path", help="the SQLite file to create, a sqlite:///path URL, or an empty store's URL"
    )
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--disputes", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--year", type=int, default=2019)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    shown: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        step = max(total // 10, 1)
        if done == total or done // step != shown.get(stage, -1):
            shown[stage] = done // step
            print(f"{stage:<16} {done:>9,} / {total:,}", flush=True)

    options = vars(args)  # persons, requests, disputes, seed, year, workers, overwrite
    summary = generate_province(options.pop("path"), **options, progress=progress)
    print(
        f"wrote {summary.path}: {summary.units:,} units, {summary.windows:,} windows, "
        f"{summary.persons:,} persons, {summary.requests:,} requests, "
        f"{summary.disputes:,} disputes, {summary.case_events:,} case events "
        f"in {summary.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
