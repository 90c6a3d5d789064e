"""Ports (端口): what a storage adapter implements.

The domain talks to storage through two small protocols:

* :class:`StoreBackend` — an open connection to one store (one URL), able to begin sessions;
* :class:`StoreSession` — one transaction: storage primitives only (insert, update with an
  expected version, get, query, append history, commit, rollback).

The domain rules (validation, scope, uniqueness of the active ID number, history, versions) live
in :mod:`minzu_core.uow`, on top of these primitives, so that every adapter enforces them the
same way. Adapters must still guarantee, inside the database where possible:

* atomicity: nothing of a session is visible to others before ``commit`` and nothing remains
  after ``rollback``;
* optimistic concurrency: ``update_*`` raises :class:`~minzu_core.errors.ConcurrencyError` when
  the stored version is not ``expected_version`` (checked at write time, not only in Python);
* uniqueness: at most one *active* person per ID number, and one unit version per
  ``(code, valid_from)`` — a violation raises :class:`~minzu_core.errors.DuplicateError`;
* query semantics exactly as documented on :class:`PersonQuery` and :class:`UnitQuery`.

Adapters register a factory ``(url: str, **options) -> StoreBackend`` under the entry-point group
``minzu_core.stores`` keyed by URL scheme, and prove themselves with the contract suite in
:mod:`minzu_core.testing`.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Protocol, runtime_checkable

import attrs

from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.hierarchy import Unit, UnitChange
from minzu_core.history import ChangeRecord
from minzu_core.ledger import Person, ResidenceStatus

__all__ = ["PersonQuery", "StoreBackend", "StoreSession", "UnitQuery", "unit_key"]


def unit_key(code: DivisionCode, valid_from: date | None) -> str:
    """The stable text key of one unit version: ``"<12-digit code>@<valid_from or ->"``."""
    return f"{code.value}@{valid_from.isoformat() if valid_from else '-'}"


@attrs.frozen
class UnitQuery:
    """Which units to list.

    A unit matches when its code starts with one of ``prefixes`` (``None``: any code; an empty
    tuple: nothing), its level is ``level`` (if given), and it is valid on ``as_of`` (if given:
    ``valid_from <= as_of < valid_to`` with open ends). Results are ordered by code, then
    ``valid_from`` (``None`` first).
    """

    prefixes: tuple[str, ...] | None = None
    level: Level | None = None
    as_of: date | None = None


@attrs.frozen
class PersonQuery:
    """Which persons to list or count.

    The residence condition applies when any of ``prefixes``, ``as_of`` or ``status`` is set: a
    person matches if ONE of their residence episodes has a unit code starting with one of
    ``prefixes`` (if set), is present on ``as_of`` (``arrival <= as_of < departure``, if set) and
    has ``status`` (if set). The other filters apply to the person record itself. Results are
    ordered by the person id (text form); ``limit``/``offset`` page through them.
    """

    prefixes: tuple[str, ...] | None = None
    as_of: date | None = None
    status: ResidenceStatus | None = None
    minority: bool | None = None
    ethnicity: str | None = None
    name: str | None = None
    birth_date: date | None = None
    active_only: bool = True
    limit: int | None = None
    offset: int = 0

    @property
    def has_residence_condition(self) -> bool:
        """True if the query filters on residence episodes."""
        return self.prefixes is not None or self.as_of is not None or self.status is not None


@runtime_checkable
class StoreSession(Protocol):
    """One transaction of a store. Not thread-safe: one session belongs to one thread."""

    # -- units -------------------------------------------------------------------------------
    def get_unit_versions(self, code: DivisionCode) -> list[Unit]:
        """Every stored version of ``code``, ordered by ``valid_from`` (``None`` first)."""
        ...

    def insert_unit(self, unit: Unit) -> None:
        """Store a new unit version (``unit.version`` is already the stored version, 1)."""
        ...

    def update_unit(self, unit: Unit, expected_version: int) -> None:
        """Replace the version keyed by ``(unit.code, unit.valid_from)`` if its stored version
        is ``expected_version``; else raise ConcurrencyError."""
        ...

    def query_units(self, query: UnitQuery) -> list[Unit]:
        """Units matching ``query`` (see :class:`UnitQuery`)."""
        ...

    def insert_unit_change(self, change: UnitChange) -> None:
        """Record a unit change."""
        ...

    def query_unit_changes(self, prefixes: tuple[str, ...] | None) -> list[UnitChange]:
        """Changes whose ``code`` or a successor starts with one of ``prefixes`` (``None``: all),
        ordered by effective date, then code."""
        ...

    # -- persons -----------------------------------------------------------------------------
    def get_person(self, person_id: uuid.UUID) -> Person | None:
        """The person with this id (any status), or ``None``."""
        ...

    def find_active_by_id_number(self, id_number: str) -> Person | None:
        """The active person holding this normalised ID number, or ``None``."""
        ...

    def insert_person(self, person: Person) -> None:
        """Store a new person (with its residences)."""
        ...

    def update_person(self, person: Person, expected_version: int) -> None:
        """Replace a person (and its residences) if the stored version is ``expected_version``."""
        ...

    def query_persons(self, query: PersonQuery) -> list[Person]:
        """Persons matching ``query`` (see :class:`PersonQuery`)."""
        ...

    def count_persons(self, query: PersonQuery) -> int:
        """How many persons match ``query`` (``limit``/``offset`` ignored)."""
        ...

    # -- history -----------------------------------------------------------------------------
    def append_history(self, record: ChangeRecord) -> None:
        """Append one history record."""
        ...

    def list_history(self, entity_type: str, entity_id: str) -> list[ChangeRecord]:
        """The history of one entity, ordered by version."""
        ...

    # -- transaction -------------------------------------------------------------------------
    def commit(self) -> None:
        """Make every change of the session durable and visible, atomically."""
        ...

    def rollback(self) -> None:
        """Discard every change of the session."""
        ...

    def close(self) -> None:
        """Release the session's resources (rolls back anything uncommitted)."""
        ...


@runtime_checkable
class StoreBackend(Protocol):
    """An open store: the factory registered for a URL scheme returns one of these."""

    @property
    def url(self) -> str:
        """The store's URL with any password masked."""
        ...

    def begin(self) -> StoreSession:
        """Start a new session (transaction)."""
        ...

    def close(self) -> None:
        """Release connections and other resources."""
        ...
