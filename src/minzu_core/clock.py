"""Injected time (时钟).

The library never reads the wall clock directly: a unit of work takes a ``Clock`` — any callable
returning a timezone-aware ``datetime`` — so tests and replays are deterministic. Dates of
periods are in China Standard Time (Asia/Shanghai).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

__all__ = ["CST", "Clock", "FixedClock", "require_aware", "system_clock", "today_cst"]

#: China Standard Time, UTC+8 all year (no daylight saving since 1991).
CST = timezone(timedelta(hours=8), name="CST")

Clock = Callable[[], datetime]
"""A callable returning the current time as a timezone-aware datetime."""


def system_clock() -> datetime:
    """The real current time in China Standard Time."""
    return datetime.now(tz=CST)


def today_cst(clock: Clock = system_clock) -> date:
    """The current calendar date in China Standard Time according to ``clock``."""
    return clock().astimezone(CST).date()


def require_aware(value: datetime, field: str) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime, else raise a ``ValidationError``
    (``invalid_type`` for anything but a datetime, ``naive_datetime`` without a timezone)."""
    from minzu_core.errors import ValidationError

    if not isinstance(value, datetime):
        raise ValidationError(
            f"{field} 须为带时区的日期时间",
            f"{field} must be a timezone-aware datetime",
            code="invalid_type",
            field=field,
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            f"时间必须带时区: {field}",
            f"timestamp must be timezone-aware: {field}",
            code="naive_datetime",
            field=field,
        )
    try:
        value.astimezone(UTC)
    except OverflowError:  # the first hours of year 1 east of Greenwich, the last of 9999 west
        raise ValidationError(
            f"时间超出可存储范围: {field}",
            f"timestamp out of the storable range: {field}",
            code="datetime_out_of_range",
            field=field,
        ) from None
    return value


class FixedClock:
    """A clock for tests and replays: returns ``now``, advanced by ``tick`` at every call."""

    def __init__(self, now: datetime, tick: timedelta = timedelta(0)) -> None:
        self.now = require_aware(now, "now")
        self.tick = tick

    def __call__(self) -> datetime:
        current = self.now
        self.now = self.now + self.tick
        return current

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self.now = self.now + delta
