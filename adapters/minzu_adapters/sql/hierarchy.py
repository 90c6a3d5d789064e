"""SQL storage of the administrative hierarchy (a mixin of
:class:`~minzu_adapters.sql.store.SqlSession`): unit versions and recorded unit changes.

A unit version is one ``units`` row keyed by :func:`~minzu_core.hierarchy.ports.unit_key`
(code and ``valid_from``); a unit change is one ``unit_changes`` row with its successor codes,
in order, in ``unit_change_successors``.
"""

from __future__ import annotations

from typing import Any

import attrs
from sqlalchemy import ColumnElement, Row, case, insert, or_, select

from minzu_adapters.sql.errors import duplicate, duplicate_id
from minzu_adapters.sql.session import SessionCore, nest_rows, prefix_match
from minzu_core.codes.divisions import DivisionCode
from minzu_core.hierarchy.model import Unit, UnitChange
from minzu_core.hierarchy.ports import UnitQuery, unit_key
from minzu_core.serialization import structure, unstructure

__all__ = ["UnitStorage"]

_UNIT_FIELDS = tuple(f.name for f in attrs.fields(Unit))
_CHANGE_FIELDS = tuple(f.name for f in attrs.fields(UnitChange) if f.name != "successors")

_duplicate_unit = duplicate(
    "单位版本已存在", "unit version exists", code="duplicate_unit", field="code"
)
_duplicate_change = duplicate_id("区划变更记录", "unit change")


class UnitStorage(SessionCore):
    """The hierarchy primitives of :class:`~minzu_adapters.sql.store.SqlSession`."""

    def _unit_row(self, unit: Unit) -> dict[str, Any]:
        data = unstructure(unit)
        data["unit_key"] = unit_key(unit.code, unit.valid_from)
        return self._bind(self._t.units, data)

    @staticmethod
    def _unit_from(row: Row[Any]) -> Unit:
        m = row._mapping
        return structure({name: m[name] for name in _UNIT_FIELDS}, Unit)

    def _unit_order(self) -> tuple[Any, ...]:
        u = self._t.units
        return (u.c.code, case((u.c.valid_from.is_(None), 0), else_=1), u.c.valid_from)

    def get_unit_versions(self, code: DivisionCode) -> list[Unit]:
        """Every stored version of ``code``, ordered by ``valid_from`` (``None`` first)."""
        u = self._t.units
        stmt = select(u).where(u.c.code == code.value).order_by(*self._unit_order())
        return [self._unit_from(row) for row in self._all(stmt)]

    def insert_unit(self, unit: Unit) -> None:
        """Store a new unit version (``DuplicateError`` if ``(code, valid_from)`` exists)."""
        row = self._unit_row(unit)
        with self._write(_duplicate_unit) as conn:
            conn.execute(insert(self._t.units), row)

    def update_unit(self, unit: Unit, expected_version: int) -> None:
        """Replace the version keyed by ``(unit.code, unit.valid_from)`` if its stored version
        is ``expected_version``; else raise ``ConcurrencyError(code="stale_version")``."""
        u = self._t.units
        row = self._unit_row(unit)
        key = row.pop("unit_key")
        with self._versioned_update(
            "unit", u.c.unit_key, key, row, expected_version, _duplicate_unit
        ):
            pass

    def query_units(self, query: UnitQuery) -> list[Unit]:
        """Units matching ``query``, ordered by code, then ``valid_from`` (``None`` first)."""
        u = self._t.units
        conds: list[ColumnElement[bool]] = []
        if query.prefixes is not None:
            conds.append(prefix_match(u.c.code, query.prefixes))
        if query.level is not None:
            conds.append(u.c.level == query.level.value)
        if query.as_of is not None:
            conds.append(or_(u.c.valid_from.is_(None), u.c.valid_from <= query.as_of))
            conds.append(or_(u.c.valid_to.is_(None), u.c.valid_to > query.as_of))
        stmt = select(u).where(*conds).order_by(*self._unit_order())
        return [self._unit_from(row) for row in self._all(stmt)]

    def insert_unit_change(self, change: UnitChange) -> None:
        """Record a unit change (and its successors, in order)."""
        data = unstructure(change)
        successors = data.pop("successors")
        row = self._bind(self._t.unit_changes, data)
        succ_rows = [
            {"change_id": data["id"], "position": i, "code": code}
            for i, code in enumerate(successors)
        ]
        with self._write(_duplicate_change, several=bool(succ_rows)) as conn:
            conn.execute(insert(self._t.unit_changes), row)
            if succ_rows:
                conn.execute(insert(self._t.unit_change_successors), succ_rows)

    def query_unit_changes(self, prefixes: tuple[str, ...] | None) -> list[UnitChange]:
        """Changes whose ``code`` or a successor starts with one of ``prefixes`` (``None``: all),
        ordered by effective date, then code, then insertion (one statement)."""
        uc, s = self._t.unit_changes, self._t.unit_change_successors
        conds: list[ColumnElement[bool]] = []
        if prefixes is not None:
            touches_successor = (
                select(s.c.change_id)
                .where(s.c.change_id == uc.c.id, prefix_match(s.c.code, prefixes))
                .exists()
            )
            conds.append(or_(prefix_match(uc.c.code, prefixes), touches_successor))
        found = select(uc).where(*conds).subquery("found")
        stmt = (
            select(found, s.c.code.label("successor_code"))
            .select_from(found.outerjoin(s, s.c.change_id == found.c.id))
            .order_by(found.c.effective, found.c.code, found.c.seq, s.c.position)
        )
        changes = nest_rows(
            self._all(stmt),
            lambda m: {name: m[name] for name in _CHANGE_FIELDS},
            "successors",
            lambda m: m["successor_code"],
        )
        return [structure(data, UnitChange) for data in changes]
