"""Helpers shared by the indicator modules (not public)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from minzu_core.errors import MinzuError, ValidationError

__all__ = ["MissingDependencyError", "invalid", "positive_threshold", "prefixed", "require_module"]


class MissingDependencyError(MinzuError, ImportError):
    """An optional dependency is not installed (缺少可选依赖).

    ``details`` names the ``module`` and the ``install`` command that adds it.
    """

    default_code = "missing_dependency"


def require_module(module: str, install: str, purpose_zh: str, purpose_en: str) -> Any:
    """Import ``module`` or raise :class:`MissingDependencyError` saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"{purpose_zh}需要可选依赖 {module}, 请安装: {install}",
            f"{purpose_en} needs the optional dependency {module}; install it: {install}",
            details={"module": module, "install": install},
        ) from None


def invalid(code: str, zh: str, en: str, field: str | None, **details: Any) -> ValidationError:
    """A :class:`ValidationError` naming ``field``."""
    return ValidationError(zh, en, code=code, field=field, details=details or None)


def positive_threshold(value: Any, field: str, name_zh: str) -> int | None:
    """``None``, or ``value`` checked to be a positive integer suppression threshold (named
    ``name_zh`` in the Chinese message)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid(
            "invalid_threshold",
            f"{name_zh}须为正整数",
            "the suppression threshold must be a positive integer",
            field,
        )
    return value


def prefixed(error: MinzuError, prefix: str) -> ValidationError:
    """``error`` again, its ``field`` placed under ``prefix`` (``numerator`` + ``filters[0].op``
    → ``numerator.filters[0].op``)."""
    field = error.field
    if field is None:
        path = prefix
    elif field.startswith("["):
        path = f"{prefix}{field}"
    else:
        path = f"{prefix}.{field}"
    details: Mapping[str, Any] = error.details
    return ValidationError(
        error.message_zh, error.message_en, code=error.code, field=path, details=details
    )
