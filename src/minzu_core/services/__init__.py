"""Service windows and the lifecycle of service requests (服务窗口与服务事项)."""

from __future__ import annotations

from minzu_core.services.model import (
    DEFAULT_TIME_LIMITS,
    OPEN_STATES,
    SERVICE_LIFECYCLE,
    Calendar,
    CalendarDays,
    Satisfaction,
    ServiceCategory,
    ServiceRequest,
    ServiceWindow,
    WorkingDays,
)
from minzu_core.services.ports import (
    RequestIndex,
    RequestQuery,
    ServicesPort,
    WindowQuery,
)
from minzu_core.services.repository import (
    ServiceRepository,
)

__all__ = [
    "DEFAULT_TIME_LIMITS",
    "OPEN_STATES",
    "SERVICE_LIFECYCLE",
    "Calendar",
    "CalendarDays",
    "RequestIndex",
    "RequestQuery",
    "Satisfaction",
    "ServiceCategory",
    "ServiceRepository",
    "ServiceRequest",
    "ServiceWindow",
    "ServicesPort",
    "WindowQuery",
    "WorkingDays",
]
