"""The walking-skeleton demo (演示): Xihu District, Nanchang, as of 2019-12-16.

:func:`run_demo` builds the division hierarchy from the shipped 2019 NBS edition (Jiangxi,
Nanchang, Xihu District and its 12 township units), adds a few synthetic communities under each
township, fills a reproducible synthetic ledger and returns the per-township counts of minority
residents and minority floating population. Running it again on the same store adds nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date

import attrs

from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.demo.synthetic import synthetic_communities, synthetic_people
from minzu_core.hierarchy.editions import load_edition
from minzu_core.hierarchy.model import Unit
from minzu_core.ledger.model import ResidenceStatus
from minzu_core.privacy.actor import Actor
from minzu_core.store.factory import Store

__all__ = ["DEMO_AS_OF", "XIHU", "DemoResult", "TownshipRow", "run_demo"]

#: Xihu District, Nanchang (南昌市西湖区).
XIHU = DivisionCode.parse("360103")
#: The date of the seed report.
DEMO_AS_OF = date(2019, 12, 16)
_ACTOR = Actor.system("minzu-demo")
_REASON = "演示数据 demo data"


@attrs.frozen
class TownshipRow:
    """One township's counts as of the demo date."""

    code: str
    name: str
    minority_residents: int
    minority_floating: int


@attrs.frozen
class DemoResult:
    """What the demo built and counted."""

    rows: tuple[TownshipRow, ...]
    units_added: int
    persons_added: int
    persons_present: int  # already in the store from an earlier run

    @property
    def total_residents(self) -> int:
        """Minority residents over all townships."""
        return sum(r.minority_residents for r in self.rows)

    @property
    def total_floating(self) -> int:
        """Minority floating population over all townships."""
        return sum(r.minority_floating for r in self.rows)


def _xihu_units() -> list[Unit]:
    units = load_edition("jiangxi-2019")
    wanted = {XIHU.value, *(a.value for a in XIHU.ancestors())}
    return [
        attrs.evolve(u, valid_from=None)
        for u in units
        if u.code.value in wanted or XIHU.contains(u.code)
    ]


def run_demo(
    store: Store,
    *,
    seed: int = 2019,
    persons: int = 1500,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Build the demo on ``store`` and count, per township, the minority residents and minority
    floating population present on :data:`DEMO_AS_OF`. Idempotent for a given seed."""
    base = _xihu_units()
    townships = sorted((u for u in base if u.level is Level.TOWNSHIP), key=lambda u: u.code.value)
    communities = synthetic_communities(townships, seed=seed)
    units_added = 0
    with store.unit_of_work(_ACTOR) as uow:
        with uow.bulk():  # one write for all units (see minzu_core.store.bulk)
            for unit in sorted(base + communities, key=lambda u: (u.level.depth, u.code.value)):
                if not uow.units.versions(unit.code):
                    uow.units.add(unit, reason=_REASON)
                    units_added += 1
        uow.commit()

    added = present = 0
    batch = 500
    people = iter(synthetic_people(communities, persons, seed=seed, as_of=DEMO_AS_OF))
    with store.unit_of_work(_ACTOR) as uow:
        for start in range(0, persons, batch):
            with uow.bulk():  # every rule of people.add, one write per 500 persons
                for person in itertools.islice(people, batch):
                    number = person.id_number
                    taken = number is not None and uow.people.find_by_id_number(number)
                    if uow.people.find(person.id) is not None or taken:
                        present += 1
                    else:
                        uow.people.add(person, reason=_REASON)
                        added += 1
            uow.commit()
            if progress is not None:
                progress(min(start + batch, persons))

    rows = []
    with store.unit_of_work(_ACTOR) as uow:
        for township in townships:
            counts = {
                status: uow.people.count(
                    within=township.code, as_of=DEMO_AS_OF, status=status, minority=True
                )
                for status in ResidenceStatus
            }
            rows.append(
                TownshipRow(
                    code=township.code.short,
                    name=township.name,
                    minority_residents=counts[ResidenceStatus.RESIDENT],
                    minority_floating=counts[ResidenceStatus.FLOATING],
                )
            )
    return DemoResult(
        rows=tuple(rows), units_added=units_added, persons_added=added, persons_present=present
    )
