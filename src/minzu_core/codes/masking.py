"""Masking of personal data for display (脱敏): names, addresses, ID numbers, phones."""

from __future__ import annotations

from minzu_core.codes.phone import mask_phone
from minzu_core.codes.resident_id import mask_resident_id

__all__ = ["mask_address", "mask_name", "mask_phone", "mask_resident_id"]

#: Characters of an address kept by :func:`mask_address`.
ADDRESS_KEEP = 6


def mask_name(name: str) -> str:
    """The first character then one ``*`` per remaining character (``张*``, ``欧**``).

    A one-character name becomes ``*``; surrounding whitespace is dropped.
    """
    if not isinstance(name, str):
        return ""
    text = name.strip()
    if len(text) <= 1:
        return "*" * len(text)
    return text[0] + "*" * (len(text) - 1)


def mask_address(text: str) -> str:
    """Keep the first six characters of an address (at most half of a short one, so that an
    address is never shown whole), one ``*`` per remaining character."""
    if not isinstance(text, str):
        return ""
    value = text.strip()
    keep = min(ADDRESS_KEEP, len(value) // 2)
    return value[:keep] + "*" * (len(value) - keep)
