"""The ledger (台账): persons with residence episodes, the storage port and the repository."""

from __future__ import annotations

from minzu_core.ledger.model import (
    HouseholdRegistration,
    LanguageProficiency,
    MigrationReason,
    Person,
    PersonStatus,
    Residence,
    ResidenceStatus,
)
from minzu_core.ledger.ports import (
    LedgerPort,
    PersonQuery,
)
from minzu_core.ledger.repository import (
    PersonRepository,
)

__all__ = [
    "HouseholdRegistration",
    "LanguageProficiency",
    "LedgerPort",
    "MigrationReason",
    "Person",
    "PersonQuery",
    "PersonRepository",
    "PersonStatus",
    "Residence",
    "ResidenceStatus",
]
