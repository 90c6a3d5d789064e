"""SQL storage of disputes (a mixin of :class:`~minzu_adapters.sql.backend.SqlSession`).

The values derived from a dispute's history (state, handling unit, acceptance, due and
conclusion times, outcome, number of escalations) are kept in indexed columns, so every filter
of :class:`~minzu_core.disputes.DisputeQuery` is a ``WHERE`` clause; the events live in the shared,
append-only ``case_events`` table.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    Table,
    and_,
    func,
    insert,
    or_,
    select,
)

from minzu_adapters.sql.cases import CaseEventStorage
from minzu_core.disputes.model import OPEN_STATES, Dispute, Party
from minzu_core.disputes.ports import DisputeIndex, DisputeQuery
from minzu_core.errors import DuplicateError
from minzu_core.serialization import structure, unstructure

if TYPE_CHECKING:
    from minzu_adapters.sql.errors import DuplicateFactory
    from minzu_adapters.sql.schema import Tables

__all__ = ["DisputeStorage", "dispute_data"]

DISPUTE_CASE = "dispute"


def _duplicate() -> DuplicateError:
    return DuplicateError(
        "纠纷标识重复", "a dispute with this id exists", code="duplicate_id", field="id"
    )


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


class DisputeStorage(CaseEventStorage):
    """The dispute primitives of :class:`~minzu_adapters.sql.backend.SqlSession`."""

    if TYPE_CHECKING:
        _t: Tables

        def _all(self, stmt: Select[Any]) -> Sequence[Row[Any]]: ...

        def _write(
            self, on_duplicate: DuplicateFactory | None, *, several: bool = False
        ) -> AbstractContextManager[Connection]: ...

        def _bind(
            self, table: Table, data: Mapping[str, Any], field_prefix: str = ""
        ) -> dict[str, Any]: ...

        def _versioned_update(
            self,
            what: str,
            key_column: Any,
            key: str,
            row: Mapping[str, Any],
            expected_version: int,
            on_duplicate: DuplicateFactory | None = None,
            *,
            several: bool = False,
        ) -> AbstractContextManager[Connection]: ...

    def _dispute_row(self, d: Dispute, index: DisputeIndex) -> dict[str, Any]:
        return self._bind(self._t.disputes, dispute_data(d, index))

    def _load_disputes(self, rows: Sequence[Row[Any]]) -> list[Dispute]:
        """Disputes for ``rows`` with their events fetched in ONE statement."""
        if not rows:
            return []
        events = self._load_events([r._mapping["id"] for r in rows])
        found = []
        for row in rows:
            m = row._mapping
            found.append(
                Dispute(
                    origin_unit=m["origin_unit"],
                    parties=structure(m["parties"], tuple[Party, ...]),
                    category=m["category"],
                    severity=m["severity"],
                    source=m["source"],
                    registered_at=m["registered_at"],
                    events=events[m["id"]],
                    ethnic_factor=bool(m["ethnic_factor"]),
                    mass=bool(m["mass"]),
                    referred_by=m["referred_by"],
                    narrative=m["narrative"],
                    mediators=m["mediators"],
                    id=m["id"],
                    version=m["version"],
                )
            )
        return found

    def get_dispute(self, dispute_id: uuid.UUID) -> Dispute | None:
        """The dispute with this id and its events, or ``None``."""
        t = self._t.disputes
        found = self._load_disputes(self._all(select(t).where(t.c.id == str(dispute_id))))
        return found[0] if found else None

    def insert_dispute(self, dispute: Dispute, index: DisputeIndex) -> None:
        """Store a new dispute and its events."""
        row = self._dispute_row(dispute, index)
        with self._write(_duplicate, several=True) as conn:
            conn.execute(insert(self._t.disputes), row)
            self._insert_events(conn, DISPUTE_CASE, row["id"], dispute.events)

    def update_dispute(self, dispute: Dispute, index: DisputeIndex, expected_version: int) -> None:
        """Update the derived columns and append the new events, version-checked."""
        t = self._t.disputes
        row = self._dispute_row(dispute, index)
        did = row.pop("id")
        with self._versioned_update(
            "dispute", t.c.id, did, row, expected_version, several=True
        ) as conn:
            self._append_events(conn, DISPUTE_CASE, did, dispute.events)

    def _dispute_conditions(self, q: DisputeQuery) -> list[ColumnElement[bool]]:
        from minzu_adapters.sql.backend import _prefix_match

        t = self._t.disputes
        conds: list[ColumnElement[bool]] = []
        if q.prefixes is not None:
            conds.append(
                or_(
                    _prefix_match(t.c.handling_unit, q.prefixes),
                    _prefix_match(t.c.origin_unit, q.prefixes),
                )
            )
        if q.handling_prefixes is not None:
            conds.append(_prefix_match(t.c.handling_unit, q.handling_prefixes))
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
        if query.limit is not None and query.limit <= 0:
            return []
        t = self._t.disputes
        stmt = (
            select(t)
            .where(*self._dispute_conditions(query))
            .order_by(t.c.registered_at, t.c.id)
            .limit(query.limit)
            .offset(max(query.offset, 0) or None)
        )
        return self._load_disputes(self._all(stmt))

    def count_disputes(self, query: DisputeQuery) -> int:
        """How many disputes match ``query``: one ``SELECT count(*)``."""
        t = self._t.disputes
        stmt = select(func.count()).select_from(t).where(*self._dispute_conditions(query))
        return int(self._all(stmt)[0][0])
