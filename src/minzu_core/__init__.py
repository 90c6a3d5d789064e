"""minzu-core: the domain core of local-government ethnic-affairs service management.

民族工作服务管理领域核心库 — the three-tier network of district, subdistrict/town and
community/village, the ledger of minority residents and floating population, responsibilities,
service windows, dispute mediation, activities and the indicators an assessment asks for.

The way in is :func:`open_store`::

    from minzu_core import Actor, open_store

    store = open_store("sqlite:///minzu.db")
    with store.unit_of_work(Actor.system("batch")) as uow:
        ...
        uow.commit()
"""

from minzu_core.clock import CST, FixedClock, system_clock
from minzu_core.privacy.actor import Actor
from minzu_core.store.factory import Store, available_schemes, open_store

__all__ = [
    "CST",
    "Actor",
    "FixedClock",
    "Store",
    "__version__",
    "available_schemes",
    "open_store",
    "system_clock",
]

__version__ = "0.1.0"
