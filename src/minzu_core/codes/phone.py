"""Chinese telephone numbers: mobile (手机) and landline (固定电话).

Mobile numbers have 11 digits starting ``13``–``19`` and may carry a ``+86``, ``86`` or
``0086`` prefix; they normalize to the 11 digits. Landlines have an area code (``010``,
``020``–``029`` or ``0`` + 3 digits) and a 7–8 digit local number (not starting with 0 or 1),
optionally an extension; they normalize to ``0791-86123456`` or ``0791-86123456-123``. With a
``+86``/``0086`` prefix the area code's leading ``0`` may be omitted. Spaces, dashes and
parentheses around the area code are accepted.
"""

from __future__ import annotations

import re
from typing import Final

from minzu_core.errors import ValidationError

__all__ = ["is_valid_phone", "mask_phone", "parse_phone"]

_SEPARATORS: Final = re.compile(r"[\s()（）]+")
_MOBILE: Final = re.compile(r"(?:\+86|0086|86)?-?(1[3-9][0-9]{9})")
_LANDLINE: Final = re.compile(
    r"(?P<area>010|02[0-9]|0[3-9][0-9]{2})-?(?P<local>[2-9][0-9]{6,7})"
    r"(?:(?:-|转|ext\.?|x|#)(?P<ext>[0-9]{1,6}))?",
    re.IGNORECASE,
)
_INTERNATIONAL: Final = re.compile(r"(?:\+86|0086)-?0?(?P<rest>[1-9].*)")


def _split(text: str) -> tuple[str, str | None, str | None] | None:
    """``(mobile or area, local, extension)`` for a valid number, else None."""
    compact = _SEPARATORS.sub("", text).strip("-")
    compact = re.sub(r"-{2,}", "-", compact)
    mobile = _MOBILE.fullmatch(compact.replace("-", ""))
    if mobile:
        return mobile.group(1), None, None
    international = _INTERNATIONAL.fullmatch(compact)
    if international:
        compact = "0" + international.group("rest")
    landline = _LANDLINE.fullmatch(compact)
    if landline:
        return landline.group("area"), landline.group("local"), landline.group("ext")
    return None


def parse_phone(text: str, *, field: str = "phone") -> str:
    """Validate and normalize a mobile or landline number.

    Raises:
        ValidationError: ``code="invalid_phone"`` (the message never contains the number).
    """
    parts = _split(text) if isinstance(text, str) else None
    if parts is None:
        raise ValidationError(
            "电话号码无效（应为11位手机号码或带区号的固定电话）",
            "invalid phone number (expected an 11-digit mobile or a landline with area code)",
            code="invalid_phone",
            field=field,
        )
    head, local, ext = parts
    if local is None:
        return head
    return f"{head}-{local}" + (f"-{ext}" if ext else "")


def is_valid_phone(text: object) -> bool:
    """True if ``text`` is a valid mobile or landline number (never raises)."""
    return isinstance(text, str) and _split(text) is not None


def mask_phone(text: str) -> str:
    """Mask a phone number: ``138****1234`` or ``0791-****3456`` (extension dropped).

    An invalid number is masked entirely (one ``*`` per character).
    """
    if not isinstance(text, str):
        return ""
    parts = _split(text)
    if parts is None:
        return "*" * len(text.strip())
    head, local, _ext = parts
    if local is None:
        return f"{head[:3]}****{head[-4:]}"
    return f"{head}-****{local[-4:]}"
