"""The core of a SQL session: one transaction, and the helpers every storage mixin uses.

:class:`SessionCore` owns the connection and transaction of one unit of work and the write
primitives the per-context mixins (:mod:`~minzu_adapters.sql.hierarchy`,
:mod:`~minzu_adapters.sql.ledger`, :mod:`~minzu_adapters.sql.history`,
:mod:`~minzu_adapters.sql.services`, :mod:`~minzu_adapters.sql.disputes`,
:mod:`~minzu_adapters.sql.organisation`, :mod:`~minzu_adapters.sql.indicators`) are built on;
:class:`~minzu_adapters.sql.store.SqlSession` composes them. Every primitive of
:class:`minzu_core.store.StoreSession` is one or a few statements, with the semantics of the
in-memory reference adapter:

* reads are pushed down: filters become ``WHERE``/``EXISTS`` clauses with bound parameters,
  counts are one ``SELECT count(*)``, and a page of records comes back with its child rows in
  one more statement (or, for persons, in the same one);
* ``update_*`` is ``UPDATE … WHERE key = :k AND version = :expected``
  (:meth:`SessionCore._versioned_update`); no row updated means the stored version moved on,
  raised as ``ConcurrencyError(code="stale_version")`` (:func:`stale_version`);
* each write primitive is atomic (:meth:`SessionCore._write`): a multi-statement write (a
  person and its residences) runs in a SAVEPOINT, and on PostgreSQL, where any failed statement
  aborts the whole transaction, every write does, so a refused write (e.g. a duplicate) leaves
  the session usable as before;
* driver errors are translated by :func:`~minzu_adapters.sql.errors.translate_errors`; a write
  conflict or a lost connection dooms the transaction until it is rolled back.

Row helpers: :func:`bind_values` turns JSON-ready data into a row (dates parsed, lengths
checked on every dialect) and :func:`prefix_match` is the index-friendly "code starts with"
test. How the engine's connections are set up (SQLite transactions, isolation levels) is in
:mod:`minzu_adapters.sql.engine`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime
from typing import Any

import attrs
from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Engine,
    RootTransaction,
    Row,
    RowMapping,
    Select,
    String,
    Table,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.base import Executable

from minzu_adapters.sql.errors import DuplicateFactory, translate_errors
from minzu_adapters.sql.schema import CODE_LENGTH, Tables, UTCDateTime
from minzu_core.checks import stale_version
from minzu_core.errors import (
    ConcurrencyError,
    ConnectionLostError,
    DataTooLongError,
    MinzuError,
    StoreError,
)

__all__ = [
    "ColumnInfo",
    "SessionCore",
    "SqlContext",
    "bind_values",
    "column_infos",
    "nest_rows",
    "prefix_match",
    "stale_version",
]

_UNKNOWN = object()


# -- row mapping -------------------------------------------------------------------------------
@attrs.frozen
class ColumnInfo:
    """What binding a value needs to know of its column."""

    name: str
    is_date: bool
    is_datetime: bool
    max_length: int | None


def column_infos(table: Table) -> tuple[ColumnInfo, ...]:
    """The :class:`ColumnInfo` of every column of ``table``."""
    return tuple(
        ColumnInfo(
            name=col.name,
            is_date=isinstance(col.type, Date),
            is_datetime=isinstance(col.type, UTCDateTime),
            max_length=col.type.length if isinstance(col.type, String) else None,
        )
        for col in table.columns
    )


def bind_values(
    infos: Sequence[ColumnInfo], data: Mapping[str, Any], field_prefix: str
) -> dict[str, Any]:
    """A row for a table from JSON-ready data (the converter's output): ISO texts become dates
    and datetimes again, and text longer than its column is refused (on every dialect, so that
    SQLite, which does not enforce lengths, behaves like PostgreSQL and MySQL)."""
    row: dict[str, Any] = {}
    for info in infos:
        if info.name not in data:
            continue
        value = data[info.name]
        if isinstance(value, str):
            if info.is_date:
                value = date.fromisoformat(value)
            elif info.is_datetime:
                value = datetime.fromisoformat(value)
            elif info.max_length is not None and len(value) > info.max_length:
                raise DataTooLongError(
                    f"{field_prefix}{info.name} 超过 {info.max_length} 个字符",
                    f"{field_prefix}{info.name} is longer than {info.max_length} characters",
                    field=f"{field_prefix}{info.name}",
                    details={"max_length": info.max_length},
                )
        row[info.name] = value
    return row


def prefix_match(column: Any, prefixes: tuple[str, ...]) -> ColumnElement[bool]:
    """``column`` starts with one of ``prefixes`` (empty tuple: nothing).

    Division-code prefixes (ASCII digits) on the 12-digit code columns become an index-friendly
    range, exact because every stored code has 12 digits and code columns use binary collation;
    anything else is an escaped ``LIKE prefix || '%'``.
    """
    if not prefixes:
        return false()
    parts: list[ColumnElement[bool]] = []
    for prefix in prefixes:
        if prefix == "":
            return true()
        if prefix.isascii() and prefix.isdigit() and len(prefix) <= CODE_LENGTH:
            pad = CODE_LENGTH - len(prefix)
            if pad == 0:
                parts.append(column == prefix)
            else:
                parts.append(column.between(prefix + "0" * pad, prefix + "9" * pad))
        else:
            parts.append(column.startswith(prefix, autoescape=True))
    return or_(*parts)


def nest_rows(
    rows: Iterable[Row[Any]],
    parent: Callable[[RowMapping], Mapping[str, Any]],
    child_field: str,
    child: Callable[[RowMapping], Any],
) -> list[dict[str, Any]]:
    """Rows of parents outer-joined to their children, grouped by the parent's ``id`` (in row
    order): ``parent(mapping)`` builds a parent's data, ``child(mapping)`` a child's (``None``:
    the row has no child), collected in the list ``child_field``."""
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows:
        m = row._mapping
        data = grouped.get(m["id"])
        if data is None:
            data = grouped[m["id"]] = {**parent(m), child_field: []}
        value = child(m)
        if value is not None:
            data[child_field].append(value)
    return list(grouped.values())


# -- the session core --------------------------------------------------------------------------
@attrs.frozen
class SqlContext:
    """What every session of one store shares, built once by its backend.

    Attributes:
        engine: the store's engine.
        tables: its tables.
        url: its URL, password masked (for reprs).
        infos: the :class:`ColumnInfo` of every table, by table name.
        savepoint_every_write: run every write in a SAVEPOINT (PostgreSQL).
        is_sqlite: the engine is SQLite.
    """

    engine: Engine
    tables: Tables
    url: str
    infos: Mapping[str, tuple[ColumnInfo, ...]]
    savepoint_every_write: bool
    is_sqlite: bool

    @classmethod
    def of(cls, engine: Engine, tables: Tables, url: str) -> SqlContext:
        """The context of ``engine`` and ``tables``."""
        return cls(
            engine=engine,
            tables=tables,
            url=url,
            infos={t.name: column_infos(t) for t in tables.all()},
            savepoint_every_write=engine.dialect.name == "postgresql",
            is_sqlite=engine.dialect.name == "sqlite",
        )


class SessionCore:
    """One transaction on a store, and the statement helpers of the storage mixins. Not
    thread-safe.

    The connection and transaction are acquired lazily by the first statement; after
    :meth:`commit` or :meth:`rollback` the next statement starts a new transaction.
    """

    def __init__(self, context: SqlContext) -> None:
        self._context = context
        self._t: Tables = context.tables
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None
        self._closed = False
        # Set by a write conflict or a lost connection: the database may have rolled the
        # transaction back already (MySQL deadlock, SQLite busy), so nothing more may run in it
        # (later statements could autocommit on their own) until rollback().
        self._doomed: type[ConcurrencyError | ConnectionLostError] | None = None

    # -- connection ----------------------------------------------------------------------------
    @contextmanager
    def _translating(
        self, on_duplicate: DuplicateFactory | None = None, *, connecting: bool = False
    ) -> Iterator[None]:
        try:
            with translate_errors(on_duplicate, connecting=connecting):
                yield
        except ConnectionLostError:
            self._doomed = ConnectionLostError
            raise
        except ConcurrencyError as err:
            if err.code == "write_conflict":
                self._doomed = ConcurrencyError
            raise

    def _aborted(self) -> ConcurrencyError | ConnectionLostError:
        cls = self._doomed or ConcurrencyError
        return cls(
            "事务已因写入冲突或连接中断而中止, 请回滚后重试",
            "the transaction was aborted by a write conflict or a lost connection; "
            "roll back and retry",
            code="transaction_aborted",
        )

    def _c(self) -> Connection:
        if self._closed:
            raise StoreError("会话已关闭", "the session is closed", code="session_closed")
        if self._doomed is not None:
            raise self._aborted()
        if self._conn is None:
            with self._translating(connecting=True):
                self._conn = self._context.engine.connect()
        if self._tx is None:
            with self._translating():
                self._tx = self._conn.begin()
        elif not self._tx.is_active:
            raise StoreError(
                "事务已失效, 请回滚",
                "the transaction is no longer usable; roll back",
                code="transaction_inactive",
            )
        return self._conn

    def _dialect_name(self) -> str:
        return self._context.engine.dialect.name

    # -- reads ---------------------------------------------------------------------------------
    def _all(self, stmt: Select[Any]) -> Sequence[Row[Any]]:
        conn = self._c()
        with self._translating():
            return conn.execute(stmt).all()

    def _run(self, stmt: Executable) -> None:
        """Run a statement that returns no rows (e.g. ``SET LOCAL``) in the transaction."""
        conn = self._c()
        with self._translating():
            conn.execute(stmt)

    def _page(self, stmt: Select[Any], limit: int | None, offset: int) -> Sequence[Row[Any]]:
        """The rows of the ordered ``stmt`` from ``offset`` (negative: 0), at most ``limit``
        (``None``: all; zero or less: none, without running a statement)."""
        if limit is not None and limit <= 0:
            return []
        return self._all(stmt.limit(limit).offset(max(offset, 0) or None))

    def _count(self, table: Table, conds: Sequence[ColumnElement[bool]]) -> int:
        """How many rows of ``table`` match ``conds``: one ``SELECT count(*)``."""
        stmt = select(func.count()).select_from(table).where(*conds)
        return int(self._all(stmt)[0][0])

    def _bind(
        self, table: Table, data: Mapping[str, Any], field_prefix: str = ""
    ) -> dict[str, Any]:
        return bind_values(self._context.infos[table.name], data, field_prefix)

    # -- writes --------------------------------------------------------------------------------
    @contextmanager
    def _write(
        self, on_duplicate: DuplicateFactory | None, *, several: bool = False
    ) -> Iterator[Connection]:
        """A write primitive: errors translated; atomic (SAVEPOINT) when it runs several
        statements or the dialect aborts the transaction on any error (PostgreSQL)."""
        conn = self._c()
        with self._translating(on_duplicate):
            if not (several or self._context.savepoint_every_write):
                yield conn
                return
            savepoint = conn.begin_nested()
            try:
                yield conn
            except BaseException:
                with suppress(SQLAlchemyError):
                    if savepoint.is_active:
                        savepoint.rollback()
                raise
            savepoint.commit()

    @contextmanager
    def _versioned_update(
        self,
        what: str,
        key_column: Any,
        key: str,
        row: Mapping[str, Any],
        expected_version: int,
        on_duplicate: DuplicateFactory | None = None,
        *,
        several: bool = False,
    ) -> Iterator[Connection]:
        """``UPDATE … SET row WHERE key = :key AND version = :expected`` in a write primitive;
        no row updated raises ``ConcurrencyError(code="stale_version")`` with the stored
        version. The body of the ``with`` (child rows, events) runs in the same primitive, so
        it is atomic with the update."""
        table = key_column.table
        with (
            self._stale_on_conflict(what, key_column, key, expected_version),
            self._write(on_duplicate, several=several) as conn,
        ):
            result = conn.execute(
                update(table)
                .where(key_column == key, table.c.version == expected_version)
                .values(dict(row))
            )
            if result.rowcount != 1:
                stored = conn.execute(select(table.c.version).where(key_column == key)).scalar()
                raise stale_version(what, stored, expected_version)
            yield conn

    @contextmanager
    def _stale_on_conflict(
        self, what: str, key_column: Any, key: str, expected_version: int
    ) -> Iterator[None]:
        """SQLite: a versioned UPDATE in a transaction whose snapshot predates another commit
        fails with SQLITE_BUSY_SNAPSHOT before its ``WHERE version = …`` can be evaluated. If the
        committed version (read on a fresh connection) has moved on, report what really
        happened — a stale version, as PostgreSQL and MySQL do — instead of a bare conflict.
        The session stays aborted (its snapshot can never write) until rollback."""
        try:
            yield
        except ConcurrencyError as err:
            if err.code != "write_conflict" or not self._context.is_sqlite:
                raise
            stored = self._committed_version(key_column, key)
            if stored is _UNKNOWN or stored == expected_version:
                raise
            raise stale_version(what, stored, expected_version) from err

    def _committed_version(self, key_column: Any, key: str) -> Any:
        """The latest committed version of a row (``None``: no row), read outside this
        session's transaction; ``_UNKNOWN`` if it cannot be read."""
        stmt = select(key_column.table.c.version).where(key_column == key)
        try:
            with self._context.engine.connect() as fresh, translate_errors():
                return fresh.execute(stmt).scalar()
        except MinzuError:
            return _UNKNOWN

    # -- transaction ---------------------------------------------------------------------------
    def commit(self) -> None:
        """Commit the current transaction (if any statement ran). A transaction aborted by a
        write conflict or a lost connection is rolled back instead, and the error raised."""
        tx, self._tx = self._tx, None
        if self._doomed is not None:
            error = self._aborted()
            self._doomed = None
            if tx is not None:
                with suppress(SQLAlchemyError):
                    tx.rollback()
            raise error
        if tx is None:
            return
        try:
            with translate_errors():
                tx.commit()
        except BaseException:
            # The commit failed part-way. The database may still hold the transaction open
            # although SQLAlchemy no longer tracks it (an exception raised before the driver's
            # COMMIT, e.g. by an event hook or an interrupt, leaves the transaction inactive,
            # and the connection would go back to the pool unreset, where the next unit of work
            # could commit these changes). Discard the connection: closing it makes the
            # database roll the transaction back. The next statement gets a fresh connection.
            self._discard_connection()
            raise

    def _discard_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(SQLAlchemyError):
                conn.invalidate()
            with suppress(SQLAlchemyError):
                conn.close()

    def rollback(self) -> None:
        """Discard the current transaction (if any); the session can be used again."""
        tx, self._tx = self._tx, None
        self._doomed = None
        if tx is not None:
            with translate_errors():
                tx.rollback()

    def close(self) -> None:
        """Roll back anything uncommitted and return the connection to the pool."""
        if self._closed:
            return
        self._closed = True
        tx, self._tx = self._tx, None
        conn, self._conn = self._conn, None
        try:
            if tx is not None and tx.is_active:
                with suppress(SQLAlchemyError):
                    tx.rollback()
        finally:
            if conn is not None:
                with suppress(SQLAlchemyError):
                    conn.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("active" if self._tx is not None else "idle")
        return f"SqlSession({self._context.url!r}, {state})"
