"""Indicator aggregates of the memory store: Python over the session's view of the data, through
:mod:`minzu_core.indicators.rows` (the reference semantics of the aggregate port)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minzu_adapters.memory.disputes import DISPUTES
from minzu_adapters.memory.hierarchy import UNITS
from minzu_adapters.memory.ledger import PERSONS
from minzu_adapters.memory.organisation import OrganisationMemory
from minzu_adapters.memory.services import REQUESTS, ServicesMemory
from minzu_core.activities.model import Activity, Enrollment, Honour, ServiceHours, TrainingCourse
from minzu_core.disputes.model import Dispute
from minzu_core.disputes.ports import DisputeIndex
from minzu_core.indicators.query import AggregateQuery, AggregateRow
from minzu_core.indicators.rows import PYTHON_ENTITIES, PythonData, entity_rows, evaluate
from minzu_core.organisation.bodies import Body
from minzu_core.organisation.cadres import Official, Technician
from minzu_core.organisation.ports import OrgQuery
from minzu_core.organisation.responsibility import Appointment, ResponsibilityPolicy
from minzu_core.services.model import ServiceRequest
from minzu_core.services.ports import RequestIndex, WindowQuery

__all__ = ["IndicatorMemory"]


class IndicatorMemory(ServicesMemory, OrganisationMemory):
    """The aggregate port on the document layer."""

    def indicator_entities(self) -> frozenset[str]:
        """Every entity of the library's vocabulary."""
        return PYTHON_ENTITIES

    def _python_data(self) -> PythonData:
        def org(cls: type[Any]) -> Any:
            return lambda: self.org_query(cls, OrgQuery())

        def requests() -> list[tuple[ServiceRequest, RequestIndex]]:
            return [(e.request, e.index) for e in self.doc_all(REQUESTS)]

        def disputes() -> list[tuple[Dispute, DisputeIndex]]:
            return [(d, DisputeIndex.of(d)) for d in self.doc_all(DISPUTES)]

        return PythonData(
            units=lambda: self.doc_all(UNITS),
            persons=lambda: self.doc_all(PERSONS),
            requests=requests,
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
