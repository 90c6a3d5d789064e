"""Indicator tests of the storage contract suite (mixed into :class:`StoreContract`).

Every store must answer the aggregate port (:class:`minzu_core.indicators.Aggregating`) with
the semantics of :mod:`minzu_core.indicators.definitions`; these tests check the essentials on
the contract's sample hierarchy. ``tests/contract/test_indicator_check.py`` of the project checks
every catalog indicator against a plain-Python evaluation on random data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pytest

from minzu_core.activities.model import Activity
from minzu_core.errors import ValidationError
from minzu_core.indicators import (
    DERIVED_FIELDS,
    ENTITY_FIELDS,
    ENTITY_UNIT_FIELDS,
    Indicator,
    Measure,
    Status,
    compute,
    register_entity,
)
from minzu_core.ledger.model import ResidenceStatus
from minzu_core.privacy.actor import Actor
from minzu_core.store.factory import Store
from minzu_core.store.uow import UnitOfWork
from minzu_core.testing.samples import sample_person

__all__ = ["IndicatorContract", "add_activities"]

_ADMIN = Actor.system("contract-admin")


def add_activities(
    uow: UnitOfWork,
    activities: Iterable[tuple[str, str, int]],
    *,
    start: date,
    title: str,
    reason: str,
) -> None:
    """Add one activity per ``(organiser code, type, participants)``, all starting on ``start``."""
    for organiser, kind, people in activities:
        activity = Activity(
            type=kind, organiser_code=organiser, title=title, start=start, participants=people
        )
        uow.activities.add(activity, reason=reason)


def _values(store: Store, **request: Any) -> dict[tuple[str, str, str | None], Any]:
    with store.unit_of_work(_ADMIN) as uow:
        table = compute(uow, **request)
    return {(r.indicator_id, r.unit_code, r.breakdown): r for r in table.rows}


class IndicatorContract:
    """Indicators: the aggregate port, freshness, statuses and unsupported entities."""

    def _indicator_data(self, store: Store) -> None:

        with store.unit_of_work(_ADMIN) as uow:
            for seq, (unit, status, ethnicity) in enumerate(
                [
                    ("360103001001", ResidenceStatus.FLOATING, "05"),
                    ("360103001002", ResidenceStatus.RESIDENT, "03"),
                    ("360103101001", ResidenceStatus.FLOATING, "03"),
                    ("360103101200", ResidenceStatus.RESIDENT, "01"),
                ],
                start=1,
            ):
                uow.people.add(
                    sample_person(unit=unit, status=status, ethnicity=ethnicity, seq=seq),
                    reason="契约测试数据",
                )
            add_activities(
                uow,
                [
                    ("360103001000", "safety_education", 30),
                    ("360103001001", "other", 12),
                    ("360103101200", "safety_education", 8),
                ],
                start=date(2019, 5, 1),
                title="契约活动",
                reason="契约测试数据",
            )
            uow.commit()

    def test_indicators_by_township_and_village(self, store: Store) -> None:
        self._indicator_data(store)
        rows = _values(store, period="2019", unit="360103", by="township")
        assert rows[("minority_floating", "360103000000", None)].value == 2
        assert rows[("minority_floating", "360103001000", None)].value == 1
        assert rows[("minority_residents", "360103101000", None)].value == 0  # 汉族 only
        assert rows[("safety_education_activities", "360103000000", None)].value == 2
        assert rows[("activity_participants", "360103001000", None)].value == 42
        assert rows[("activities_held", "360103101000", "safety_education")].value == 1
        ledger = rows[("ledger_completeness", "360103000000", None)]
        assert (ledger.numerator, ledger.denominator, ledger.value) == (4, 4, 100)
        villages = _values(store, period="2019", unit="360103101", by="village")
        assert villages[("activity_participants", "360103101200", None)].value == 8
        assert villages[("minority_floating", "360103101001", None)].value == 1

    def test_no_denominator_and_zero_are_different(self, store: Store) -> None:
        rows = _values(store, period="2019", unit="360103", by="township")
        rate = rows[("service_resolution_rate", "360103001000", None)]
        assert rate.status is Status.NO_DENOMINATOR and rate.value is None
        count = rows[("disputes_registered", "360103001000", None)]
        assert count.status is Status.OK and count.value == 0

    def test_results_include_this_unit_of_works_changes(self, store: Store) -> None:
        self._indicator_data(store)

        with store.unit_of_work(_ADMIN) as uow:
            uow.people.add(sample_person(unit="360103001002", seq=77), reason="契约测试数据")
            table = compute(uow, period="2019", unit="360103001", indicators=["minority_floating"])
            assert table.rows[0].value == 2
            uow.rollback()
        after = _values(store, period="2019", unit="360103001", indicators=["minority_floating"])
        assert after[("minority_floating", "360103001000", None)].value == 1

    def test_user_indicator_count_distinct_per_level(self, store: Store) -> None:
        self._indicator_data(store)
        kinds = Indicator(
            "contract_activity_kinds",
            "活动类型数",
            "activity kinds",
            Measure.flow("activity", "start", aggregate="count_distinct", field="type"),
        )
        rows = _values(
            store,
            period="2019",
            unit="360103",
            by="township",
            indicators=[kinds.id],
            extra=[kinds],
        )
        assert rows[(kinds.id, "360103000000", None)].value == 2
        assert rows[(kinds.id, "360103001000", None)].value == 2
        assert rows[(kinds.id, "360103101000", None)].value == 1

    def test_an_entity_the_store_does_not_know_is_refused(self, store: Store) -> None:
        with store.unit_of_work(_ADMIN) as uow:
            assert {"person", "service_request", "dispute", "unit"} <= set(
                uow.session.indicator_entities()
            )
        registries = (ENTITY_FIELDS, ENTITY_UNIT_FIELDS, DERIVED_FIELDS)
        register_entity("contract_parcel", ["id", "day", "unit_code"], unit_field="unit_code")
        try:
            parcels = Indicator(
                "contract_parcels", "包裹", "parcels", Measure.flow("contract_parcel", "day")
            )
            with store.unit_of_work(_ADMIN) as uow, pytest.raises(ValidationError) as caught:
                compute(uow, period="2019", indicators=[parcels])
            assert caught.value.code == "unsupported_entity"
        finally:  # the vocabulary is process-wide: leave it as it was
            for registry in registries:
                registry.pop("contract_parcel", None)
