"""The shared, append-only event history of every case (``case_events``), and the storage
steps the case mixins (:mod:`~minzu_adapters.sql.services`, :mod:`~minzu_adapters.sql.disputes`)
have in common: a case row is stored with its events, updated with the events appended, and
read back page by page with the events of the page fetched in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, RowMapping, Table, func, insert, select

from minzu_adapters.sql.errors import DuplicateFactory
from minzu_adapters.sql.session import SessionCore
from minzu_core.lifecycle import Event
from minzu_core.serialization import unstructure

__all__ = ["CaseEventStorage"]

CaseT = TypeVar("CaseT")


class CaseEventStorage(SessionCore):
    """Reading and appending case events; the ``(case_id, seq)`` primary key makes rewriting an
    existing event impossible."""

    def _event_rows(
        self, case_type: str, case_id: str, events: Sequence[Event], start: int
    ) -> list[dict[str, Any]]:
        """Rows for ``events[start:]``, numbered from ``start``."""
        return [
            self._bind(
                self._t.case_events,
                {"case_id": case_id, "seq": seq, "case_type": case_type, **unstructure(event)},
                "events.",
            )
            for seq, event in enumerate(events[start:], start=start)
        ]

    def _load_events(self, case_ids: Sequence[str]) -> dict[str, list[Event]]:
        """The events of several cases, in ONE statement, in order."""
        e = self._t.case_events
        found: dict[str, list[Event]] = {i: [] for i in case_ids}
        if not case_ids:
            return found
        stmt = select(e).where(e.c.case_id.in_(list(case_ids))).order_by(e.c.case_id, e.c.seq)
        for row in self._all(stmt):
            m = row._mapping
            found[m["case_id"]].append(
                Event(m["action"], m["at"], m["actor_id"], m["note"], m["data"])
            )
        return found

    def _insert_events(
        self, conn: Connection, case_type: str, case_id: str, events: Sequence[Event]
    ) -> None:
        """Insert every event of a new case."""
        conn.execute(insert(self._t.case_events), self._event_rows(case_type, case_id, events, 0))

    def _append_events(
        self, conn: Connection, case_type: str, case_id: str, events: Sequence[Event]
    ) -> None:
        """Insert the events after the ones already stored (append-only)."""
        e = self._t.case_events
        stored = conn.execute(
            select(func.count()).select_from(e).where(e.c.case_id == case_id)
        ).scalar_one()
        rows = self._event_rows(case_type, case_id, events, int(stored))
        if rows:
            conn.execute(insert(e), rows)

    # -- case rows -----------------------------------------------------------------------------
    def _load_cases(
        self, rows: Sequence[Row[Any]], build: Callable[[RowMapping, list[Event]], CaseT]
    ) -> list[CaseT]:
        """Cases from their ``rows`` (``build`` makes one from its row and its events), the
        events of all of them fetched in ONE statement."""
        if not rows:
            return []
        events = self._load_events([r._mapping["id"] for r in rows])
        return [build(r._mapping, events[r._mapping["id"]]) for r in rows]

    def _get_case(
        self,
        table: Table,
        case_id: uuid.UUID,
        build: Callable[[RowMapping, list[Event]], CaseT],
    ) -> CaseT | None:
        """The case of ``table`` with this id and its events, or ``None``."""
        rows = self._all(select(table).where(table.c.id == str(case_id)))
        found = self._load_cases(rows, build)
        return found[0] if found else None

    def _insert_case(
        self,
        table: Table,
        case_type: str,
        row: Mapping[str, Any],
        events: Sequence[Event],
        on_duplicate: DuplicateFactory,
    ) -> None:
        """Store a new case row and its events, atomically."""
        with self._write(on_duplicate, several=True) as conn:
            conn.execute(insert(table), dict(row))
            self._insert_events(conn, case_type, row["id"], events)

    def _update_case(
        self,
        what: str,
        table: Table,
        case_type: str,
        row: dict[str, Any],
        events: Sequence[Event],
        expected_version: int,
    ) -> None:
        """Update a case row (keyed by its ``id``, version-checked) and append its new events,
        atomically."""
        case_id = row.pop("id")
        with self._versioned_update(
            what, table.c.id, case_id, row, expected_version, several=True
        ) as conn:
            self._append_events(conn, case_type, case_id, events)
