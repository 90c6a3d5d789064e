"""SQL storage of disputes (a mixin of :class:`~minzu_adapters.sql.store.SqlSession`).

The values derived from a dispute's history (state, handling unit, acceptance, due and
conclusion times, outcome, number of escalations) are kept in indexed columns, so every filter
of :class:`~minzu_core.disputes.DisputeQuery` is a ``WHERE`` clause; the events live in the shared,
append-only ``case_events`` table.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, and_, or_

from minzu_adapters.sql.cases import CaseEventStorage, CaseKind
from minzu_adapters.sql.errors import duplicate_id
from minzu_adapters.sql.session import prefix_match
from minzu_core.disputes.model import OPEN_STATES, Dispute, Party
from minzu_core.disputes.ports import DisputeIndex, DisputeQuery
from minzu_core.lifecycle import Event
from minzu_core.serialization import structure, unstructure

__all__ = ["DISPUTE_CASE", "DisputeStorage", "dispute_data"]

#: The ``case_type`` of a dispute's events.
DISPUTE_CASE = "dispute"


def dispute_data(d: Dispute, index: DisputeIndex) -> dict[str, Any]:
    """The ``disputes`` column values of ``d`` and its derived ``index``."""
    return {
        "id": str(d.id),
        "origin_unit": d.origin_unit.value,
        "category": d.category.value,
        "severity": d.severity.value,
        "source": d.source.value,
        "referred_by": d.referred_by,
        "ethnic_factor": d.ethnic_factor,
        "mass": d.mass,
        "narrative": d.narrative,
        "parties": unstructure(d.parties),
        "mediators": list(d.mediators),
        "registered_at": d.registered_at,
        "version": d.version,
        **unstructure(index),
    }


def _dispute_from(m: RowMapping, events: list[Event]) -> Dispute:
    return Dispute(
        origin_unit=m["origin_unit"],
        parties=structure(m["parties"], tuple[Party, ...]),
        category=m["category"],
        severity=m["severity"],
        source=m["source"],
        registered_at=m["registered_at"],
        events=events,
        ethnic_factor=bool(m["ethnic_factor"]),
        mass=bool(m["mass"]),
        referred_by=m["referred_by"],
        narrative=m["narrative"],
        mediators=m["mediators"],
        id=m["id"],
        version=m["version"],
    )


_DISPUTES: CaseKind[Dispute, DisputeIndex] = CaseKind(
    table="disputes",
    case_type=DISPUTE_CASE,
    what="dispute",
    on_duplicate=duplicate_id("纠纷", "dispute"),
    data=dispute_data,
    build=_dispute_from,
    order=("registered_at", "id"),
)


class DisputeStorage(CaseEventStorage):
    """The dispute primitives of :class:`~minzu_adapters.sql.store.SqlSession`."""

    def _dispute_row(self, d: Dispute, index: DisputeIndex) -> dict[str, Any]:
        return self._case_row(_DISPUTES, d, index)

    def get_dispute(self, dispute_id: uuid.UUID) -> Dispute | None:
        """The dispute with this id and its events, or ``None``."""
        return self._get_case(_DISPUTES, dispute_id)

    def insert_dispute(self, dispute: Dispute, index: DisputeIndex) -> None:
        """Store a new dispute and its events."""
        self._insert_case(_DISPUTES, dispute, index)

    def update_dispute(self, dispute: Dispute, index: DisputeIndex, expected_version: int) -> None:
        """Update the derived columns and append the new events, version-checked."""
        self._update_case(_DISPUTES, dispute, index, expected_version)

    def _dispute_conditions(self, q: DisputeQuery) -> list[ColumnElement[bool]]:
        t = self._t.disputes
        conds: list[ColumnElement[bool]] = []
        if q.prefixes is not None:
            conds.append(
                or_(
                    prefix_match(t.c.handling_unit, q.prefixes),
                    prefix_match(t.c.origin_unit, q.prefixes),
                )
            )
        if q.handling_prefixes is not None:
            conds.append(prefix_match(t.c.handling_unit, q.handling_prefixes))
        if q.states is not None:
            conds.append(t.c.state.in_(sorted(q.states)))
        if q.category is not None:
            conds.append(t.c.category == q.category.value)
        if q.severity is not None:
            conds.append(t.c.severity == q.severity.value)
        if q.ethnic_factor is not None:
            conds.append(t.c.ethnic_factor == q.ethnic_factor)
        if q.mass is not None:
            conds.append(t.c.mass == q.mass)
        if q.escalated is not None:
            conds.append(t.c.escalations > 0 if q.escalated else t.c.escalations == 0)
        if q.registered_from is not None:
            conds.append(t.c.registered_at >= q.registered_from)
        if q.registered_to is not None:
            conds.append(t.c.registered_at < q.registered_to)
        if q.concluded_from is not None:
            conds.append(t.c.concluded_at >= q.concluded_from)
        if q.concluded_to is not None:
            conds.append(t.c.concluded_at < q.concluded_to)
        if q.overdue_at is not None:
            conds.append(t.c.state.in_(sorted(OPEN_STATES)))
            conds.append(t.c.due_at < q.overdue_at)
        return [and_(*conds)] if conds else []

    def query_disputes(self, query: DisputeQuery) -> list[Dispute]:
        """Disputes matching ``query`` by registration time then id (2 statements)."""
        conditions = self._dispute_conditions(query)
        return self._query_cases(_DISPUTES, conditions, query.limit, query.offset)

    def count_disputes(self, query: DisputeQuery) -> int:
        """How many disputes match ``query``: one ``SELECT count(*)``."""
        return self._count(self._t.disputes, self._dispute_conditions(query))
