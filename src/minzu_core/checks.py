"""Checks shared by every repository (共用校验): the reason of a change, identifiers, versions."""

from __future__ import annotations

import uuid

from minzu_core.errors import ConcurrencyError, ValidationError

__all__ = ["check_version", "parse_uuid", "require_reason", "stale_version", "storable_text"]


def require_reason(reason: str) -> str:
    """The stripped reason of a change; ``ValidationError(code="reason_required")`` if blank.

    Called before anything is written, so a refused change leaves the unit of work untouched.
    """
    if reason is not None and not isinstance(reason, str):
        raise ValidationError(
            "变更原因须为文本", "the reason must be text", code="invalid_type", field="reason"
        )
    text = storable_text((reason or "").strip(), "reason")
    if not text:
        raise ValidationError(
            "每次变更都须说明原因",
            "every change needs a reason",
            code="reason_required",
            field="reason",
        )
    return text


def storable_text(text: str, field: str) -> str:
    """``text`` if every store can keep it: no lone surrogate (which arrives from broken UTF-16
    sources and cannot be encoded as UTF-8) and no NUL character; else
    ``ValidationError(code="invalid_text")`` naming ``field``."""
    if text.isascii() and "\x00" not in text:
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        bad = True
    else:
        bad = "\x00" in text
    if bad:
        raise ValidationError(
            f"{field} 含有无法存储的字符 (孤立代理项或空字符)",
            f"{field} contains a character no store can keep (a lone surrogate or NUL)",
            code="invalid_text",
            field=field,
        )
    return text


def parse_uuid(value: uuid.UUID | str, field: str) -> uuid.UUID:
    """``value`` as a UUID; ``ValidationError(code="invalid_id", field=field)`` otherwise."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError(
            "标识符无效", "invalid identifier", code="invalid_id", field=field
        ) from None


def stale_version(what: str, stored: int | None, given: int) -> ConcurrencyError:
    """The error for a save of a ``what`` whose stored version (``None``: the record is gone)
    is not the version it was read at (``given``): ``ConcurrencyError(code="stale_version")``.
    The repositories raise it before writing; the stores raise it when the version check of
    the write itself fails."""
    return ConcurrencyError(
        "记录已被他人修改, 请重新读取后再保存",
        f"the {what} was changed by someone else since it was read; reload and retry",
        code="stale_version",
        field="version",
        details={"stored_version": stored, "given_version": given},
    )


def check_version(stored: int, given: int, what: str) -> None:
    """Raise :func:`stale_version` unless the record read (``given``) is the stored version."""
    if stored != given:
        raise stale_version(what, stored, given)
