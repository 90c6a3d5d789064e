"""The in-memory store (``memory://``): the reference semantics of the ports.

A real backend, not a test fake. Every record kind is stored through one document layer
(:mod:`minzu_adapters.memory.session`): a session writes fully built copies into a private
overlay, checked at write time; ``commit`` checks versions, keys and unique values (one active
person per ID number, one unit version per ``(code, valid_from)``, one enrollment per trainee and
course) once more against what others committed, then applies everything atomically under the
store's lock. One module per context maps its port onto the layer (``hierarchy``, ``ledger``,
``services``, ``disputes``, ``organisation``, ``history``, ``indicators``, ``audit``,
``erasure``). Data lives as long as the backend object; ``memory://NAME`` opens a named store
shared inside the process.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from minzu_adapters.memory.audit import AUDIT, AuditMemory
from minzu_adapters.memory.disputes import DISPUTES, DisputeMemory
from minzu_adapters.memory.erasure import ErasureMemory
from minzu_adapters.memory.hierarchy import UNIT_CHANGES, UNITS, HierarchyMemory
from minzu_adapters.memory.history import HISTORY, HistoryMemory
from minzu_adapters.memory.indicators import IndicatorMemory
from minzu_adapters.memory.ledger import PERSONS, LedgerMemory
from minzu_adapters.memory.organisation import ORG_KINDS
from minzu_adapters.memory.services import REQUESTS, WINDOWS
from minzu_adapters.memory.session import Kind, MemoryState
from minzu_core.errors import StoreError
from minzu_core.store.ports import StoreSession

__all__ = ["KINDS", "MemoryBackend", "MemorySession", "open_memory_store", "reject_options"]

#: Every record kind of the memory store.
KINDS: tuple[Kind[Any], ...] = (
    UNITS,
    UNIT_CHANGES,
    PERSONS,
    WINDOWS,
    REQUESTS,
    DISPUTES,
    *ORG_KINDS.values(),
    HISTORY,
    AUDIT,
)

_NAMED: dict[str, MemoryBackend] = {}
_NAMED_LOCK = threading.Lock()


class MemoryBackend:
    """An in-memory store. Thread-safe: each session is private until it commits.

    Attributes:
        state: the committed records (:class:`~minzu_adapters.memory.session.MemoryState`).
        lock: the lock that serialises commits (held by a commit while it checks and applies).
    """

    def __init__(self, url: str = "memory://") -> None:
        self._url = url
        self.state = MemoryState(KINDS)
        self.lock = self.state.lock

    @property
    def url(self) -> str:
        """The URL this store was opened with."""
        return self._url

    def begin(self) -> MemorySession:
        """Start an isolated session."""
        return MemorySession(self)

    def close(self) -> None:
        """Nothing to release (named stores stay registered for the process)."""

    def dump(self) -> dict[str, list[Any]]:
        """Every committed record as JSON-ready data, per kind name (for saving elsewhere)."""
        return self.state.dump()

    def load(self, data: dict[str, list[Any]]) -> None:
        """Add the records of a :meth:`dump` to this (empty) store."""
        self.state.load(data)


class MemorySession(
    ErasureMemory,
    AuditMemory,
    IndicatorMemory,
    HierarchyMemory,
    LedgerMemory,
    DisputeMemory,
    HistoryMemory,
):
    """One transaction on a :class:`MemoryBackend`: a private overlay of changes. It has every
    context's port (the services and organisation ports come with the indicators')."""

    def __init__(self, backend: MemoryBackend) -> None:
        super().__init__(backend.state)


def reject_options(options: Mapping[str, Any], store_zh: str, store_en: str) -> None:
    """Raise ``StoreError(code="unsupported_option")`` if a store that takes no options was
    given some ("<store_zh>不接受选项", "the <store_en> takes no options")."""
    if options:
        raise StoreError(
            f"{store_zh}不接受选项",
            f"the {store_en} takes no options",
            code="unsupported_option",
            field="options",
            details={"options": sorted(options)},
        )


def open_memory_store(url: str = "memory://", **options: Any) -> MemoryBackend:
    """Entry point for ``memory://`` (a fresh store) and ``memory://NAME`` (a named store
    shared within the process)."""
    reject_options(options, "内存存储", "memory store")
    name = url.partition("://")[2].strip("/")
    if not name:
        return MemoryBackend(url)
    with _NAMED_LOCK:
        backend = _NAMED.get(name)
        if backend is None:
            backend = _NAMED[name] = MemoryBackend(url)
        return backend


_check: type[StoreSession] = MemorySession  # static check that the session fits the port
