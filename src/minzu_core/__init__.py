"""minzu-core: the domain core of local-government ethnic-affairs service management.

民族工作服务管理领域核心库 — the three-tier network of district, subdistrict/town and
community/village, the ledger of minority residents and floating population, responsibilities,
service windows, dispute mediation, activities and the indicators an assessment asks for.

The names a user needs first are here (``from minzu_core import open_store, Actor, Person``);
each context package (:mod:`minzu_core.hierarchy`, :mod:`minzu_core.ledger`,
:mod:`minzu_core.organisation`, :mod:`minzu_core.activities`, :mod:`minzu_core.services`,
:mod:`minzu_core.disputes`, :mod:`minzu_core.indicators`, :mod:`minzu_core.store`) exports the
rest of its own. The way in is :func:`open_store`::

    from minzu_core import Actor, open_store

    store = open_store("sqlite:///minzu.db")
    with store.unit_of_work(Actor.system("batch")) as uow:
        ...
        uow.commit()
"""

from minzu_core.activities import Activity, ActivityType, TrainingCourse
from minzu_core.clock import CST, FixedClock, system_clock
from minzu_core.codes import DivisionCode, Level
from minzu_core.disputes import Dispute, DisputeCategory, Party
from minzu_core.errors import (
    ConcurrencyError,
    ConfigurationError,
    DuplicateError,
    MinzuError,
    NotFoundError,
    PermissionDeniedError,
    StoreError,
    TransitionError,
    UnknownStoreError,
    ValidationError,
)
from minzu_core.hierarchy import Hierarchy, Unit, UnitChange, UnitChangeKind, load_edition
from minzu_core.indicators import CATALOG, IndicatorRequest, ResultTable, compute
from minzu_core.ledger import (
    HouseholdRegistration,
    MigrationReason,
    Person,
    Residence,
    ResidenceStatus,
)
from minzu_core.organisation import Appointment, Body, BodyKind, Official, Technician
from minzu_core.privacy import Actor
from minzu_core.services import ServiceCategory, ServiceRequest, ServiceWindow
from minzu_core.store import (
    Store,
    StoreBackend,
    StoreSession,
    UnitOfWork,
    available_schemes,
    open_store,
)

__all__ = [
    "CATALOG",
    "CST",
    "Activity",
    "ActivityType",
    "Actor",
    "Appointment",
    "Body",
    "BodyKind",
    "ConcurrencyError",
    "ConfigurationError",
    "Dispute",
    "DisputeCategory",
    "DivisionCode",
    "DuplicateError",
    "FixedClock",
    "Hierarchy",
    "HouseholdRegistration",
    "IndicatorRequest",
    "Level",
    "MigrationReason",
    "MinzuError",
    "NotFoundError",
    "Official",
    "Party",
    "PermissionDeniedError",
    "Person",
    "Residence",
    "ResidenceStatus",
    "ResultTable",
    "ServiceCategory",
    "ServiceRequest",
    "ServiceWindow",
    "Store",
    "StoreBackend",
    "StoreError",
    "StoreSession",
    "Technician",
    "TrainingCourse",
    "TransitionError",
    "Unit",
    "UnitChange",
    "UnitChangeKind",
    "UnitOfWork",
    "UnknownStoreError",
    "ValidationError",
    "__version__",
    "available_schemes",
    "compute",
    "load_edition",
    "open_store",
    "system_clock",
]

__version__ = "0.1.0"
