"""The document layer of the memory store (文档层): the one way every record is stored.

Every record kind (unit versions, unit changes, persons, windows, requests, disputes, the
organisation records, the change history) is a :class:`Kind`: a name, the record class, how to
key a record and read its version, the error for a key that exists, and its :class:`Unique`
rules (e.g. one active person per ID number). A :class:`MemoryState` holds the committed records
of every kind and the holder of every unique value; a :class:`DocumentSession` is one
transaction on it:

* writes go to a private copy-on-write overlay; committed state is never touched before commit;
* a value is stored only fully built: it is checked to convert with the library's converter (the
  point where the SQL stores map it to a row) *before* anything is written, and every check of a
  write runs before the overlay changes, so a write that raises leaves nothing behind;
* versions, keys and unique values are checked at write time against what the session sees, and
  again at commit, under the store's lock, against what other sessions committed meanwhile;
  then every record is applied at once (:meth:`DocumentSession.commit`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar, cast

import attrs

from minzu_core.checks import stale_version
from minzu_core.codes.divisions import DivisionCode
from minzu_core.errors import (
    ConcurrencyError,
    DuplicateError,
    MinzuError,
    StoreError,
    ValidationError,
)
from minzu_core.serialization import structure, unstructure
from minzu_core.store.bulk import BulkBatch, insert_records
from minzu_core.store.ports import StoreSession

__all__ = [
    "DocumentSession",
    "Kind",
    "MemoryState",
    "Unique",
    "duplicate_id",
    "id_kind",
    "in_prefixes",
    "page",
    "require_appended",
    "stale_version",
]

T = TypeVar("T")


def duplicate_id(
    label_zh: str, what_en: str, key_field: str = "id"
) -> Callable[[object], DuplicateError]:
    """The factory of the error for a record whose key exists (``code="duplicate_id"``,
    ``field=key_field``): "<label>标识重复", "a <what> with this <key_field> exists"."""
    return lambda _record: DuplicateError(
        f"{label_zh}标识重复",
        f"a {what_en} with this {key_field} exists",
        code="duplicate_id",
        field=key_field,
    )


def require_appended(stored: Sequence[Any], given: Sequence[Any], label_zh: str) -> None:
    """Raise ``ConcurrencyError(code="history_rewritten")`` unless the stored events are a
    prefix of the given ones (a case's event history is append-only)."""
    if tuple(given[: len(stored)]) != tuple(stored):
        raise ConcurrencyError(
            f"{label_zh}历史只能追加",
            "the event history is append-only",
            code="history_rewritten",
            field="events",
        )


def in_prefixes(code: DivisionCode | None, prefixes: tuple[str, ...] | None) -> bool:
    """Whether ``code`` starts with one of ``prefixes`` (``None``: any code, even none; an
    empty tuple: nothing)."""
    return prefixes is None or (code is not None and code.value.startswith(prefixes))


def page(found: list[T], limit: int | None, offset: int) -> list[T]:
    """The ``limit`` items of ``found`` from ``offset`` on (all from ``offset``: no limit)."""
    return found[offset : None if limit is None else offset + limit]


def _version(record: Any) -> int:
    version: int = record.version
    return version


@attrs.frozen
class Unique(Generic[T]):
    """A uniqueness rule of a kind besides its key: at most one stored record per value.

    Attributes:
        name: the rule's name (unique in the store).
        value: the record's value under the rule (``None``: the record claims nothing).
        error: the error for a record whose value another record holds.
    """

    name: str
    value: Callable[[T], Hashable | None]
    error: Callable[[T], DuplicateError]


@attrs.frozen
class Kind(Generic[T]):
    """One kind of stored record.

    Attributes:
        name: the kind's name in the store (and in :meth:`MemoryState.dump`).
        type: the record class (records are loaded from :meth:`MemoryState.dump` data as it).
        key: the record's key inside the kind.
        what: the English word for the record in a stale-version error.
        duplicate: the error for a record whose key exists.
        version: the record's stored version (read on updates only).
        unique: the kind's other uniqueness rules.
    """

    name: str
    type: type[T]
    key: Callable[[T], str]
    what: str
    duplicate: Callable[[T], DuplicateError]
    version: Callable[[T], int] = _version
    unique: tuple[Unique[T], ...] = ()

    def checked(self, record: T) -> T:
        """``record`` once it is known to be fully built: it converts to JSON-ready data with
        the library's converter, as the SQL stores convert it to a row before they write it;
        else ``ValidationError(code="unstorable_value")``. Records are frozen attrs values, so
        the one checked is the one kept (only its ``dict`` fields, e.g. an event's ``data``,
        could still be changed in place by whoever holds it)."""
        try:
            unstructure(record)
        except MinzuError:
            raise
        except Exception as exc:
            raise ValidationError(
                "记录含有无法保存的值",
                f"the {self.what} holds a value that cannot be stored",
                code="unstorable_value",
                field=self.name,
                details={"error": type(exc).__name__},
            ) from exc
        return record


def id_kind(
    name: str,
    cls: type[T],
    label_zh: str,
    what: str,
    *,
    key: Callable[[T], str] | None = None,
    key_field: str = "id",
    version: Callable[[T], int] = _version,
    unique: tuple[Unique[T], ...] = (),
) -> Kind[T]:
    """A kind keyed by the record's ``id`` (or by ``key``, the ``key_field``), whose duplicate
    key is :func:`duplicate_id` ("<label_zh>标识重复", "a <what> with this <key_field> exists")."""
    return Kind(
        name,
        cls,
        key=key or _id_text,
        what=what,
        duplicate=duplicate_id(label_zh, what, key_field),
        version=version,
        unique=unique,
    )


def _id_text(record: Any) -> str:
    return str(record.id)


class MemoryState:
    """The committed records of a memory store, per kind, with the holder of every unique
    value. Guarded by ``lock``; only :meth:`DocumentSession.commit` and :meth:`load` change it."""

    def __init__(self, kinds: Iterable[Kind[Any]]) -> None:
        self.kinds: dict[str, Kind[Any]] = {kind.name: kind for kind in kinds}
        self.docs: dict[str, dict[str, Any]] = {name: {} for name in self.kinds}
        self.holders: dict[str, dict[Hashable, str]] = {
            rule.name: {} for kind in self.kinds.values() for rule in kind.unique
        }
        self.lock = threading.RLock()

    def put(self, kind: Kind[T], key: str, record: T) -> None:
        """Store ``record`` under ``key``, moving its unique values (no checks)."""
        docs = self.docs[kind.name]
        previous = docs.get(key)
        for rule in kind.unique:
            holders = self.holders[rule.name]
            if previous is not None:
                old = rule.value(previous)
                if old is not None and holders.get(old) == key:
                    del holders[old]
            new = rule.value(record)
            if new is not None:
                holders[new] = key
        docs[key] = record

    def dump(self) -> dict[str, list[Any]]:
        """Every committed record as JSON-ready data, per kind name."""
        with self.lock:
            return {name: unstructure(list(docs.values())) for name, docs in self.docs.items()}

    def load(self, data: dict[str, list[Any]]) -> None:
        """Add the records of a :meth:`dump` (into an empty store); ``StoreError`` (code
        ``unknown_record_kind``) for a kind this store does not have."""
        unknown = sorted(set(data) - set(self.kinds))
        if unknown:
            raise StoreError(
                "数据含有未知的记录类别",
                "the data holds record kinds this store does not know",
                code="unknown_record_kind",
                details={"kinds": unknown},
            )
        with self.lock:
            for name, items in data.items():
                kind = self.kinds[name]
                for item in items:
                    record = structure(item, kind.type)
                    self.put(kind, kind.key(record), record)


class DocumentSession:
    """One transaction on a :class:`MemoryState`: a private overlay of written records."""

    def __init__(self, state: MemoryState) -> None:
        self._state = state
        self._docs: dict[str, dict[str, Any]] = {}
        self._expected: dict[tuple[str, str], int | None] = {}
        self._holders: dict[str, dict[Hashable, str]] = {}

    # -- reads ---------------------------------------------------------------------------------
    def doc_get(self, kind: Kind[T], key: str) -> T | None:
        """The record of ``kind`` under ``key`` as this session sees it, or ``None``."""
        overlay = self._docs.get(kind.name)
        if overlay is not None and key in overlay:
            written: T = overlay[key]
            return written
        with self._state.lock:
            found: T | None = self._state.docs[kind.name].get(key)
        return found

    def doc_all(self, kind: Kind[T]) -> list[T]:
        """Every record of ``kind`` as this session sees it (committed, then written)."""
        with self._state.lock:
            merged = dict(self._state.docs[kind.name])
        merged.update(self._docs.get(kind.name, {}))
        return list(merged.values())

    def doc_query(
        self, kind: Kind[T], matches: Callable[[T], bool], order: Callable[[T], Any]
    ) -> list[T]:
        """The records of ``kind`` that ``matches``, sorted by ``order``."""
        return sorted(filter(matches, self.doc_all(kind)), key=order)

    def doc_count(self, kind: Kind[T], matches: Callable[[T], bool]) -> int:
        """How many records of ``kind`` match."""
        return sum(1 for record in self.doc_all(kind) if matches(record))

    def doc_find(self, kind: Kind[T], rule: Unique[T], value: Hashable) -> T | None:
        """The record of ``kind`` holding ``value`` under ``rule`` as this session sees it."""
        key = self._holders.get(rule.name, {}).get(value)
        if key is not None:
            written: T = self._docs[kind.name][key]
            if rule.value(written) == value:
                return written
        with self._state.lock:
            key = self._state.holders[rule.name].get(value)
        if key is None:
            return None
        found = self.doc_get(kind, key)
        return found if found is not None and rule.value(found) == value else None

    # -- writes --------------------------------------------------------------------------------
    def doc_insert(self, kind: Kind[T], record: T) -> None:
        """Write a new record (``kind.duplicate`` if its key exists)."""
        key = kind.key(record)
        if self.doc_get(kind, key) is not None:
            raise kind.duplicate(record)
        self._write(kind, key, record, None)

    def doc_update(
        self,
        kind: Kind[T],
        record: T,
        expected_version: int,
        check: Callable[[T, T], None] | None = None,
    ) -> None:
        """Replace the record whose stored version is ``expected_version`` (else
        ConcurrencyError ``stale_version``); ``check(current, record)`` may refuse it."""
        key = kind.key(record)
        current = self.doc_get(kind, key)
        stored = None if current is None else kind.version(current)
        if current is None or stored != expected_version:
            raise stale_version(kind.what, stored, expected_version)
        if check is not None:
            check(current, record)
        self._write(kind, key, record, expected_version)

    def _write(self, kind: Kind[T], key: str, record: T, expected: int | None) -> None:
        checked = kind.checked(record)
        claims = [(rule, rule.value(checked)) for rule in kind.unique]
        for rule, value in claims:
            holder = None if value is None else self.doc_find(kind, rule, value)
            if holder is not None and kind.key(holder) != key:
                raise rule.error(checked)
        self._docs.setdefault(kind.name, {})[key] = checked
        self._expected.setdefault((kind.name, key), expected)
        for rule, value in claims:
            if value is not None:
                self._holders.setdefault(rule.name, {})[value] = key

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Writes inside the block are undone from the session if the block raises."""
        saved = (
            {name: dict(docs) for name, docs in self._docs.items()},
            dict(self._expected),
            {name: dict(holders) for name, holders in self._holders.items()},
        )
        try:
            yield
        except BaseException:
            self._docs, self._expected, self._holders = saved
            raise

    def insert_batch(self, batch: BulkBatch) -> None:
        """The :class:`~minzu_core.store.bulk.BulkPort`: every record of ``batch``, atomically
        within the session (all its writes, or none)."""
        with self.atomic():
            insert_records(cast(StoreSession, self), batch)

    # -- transaction ---------------------------------------------------------------------------
    def commit(self) -> None:
        """Check every written record against the committed state (its version, or that its
        key is still free; its unique values), then apply them all atomically."""
        state = self._state
        with state.lock:
            for (name, key), expected in self._expected.items():
                kind, stored = state.kinds[name], state.docs[name].get(key)
                if expected is None and stored is not None:
                    raise kind.duplicate(self._docs[name][key])
                version = None if stored is None else kind.version(stored)
                if expected is not None and version != expected:
                    raise stale_version(kind.what, version, expected)
            for name, docs in self._docs.items():
                self._check_unique(state.kinds[name], docs)
            for name, docs in self._docs.items():
                for key, record in docs.items():
                    state.put(state.kinds[name], key, record)
        self._reset()

    def _check_unique(self, kind: Kind[Any], docs: dict[str, Any]) -> None:
        committed = self._state.docs[kind.name]
        for rule in kind.unique:
            holders = self._state.holders[rule.name]
            claimed: dict[Hashable, str] = {}
            for key, record in docs.items():
                value = rule.value(record)
                if value is None:
                    continue
                holder = holders.get(value)
                if holder is not None and holder != key:
                    still = docs[holder] if holder in docs else committed[holder]
                    if rule.value(still) == value:
                        raise rule.error(record)
                if claimed.setdefault(value, key) != key:
                    raise rule.error(record)

    def rollback(self) -> None:
        """Discard the overlay."""
        self._reset()

    def close(self) -> None:
        """Discard anything uncommitted."""
        self._reset()

    def _reset(self) -> None:
        self._docs.clear()
        self._expected.clear()
        self._holders.clear()
