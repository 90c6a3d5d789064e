"""The change history (变更记录): who changed what, when and why.

Every write through a unit of work appends a :class:`ChangeRecord` holding a JSON snapshot of the
aggregate after the change. Records are append-only; the versions of one entity form a gapless
sequence 1, 2, 3, … The snapshot holds personal data and stays inside the store: the record's
repr shows only the entity, version, actor, kind and reason.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from minzu_core.clock import CST, require_aware
from minzu_core.labels import LabelledEnum

__all__ = [
    "ChangeKind",
    "ChangeRecord",
    "HistoryPort",
    "changed_fields",
]


def _in_cst(value: datetime) -> datetime:
    """Timestamps are kept in China Standard Time, whatever zone a store returns them in."""
    return require_aware(value, "at").astimezone(CST)


class ChangeKind(LabelledEnum):
    """What kind of change a record describes."""

    CREATED = "created", "新建", "created"
    #: A real change in the world (e.g. a move, a new phone).
    UPDATED = "updated", "变更", "updated"
    #: A correction of a recording mistake.
    CORRECTED = "corrected", "更正", "corrected"
    #: A duplicate record merged into another.
    MERGED = "merged", "合并", "merged"


@attrs.frozen
class ChangeRecord:
    """One entry of an entity's change history.

    Attributes:
        entity_type: ``"person"``, ``"unit"``, ``"unit_change"`` …
        entity_id: the entity's identifier as text (a UUID, or a unit key).
        version: the version of the entity after this change (1 for a creation).
        at: when the change was committed (timezone-aware, from the injected clock).
        actor_id: who made it.
        kind: created / updated / corrected / merged.
        reason: why (required, free text).
        snapshot: the aggregate after the change, as JSON-ready data (sensitive; never logged).
    """

    entity_type: str
    entity_id: str
    version: int
    at: datetime = attrs.field(converter=_in_cst)
    actor_id: str
    kind: ChangeKind
    reason: str
    snapshot: dict[str, Any] = attrs.field(repr=False, eq=True)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4)


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> tuple[str, ...]:
    """Names of the top-level fields that differ between two snapshots (version excluded)."""
    if before is None:
        return tuple(sorted(k for k in after if k != "version"))
    keys = set(before) | set(after)
    return tuple(sorted(k for k in keys if k != "version" and before.get(k) != after.get(k)))


@runtime_checkable
class HistoryPort(Protocol):
    """Storage primitives of the change history (append-only)."""

    def append_history(self, record: ChangeRecord) -> None:
        """Append one history record."""
        ...

    def list_history(self, entity_type: str, entity_id: str) -> list[ChangeRecord]:
        """The history of one entity, ordered by version."""
        ...
