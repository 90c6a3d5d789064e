"""The in-memory store (``memory://``): the reference semantics of the ports.

A real backend, not a test fake: sessions are isolated (changes live in a private overlay until
``commit``), commits are atomic and serialised by a lock, versions are checked at write time and
again at commit, and the active-ID-number rule is enforced at commit. Data lives as long as the
backend object; ``memory://NAME`` opens a named store shared inside the process.
"""

from __future__ import annotations

import threading
import uuid
from datetime import date
from typing import Any

from minzu_adapters.memory.disputes import DisputeMemory
from minzu_adapters.memory.indicators import IndicatorMemory
from minzu_adapters.memory.organisation import OrganisationMemory
from minzu_core.codes.divisions import DivisionCode
from minzu_core.errors import ConcurrencyError, DuplicateError, StoreError
from minzu_core.hierarchy.model import Unit, UnitChange
from minzu_core.hierarchy.ports import UnitQuery, unit_key
from minzu_core.history import ChangeRecord
from minzu_core.ledger.model import Person, PersonStatus
from minzu_core.ledger.ports import PersonQuery
from minzu_core.services.model import OPEN_STATES, ServiceRequest, ServiceWindow
from minzu_core.services.ports import RequestIndex, RequestQuery, WindowQuery
from minzu_core.store.ports import StoreSession

__all__ = ["MemoryBackend", "MemorySession", "open_memory_store"]

_NAMED: dict[str, MemoryBackend] = {}
_NAMED_LOCK = threading.Lock()


def _stale(what: str, stored: int | None, expected: int) -> ConcurrencyError:
    return ConcurrencyError(
        "记录已被他人修改, 请重新读取后再保存",
        f"the {what} was changed by someone else since it was read; reload and retry",
        code="stale_version",
        field="version",
        details={"stored_version": stored, "given_version": expected},
    )


def _duplicate_id_number() -> DuplicateError:
    return DuplicateError(
        "该公民身份号码已有有效记录",
        "an active record with this ID number exists",
        code="duplicate_id_number",
        field="id_number",
    )


class _State:
    """The committed state of a memory store."""

    def __init__(self) -> None:
        self.units: dict[str, Unit] = {}
        self.unit_changes: list[UnitChange] = []
        self.persons: dict[uuid.UUID, Person] = {}
        self.history: list[ChangeRecord] = []
        self.active_by_number: dict[str, uuid.UUID] = {}
        self.windows: dict[uuid.UUID, ServiceWindow] = {}
        self.requests: dict[uuid.UUID, tuple[ServiceRequest, RequestIndex]] = {}
        # Generic documents of later aggregates: kind -> key -> object with a ``version``.
        self.docs: dict[str, dict[str, Any]] = {}


class MemoryBackend:
    """An in-memory store. Thread-safe: each session is private until it commits."""

    def __init__(self, url: str = "memory://") -> None:
        self._url = url
        self.state = _State()
        self.lock = threading.RLock()

    @property
    def url(self) -> str:
        """The URL this store was opened with."""
        return self._url

    def begin(self) -> MemorySession:
        """Start an isolated session."""
        return MemorySession(self)

    def close(self) -> None:
        """Nothing to release (named stores stay registered for the process)."""


class MemorySession(DisputeMemory, OrganisationMemory, IndicatorMemory):
    """One transaction on a :class:`MemoryBackend`: a private overlay of changes."""

    def __init__(self, backend: MemoryBackend) -> None:
        self._b = backend
        self._units: dict[str, Unit] = {}
        self._unit_expected: dict[str, int | None] = {}
        self._changes: list[UnitChange] = []
        self._persons: dict[uuid.UUID, Person] = {}
        self._person_expected: dict[uuid.UUID, int | None] = {}
        self._history: list[ChangeRecord] = []
        self._windows: dict[uuid.UUID, ServiceWindow] = {}
        self._window_expected: dict[uuid.UUID, int | None] = {}
        self._requests: dict[uuid.UUID, tuple[ServiceRequest, RequestIndex]] = {}
        self._request_expected: dict[uuid.UUID, int | None] = {}
        self._docs: dict[str, dict[str, Any]] = {}
        self._doc_expected: dict[tuple[str, str], int | None] = {}
        self._closed = False

    # -- helpers -------------------------------------------------------------------------------
    def _all_units(self) -> dict[str, Unit]:
        with self._b.lock:
            merged = dict(self._b.state.units)
        merged.update(self._units)
        return merged

    def _all_persons(self) -> dict[uuid.UUID, Person]:
        with self._b.lock:
            merged = dict(self._b.state.persons)
        merged.update(self._persons)
        return merged

    # -- units ---------------------------------------------------------------------------------
    def get_unit_versions(self, code: DivisionCode) -> list[Unit]:
        """Every version of ``code``."""
        units = [u for u in self._all_units().values() if u.code == code]
        return sorted(units, key=lambda u: u.valid_from or date.min)

    def insert_unit(self, unit: Unit) -> None:
        """Insert a unit version."""
        key = unit_key(unit.code, unit.valid_from)
        if key in self._all_units():
            raise DuplicateError(
                "单位版本已存在", "unit version exists", code="duplicate_unit", field="code"
            )
        self._units[key] = unit
        self._unit_expected.setdefault(key, None)

    def update_unit(self, unit: Unit, expected_version: int) -> None:
        """Replace a unit version if its version is ``expected_version``."""
        key = unit_key(unit.code, unit.valid_from)
        current = self._all_units().get(key)
        if current is None or current.version != expected_version:
            raise _stale("unit", None if current is None else current.version, expected_version)
        self._unit_expected.setdefault(key, expected_version)
        self._units[key] = unit

    def query_units(self, query: UnitQuery) -> list[Unit]:
        """Units matching ``query``."""
        result = []
        for unit in self._all_units().values():
            if query.prefixes is not None and not unit.code.value.startswith(query.prefixes):
                continue
            if query.level is not None and unit.level is not query.level:
                continue
            if query.as_of is not None and not unit.valid_on(query.as_of):
                continue
            result.append(unit)
        return sorted(result, key=lambda u: (u.code.value, u.valid_from or date.min))

    def insert_unit_change(self, change: UnitChange) -> None:
        """Record a unit change."""
        self._changes.append(change)

    def query_unit_changes(self, prefixes: tuple[str, ...] | None) -> list[UnitChange]:
        """Unit changes touching ``prefixes``."""
        with self._b.lock:
            changes = list(self._b.state.unit_changes)
        changes.extend(self._changes)

        def touches(ch: UnitChange) -> bool:
            if prefixes is None:
                return True
            codes = (ch.code, *ch.successors)
            return any(c.value.startswith(prefixes) for c in codes)

        return sorted((c for c in changes if touches(c)), key=lambda c: (c.effective, c.code.value))

    # -- persons -------------------------------------------------------------------------------
    def get_person(self, person_id: uuid.UUID) -> Person | None:
        """The person with this id."""
        if person_id in self._persons:
            return self._persons[person_id]
        with self._b.lock:
            return self._b.state.persons.get(person_id)

    def find_active_by_id_number(self, id_number: str) -> Person | None:
        """The active person with this ID number (the overlay first, then the index)."""
        for person in self._persons.values():
            if person.id_number == id_number and person.status is PersonStatus.ACTIVE:
                return person
        with self._b.lock:
            pid = self._b.state.active_by_number.get(id_number)
        if pid is None:
            return None
        holder = self.get_person(pid)
        if holder is None or holder.status is not PersonStatus.ACTIVE:
            return None
        return holder if holder.id_number == id_number else None

    def _check_unique(self, person: Person) -> None:
        if person.id_number is None or person.status is not PersonStatus.ACTIVE:
            return
        holder = self.find_active_by_id_number(person.id_number)
        if holder is not None and holder.id != person.id:
            raise _duplicate_id_number()

    def insert_person(self, person: Person) -> None:
        """Insert a person."""
        if person.id in self._all_persons():
            raise DuplicateError(
                "人员记录标识重复", "a person with this id exists", code="duplicate_id", field="id"
            )
        self._check_unique(person)
        self._persons[person.id] = person
        self._person_expected.setdefault(person.id, None)

    def update_person(self, person: Person, expected_version: int) -> None:
        """Replace a person if its version is ``expected_version``."""
        current = self._all_persons().get(person.id)
        if current is None or current.version != expected_version:
            raise _stale("person", None if current is None else current.version, expected_version)
        self._check_unique(person)
        self._person_expected.setdefault(person.id, expected_version)
        self._persons[person.id] = person

    def _matches(self, person: Person, q: PersonQuery) -> bool:
        if q.active_only and person.status is not PersonStatus.ACTIVE:
            return False
        if q.minority is not None and person.is_minority != q.minority:
            return False
        if q.ethnicity is not None and person.ethnicity != q.ethnicity:
            return False
        if q.name is not None and person.name != q.name:
            return False
        if q.birth_date is not None and person.birth_date != q.birth_date:
            return False
        if not q.has_residence_condition:
            return True
        for r in person.residences:
            if q.prefixes is not None and not r.unit_code.value.startswith(q.prefixes):
                continue
            if q.as_of is not None and not r.present_on(q.as_of):
                continue
            if q.status is not None and r.status is not q.status:
                continue
            return True
        return False

    def query_persons(self, query: PersonQuery) -> list[Person]:
        """Persons matching ``query``, ordered by id text."""
        found = sorted(
            (p for p in self._all_persons().values() if self._matches(p, query)),
            key=lambda p: str(p.id),
        )
        end = None if query.limit is None else query.offset + query.limit
        return found[query.offset : end]

    def count_persons(self, query: PersonQuery) -> int:
        """How many persons match ``query``."""
        return sum(1 for p in self._all_persons().values() if self._matches(p, query))

    # -- service windows and requests ----------------------------------------------------------
    def get_window(self, window_id: uuid.UUID) -> ServiceWindow | None:
        """The window with this id."""
        if window_id in self._windows:
            return self._windows[window_id]
        with self._b.lock:
            return self._b.state.windows.get(window_id)

    def insert_window(self, window: ServiceWindow) -> None:
        """Insert a window."""
        if self.get_window(window.id) is not None:
            raise DuplicateError(
                "服务窗口标识重复", "a window with this id exists", code="duplicate_id", field="id"
            )
        self._windows[window.id] = window
        self._window_expected.setdefault(window.id, None)

    def update_window(self, window: ServiceWindow, expected_version: int) -> None:
        """Replace a window if its version is ``expected_version``."""
        current = self.get_window(window.id)
        if current is None or current.version != expected_version:
            raise _stale("window", None if current is None else current.version, expected_version)
        self._window_expected.setdefault(window.id, expected_version)
        self._windows[window.id] = window

    def query_windows(self, query: WindowQuery) -> list[ServiceWindow]:
        """Windows matching ``query``."""
        with self._b.lock:
            merged = dict(self._b.state.windows)
        merged.update(self._windows)
        found = [
            w
            for w in merged.values()
            if (query.prefixes is None or w.unit_code.value.startswith(query.prefixes))
            and (query.open_on is None or w.open_on(query.open_on))
        ]
        return sorted(found, key=lambda w: (w.unit_code.value, str(w.id)))

    def _get_request_entry(
        self, request_id: uuid.UUID
    ) -> tuple[ServiceRequest, RequestIndex] | None:
        if request_id in self._requests:
            return self._requests[request_id]
        with self._b.lock:
            return self._b.state.requests.get(request_id)

    def get_request(self, request_id: uuid.UUID) -> ServiceRequest | None:
        """The request with this id."""
        entry = self._get_request_entry(request_id)
        return None if entry is None else entry[0]

    def insert_request(self, request: ServiceRequest, index: RequestIndex) -> None:
        """Insert a request."""
        if self._get_request_entry(request.id) is not None:
            raise DuplicateError(
                "服务事项标识重复",
                "a request with this id exists",
                code="duplicate_id",
                field="id",
            )
        self._requests[request.id] = (request, index)
        self._request_expected.setdefault(request.id, None)

    def update_request(
        self, request: ServiceRequest, index: RequestIndex, expected_version: int
    ) -> None:
        """Replace a request (events append-only) if its version is ``expected_version``."""
        entry = self._get_request_entry(request.id)
        current = None if entry is None else entry[0]
        if current is None or current.version != expected_version:
            raise _stale(
                "service request", None if current is None else current.version, expected_version
            )
        if request.events[: len(current.events)] != current.events:
            raise ConcurrencyError(
                "事项历史只能追加",
                "the event history is append-only",
                code="history_rewritten",
                field="events",
            )
        self._request_expected.setdefault(request.id, expected_version)
        self._requests[request.id] = (request, index)

    def _request_matches(self, request: ServiceRequest, idx: RequestIndex, q: RequestQuery) -> bool:
        if q.prefixes is not None and not request.unit_code.value.startswith(q.prefixes):
            return False
        if q.window_id is not None and request.window_id != q.window_id:
            return False
        if q.category is not None and request.category is not q.category:
            return False
        if q.states is not None and idx.state not in q.states:
            return False
        if q.received_from is not None and request.received_at < q.received_from:
            return False
        if q.received_to is not None and request.received_at >= q.received_to:
            return False
        if q.overdue_at is not None:
            if idx.state not in OPEN_STATES or idx.due_base is None:
                return False
            if not idx.due_base < q.overdue_at:
                return False
            if idx.paused_since is not None and not idx.due_base < idx.paused_since:
                return False
        return True

    def _all_requests(self) -> list[tuple[ServiceRequest, RequestIndex]]:
        with self._b.lock:
            merged = dict(self._b.state.requests)
        merged.update(self._requests)
        return list(merged.values())

    def query_requests(self, query: RequestQuery) -> list[ServiceRequest]:
        """Requests matching ``query`` by received time, then id."""
        found = sorted(
            (r for r, i in self._all_requests() if self._request_matches(r, i, query)),
            key=lambda r: (r.received_at, str(r.id)),
        )
        end = None if query.limit is None else query.offset + query.limit
        return found[query.offset : end]

    def count_requests(self, query: RequestQuery) -> int:
        """How many requests match ``query``."""
        return sum(1 for r, i in self._all_requests() if self._request_matches(r, i, query))

    # -- generic documents (used by the aggregate mixins) ---------------------------------------
    def doc_get(self, kind: str, key: str) -> Any:
        """The object stored under ``(kind, key)`` (overlay first), or ``None``."""
        overlay = self._docs.get(kind)
        if overlay is not None and key in overlay:
            return overlay[key]
        with self._b.lock:
            return self._b.state.docs.get(kind, {}).get(key)

    def doc_all(self, kind: str) -> list[Any]:
        """Every object of ``kind`` as this session sees it (committed state + overlay)."""
        with self._b.lock:
            merged = dict(self._b.state.docs.get(kind, {}))
        merged.update(self._docs.get(kind, {}))
        return list(merged.values())

    def doc_insert(self, kind: str, key: str, obj: Any) -> None:
        """Insert a new object (its ``version`` is the stored version); DuplicateError if the
        key exists."""
        if self.doc_get(kind, key) is not None:
            raise DuplicateError(
                "记录标识重复", f"a {kind} with this id exists", code="duplicate_id", field="id"
            )
        self._docs.setdefault(kind, {})[key] = obj
        self._doc_expected.setdefault((kind, key), None)

    def doc_update(self, kind: str, key: str, obj: Any, expected_version: int) -> None:
        """Replace an object whose stored version is ``expected_version`` (else
        ConcurrencyError ``stale_version``)."""
        current = self.doc_get(kind, key)
        if current is None or current.version != expected_version:
            raise _stale(kind, None if current is None else current.version, expected_version)
        self._doc_expected.setdefault((kind, key), expected_version)
        self._docs.setdefault(kind, {})[key] = obj

    # -- history -------------------------------------------------------------------------------
    def append_history(self, record: ChangeRecord) -> None:
        """Append a history record."""
        self._history.append(record)

    def list_history(self, entity_type: str, entity_id: str) -> list[ChangeRecord]:
        """One entity's history by version."""
        with self._b.lock:
            records = list(self._b.state.history)
        records.extend(self._history)
        return sorted(
            (r for r in records if r.entity_type == entity_type and r.entity_id == entity_id),
            key=lambda r: r.version,
        )

    # -- transaction ---------------------------------------------------------------------------
    def commit(self) -> None:
        """Check versions and uniqueness against the committed state, then apply atomically."""
        state = self._b.state
        with self._b.lock:
            for key, expected in self._unit_expected.items():
                stored_unit = state.units.get(key)
                stored = None if stored_unit is None else stored_unit.version
                if stored != expected:
                    if expected is None:
                        raise DuplicateError(
                            "单位版本已存在",
                            "unit version exists",
                            code="duplicate_unit",
                            field="code",
                        )
                    raise _stale("unit", stored, expected)
            for pid, expected_p in self._person_expected.items():
                stored_person = state.persons.get(pid)
                stored = None if stored_person is None else stored_person.version
                if stored != expected_p:
                    if expected_p is None:
                        raise DuplicateError(
                            "人员记录标识重复",
                            "a person with this id exists",
                            code="duplicate_id",
                            field="id",
                        )
                    raise _stale("person", stored, expected_p)
            for wid, expected_w in self._window_expected.items():
                stored_w = state.windows.get(wid)
                if (None if stored_w is None else stored_w.version) != expected_w:
                    raise _stale(
                        "window", None if stored_w is None else stored_w.version, expected_w or 0
                    )
            for rid, expected_r in self._request_expected.items():
                stored_r = state.requests.get(rid)
                stored_v = None if stored_r is None else stored_r[0].version
                if stored_v != expected_r:
                    raise _stale("service request", stored_v, expected_r or 0)
            for (kind, key), expected_d in self._doc_expected.items():
                stored_d = state.docs.get(kind, {}).get(key)
                stored_dv = None if stored_d is None else stored_d.version
                if stored_dv != expected_d:
                    if expected_d is None:
                        raise DuplicateError(
                            "记录标识重复",
                            f"a {kind} with this id exists",
                            code="duplicate_id",
                            field="id",
                        )
                    raise _stale(kind, stored_dv, expected_d)
            claimed: dict[str, uuid.UUID] = {}
            for person in self._persons.values():
                if person.id_number is None or person.status is not PersonStatus.ACTIVE:
                    continue
                holder = state.active_by_number.get(person.id_number)
                if holder is not None and holder != person.id:
                    still = self._persons.get(holder, state.persons[holder])
                    if still.status is PersonStatus.ACTIVE and still.id_number == person.id_number:
                        raise _duplicate_id_number()
                if claimed.setdefault(person.id_number, person.id) != person.id:
                    raise _duplicate_id_number()
            state.units.update(self._units)
            state.unit_changes.extend(self._changes)
            for person in self._persons.values():
                previous = state.persons.get(person.id)
                if (
                    previous is not None
                    and previous.id_number is not None
                    and state.active_by_number.get(previous.id_number) == person.id
                ):
                    del state.active_by_number[previous.id_number]
                if person.id_number is not None and person.status is PersonStatus.ACTIVE:
                    state.active_by_number[person.id_number] = person.id
            state.persons.update(self._persons)
            state.history.extend(self._history)
            state.windows.update(self._windows)
            state.requests.update(self._requests)
            for kind, objects in self._docs.items():
                state.docs.setdefault(kind, {}).update(objects)
        self._reset()

    def rollback(self) -> None:
        """Discard the overlay."""
        self._reset()

    def close(self) -> None:
        """Discard anything uncommitted."""
        self._reset()
        self._closed = True

    def _reset(self) -> None:
        self._units.clear()
        self._unit_expected.clear()
        self._changes.clear()
        self._persons.clear()
        self._person_expected.clear()
        self._history.clear()
        self._windows.clear()
        self._window_expected.clear()
        self._requests.clear()
        self._request_expected.clear()
        self._docs.clear()
        self._doc_expected.clear()


def open_memory_store(url: str = "memory://", **options: Any) -> MemoryBackend:
    """Entry point for ``memory://`` (a fresh store) and ``memory://NAME`` (a named store
    shared within the process)."""
    if options:
        raise StoreError(
            "内存存储不接受选项",
            "the memory store takes no options",
            code="unsupported_option",
            field="options",
            details={"options": sorted(options)},
        )
    name = url.partition("://")[2].strip("/")
    if not name:
        return MemoryBackend(url)
    with _NAMED_LOCK:
        backend = _NAMED.get(name)
        if backend is None:
            backend = _NAMED[name] = MemoryBackend(url)
        return backend


_check: type[StoreSession] = MemorySession  # static check that the session fits the port
