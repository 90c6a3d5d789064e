"""Ports (端口): what a storage adapter implements.

The domain talks to storage through two small protocols:

* :class:`StoreBackend` — an open connection to one store (one URL), able to begin sessions;
* :class:`StoreSession` — one transaction: storage primitives only (insert, update with an
  expected version, get, query, append history, commit, rollback).

The domain rules (validation, scope, uniqueness of the active ID number, history, versions) live
in the contexts' repositories (driven by :mod:`minzu_core.store.uow`), on top of these
primitives, so that every adapter enforces them the same way. Adapters must still guarantee,
inside the database where possible:

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

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    pass


from minzu_core.disputes.ports import DisputesPort
from minzu_core.hierarchy.ports import HierarchyPort
from minzu_core.history import HistoryPort
from minzu_core.indicators.query import Aggregating
from minzu_core.ledger.ports import LedgerPort
from minzu_core.organisation.ports import OrganisationPort
from minzu_core.privacy.audit import AuditPort
from minzu_core.services.ports import ServicesPort

__all__ = ["Analyzable", "SchemaManaged", "StoreBackend", "StoreSession"]


@runtime_checkable
class StoreSession(
    HierarchyPort,
    LedgerPort,
    ServicesPort,
    OrganisationPort,
    DisputesPort,
    HistoryPort,
    AuditPort,
    Aggregating,
    Protocol,
):
    """One transaction of a store: every context's port, plus the transaction itself. Not
    thread-safe: one session belongs to one thread."""

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


@runtime_checkable
class SchemaManaged(Protocol):
    """Optional: a backend whose storage has a versioned schema (e.g. SQL tables with
    migrations). ``minzu schema create|upgrade|current`` work on such backends, opened with
    ``create_tables=False``."""

    def schema_create(self) -> str:
        """Create the schema in an empty store; return the revision it is at."""
        ...

    def schema_upgrade(self, revision: str = "head") -> str | None:
        """Upgrade the schema to ``revision``; return the revision it is at afterwards."""
        ...

    def schema_revision(self) -> tuple[str | None, str]:
        """``(current, newest)`` revisions (``current`` is ``None`` for an unversioned store)."""
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...


@runtime_checkable
class Analyzable(Protocol):
    """Optional: a backend whose query planner keeps statistics that a bulk load leaves stale
    (SQL stores: ``ANALYZE``). Call :meth:`analyze` after loading many records."""

    def analyze(self) -> None:
        """Refresh the planner's statistics of the store's tables."""
        ...
