"""The repository of units and unit changes (区划仓储)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

import attrs

import minzu_core.fields as fields
from minzu_core.checks import check_version, require_reason
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.errors import (
    DuplicateError,
    ValidationError,
)
from minzu_core.hierarchy.model import Hierarchy, Unit, UnitChange, UnitChangeKind
from minzu_core.hierarchy.ports import HierarchyPort, UnitQuery, unit_key
from minzu_core.history import ChangeKind, ChangeRecord, HistoryPort
from minzu_core.repository import Label, List, Repository, RepositoryContext, as_code

__all__ = [
    "UnitRepository",
    "stored_versions",
]


class _Storage(HierarchyPort, HistoryPort, Protocol):
    """The ports the unit repository uses."""


class UnitRepository(Repository[_Storage]):
    """Units of the division hierarchy and their recorded changes."""

    def __init__(self, uow: RepositoryContext[_Storage]) -> None:
        super().__init__(uow)

    # -- reads ---------------------------------------------------------------------------------
    def find(self, code: DivisionCode | str, as_of: date | None = None) -> Unit | None:
        """The unit with ``code`` valid on ``as_of`` (``None``: the latest version), or None."""
        c = as_code(code)
        self._uow.actor.require(c, write=False)
        return _pick_version(self._s.get_unit_versions(c), as_of)

    def get(self, code: DivisionCode | str, as_of: date | None = None) -> Unit:
        """Like :meth:`find` but raises :class:`NotFoundError` (code ``unit_not_found``)."""
        unit = self.find(code, as_of)
        if unit is None:
            c = as_code(code)
            raise self._not_found(_unit(c), "unit_not_found", "code", {"code": c.value})
        return unit

    def versions(self, code: DivisionCode | str) -> List[Unit]:
        """Every stored version of a code (codes can be reused), oldest first."""
        c = as_code(code)
        self._uow.actor.require(c, write=False)
        return self._s.get_unit_versions(c)

    def list(
        self,
        *,
        within: DivisionCode | str | None = None,
        level: Level | None = None,
        as_of: date | None = None,
    ) -> List[Unit]:
        """Units in ``within``'s subtree (or the whole scope), optionally of one level and valid
        on a date; only units inside the actor's scope are returned."""
        query = self._scoped(within, UnitQuery(level=level, as_of=as_of))
        return [] if query is None else self._s.query_units(query)

    def children(self, code: DivisionCode | str, as_of: date | None = None) -> List[Unit]:
        """The direct children of a unit (in scope)."""
        c = as_code(code)
        return [u for u in self.list(within=c, as_of=as_of) if u.code.parent == c]

    def subtree(
        self, code: DivisionCode | str, as_of: date | None = None, *, include_self: bool = True
    ) -> List[Unit]:
        """The unit and everything below it (in scope)."""
        c = as_code(code)
        units = self.list(within=c, as_of=as_of)
        return units if include_self else [u for u in units if u.code != c]

    def ancestors(self, code: DivisionCode | str, as_of: date | None = None) -> List[Unit]:
        """The stored units above ``code``, nearest first."""
        c = as_code(code)
        self._uow.actor.require(c, write=False)
        found: List[Unit] = []
        for anc in c.ancestors():
            unit = _pick_version(self._s.get_unit_versions(anc), as_of)
            if unit is not None:
                found.append(unit)
        return found

    def hierarchy(self, *, within: DivisionCode | str | None = None) -> Hierarchy:
        """An in-memory :class:`Hierarchy` of the units and changes in scope (for analysis)."""
        return Hierarchy(self.list(within=within), self.changes(within=within))

    def changes(self, *, within: DivisionCode | str | None = None) -> List[UnitChange]:
        """Recorded unit changes in scope, by effective date."""
        return self._s.query_unit_changes(self._prefixes(within))

    def history(
        self, code: DivisionCode | str, valid_from: date | None = None
    ) -> List[ChangeRecord]:
        """The change history of one unit version."""
        c = as_code(code)
        self._uow.actor.require(c, write=False)
        day = fields.as_date_or_none(valid_from, "valid_from")
        return self._history("unit", unit_key(c, day))

    # -- writes --------------------------------------------------------------------------------
    def add(self, unit: Unit, *, reason: str) -> Unit:
        """Store a new unit version. Its parent (for a standard code below the province) must
        already be stored, and its validity must not overlap another version of the code."""
        unit = self._typed(unit, Unit, "unit")
        why = require_reason(reason)
        self._uow.actor.require(unit.code)
        self._check_new_unit(unit)
        return self._insert(unit, why, "unit", _key, self._s.insert_unit)

    def add_many(self, units: Iterable[Unit], *, reason: str) -> List[Unit]:
        """Add several units, parents first (e.g. a whole NBS edition)."""
        ordered = sorted(units, key=lambda u: (u.level.depth, u.code.value))
        return [self.add(u, reason=reason) for u in ordered]

    def save(self, unit: Unit, *, reason: str, correction: bool = False) -> Unit:
        """Store a changed unit version (same code and ``valid_from``), version-checked."""
        unit = self._typed(unit, Unit, "unit")
        why = require_reason(reason)
        self._uow.actor.require(unit.code)
        current = next(
            (u for u in self._s.get_unit_versions(unit.code) if u.valid_from == unit.valid_from),
            None,
        )
        current = self._found(current, _unit(unit.code), "unit_not_found", "code")
        check_version(current.version, unit.version, "unit")
        others = [
            u for u in self._s.get_unit_versions(unit.code) if u.valid_from != unit.valid_from
        ]
        _check_no_overlap(unit, others)
        return self._update(
            unit, current, why, "unit", _key, self._s.update_unit, correction=correction
        )

    def apply_change(self, change: UnitChange, *, reason: str) -> UnitChange:
        """Record a unit change and apply it to the stored versions.

        renamed: the current version closes on the effective date and a version with the new
        name opens; recoded: the old code closes and the successor code opens (with the new name,
        or the old one); merged/split/abolished: the old code closes (successors must exist);
        created: the new code opens with ``new_name``.
        """
        change = self._typed(change, UnitChange, "change")
        why = require_reason(reason)
        actor = self._uow.actor
        actor.require(change.code)
        for succ in change.successors:
            actor.require(succ, field="successors")
        day = change.effective
        if change.kind is UnitChangeKind.CREATED:
            name = change.new_name
            if not name:
                raise ValidationError(
                    "新设单位须有名称",
                    "a created unit needs new_name",
                    code="name_required",
                    field="new_name",
                )
            self.add(Unit.create(change.code, name, valid_from=day), reason=why)
        else:
            current = self._found(
                _pick_version(self._s.get_unit_versions(change.code), day),
                (f"单位 {change.code.short} 在生效日", f"unit {change.code.short} on that day"),
                "unit_not_found",
                "code",
            )
            if change.kind in (UnitChangeKind.MERGED, UnitChangeKind.SPLIT):
                for succ in change.successors:
                    if _pick_version(self._s.get_unit_versions(succ), day) is None:
                        raise self._not_found(
                            (
                                f"承继单位 {succ.short} 在生效日",
                                f"successor unit {succ.short} on that day",
                            ),
                            "unit_not_found",
                            "successors",
                        )
            self.save(attrs.evolve(current, valid_to=day), reason=why)
            if change.kind is UnitChangeKind.RENAMED:
                name = change.new_name or current.name
                self.add(
                    attrs.evolve(current, name=name, valid_from=day, valid_to=None, version=0),
                    reason=why,
                )
            elif change.kind is UnitChangeKind.RECODED:
                succ = change.successors[0]
                if _pick_version(self._s.get_unit_versions(succ), day) is None:
                    self.add(
                        Unit.create(
                            succ,
                            change.new_name or current.name,
                            valid_from=day,
                            urban_rural_code=current.urban_rural_code,
                        ),
                        reason=why,
                    )
        self._s.insert_unit_change(change)
        self._uow.record("unit_change", str(change.id), 1, ChangeKind.CREATED, why, change)
        return change

    def _check_new_unit(self, unit: Unit) -> None:
        parent = unit.code.parent
        if (
            parent is not None
            and unit.level is not Level.PROVINCE
            and not self._s.get_unit_versions(parent)
        ):
            raise ValidationError(
                f"上级单位 {parent.short} 尚未登记",
                f"parent unit {parent.short} is not stored yet",
                code="parent_missing",
                field="code",
            )
        _check_no_overlap(unit, self._s.get_unit_versions(unit.code))


def stored_versions(
    port: HierarchyPort, code: DivisionCode, field: str, what: Label = ("", "")
) -> List[Unit]:
    """The stored versions of ``code``, oldest first, for a record placed at it;
    ``ValidationError(code="unit_not_found")`` naming ``field`` if it was never stored
    (``what``: the unit's role in the message, e.g. ``("居住地", "residence ")``)."""
    versions = port.get_unit_versions(code)
    if not versions:
        zh, en = what
        raise ValidationError(
            f"{zh}单位 {code.short} 不存在",
            f"{en}unit {code.short} does not exist",
            code="unit_not_found",
            field=field,
        )
    return versions


def _key(unit: Unit) -> str:
    return unit_key(unit.code, unit.valid_from)


def _unit(code: DivisionCode) -> Label:
    """The label of a unit in errors (``单位 360103``)."""
    return (f"单位 {code.short} ", f"unit {code.short}")


def _pick_version(versions: list[Unit], as_of: date | None) -> Unit | None:
    if not versions:
        return None
    if as_of is None:
        return max(versions, key=lambda u: u.valid_from or date.min)
    for unit in versions:
        if unit.valid_on(as_of):
            return unit
    return None


def _check_no_overlap(unit: Unit, others: list[Unit]) -> None:
    start = unit.valid_from or date.min
    end = unit.valid_to or date.max
    for other in others:
        if other.valid_from == unit.valid_from:
            raise DuplicateError(
                f"单位 {unit.code.short} 的该版本已存在",
                f"unit {unit.code.short} already has a version from this date",
                code="duplicate_unit",
                field="code",
            )
        o_start = other.valid_from or date.min
        o_end = other.valid_to or date.max
        if start < o_end and o_start < end:
            raise DuplicateError(
                f"单位 {unit.code.short} 的有效期与已有版本重叠",
                f"unit {unit.code.short} overlaps the validity of a stored version",
                code="unit_validity_overlap",
                field="valid_from",
            )
