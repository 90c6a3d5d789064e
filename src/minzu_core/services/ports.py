"""The services' storage port (服务存储端口): windows, requests and their derived index values."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

import minzu_core.fields as fields
from minzu_core.services.model import ServiceCategory, ServiceRequest, ServiceWindow

if TYPE_CHECKING:
    pass


__all__ = [
    "RequestIndex",
    "RequestQuery",
    "ServicesPort",
    "WindowQuery",
]


@attrs.frozen
class WindowQuery:
    """Which service windows to list: unit code prefixes (``None``: any) and, if given, open on
    ``open_on`` (``opened <= open_on < closed``). Ordered by unit code, then id."""

    prefixes: tuple[str, ...] | None = None
    open_on: date | None = attrs.field(default=None, converter=fields.to_date_or_none)


@attrs.frozen
class RequestIndex:
    """Values derived from a service request's history that a store keeps in columns so that
    queries run inside it. Computed by the domain on every save (never entered by hand)."""

    state: str
    accepted_at: datetime | None
    resolved_at: datetime | None
    due_base: datetime | None
    paused_since: datetime | None
    time_limit_days: int | None = None
    resolved_on_time: bool | None = None
    followed_up_at: datetime | None = None
    satisfaction: str | None = None
    closed_at: datetime | None = None

    @classmethod
    def of(cls, request: ServiceRequest, calendar: Any = None) -> RequestIndex:
        """The index values of ``request`` (with the store's calendar)."""
        satisfaction = request.satisfaction
        return cls(
            state=request.state,
            accepted_at=request.accepted_at,
            resolved_at=request.resolved_at,
            due_base=request.due_base(calendar),
            paused_since=request.paused_since,
            time_limit_days=request.time_limit_days,
            resolved_on_time=request.resolved_on_time(calendar),
            followed_up_at=request.followed_up_at,
            satisfaction=None if satisfaction is None else satisfaction.value,
            closed_at=request.closed_at,
        )


@attrs.frozen
class RequestQuery:
    """Which service requests to list or count.

    A request matches when its unit code starts with one of ``prefixes`` (``None``: any), and,
    where given: its window is ``window_id``, its category ``category``, its state one of
    ``states``, it was received in ``[received_from, received_to)``, and — ``overdue_at`` — it is
    open and overdue at that moment: ``state`` is an open state and either it is not paused and
    ``due_base < overdue_at``, or it is paused and ``due_base < paused_since`` (a pause that began
    after the due date does not cure the delay). Ordered by ``received_at``, then id.
    """

    prefixes: tuple[str, ...] | None = None
    window_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    category: ServiceCategory | None = attrs.field(default=None, converter=fields.to_choice_or_none)
    states: frozenset[str] | None = attrs.field(default=None, converter=fields.to_text_set_or_none)
    received_from: datetime | None = attrs.field(default=None, converter=fields.to_aware_or_none)
    received_to: datetime | None = attrs.field(default=None, converter=fields.to_aware_or_none)
    overdue_at: datetime | None = attrs.field(
        default=None, converter=fields.to_aware_or_none, metadata=fields.named("as_of")
    )
    limit: int | None = attrs.field(default=None, converter=fields.to_count_or_none)
    offset: int = attrs.field(default=0, converter=fields.to_count)


@runtime_checkable
class ServicesPort(Protocol):
    """Storage primitives of service windows and requests."""

    def get_window(self, window_id: uuid.UUID) -> ServiceWindow | None:
        """The service window with this id, or ``None``."""
        ...

    def insert_window(self, window: ServiceWindow) -> None:
        """Store a new window."""
        ...

    def update_window(self, window: ServiceWindow, expected_version: int) -> None:
        """Replace a window if its stored version is ``expected_version``."""
        ...

    def query_windows(self, query: WindowQuery) -> list[ServiceWindow]:
        """Windows matching ``query``."""
        ...

    def get_request(self, request_id: uuid.UUID) -> ServiceRequest | None:
        """The service request with this id (with its whole event history), or ``None``."""
        ...

    def insert_request(self, request: ServiceRequest, index: RequestIndex) -> None:
        """Store a new request with its events and derived index values."""
        ...

    def update_request(
        self, request: ServiceRequest, index: RequestIndex, expected_version: int
    ) -> None:
        """Store a request whose stored version is ``expected_version``. Events are append-only:
        the stored events must be a prefix of ``request.events``; only the new ones are added."""
        ...

    def query_requests(self, query: RequestQuery) -> list[ServiceRequest]:
        """Requests matching ``query`` (see :class:`RequestQuery`)."""
        ...

    def count_requests(self, query: RequestQuery) -> int:
        """How many requests match ``query`` (``limit``/``offset`` ignored)."""
        ...
