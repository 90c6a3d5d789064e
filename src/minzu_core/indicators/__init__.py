"""Indicators (指标): periods, definitions as data, results and charts (DESIGN §5).

* :mod:`~minzu_core.indicators.periods` — ``2019``, ``2019Q4``, ``2019-12``, ``2019-12-16`` and
  ``2019-01-01/2019-06-30``, with the previous period and the same period last year;
* :mod:`~minzu_core.indicators.definitions` — :class:`Indicator` and :class:`Measure`, declarative
  and JSON round-trippable, checked against the entity field registry;
* :mod:`~minzu_core.indicators.results` — :class:`ResultTable` (pandas, CSV, XLSX, Markdown,
  JSON), :func:`ratio`, :func:`suppress`, :func:`with_comparisons`;
* :mod:`~minzu_core.indicators.catalog` — the standard catalog of DESIGN §5 (:data:`CATALOG`);
* :mod:`~minzu_core.indicators.engine` — :func:`compute`: a request becomes one grouped
  aggregate query per measure and level, run inside the store (the port is
  :mod:`~minzu_core.indicators.query`; Python stores use :mod:`~minzu_core.indicators.rows`);
* :mod:`~minzu_core.indicators.charts` — PNG charts with Chinese labels (matplotlib optional;
  import it explicitly: ``from minzu_core.indicators import charts``).

pandas, openpyxl and matplotlib are optional: only the methods that need them import them.
"""

from minzu_core.indicators._common import MissingDependencyError
from minzu_core.indicators.catalog import (
    CATALOG,
    CATALOG_BY_ID,
    catalog_indicator,
    resolve_indicators,
)
from minzu_core.indicators.definitions import (
    DERIVED_FIELDS,
    ENTITY_FIELDS,
    ENTITY_UNIT_FIELDS,
    ORDERED_FIELDS,
    Aggregate,
    DateRole,
    Entity,
    Filter,
    Indicator,
    IndicatorKind,
    Measure,
    Op,
    check_supported,
    indicator_from_json,
    indicator_to_json,
    register_entity,
)
from minzu_core.indicators.engine import HierarchyMode, IndicatorRequest, compute
from minzu_core.indicators.periods import Period, PeriodKind, parse_period
from minzu_core.indicators.query import AggregateQuery, AggregateRow, Aggregating
from minzu_core.indicators.results import (
    COLUMNS,
    JSON_SCHEMA,
    JSON_VERSION,
    ResultRow,
    ResultTable,
    Status,
    TableMetadata,
    ratio,
    round_half_up,
    suppress,
    with_comparisons,
)

__all__ = [
    "CATALOG",
    "CATALOG_BY_ID",
    "COLUMNS",
    "DERIVED_FIELDS",
    "ENTITY_FIELDS",
    "ENTITY_UNIT_FIELDS",
    "JSON_SCHEMA",
    "JSON_VERSION",
    "ORDERED_FIELDS",
    "Aggregate",
    "AggregateQuery",
    "AggregateRow",
    "Aggregating",
    "DateRole",
    "Entity",
    "Filter",
    "HierarchyMode",
    "Indicator",
    "IndicatorKind",
    "IndicatorRequest",
    "Measure",
    "MissingDependencyError",
    "Op",
    "Period",
    "PeriodKind",
    "ResultRow",
    "ResultTable",
    "Status",
    "TableMetadata",
    "catalog_indicator",
    "check_supported",
    "compute",
    "indicator_from_json",
    "indicator_to_json",
    "parse_period",
    "ratio",
    "register_entity",
    "resolve_indicators",
    "round_half_up",
    "suppress",
    "with_comparisons",
]
