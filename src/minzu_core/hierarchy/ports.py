"""The hierarchy's storage port (区划存储端口): what a store offers for units and unit changes."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

import minzu_core.fields as fields
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.hierarchy.model import Unit, UnitChange

if TYPE_CHECKING:
    pass


__all__ = [
    "HierarchyPort",
    "UnitQuery",
    "unit_key",
]


def unit_key(code: DivisionCode, valid_from: date | None) -> str:
    """The stable text key of one unit version: ``"<12-digit code>@<valid_from or ->"``."""
    return f"{code.value}@{valid_from.isoformat() if valid_from else '-'}"


@attrs.frozen
class UnitQuery:
    """Which units to list.

    A unit matches when its code starts with one of ``prefixes`` (``None``: any code; an empty
    tuple: nothing), its level is ``level`` (if given), and it is valid on ``as_of`` (if given:
    ``valid_from <= as_of < valid_to`` with open ends). Results are ordered by code, then
    ``valid_from`` (``None`` first).
    """

    prefixes: tuple[str, ...] | None = None
    level: Level | None = attrs.field(default=None, converter=fields.to_choice_or_none)
    as_of: date | None = attrs.field(default=None, converter=fields.to_date_or_none)


@runtime_checkable
class HierarchyPort(Protocol):
    """Storage primitives of units and unit changes."""

    def get_unit_versions(self, code: DivisionCode) -> list[Unit]:
        """Every stored version of ``code``, ordered by ``valid_from`` (``None`` first)."""
        ...

    def insert_unit(self, unit: Unit) -> None:
        """Store a new unit version (``unit.version`` is already the stored version, 1)."""
        ...

    def update_unit(self, unit: Unit, expected_version: int) -> None:
        """Replace the version keyed by ``(unit.code, unit.valid_from)`` if its stored version
        is ``expected_version``; else raise ConcurrencyError."""
        ...

    def query_units(self, query: UnitQuery) -> list[Unit]:
        """Units matching ``query`` (see :class:`UnitQuery`)."""
        ...

    def insert_unit_change(self, change: UnitChange) -> None:
        """Record a unit change."""
        ...

    def query_unit_changes(self, prefixes: tuple[str, ...] | None) -> list[UnitChange]:
        """Changes whose ``code`` or a successor starts with one of ``prefixes`` (``None``: all),
        ordered by effective date, then code."""
        ...
