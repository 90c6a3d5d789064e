"""The repository of service windows and service requests (``uow.services``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Protocol

from minzu_core.checks import parse_uuid, require_reason
from minzu_core.clock import CST, require_aware
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.errors import ValidationError
from minzu_core.hierarchy.ports import HierarchyPort
from minzu_core.hierarchy.repository import stored_versions
from minzu_core.history import HistoryPort
from minzu_core.ledger.repository import PersonRepository
from minzu_core.repository import CaseRepository, Label, List, RepositoryContext
from minzu_core.services.model import (
    OPEN_STATES,
    Calendar,
    ServiceCategory,
    ServiceRequest,
    ServiceWindow,
)
from minzu_core.services.ports import RequestIndex, RequestQuery, ServicesPort, WindowQuery

__all__ = ["ServiceRepository"]

_WINDOW: Label = ("服务窗口", "service window")


class _Storage(HierarchyPort, ServicesPort, HistoryPort, Protocol):
    """The ports the service repository uses."""


class ServiceContext(RepositoryContext[_Storage], Protocol):
    """What the service repository is given: a repository context, the calendar of promised
    days and the person repository (an applicant must exist and be in scope)."""

    @property
    def calendar(self) -> Calendar:
        """How promised days are counted."""
        ...

    @property
    def people(self) -> PersonRepository:
        """The ledger's repository."""
        ...


class ServiceRepository(CaseRepository[_Storage, ServiceRequest]):
    """Service windows (服务窗口) and service requests (服务事项), scope-checked.

    Requests are changed only through :meth:`act`, which appends one event to the request's
    history; the event (action, at, actor, note, data) is the record of who did what, when and
    why.
    """

    CASE = ServiceRequest
    ENTITY = "service_request"
    LABEL = ("服务事项", "service request")
    ID_FIELD = "request_id"
    NOT_FOUND = "request_not_found"
    _uow: ServiceContext

    def __init__(self, uow: ServiceContext) -> None:
        super().__init__(uow)

    # -- windows -------------------------------------------------------------------------------
    def add_window(self, window: ServiceWindow, *, reason: str) -> ServiceWindow:
        """Open a service window at a stored township unit in the actor's scope."""
        window = self._typed(window, ServiceWindow, "window")
        why = require_reason(reason)
        self._uow.actor.require(window.unit_code)
        versions = stored_versions(self._s, window.unit_code, "unit_code")
        if versions[-1].level is not Level.TOWNSHIP:
            raise ValidationError(
                "服务窗口须设在街道(镇)级单位",
                "a service window belongs to a township unit",
                code="window_level",
                field="unit_code",
            )
        return self._insert(window, why, "service_window", _key, self._s.insert_window)

    def save_window(self, window: ServiceWindow, *, reason: str) -> ServiceWindow:
        """Store a changed window (e.g. closed, categories changed), version-checked."""
        window = self._typed(window, ServiceWindow, "window")
        why = require_reason(reason)
        current = self.get_window(window.id)
        self._uow.actor.require(window.unit_code)
        self._check_unchanged(current, window, "unit_code")
        store = self._s.update_window
        return self._update(window, current, why, "service_window", _key, store, what="window")

    def find_window(self, window_id: uuid.UUID | str) -> ServiceWindow | None:
        """The window, or ``None``; raises PermissionDeniedError outside the actor's scope."""
        window = self._s.get_window(parse_uuid(window_id, "window_id"))
        if window is not None:
            self._uow.actor.require(window.unit_code, field="window_id", write=False)
            self._check_covers(window.unit_code, _WINDOW, "window_id")
        return window

    def get_window(self, window_id: uuid.UUID | str) -> ServiceWindow:
        """Like :meth:`find_window` but raises NotFoundError (code ``window_not_found``)."""
        return self._found(self.find_window(window_id), _WINDOW, "window_not_found", "window_id")

    def windows(
        self, *, within: DivisionCode | str | None = None, open_on: date | None = None
    ) -> List[ServiceWindow]:
        """Windows in ``within``'s subtree (∩ scope), optionally open on a date."""
        query = self._scoped(within, WindowQuery(open_on=open_on))
        return [] if query is None else self._s.query_windows(query)

    # -- requests ------------------------------------------------------------------------------
    def submit(self, request: ServiceRequest, *, reason: str = "受理登记") -> ServiceRequest:
        """Store a newly submitted request (built with :meth:`ServiceRequest.submit`).

        The window must exist, be open on the received date and offer the category; the
        applicant must be a ledger person inside the actor's scope.
        """
        request = self._typed(request, ServiceRequest, "request")
        return self._open(request, reason, self._check_submitted)

    def _check_submitted(self, request: ServiceRequest) -> None:
        window = self.get_window(request.window_id)
        if request.unit_code != window.unit_code:
            raise ValidationError(
                "服务事项单位须与窗口一致",
                "unit_code must be the window's",
                code="unit_mismatch",
                field="unit_code",
            )
        if not window.open_on(request.received_at.astimezone(CST).date()):
            raise ValidationError(
                "受理时窗口未开放",
                "the window is not open on the received date",
                code="window_closed",
                field="received_at",
            )
        if request.category not in window.categories:
            raise ValidationError(
                f"窗口不提供「{request.category.label_zh}」服务",
                f"the window does not offer {request.category.value}",
                code="category_not_offered",
                field="category",
            )
        if request.received_at > self._uow.clock():
            raise ValidationError(
                "受理时间不能晚于当前时间",
                "received_at is in the future",
                code="received_in_future",
                field="received_at",
            )
        self._uow.people.get(request.applicant_id)  # exists and in scope, or raises

    def act(
        self,
        request: ServiceRequest | uuid.UUID | str,
        action: str,
        *,
        at: datetime | None = None,
        note: str = "",
        **data: Any,
    ) -> ServiceRequest:
        """Take ``action`` on a request as the unit of work's actor at ``at`` (default: now by
        the clock). For ``accept`` the window's promised time limit is recorded unless
        ``time_limit_days`` is given. A refused action raises and changes nothing. If a request
        object is passed, its version must still be the stored one (else ConcurrencyError)."""
        return self._act(request, action, at, note, data)

    def _before_act(self, current: ServiceRequest, action: str, data: dict[str, Any]) -> None:
        if action == "accept" and "time_limit_days" not in data:
            data["time_limit_days"] = self.get_window(current.window_id).time_limit(
                current.category
            )

    def _load(self, case_id: uuid.UUID) -> ServiceRequest | None:
        return self._s.get_request(case_id)

    def _store_new(self, case: ServiceRequest) -> None:
        self._s.insert_request(case, RequestIndex.of(case, self._uow.calendar))

    def _store_changed(self, case: ServiceRequest, expected_version: int) -> None:
        self._s.update_request(case, RequestIndex.of(case, self._uow.calendar), expected_version)

    def _visible(self, case: ServiceRequest) -> ServiceRequest:
        self._check_covers(case.unit_code, self.LABEL, self.ID_FIELD)
        return case

    def find(self, request_id: uuid.UUID | str) -> ServiceRequest | None:
        """The request, or ``None``; raises PermissionDeniedError outside the actor's scope."""
        return self._find_case(request_id)

    def get(self, request_id: uuid.UUID | str) -> ServiceRequest:
        """Like :meth:`find` but raises NotFoundError (code ``request_not_found``)."""
        return self._get_case(request_id)

    def _query(
        self,
        within: DivisionCode | str | None,
        window_id: uuid.UUID | None,
        category: ServiceCategory | str | None,
        states: frozenset[str] | set[str] | None = None,
        received_from: datetime | None = None,
        received_to: datetime | None = None,
        overdue_at: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> RequestQuery | None:
        return self._scoped(
            within,
            RequestQuery(
                window_id=window_id,
                category=None if category is None else ServiceCategory.parse(category),
                states=states,
                received_from=received_from,
                received_to=received_to,
                overdue_at=None if overdue_at is None else require_aware(overdue_at, "as_of"),
                limit=limit,
                offset=offset,
            ),
        )

    def list(
        self,
        *,
        within: DivisionCode | str | None = None,
        window_id: uuid.UUID | None = None,
        category: ServiceCategory | str | None = None,
        states: frozenset[str] | set[str] | None = None,
        received_from: datetime | None = None,
        received_to: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> List[ServiceRequest]:
        """Requests in scope matching the filters (all evaluated in the store)."""
        query = self._query(
            within, window_id, category, states, received_from, received_to, None, limit, offset
        )
        return [] if query is None else [self._shown(r) for r in self._s.query_requests(query)]

    def count(
        self,
        *,
        within: DivisionCode | str | None = None,
        window_id: uuid.UUID | None = None,
        category: ServiceCategory | str | None = None,
        states: frozenset[str] | set[str] | None = None,
        received_from: datetime | None = None,
        received_to: datetime | None = None,
    ) -> int:
        """How many requests :meth:`list` would return (counted in the store)."""
        query = self._query(within, window_id, category, states, received_from, received_to)
        return 0 if query is None else self._s.count_requests(query)

    def open_requests(
        self,
        *,
        within: DivisionCode | str | None = None,
        window_id: uuid.UUID | None = None,
        category: ServiceCategory | str | None = None,
    ) -> List[ServiceRequest]:
        """Requests not yet resolved, declined or withdrawn."""
        return self.list(within=within, window_id=window_id, category=category, states=OPEN_STATES)

    def overdue(
        self,
        as_of: datetime,
        *,
        within: DivisionCode | str | None = None,
        window_id: uuid.UUID | None = None,
        category: ServiceCategory | str | None = None,
    ) -> List[ServiceRequest]:
        """Open requests past their due date at ``as_of`` (computed in the store from the
        derived due date and pause columns)."""
        query = self._query(within, window_id, category, overdue_at=as_of)
        return [] if query is None else [self._shown(r) for r in self._s.query_requests(query)]

    def count_overdue(
        self,
        as_of: datetime,
        *,
        within: DivisionCode | str | None = None,
        window_id: uuid.UUID | None = None,
        category: ServiceCategory | str | None = None,
    ) -> int:
        """How many requests :meth:`overdue` would return."""
        query = self._query(within, window_id, category, overdue_at=as_of)
        return 0 if query is None else self._s.count_requests(query)


def _key(window: ServiceWindow) -> str:
    return str(window.id)
