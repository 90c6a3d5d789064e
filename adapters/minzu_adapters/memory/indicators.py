"""Indicator aggregates of the memory store (a mixin of
:class:`~minzu_adapters.memory.MemorySession`): Python over the session's view of the data,
through :mod:`minzu_core.indicators.rows` (the reference semantics of the aggregate port)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from minzu_core.activities.model import Activity, Enrollment, Honour, ServiceHours, TrainingCourse
from minzu_core.disputes.ports import DisputeIndex
from minzu_core.indicators.query import AggregateQuery, AggregateRow
from minzu_core.indicators.rows import PYTHON_ENTITIES, PythonData, entity_rows, evaluate
from minzu_core.organisation.model import (
    Appointment,
    Body,
    Official,
    ResponsibilityPolicy,
    Technician,
)
from minzu_core.organisation.ports import OrgQuery
from minzu_core.services.ports import WindowQuery

if TYPE_CHECKING:
    from minzu_core.disputes.model import Dispute

__all__ = ["IndicatorMemory"]


class IndicatorMemory:
    """The aggregate port of :class:`~minzu_adapters.memory.MemorySession`."""

    if TYPE_CHECKING:

        def _all_units(self) -> dict[str, Any]: ...

        def _all_persons(self) -> dict[Any, Any]: ...

        def _all_requests(self) -> list[tuple[Any, Any]]: ...

        def doc_all(self, kind: str) -> list[Any]: ...

        def org_get(self, cls: type[Any], key: str) -> Any: ...

        def org_query(self, cls: type[Any], query: OrgQuery) -> list[Any]: ...

        def query_windows(self, query: WindowQuery) -> list[Any]: ...

    def indicator_entities(self) -> frozenset[str]:
        """Every entity of the library's vocabulary."""
        return PYTHON_ENTITIES

    def _python_data(self) -> PythonData:
        def org(cls: type[Any]) -> Any:
            return lambda: self.org_query(cls, OrgQuery())

        def disputes() -> list[tuple[Dispute, DisputeIndex]]:
            return [(d, DisputeIndex.of(d)) for d in self.doc_all("dispute")]

        return PythonData(
            units=lambda: list(self._all_units().values()),
            persons=lambda: list(self._all_persons().values()),
            requests=self._all_requests,
            disputes=disputes,
            windows=lambda: self.query_windows(WindowQuery()),
            officials=org(Official),
            technicians=org(Technician),
            appointments=org(Appointment),
            activities=org(Activity),
            courses=org(TrainingCourse),
            enrollments=org(Enrollment),
            honours=org(Honour),
            bodies=org(Body),
            hours=org(ServiceHours),
            policy=lambda: self.org_get(ResponsibilityPolicy, ResponsibilityPolicy.KEY),
        )

    def aggregate(self, queries: Sequence[AggregateQuery]) -> list[list[AggregateRow]]:
        """Each query evaluated in Python over the rows this session sees."""
        data = self._python_data()
        cache: dict[tuple[str, Any], list[dict[str, Any]]] = {}
        results = []
        for query in queries:
            key = (query.measure.entity, query.end)
            if key not in cache:
                cache[key] = list(entity_rows(query.measure.entity, data, query.end))
            results.append(evaluate(query, cache[key]))
        return results
