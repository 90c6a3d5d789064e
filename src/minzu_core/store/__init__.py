"""Stores and units of work (存储与工作单元): the ports every adapter implements, the unit of
work and :func:`open_store`.
"""

from __future__ import annotations

from minzu_core.store.factory import (
    ENTRY_POINT_GROUP,
    Store,
    available_schemes,
    open_store,
    url_scheme,
)
from minzu_core.store.ports import (
    SchemaManaged,
    StoreBackend,
    StoreSession,
)
from minzu_core.store.uow import (
    UnitOfWork,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "SchemaManaged",
    "Store",
    "StoreBackend",
    "StoreSession",
    "UnitOfWork",
    "available_schemes",
    "open_store",
    "url_scheme",
]
