"""Memory storage of the hierarchy (区划): unit versions and unit changes."""

from __future__ import annotations

from datetime import date

from minzu_adapters.memory.session import DocumentSession, Kind, id_kind, in_prefixes
from minzu_core.codes.divisions import DivisionCode
from minzu_core.errors import DuplicateError
from minzu_core.hierarchy.model import Unit, UnitChange
from minzu_core.hierarchy.ports import UnitQuery, unit_key

__all__ = ["UNITS", "UNIT_CHANGES", "HierarchyMemory"]

#: Unit versions, keyed by :func:`~minzu_core.hierarchy.ports.unit_key`: one per
#: ``(code, valid_from)``.
UNITS: Kind[Unit] = Kind(
    "unit",
    Unit,
    key=lambda u: unit_key(u.code, u.valid_from),
    what="unit",
    duplicate=lambda _u: DuplicateError(
        "单位版本已存在", "unit version exists", code="duplicate_unit", field="code"
    ),
)
#: Recorded unit changes, keyed by id (append-only).
UNIT_CHANGES = id_kind("unit_change", UnitChange, "单位变更", "unit change")


def _valid_from(unit: Unit) -> date:
    return unit.valid_from or date.min


class HierarchyMemory(DocumentSession):
    """The hierarchy port on the document layer."""

    def get_unit_versions(self, code: DivisionCode) -> list[Unit]:
        """Every version of ``code``."""
        return self.doc_query(UNITS, lambda u: u.code == code, _valid_from)

    def insert_unit(self, unit: Unit) -> None:
        """Insert a unit version."""
        self.doc_insert(UNITS, unit)

    def update_unit(self, unit: Unit, expected_version: int) -> None:
        """Replace a unit version if its version is ``expected_version``."""
        self.doc_update(UNITS, unit, expected_version)

    def query_units(self, query: UnitQuery) -> list[Unit]:
        """Units matching ``query``."""
        return self.doc_query(
            UNITS,
            lambda u: (
                in_prefixes(u.code, query.prefixes)
                and (query.level is None or u.level is query.level)
                and (query.as_of is None or u.valid_on(query.as_of))
            ),
            lambda u: (u.code.value, _valid_from(u)),
        )

    def insert_unit_change(self, change: UnitChange) -> None:
        """Record a unit change."""
        self.doc_insert(UNIT_CHANGES, change)

    def query_unit_changes(self, prefixes: tuple[str, ...] | None) -> list[UnitChange]:
        """Unit changes touching ``prefixes``, by effective date, then code."""

        def touches(change: UnitChange) -> bool:
            codes = (change.code, *change.successors)
            return prefixes is None or any(in_prefixes(c, prefixes) for c in codes)

        return self.doc_query(UNIT_CHANGES, touches, lambda c: (c.effective, c.code.value))
