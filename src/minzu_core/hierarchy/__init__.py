"""The administrative hierarchy with history (行政区划及其沿革): units, unit changes, the
in-memory :class:`Hierarchy`, NBS files and editions, the storage port and the repository.
"""

from __future__ import annotations

from minzu_core.hierarchy.editions import (
    EDITIONS,
    Edition,
    ProposedChange,
    diff_editions,
    load_edition,
    name_stem,
    propose_edition_changes,
    read_nbs_csv,
)
from minzu_core.hierarchy.model import (
    CodeLike,
    Hierarchy,
    Unit,
    UnitChange,
    UnitChangeKind,
)
from minzu_core.hierarchy.ports import (
    HierarchyPort,
    UnitQuery,
    unit_key,
)
from minzu_core.hierarchy.repository import (
    UnitRepository,
)

__all__ = [
    "EDITIONS",
    "CodeLike",
    "Edition",
    "Hierarchy",
    "HierarchyPort",
    "ProposedChange",
    "Unit",
    "UnitChange",
    "UnitChangeKind",
    "UnitQuery",
    "UnitRepository",
    "diff_editions",
    "load_edition",
    "name_stem",
    "propose_edition_changes",
    "read_nbs_csv",
    "unit_key",
]
