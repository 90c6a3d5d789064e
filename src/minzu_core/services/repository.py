"""The repository of service windows and service requests (``uow.services``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Protocol, TypeAlias

import attrs

from minzu_core.checks import check_version, parse_uuid, require_reason
from minzu_core.clock import CST, require_aware
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.errors import NotFoundError, PermissionDeniedError, ValidationError
from minzu_core.hierarchy.ports import HierarchyPort
from minzu_core.history import ChangeKind, HistoryPort
from minzu_core.ledger.repository import PersonRepository
from minzu_core.privacy.actor import intersect_scope
from minzu_core.repository import RepositoryContext
from minzu_core.services.model import (
    OPEN_STATES,
    Calendar,
    ServiceCategory,
    ServiceRequest,
    ServiceWindow,
)
from minzu_core.services.ports import RequestIndex, RequestQuery, ServicesPort, WindowQuery

__all__ = ["ServiceRepository"]

_List: TypeAlias = list


def _as_code(value: DivisionCode | str) -> DivisionCode:
    return value if isinstance(value, DivisionCode) else DivisionCode.parse(value, field="within")


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


class ServiceRepository:
    """Service windows (服务窗口) and service requests (服务事项), scope-checked.

    Requests are changed only through :meth:`act`, which appends one event to the request's
    history; the event (action, at, actor, note, data) is the record of who did what, when and
    why.
    """

    def __init__(self, uow: ServiceContext) -> None:
        self._uow = uow

    @property
    def _s(self) -> _Storage:
        return self._uow.session

    def _prefixes(self, within: DivisionCode | str | None) -> tuple[str, ...] | None:
        roots = intersect_scope(self._uow.actor, None if within is None else _as_code(within))
        return None if roots is None else tuple(r.short for r in roots)

    # -- windows -------------------------------------------------------------------------------
    def add_window(self, window: ServiceWindow, *, reason: str) -> ServiceWindow:
        """Open a service window at a stored township unit in the actor's scope."""
        reason = require_reason(reason)
        self._uow.actor.require(window.unit_code)
        versions = self._s.get_unit_versions(window.unit_code)
        if not versions:
            raise ValidationError(
                f"单位 {window.unit_code.short} 不存在",
                f"unit {window.unit_code.short} does not exist",
                code="unit_not_found",
                field="unit_code",
            )
        if versions[-1].level is not Level.TOWNSHIP:
            raise ValidationError(
                "服务窗口须设在街道(镇)级单位",
                "a service window belongs to a township unit",
                code="window_level",
                field="unit_code",
            )
        if window.version != 0:
            raise ValidationError(
                "新窗口的版本号须为 0",
                "a new window must have version 0",
                code="invalid_version",
                field="version",
            )
        stored = attrs.evolve(window, version=1)
        self._s.insert_window(stored)
        self._uow.record("service_window", str(window.id), 1, ChangeKind.CREATED, reason, stored)
        return stored

    def save_window(self, window: ServiceWindow, *, reason: str) -> ServiceWindow:
        """Store a changed window (e.g. closed, categories changed), version-checked."""
        reason = require_reason(reason)
        current = self.get_window(window.id)
        self._uow.actor.require(window.unit_code)
        if current.unit_code != window.unit_code:
            raise ValidationError(
                "窗口不能改属其他单位",
                "a window cannot move to another unit",
                code="immutable_field",
                field="unit_code",
            )
        stored = attrs.evolve(window, version=window.version + 1)
        self._s.update_window(stored, window.version)
        self._uow.record(
            "service_window", str(window.id), stored.version, ChangeKind.UPDATED, reason, stored
        )
        return stored

    def find_window(self, window_id: uuid.UUID | str) -> ServiceWindow | None:
        """The window, or ``None``; raises PermissionDeniedError outside the actor's scope."""
        window = self._s.get_window(parse_uuid(window_id, "window_id"))
        if window is not None:
            self._uow.actor.require(window.unit_code, field="window_id", write=False)
            if not self._uow.actor.covers(window.unit_code):
                raise PermissionDeniedError(
                    "窗口不在数据范围内",
                    "the window is outside the scope",
                    code="outside_scope",
                    field="window_id",
                )
        return window

    def get_window(self, window_id: uuid.UUID | str) -> ServiceWindow:
        """Like :meth:`find_window` but raises NotFoundError (code ``window_not_found``)."""
        window = self.find_window(window_id)
        if window is None:
            raise NotFoundError(
                "服务窗口不存在",
                "service window not found",
                code="window_not_found",
                field="window_id",
            )
        return window

    def windows(
        self, *, within: DivisionCode | str | None = None, open_on: date | None = None
    ) -> _List[ServiceWindow]:
        """Windows in ``within``'s subtree (∩ scope), optionally open on a date."""
        prefixes = self._prefixes(within)
        if prefixes == ():
            return []
        return self._s.query_windows(WindowQuery(prefixes=prefixes, open_on=open_on))

    # -- requests ------------------------------------------------------------------------------
    def submit(self, request: ServiceRequest, *, reason: str = "受理登记") -> ServiceRequest:
        """Store a newly submitted request (built with :meth:`ServiceRequest.submit`).

        The window must exist, be open on the received date and offer the category; the
        applicant must be a ledger person inside the actor's scope.
        """
        reason = require_reason(reason)
        if len(request.events) != 1 or request.version != 0:
            raise ValidationError(
                "只能登记新提交的服务事项",
                "only a newly submitted request",
                code="invalid_history",
                field="events",
            )
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
        stored = attrs.evolve(request, version=1)
        self._s.insert_request(stored, RequestIndex.of(stored, self._uow.calendar))
        self._uow.record(
            "service_request",
            str(request.id),
            1,
            ChangeKind.CREATED,
            reason,
            {"action": "submit", "state": stored.state},
        )
        return stored

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
        when = require_aware(at, "at") if at is not None else self._uow.clock()
        if when > self._uow.clock():
            raise ValidationError(
                "记录时间不能晚于当前时间",
                "the action's time is in the future",
                code="event_in_future",
                field="at",
            )
        if isinstance(request, ServiceRequest):
            current = self.get(request.id)
            expected = request.version
            base = request
        else:
            current = self.get(request)
            expected = current.version
            base = current
        if base.events != current.events[: len(base.events)]:
            raise ValidationError(
                "事项历史不一致",
                "the request history does not match the store",
                code="invalid_history",
                field="events",
            )
        if action == "accept" and "time_limit_days" not in data:
            data["time_limit_days"] = self.get_window(base.window_id).time_limit(base.category)
        changed = base.act(action, at=when, actor_id=self._uow.actor.id, note=note, **data)
        stored = attrs.evolve(changed, version=expected + 1)
        check_version(current.version, expected, "service request")
        self._s.update_request(stored, RequestIndex.of(stored, self._uow.calendar), expected)
        return stored

    def find(self, request_id: uuid.UUID | str) -> ServiceRequest | None:
        """The request, or ``None``; raises PermissionDeniedError outside the actor's scope."""
        request = self._s.get_request(parse_uuid(request_id, "request_id"))
        if request is not None and not self._uow.actor.covers(request.unit_code):
            raise PermissionDeniedError(
                "服务事项不在数据范围内",
                "the service request is outside the scope",
                code="outside_scope",
                field="request_id",
            )
        return request

    def get(self, request_id: uuid.UUID | str) -> ServiceRequest:
        """Like :meth:`find` but raises NotFoundError (code ``request_not_found``)."""
        request = self.find(request_id)
        if request is None:
            raise NotFoundError(
                "服务事项不存在",
                "service request not found",
                code="request_not_found",
                field="request_id",
            )
        return request

    def _query(
        self,
        within: DivisionCode | str | None,
        window_id: uuid.UUID | None,
        category: ServiceCategory | str | None,
        states: frozenset[str] | None,
        received_from: datetime | None,
        received_to: datetime | None,
        overdue_at: datetime | None,
        limit: int | None = None,
        offset: int = 0,
    ) -> RequestQuery | None:
        prefixes = self._prefixes(within)
        if prefixes == ():
            return None
        return RequestQuery(
            prefixes=prefixes,
            window_id=window_id,
            category=None if category is None else ServiceCategory.parse(category),
            states=states,
            received_from=received_from,
            received_to=received_to,
            overdue_at=overdue_at,
            limit=limit,
            offset=offset,
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
    ) -> _List[ServiceRequest]:
        """Requests in scope matching the filters (all evaluated in the store)."""
        query = self._query(
            within,
            window_id,
            category,
            None if states is None else frozenset(states),
            received_from,
            received_to,
            None,
            limit,
            offset,
        )
        return [] if query is None else self._s.query_requests(query)

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
        query = self._query(
            within,
            window_id,
            category,
            None if states is None else frozenset(states),
            received_from,
            received_to,
            None,
        )
        return 0 if query is None else self._s.count_requests(query)

    def open_requests(
        self,
        *,
        within: DivisionCode | str | None = None,
        window_id: uuid.UUID | None = None,
        category: ServiceCategory | str | None = None,
    ) -> _List[ServiceRequest]:
        """Requests not yet resolved, declined or withdrawn."""
        return self.list(within=within, window_id=window_id, category=category, states=OPEN_STATES)

    def overdue(
        self,
        as_of: datetime,
        *,
        within: DivisionCode | str | None = None,
        window_id: uuid.UUID | None = None,
        category: ServiceCategory | str | None = None,
    ) -> _List[ServiceRequest]:
        """Open requests past their due date at ``as_of`` (computed in the store from the
        derived due date and pause columns)."""
        query = self._query(
            within, window_id, category, None, None, None, require_aware(as_of, "as_of")
        )
        return [] if query is None else self._s.query_requests(query)

    def count_overdue(
        self,
        as_of: datetime,
        *,
        within: DivisionCode | str | None = None,
        window_id: uuid.UUID | None = None,
        category: ServiceCategory | str | None = None,
    ) -> int:
        """How many requests :meth:`overdue` would return."""
        query = self._query(
            within, window_id, category, None, None, None, require_aware(as_of, "as_of")
        )
        return 0 if query is None else self._s.count_requests(query)
