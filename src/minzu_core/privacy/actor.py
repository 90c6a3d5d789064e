"""Actors, scope and masking (主体、数据范围与脱敏).

Every unit of work is opened by an :class:`Actor`: who they are, their roles and the units whose
data they may see (one or more subtrees of the division hierarchy). Reads and writes outside the
scope raise :class:`~minzu_core.errors.PermissionDeniedError`; list queries return only what is
inside it. Division units on the path above a scope root (its ancestors) are readable too, so a
community cadre can see the chain of units above their own; they cannot be changed.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from minzu_core.codes.divisions import DivisionCode
from minzu_core.errors import PermissionDeniedError

__all__ = ["Actor", "intersect_scope"]


def _to_codes(values: Iterable[DivisionCode | str] | None) -> tuple[DivisionCode, ...] | None:
    if values is None:
        return None
    codes = {
        v if isinstance(v, DivisionCode) else DivisionCode.parse(v, field="scope") for v in values
    }
    # Drop roots already covered by another root, keep a stable order.
    kept = [c for c in codes if not any(o != c and o.is_ancestor_of(c) for o in codes)]
    return tuple(sorted(kept))


def _roles(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@attrs.frozen
class Actor:
    """Who is acting, with which roles, over which units.

    Attributes:
        id: a stable identifier of the person or system acting (recorded in every change).
        roles: role names used for permissions (e.g. ``"district_admin"``).
        scope: the roots of the subtrees the actor may see; ``None`` means unrestricted (use
            :meth:`system` for that, deliberately). An empty tuple means nothing at all.
        display_name: how the actor is shown in audit views (not personal data of residents).
    """

    id: str = attrs.field(validator=attrs.validators.min_len(1))
    scope: tuple[DivisionCode, ...] | None = attrs.field(converter=_to_codes)
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_roles)
    display_name: str = ""

    @classmethod
    def system(cls, id: str = "system", *, roles: Iterable[str] = ()) -> Actor:
        """An actor with unrestricted scope, for batch jobs and administration."""
        return cls(id=id, scope=None, roles=_roles(roles), display_name=id)

    @classmethod
    def for_units(cls, id: str, *units: DivisionCode | str, roles: Iterable[str] = ()) -> Actor:
        """An actor whose scope is the subtrees of ``units``."""
        return cls(id=id, scope=tuple(units), roles=_roles(roles))

    @property
    def unrestricted(self) -> bool:
        """True if the actor's scope is not limited."""
        return self.scope is None

    def covers(self, code: DivisionCode) -> bool:
        """True if ``code`` lies in the actor's scope (in one of the scope subtrees)."""
        if self.scope is None:
            return True
        return any(root.contains(code) for root in self.scope)

    def can_read_unit(self, code: DivisionCode) -> bool:
        """True if the unit is in scope or is an ancestor of a scope root."""
        if self.covers(code):
            return True
        assert self.scope is not None
        return any(code.is_ancestor_of(root) for root in self.scope)

    def require(self, code: DivisionCode, *, field: str = "unit_code", write: bool = True) -> None:
        """Raise :class:`PermissionDeniedError` unless ``code`` is in scope."""
        allowed = self.covers(code) if write else self.can_read_unit(code)
        if not allowed:
            raise PermissionDeniedError(
                f"单位 {code.short} 不在操作人的数据范围内",
                f"unit {code.short} is outside the actor's scope",
                code="outside_scope",
                field=field,
                details={"unit": code.value, "actor": self.id},
            )


def intersect_scope(actor: Actor, within: DivisionCode | None) -> tuple[DivisionCode, ...] | None:
    """The subtree roots a list query may cover: ``within`` intersected with the actor's scope.

    Returns ``None`` for "no restriction at all", and an empty tuple when nothing is visible.
    """
    if actor.scope is None:
        return None if within is None else (within,)
    if within is None:
        return actor.scope
    if actor.covers(within):
        return (within,)
    return tuple(root for root in actor.scope if within.is_ancestor_of(root))
