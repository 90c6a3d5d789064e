"""SQL storage of service windows and service requests (a mixin of
:class:`~minzu_adapters.sql.store.SqlSession`).

Requests keep the values derived from their history (state, acceptance and resolution times,
due base, pause start) in columns, so "open", "overdue", "by category/state/window/subtree" are
``WHERE`` clauses. Their events live in the shared ``case_events`` table, append-only: a save
inserts the new events after the stored ones, and the ``(case_id, seq)`` primary key makes
rewriting an existing event impossible.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Row, RowMapping, and_, insert, or_, select

from minzu_adapters.sql.cases import CaseEventStorage, CaseKind
from minzu_adapters.sql.errors import duplicate_id
from minzu_adapters.sql.session import prefix_match
from minzu_core.lifecycle import Event
from minzu_core.serialization import structure, unstructure
from minzu_core.services.model import OPEN_STATES, ServiceCategory, ServiceRequest, ServiceWindow
from minzu_core.services.ports import RequestIndex, RequestQuery, WindowQuery

__all__ = ["SERVICE_CASE", "ServiceStorage", "request_data", "window_data"]

#: The ``case_type`` of a service request's events.
SERVICE_CASE = "service_request"

_duplicate_window = duplicate_id("服务窗口", "service window")


def window_data(window: ServiceWindow) -> dict[str, Any]:
    """The ``service_windows`` column values of ``window`` (before binding to the types)."""
    data: dict[str, Any] = unstructure(window)
    data["categories"] = sorted(c.value for c in window.categories)
    data["time_limits"] = {
        c.value: d for c, d in sorted(window.time_limits.items(), key=lambda i: i[0].value)
    }
    return data


def request_data(request: ServiceRequest, index: RequestIndex) -> dict[str, Any]:
    """The ``service_requests`` column values of ``request`` and its derived ``index``."""
    return {
        "id": str(request.id),
        "window_id": str(request.window_id),
        "unit_code": request.unit_code.value,
        "applicant_id": str(request.applicant_id),
        "category": request.category.value,
        "received_at": request.received_at,
        "description": request.description,
        "version": request.version,
        **unstructure(index),
    }


def _request_from(m: RowMapping, events: list[Event]) -> ServiceRequest:
    return ServiceRequest(
        window_id=m["window_id"],
        unit_code=m["unit_code"],
        applicant_id=m["applicant_id"],
        category=ServiceCategory(m["category"]),
        received_at=m["received_at"],
        events=events,
        description=m["description"],
        id=m["id"],
        version=m["version"],
    )


_REQUESTS: CaseKind[ServiceRequest, RequestIndex] = CaseKind(
    table="service_requests",
    case_type=SERVICE_CASE,
    what="service request",
    on_duplicate=duplicate_id("服务事项", "service request"),
    data=request_data,
    build=_request_from,
    order=("received_at", "id"),
)


class ServiceStorage(CaseEventStorage):
    """The service primitives of :class:`~minzu_adapters.sql.store.SqlSession`."""

    # -- windows -------------------------------------------------------------------------------
    def _window_row(self, window: ServiceWindow) -> dict[str, Any]:
        return self._bind(self._t.service_windows, window_data(window))

    @staticmethod
    def _window_from(row: Row[Any]) -> ServiceWindow:
        m = dict(row._mapping)
        return structure(m, ServiceWindow)

    def get_window(self, window_id: uuid.UUID) -> ServiceWindow | None:
        """The window with this id, or ``None``."""
        w = self._t.service_windows
        rows = self._all(select(w).where(w.c.id == str(window_id)))
        return self._window_from(rows[0]) if rows else None

    def insert_window(self, window: ServiceWindow) -> None:
        """Store a new window."""
        row = self._window_row(window)
        with self._write(_duplicate_window) as conn:
            conn.execute(insert(self._t.service_windows), row)

    def update_window(self, window: ServiceWindow, expected_version: int) -> None:
        """Replace a window if its stored version is ``expected_version``."""
        w = self._t.service_windows
        row = self._window_row(window)
        wid = row.pop("id")
        with self._versioned_update("window", w.c.id, wid, row, expected_version):
            pass

    def query_windows(self, query: WindowQuery) -> list[ServiceWindow]:
        """Windows matching ``query``, by unit code then id."""
        w = self._t.service_windows
        conds: list[ColumnElement[bool]] = []
        if query.prefixes is not None:
            conds.append(prefix_match(w.c.unit_code, query.prefixes))
        if query.open_on is not None:
            conds.append(w.c.opened <= query.open_on)
            conds.append(or_(w.c.closed.is_(None), w.c.closed > query.open_on))
        rows = self._all(select(w).where(*conds).order_by(w.c.unit_code, w.c.id))
        return [self._window_from(r) for r in rows]

    # -- requests ------------------------------------------------------------------------------
    def _request_row(self, request: ServiceRequest, index: RequestIndex) -> dict[str, Any]:
        return self._case_row(_REQUESTS, request, index)

    def get_request(self, request_id: uuid.UUID) -> ServiceRequest | None:
        """The request with this id and its events, or ``None``."""
        return self._get_case(_REQUESTS, request_id)

    def insert_request(self, request: ServiceRequest, index: RequestIndex) -> None:
        """Store a new request and its events."""
        self._insert_case(_REQUESTS, request, index)

    def update_request(
        self, request: ServiceRequest, index: RequestIndex, expected_version: int
    ) -> None:
        """Update the derived columns and append the new events, version-checked."""
        self._update_case(_REQUESTS, request, index, expected_version)

    def _request_conditions(self, q: RequestQuery) -> list[ColumnElement[bool]]:
        r = self._t.service_requests
        conds: list[ColumnElement[bool]] = []
        if q.prefixes is not None:
            conds.append(prefix_match(r.c.unit_code, q.prefixes))
        if q.window_id is not None:
            conds.append(r.c.window_id == str(q.window_id))
        if q.category is not None:
            conds.append(r.c.category == q.category.value)
        if q.states is not None:
            conds.append(r.c.state.in_(sorted(q.states)))
        if q.received_from is not None:
            conds.append(r.c.received_at >= q.received_from)
        if q.received_to is not None:
            conds.append(r.c.received_at < q.received_to)
        if q.overdue_at is not None:
            conds.append(r.c.state.in_(sorted(OPEN_STATES)))
            conds.append(r.c.due_base < q.overdue_at)
            conds.append(or_(r.c.paused_since.is_(None), r.c.due_base < r.c.paused_since))
        return [and_(*conds)] if conds else []

    def query_requests(self, query: RequestQuery) -> list[ServiceRequest]:
        """Requests matching ``query`` by received time then id (2 statements)."""
        conditions = self._request_conditions(query)
        return self._query_cases(_REQUESTS, conditions, query.limit, query.offset)

    def count_requests(self, query: RequestQuery) -> int:
        """How many requests match ``query``: one ``SELECT count(*)``."""
        return self._count(self._t.service_requests, self._request_conditions(query))
