"""Typed errors of minzu-core (错误类型).

Every error carries a stable machine ``code`` (never changes between releases), the offending
``field`` and ``row`` where known, and a message in Chinese (``message_zh``) and English
(``message_en``). Messages never contain personal data: callers pass masked values only.

The hierarchy::

    MinzuError
    ├── ValidationError          bad input (invalid code, ID number, date, unknown ethnicity …)
    ├── NotFoundError            an entity that does not exist
    ├── DuplicateError           a uniqueness rule would be broken (e.g. one active ID number)
    ├── ConcurrencyError         a stale version was saved (optimistic locking)
    ├── PermissionDeniedError    outside the actor's scope or permissions
    ├── TransitionError          an action not allowed in a lifecycle state
    └── StoreError               storage failures
        ├── UnknownStoreError    no adapter registered for a URL scheme
        ├── ConnectionLostError  the database connection failed or was lost
        └── DataTooLongError     a value does not fit its column
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "ConcurrencyError",
    "ConfigurationError",
    "ConnectionLostError",
    "DataTooLongError",
    "DuplicateError",
    "MinzuError",
    "NotFoundError",
    "PermissionDeniedError",
    "StoreError",
    "TransitionError",
    "UnknownStoreError",
    "ValidationError",
]


class MinzuError(Exception):
    """Base class of every error raised by minzu-core.

    Attributes:
        code: stable machine-readable code, e.g. ``"invalid_resident_id"``.
        message_zh: the message in Chinese.
        message_en: the message in English.
        field: the name of the offending field, if any.
        row: the 1-based input row number (imports), if any.
        details: extra machine-readable context (never personal data).
    """

    default_code: ClassVar[str] = "minzu_error"

    def __init__(
        self,
        message_zh: str,
        message_en: str,
        *,
        code: str | None = None,
        field: str | None = None,
        row: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.code: str = code or self.default_code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        self.row = row
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row={self.row}")
        if self.field is not None:
            where.append(f"field={self.field}")
        suffix = f" ({', '.join(where)})" if where else ""
        return f"[{self.code}] {self.message_zh} / {self.message_en}{suffix}"

    def with_row(self, row: int) -> MinzuError:
        """Return this error annotated with an input row number (for imports)."""
        self.row = row
        self.args = (self._render(),)
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the error (code, field, row, messages, details)."""
        return {
            "code": self.code,
            "field": self.field,
            "row": self.row,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": dict(self.details),
        }


class ValidationError(MinzuError, ValueError):
    """Input that breaks a rule of the domain or a national standard (输入不合法)."""

    default_code = "validation_error"


class NotFoundError(MinzuError, LookupError):
    """The requested entity does not exist (未找到)."""

    default_code = "not_found"


class DuplicateError(MinzuError):
    """Storing this would break a uniqueness rule (重复)."""

    default_code = "duplicate"


class ConcurrencyError(MinzuError):
    """The aggregate was changed by someone else since it was loaded (并发冲突)."""

    default_code = "concurrency_conflict"


class PermissionDeniedError(MinzuError, PermissionError):
    """The actor may not read or write this (无权限)."""

    default_code = "permission_denied"


class TransitionError(MinzuError):
    """The action is not allowed in the case's current state (状态不允许此操作)."""

    default_code = "transition_not_allowed"


class StoreError(MinzuError):
    """A storage failure (存储错误)."""

    default_code = "store_error"


class ConfigurationError(StoreError):
    """A store URL or option is wrong (存储配置错误): malformed, an unknown or uninstalled
    driver, an option the driver refuses. ``field`` names the part (``url.port``,
    ``url.drivername``, ``url.query`` …); messages show the URL with its password masked."""

    default_code = "invalid_store_configuration"


class UnknownStoreError(ConfigurationError):
    """No storage adapter is registered for the URL's scheme (未知的存储类型)."""

    default_code = "unknown_store"


class ConnectionLostError(StoreError):
    """The database could not be reached or the connection was lost (数据库连接失败)."""

    default_code = "connection_lost"


class DataTooLongError(StoreError):
    """A value does not fit its column (数据过长)."""

    default_code = "data_too_long"
