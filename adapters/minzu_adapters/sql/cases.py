"""The shared, append-only event history of every case (``case_events``), and the storage
steps the case mixins (:mod:`~minzu_adapters.sql.services`, :mod:`~minzu_adapters.sql.disputes`)
have in common: a case row is stored with its events, updated with the events appended, and
read back page by page with the events of the page fetched in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import attrs
from sqlalchemy import ColumnElement, Connection, Row, RowMapping, Table, func, insert, select

from minzu_adapters.sql.errors import DuplicateFactory
from minzu_adapters.sql.session import SessionCore
from minzu_core.lifecycle import Event
from minzu_core.serialization import unstructure

__all__ = ["CaseEventStorage", "CaseKind"]


class _Case(Protocol):
    """What the case steps read of a case (a service request, a dispute)."""

    @property
    def events(self) -> Sequence[Event]: ...


CaseT = TypeVar("CaseT", bound=_Case)
IndexT = TypeVar("IndexT")


@attrs.frozen
class CaseKind(Generic[CaseT, IndexT]):
    """How one kind of case is stored: its table, the ``case_type`` of its events, its name in
    stale-version errors, the error for a duplicate id, its column values (from the case and its
    derived index), the case from its row and events, and the order of its listings."""

    table: str  # attribute of Tables
    case_type: str
    what: str
    on_duplicate: DuplicateFactory
    data: Callable[[CaseT, IndexT], dict[str, Any]]
    build: Callable[[RowMapping, list[Event]], CaseT]
    order: tuple[str, ...]


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
        events of all of them fetched in ONE statement.

        The events are read by a second statement, which under READ COMMITTED may already see
        the events of a change committed after the rows were read. A case's version is the
        number of its events (every stored change appends exactly one), so each case keeps the
        first ``version`` events: the case as of its row, whose version a later write then
        checks (found by 8 concurrent writers on MariaDB: without it an action on such a mixed
        read failed with ``event_before_previous`` instead of the stale-version error)."""
        if not rows:
            return []
        events = self._load_events([r._mapping["id"] for r in rows])
        return [build(r._mapping, events[r._mapping["id"]][: r._mapping["version"]]) for r in rows]

    def _case_table(self, kind: CaseKind[Any, Any]) -> Table:
        table: Table = getattr(self._t, kind.table)
        return table

    def _case_row(
        self, kind: CaseKind[CaseT, IndexT], case: CaseT, index: IndexT
    ) -> dict[str, Any]:
        """The row of ``case`` and its derived ``index``, bound to the column types."""
        return self._bind(self._case_table(kind), kind.data(case, index))

    def _get_case(self, kind: CaseKind[CaseT, Any], case_id: uuid.UUID) -> CaseT | None:
        """The case with this id and its events, or ``None``."""
        table = self._case_table(kind)
        rows = self._all(select(table).where(table.c.id == str(case_id)))
        found = self._load_cases(rows, kind.build)
        return found[0] if found else None

    def _insert_case(self, kind: CaseKind[CaseT, IndexT], case: CaseT, index: IndexT) -> None:
        """Store a new case row and its events, atomically."""
        row = self._case_row(kind, case, index)
        with self._write(kind.on_duplicate, several=True) as conn:
            conn.execute(insert(self._case_table(kind)), row)
            self._insert_events(conn, kind.case_type, row["id"], case.events)

    def _update_case(
        self, kind: CaseKind[CaseT, IndexT], case: CaseT, index: IndexT, expected_version: int
    ) -> None:
        """Update a case row (keyed by its ``id``, version-checked) and append its new events,
        atomically."""
        row = self._case_row(kind, case, index)
        case_id = row.pop("id")
        key_column = self._case_table(kind).c.id
        with self._versioned_update(
            kind.what, key_column, case_id, row, expected_version, several=True
        ) as conn:
            self._append_events(conn, kind.case_type, case_id, case.events)

    def _query_cases(
        self,
        kind: CaseKind[CaseT, Any],
        conditions: Sequence[ColumnElement[bool]],
        limit: int | None,
        offset: int,
    ) -> list[CaseT]:
        """The cases matching ``conditions`` in the kind's order, one page (2 statements)."""
        table = self._case_table(kind)
        stmt = select(table).where(*conditions).order_by(*(table.c[c] for c in kind.order))
        return self._load_cases(self._page(stmt, limit, offset), kind.build)
