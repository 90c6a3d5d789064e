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

from minzu_core.codes.divisions import DivisionCode
from minzu_core.errors import ConcurrencyError, DuplicateError
from minzu_core.hierarchy import Unit, UnitChange
from minzu_core.history import ChangeRecord
from minzu_core.ledger import Person, PersonStatus
from minzu_core.ports import PersonQuery, StoreSession, UnitQuery, unit_key

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


class MemorySession:
    """One transaction on a :class:`MemoryBackend`: a private overlay of changes."""

    def __init__(self, backend: MemoryBackend) -> None:
        self._b = backend
        self._units: dict[str, Unit] = {}
        self._unit_expected: dict[str, int | None] = {}
        self._changes: list[UnitChange] = []
        self._persons: dict[uuid.UUID, Person] = {}
        self._person_expected: dict[uuid.UUID, int | None] = {}
        self._history: list[ChangeRecord] = []
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


def open_memory_store(url: str = "memory://", **options: Any) -> MemoryBackend:
    """Entry point for ``memory://`` (a fresh store) and ``memory://NAME`` (a named store
    shared within the process)."""
    if options:
        raise TypeError(f"memory store takes no options: {sorted(options)}")
    name = url.partition("://")[2].strip("/")
    if not name:
        return MemoryBackend(url)
    with _NAMED_LOCK:
        backend = _NAMED.get(name)
        if backend is None:
            backend = _NAMED[name] = MemoryBackend(url)
        return backend


_check: type[StoreSession] = MemorySession  # static check that the session fits the port
