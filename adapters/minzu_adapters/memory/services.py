"""Memory storage of the services (服务窗口与事项): windows, and requests with their index."""

from __future__ import annotations

import uuid

import attrs

from minzu_adapters.memory.session import (
    DocumentSession,
    id_kind,
    in_prefixes,
    page,
    require_appended,
)
from minzu_core.services.model import OPEN_STATES, ServiceRequest, ServiceWindow
from minzu_core.services.ports import RequestIndex, RequestQuery, WindowQuery

__all__ = ["REQUESTS", "WINDOWS", "RequestEntry", "ServicesMemory"]


@attrs.frozen
class RequestEntry:
    """A stored service request with the index values derived from it."""

    request: ServiceRequest
    index: RequestIndex


#: Service windows, keyed by id.
WINDOWS = id_kind("service_window", ServiceWindow, "服务窗口", "window")
#: Service requests with their index values, keyed by the request's id.
REQUESTS = id_kind(
    "service_request",
    RequestEntry,
    "服务事项",
    "request",
    key=lambda e: str(e.request.id),
    version=lambda e: e.request.version,
)


def _appended(current: RequestEntry, given: RequestEntry) -> None:
    require_appended(current.request.events, given.request.events, "事项")


def _request_matches(entry: RequestEntry, q: RequestQuery) -> bool:
    request, idx = entry.request, entry.index
    if not (
        in_prefixes(request.unit_code, q.prefixes)
        and (q.window_id is None or request.window_id == q.window_id)
        and (q.category is None or request.category is q.category)
        and (q.states is None or idx.state in q.states)
        and (q.received_from is None or request.received_at >= q.received_from)
        and (q.received_to is None or request.received_at < q.received_to)
    ):
        return False
    if q.overdue_at is None:
        return True
    return (
        idx.state in OPEN_STATES
        and idx.due_base is not None
        and idx.due_base < q.overdue_at
        and (idx.paused_since is None or idx.due_base < idx.paused_since)
    )


class ServicesMemory(DocumentSession):
    """The services port on the document layer."""

    def get_window(self, window_id: uuid.UUID) -> ServiceWindow | None:
        """The window with this id."""
        return self.doc_get(WINDOWS, str(window_id))

    def insert_window(self, window: ServiceWindow) -> None:
        """Insert a window."""
        self.doc_insert(WINDOWS, window)

    def update_window(self, window: ServiceWindow, expected_version: int) -> None:
        """Replace a window if its version is ``expected_version``."""
        self.doc_update(WINDOWS, window, expected_version)

    def query_windows(self, query: WindowQuery) -> list[ServiceWindow]:
        """Windows matching ``query``, by unit code, then id."""
        return self.doc_query(
            WINDOWS,
            lambda w: (
                in_prefixes(w.unit_code, query.prefixes)
                and (query.open_on is None or w.open_on(query.open_on))
            ),
            lambda w: (w.unit_code.value, str(w.id)),
        )

    def get_request(self, request_id: uuid.UUID) -> ServiceRequest | None:
        """The request with this id."""
        entry = self.doc_get(REQUESTS, str(request_id))
        return None if entry is None else entry.request

    def insert_request(self, request: ServiceRequest, index: RequestIndex) -> None:
        """Insert a request."""
        self.doc_insert(REQUESTS, RequestEntry(request, index))

    def update_request(
        self, request: ServiceRequest, index: RequestIndex, expected_version: int
    ) -> None:
        """Replace a request (events append-only) if its version is ``expected_version``."""
        self.doc_update(REQUESTS, RequestEntry(request, index), expected_version, _appended)

    def query_requests(self, query: RequestQuery) -> list[ServiceRequest]:
        """Requests matching ``query`` by received time, then id."""
        found = self.doc_query(
            REQUESTS,
            lambda e: _request_matches(e, query),
            lambda e: (e.request.received_at, str(e.request.id)),
        )
        return [e.request for e in page(found, query.limit, query.offset)]

    def count_requests(self, query: RequestQuery) -> int:
        """How many requests match ``query``."""
        return self.doc_count(REQUESTS, lambda e: _request_matches(e, query))
