"""The aggregate-query port (聚合查询接口) between the indicator engine and a store.

The engine (:mod:`minzu_core.indicators.engine`) turns a request into :class:`AggregateQuery`
objects — one per measure and unit level — and hands them to the store's
``aggregate(queries)`` (see :class:`minzu_core.store.StoreSession`). The store answers each with
:class:`AggregateRow` objects, one per group that has rows. A store implements the semantics
documented in :mod:`minzu_core.indicators.definitions`; the grouping key is defined here.

Grouping key
------------
A row's *unit code* is the value of the measure's unit field (a 12-digit division code; a row
whose unit code is null is left out). Its key is:

* the first entry ``(prefix, target)`` of :attr:`AggregateQuery.remap` whose ``prefix`` the
  unit code starts with: ``target[:key_length]`` (the engine lists deeper prefixes first);
* otherwise ``unit_code[:key_length]``.

A row is considered only if its unit code starts with :attr:`AggregateQuery.scope` or with
one of the remap prefixes (the engine drops keys outside the scope afterwards). ``remap`` is
empty in the "as recorded" hierarchy mode; in the "mapped" mode it sends the codes of units
changed by recorded unit changes to the units that carry them on at the chosen date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol, runtime_checkable

import attrs

from minzu_core.codes.divisions import Level
from minzu_core.indicators.definitions import Measure

__all__ = [
    "AggregateColumns",
    "AggregateQuery",
    "AggregateRow",
    "Aggregating",
    "AggregatingColumns",
    "ListingUnits",
    "group_key",
]


@attrs.frozen
class AggregateQuery:
    """One grouped aggregate a store computes (see the module docstring).

    Attributes:
        measure: what to aggregate (entity, aggregate, filters, period role).
        start: the period's first day.
        end: the period's last day; "as of" fields are evaluated on it.
        start_at: the period's first instant (CST midnight of ``start``).
        end_at: the instant after the period (CST midnight after ``end``).
        key_length: how many leading digits of the unit code form the group key.
        scope: the code prefix (significant digits) of the scope unit; ``""`` for everything.
        remap: ``(prefix, target)`` pairs, deepest prefix first (see the module docstring).
        breakdown: a field to group by as well, or ``None``.
    """

    measure: Measure
    start: date
    end: date
    start_at: datetime
    end_at: datetime
    key_length: int
    scope: str = ""
    remap: tuple[tuple[str, str], ...] = ()
    breakdown: str | None = None

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The code prefixes a row must start with to be considered."""
        if not self.scope:
            return ("",)
        return (self.scope, *(prefix for prefix, _ in self.remap))


@attrs.frozen
class AggregateRow:
    """One group's aggregate: ``key`` (a ``key_length``-digit code prefix), the breakdown
    ``group`` (text, or ``None`` without a breakdown), ``value`` and ``count``.

    * ``count``: ``value`` = ``count`` = number of rows;
    * ``count_distinct``: ``value`` = number of distinct non-null values, ``count`` = rows;
    * ``sum``: ``value`` = sum of the non-null values (0 if all are null), ``count`` = rows;
    * ``average``: ``value`` = *sum* of the non-null values, ``count`` = how many there are —
      the engine divides, after adding groups up the hierarchy.
    """

    key: str
    group: str | None
    value: float
    count: int


@attrs.frozen
class AggregateColumns:
    """One query's answer column by column: what a list of :class:`AggregateRow` says, without
    an object per group (the four sequences have one entry per group, in the rows' order).

    Attributes:
        keys: the groups' keys.
        groups: their breakdown groups (``None`` entries without a breakdown).
        values: their values (floats).
        counts: their counts (ints).
    """

    keys: Sequence[str]
    groups: Sequence[str | None]
    values: Sequence[float]
    counts: Sequence[int]

    @classmethod
    def of(cls, rows: Sequence[AggregateRow]) -> AggregateColumns:
        """The columns of ``rows``."""
        return cls(
            [r.key for r in rows],
            [r.group for r in rows],
            [r.value for r in rows],
            [r.count for r in rows],
        )

    def rows(self) -> list[AggregateRow]:
        """The answer as :class:`AggregateRow` objects."""
        return [
            AggregateRow(key, group, value, count)
            for key, group, value, count in zip(
                self.keys, self.groups, self.values, self.counts, strict=True
            )
        ]


def group_key(code: str, key_length: int, remap: Sequence[tuple[str, str]] = ()) -> str:
    """The grouping key of a unit code (see the module docstring)."""
    for prefix, target in remap:
        if code.startswith(prefix):
            return target[:key_length]
    return code[:key_length]


@runtime_checkable
class Aggregating(Protocol):
    """What a store session offers the indicator engine."""

    def indicator_entities(self) -> frozenset[str]:
        """The entities this store can aggregate."""
        ...

    def aggregate(self, queries: Sequence[AggregateQuery]) -> list[list[AggregateRow]]:
        """The rows of each query, in order (a SQL store runs the queries that read the same
        rows as one statement)."""
        ...


@runtime_checkable
class ListingUnits(Protocol):
    """What a store session may offer the engine as well (optional): the units it lists, as
    plain rows. The engine then reads the breakdown's units and those above it once per call,
    without building :class:`~minzu_core.hierarchy.Unit` objects; a session without it is read
    through ``uow.units``."""

    def indicator_units(
        self, prefix: str, levels: Sequence[Level], as_of: date
    ) -> list[tuple[str, str, str]]:
        """``(code, name, level value)`` of every unit whose code starts with ``prefix``, at one
        of ``levels`` and valid on ``as_of``, ordered by code (as
        ``uow.units.list(within=…, level=…, as_of=as_of)`` lists them)."""
        ...


@runtime_checkable
class AggregatingColumns(Protocol):
    """What a store session may offer the engine instead of ``aggregate`` (optional): the same
    answers as :class:`AggregateColumns`, so that a large answer costs no object per group."""

    def aggregate_columns(self, queries: Sequence[AggregateQuery]) -> list[AggregateColumns]:
        """The answer of each query, in order: what ``aggregate`` returns, column by column."""
        ...
