"""Indicators for Xihu District as an analyst or an embedding app computes them (指标计算示例).

Run: python examples/indicator_report.py [STORE_URL]      (default: memory://)

Builds the demo — Xihu District as of 2019-12-16 with a synthetic year of every record kind
(`minzu_core.demo.run_demo`, `minzu_core.demo.populate_demo_year`) — and then:

1. computes the standard catalog for 2019-01-01 … 2019-12-16 by township and prints the seed's
   figures (window coverage, minority cadres and technicians, safety education);
2. defines two indicators of its own — the share of accepted requests whose applicant belongs to
   a minority, and disputes by the unit now handling them — and computes them beside the
   catalog without touching the engine;
3. compares the fourth quarter with the third (环比) with disclosure control for publication;
4. writes the results as JSON (the documented schema) and, when the optional ``indicators``
   extra is installed, as a pandas frame.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

from minzu_core import CST, Actor, FixedClock, open_store
from minzu_core.demo import populate_demo_year, run_demo
from minzu_core.indicators import (
    Filter,
    Indicator,
    IndicatorRequest,
    Measure,
    MissingDependencyError,
    compute,
)
from minzu_core.privacy import ANALYST

XIHU = "360103"
SEED_FIGURES = (
    "window_coverage",
    "minority_cadres_deputy_section_plus",
    "minority_professionals_intermediate_plus",
    "safety_education_activities",
    "responsibility_coverage",
)

#: 少数民族申请人占比: accepted requests whose applicant is a minority ledger person.
MINORITY_APPLICANTS = Indicator(
    "minority_applicant_share",
    "少数民族申请人占比",
    "share of requests from minority applicants",
    Measure.flow("service_request", "accepted_at", Filter("applicant.is_minority", "eq", True)),
    Measure.flow("service_request", "accepted_at"),
    factor=100,
    decimals=1,
)
#: 在办纠纷 (按当前承办单位): disputes registered in the period, by the unit handling them now.
DISPUTES_BY_HANDLER = Indicator(
    "disputes_by_handling_unit",
    "矛盾纠纷受理数 (按承办单位)",
    "disputes registered, by handling unit",
    Measure.flow("dispute", "registered_at", unit_field="handling_unit"),
)


def main(url: str = "memory://") -> None:
    """Build the demo on the store at ``url`` and compute its indicators."""
    store = open_store(url, clock=FixedClock(datetime(2019, 12, 16, 18, 0, tzinfo=CST)))
    run_demo(store, persons=600)
    populate_demo_year(store)
    analyst = Actor.for_units("xihu-analyst", XIHU, roles={ANALYST})
    # A request reused below with other indicators or another period (``compute(uow, request,
    # **changes)``): the district and each of its townships, over 2019 up to the report date.
    by_township = IndicatorRequest(period="2019-01-01/2019-12-16", unit=XIHU, by="township")

    with store.unit_of_work(analyst) as uow:
        year = compute(uow, by_township)
    district = {r.indicator_id: r for r in year.rows if r.unit_code == "360103000000"}
    print(f"{year.metadata.title_zh} — {len(year.rows)} rows")
    for indicator_id in SEED_FIGURES:
        row = district[indicator_id]
        print(f"  {row.indicator_name_zh} {row.indicator_name_en}: {row.value:.{row.decimals}f}")

    with store.unit_of_work(analyst) as uow:
        own = compute(
            uow,
            by_township,
            indicators=[MINORITY_APPLICANTS.id, DISPUTES_BY_HANDLER.id, "disputes_registered"],
            extra=[MINORITY_APPLICANTS, DISPUTES_BY_HANDLER],
        )
    shares = {r.unit_name: r for r in own.rows if r.indicator_id == MINORITY_APPLICANTS.id}
    total = shares["西湖区"]
    print(
        f"{MINORITY_APPLICANTS.name_zh}: {total.value}% "
        f"({total.numerator:.0f} of {total.denominator:.0f} accepted requests)"
    )
    handled = sum(
        r.value or 0
        for r in own.rows
        if r.indicator_id == DISPUTES_BY_HANDLER.id and r.unit_code != "360103000000"
    )
    arose = next(
        r.value
        for r in own.rows
        if r.indicator_id == "disputes_registered" and r.unit_code == "360103000000"
    )
    print(f"disputes: {arose:.0f} registered; {handled:.0f} handled by a township (the rest above)")

    with store.unit_of_work(analyst) as uow:
        quarter = compute(
            uow,
            by_township,
            period="2019Q4",
            indicators=["service_requests", "activities_held"],
            suppress_below=5,
            comparisons=True,
        )
    row = next(
        r
        for r in quarter.rows
        if r.indicator_id == "service_requests" and r.unit_code == "360103000000"
    )
    hidden = sum(1 for r in quarter.rows if r.status.value == "suppressed")
    print(
        f"2019Q4 requests accepted: {row.value:.0f} (Q3 {row.previous_value:.0f}, change "
        f"{row.previous_change_pct}%); {hidden} small counts suppressed for publication"
    )

    document = json.loads(quarter.to_json())
    print(f"JSON: schema {document['schema']} v{document['version']}, {len(document['rows'])} rows")
    try:
        frame = year.to_pandas()
    except MissingDependencyError:
        print("pandas: not installed (pip install 'minzu-core[indicators]')")
    else:
        print(f"pandas: {frame.shape[0]} rows × {frame.shape[1]} columns")
    store.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "memory://")
