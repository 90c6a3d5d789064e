"""Demo and synthetic data (演示与合成数据): the Xihu District walking skeleton, its synthetic
year and the synthetic-people helpers. Never used by the domain itself.
"""

from __future__ import annotations

from minzu_core.demo.synthetic import (
    OCCUPATIONS,
    ORIGINS,
    RESIDENT_ETHNICITIES,
    synthetic_communities,
    synthetic_name,
    synthetic_people,
)
from minzu_core.demo.xihu import (
    DEMO_AS_OF,
    XIHU,
    DemoResult,
    TownshipRow,
    run_demo,
)
from minzu_core.demo.year import (
    DEMO_YEAR_CUTOFF,
    DEMO_YEAR_START,
    RECORD_KINDS,
    DemoYearCounts,
    DemoYearSummary,
    populate_demo_year,
)

__all__ = [
    "DEMO_AS_OF",
    "DEMO_YEAR_CUTOFF",
    "DEMO_YEAR_START",
    "OCCUPATIONS",
    "ORIGINS",
    "RECORD_KINDS",
    "RESIDENT_ETHNICITIES",
    "XIHU",
    "DemoResult",
    "DemoYearCounts",
    "DemoYearSummary",
    "TownshipRow",
    "populate_demo_year",
    "run_demo",
    "synthetic_communities",
    "synthetic_name",
    "synthetic_people",
]
