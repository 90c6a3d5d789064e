"""The administrative hierarchy with history (行政区划及其沿革): units, unit changes, the
in-memory :class:`Hierarchy`, NBS files and editions, the storage port and the repository.
"""

from __future__ import annotations

from minzu_core.hierarchy import editions, model, ports, repository
from minzu_core.hierarchy.editions import *  # noqa: F403
from minzu_core.hierarchy.model import *  # noqa: F403
from minzu_core.hierarchy.ports import *  # noqa: F403
from minzu_core.hierarchy.repository import *  # noqa: F403

__all__: list[str] = []
__all__ += editions.__all__
__all__ += model.__all__
__all__ += ports.__all__
__all__ += repository.__all__
