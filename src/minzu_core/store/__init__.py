"""Stores and units of work (存储与工作单元): the ports every adapter implements, the unit of
work, bulk writes and :func:`open_store`.
"""

from __future__ import annotations

from minzu_core.store import bulk, factory, ports, uow
from minzu_core.store.bulk import *  # noqa: F403
from minzu_core.store.factory import *  # noqa: F403
from minzu_core.store.ports import *  # noqa: F403
from minzu_core.store.uow import *  # noqa: F403

__all__: list[str] = []
__all__ += bulk.__all__
__all__ += factory.__all__
__all__ += ports.__all__
__all__ += uow.__all__
