"""The SQL store: :class:`SqlBackend` (one engine) and :class:`SqlSession` (one transaction).

Every primitive of :class:`minzu_core.store.StoreSession` is one or a few statements, with the
semantics of the in-memory reference adapter:

* reads are pushed down: filters become ``WHERE``/``EXISTS`` clauses with bound parameters,
  ``count_persons`` is one ``SELECT count(*)``, and a page of persons comes back with its
  residences in one statement (the page as a subquery, outer-joined to the residences);
* ``update_*`` is ``UPDATE … WHERE key = :k AND version = :expected``; no row updated means the
  stored version moved on, raised as ``ConcurrencyError(code="stale_version")``;
* each write primitive is atomic: a multi-statement write (a person and its residences) runs in a
  SAVEPOINT, and on PostgreSQL, where any failed statement aborts the whole transaction, every
  write does, so a refused write (e.g. a duplicate) leaves the session usable as before;
* driver errors are translated by :func:`~minzu_adapters.sql.errors.translate_errors`.

SQLite specifics (see :func:`open_sql_store`): pysqlite's legacy transaction handling is turned
off (``isolation_level = None``) and the adapter emits ``BEGIN`` itself when a transaction starts,
so reads, writes and DDL of a session form one real, atomic, serializable transaction (the
recipe of the SQLAlchemy SQLite dialect documentation, which works on every Python version).
File databases use WAL journaling, so readers never block a writer's commit; a writer whose
snapshot went stale gets ``SQLITE_BUSY_SNAPSHOT``, translated to
``ConcurrencyError(code="write_conflict")``.

PostgreSQL and MySQL/MariaDB specifics: every connection runs at ``READ COMMITTED``, set
explicitly (MySQL's server default is ``REPEATABLE READ``) unless the caller passes another
``isolation_level``. It is enough for the guarantees above, which do not rest on snapshots:

* no lost update: the loser of two concurrent saves blocks in its ``UPDATE … WHERE version =
  :expected`` on the winner's row lock and, once the winner commits, the row is re-read (PostgreSQL
  re-checks the ``WHERE`` on the new row version, InnoDB updates always read the latest committed
  row), so it updates nothing and gets ``ConcurrencyError(code="stale_version")``;
* uniqueness (ID number, unit version, history version) is enforced by unique indexes, which
  block on uncommitted rows at every level;
* on InnoDB, ``REPEATABLE READ`` takes gap and next-key locks on index range scans: two units of
  work saving *different* persons deadlock on each other's residence rows (measured: 6 to 28
  deadlocks in 240 concurrent saves of 8 neighbouring persons at ``REPEATABLE READ``, none at
  ``READ COMMITTED``), and MariaDB 11.6+ with ``innodb_snapshot_isolation`` refuses such updates
  instead of re-reading (error 1020, also translated to a write conflict);
* at ``REPEATABLE READ``/``SERIALIZABLE``, PostgreSQL reports the losing save as a serialization
  failure (``write_conflict``) instead of a stale version; both are :class:`ConcurrencyError`.

What ``READ COMMITTED`` does not give: the reads of one unit of work are not one snapshot (two
queries may see different commits), and rules the domain checks by reading (a residence unit's
level, a guardian's existence, overlapping unit versions) are checked against committed data at
the time of the read, not locked until commit. Pooled connections are checked before use
(``pool_pre_ping``), so a connection dropped while idle is replaced; a connection lost inside a
unit of work raises :class:`~minzu_core.errors.ConnectionLostError`, and the database rolls the
transaction back. MySQL/MariaDB connections are put in strict SQL mode if the server's is not.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
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
    Select,
    String,
    Table,
    and_,
    case,
    create_engine,
    delete,
    event,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from minzu_adapters.sql.disputes import DisputeStorage
from minzu_adapters.sql.errors import DuplicateFactory, translate_errors
from minzu_adapters.sql.indicators import IndicatorStorage
from minzu_adapters.sql.organisation import OrganisationStorage
from minzu_adapters.sql.schema import CODE_LENGTH, Tables, UTCDateTime, build_metadata
from minzu_adapters.sql.services import ServiceStorage
from minzu_core.codes.divisions import DivisionCode
from minzu_core.codes.ethnicity import HAN
from minzu_core.errors import (
    ConcurrencyError,
    ConnectionLostError,
    DataTooLongError,
    DuplicateError,
    MinzuError,
    StoreError,
    UnknownStoreError,
)
from minzu_core.hierarchy.model import Unit, UnitChange
from minzu_core.hierarchy.ports import UnitQuery, unit_key
from minzu_core.history import ChangeRecord
from minzu_core.ledger.model import Person, PersonStatus, Residence
from minzu_core.ledger.ports import PersonQuery
from minzu_core.serialization import structure, unstructure
from minzu_core.store.ports import StoreSession

__all__ = ["SqlBackend", "SqlSession", "open_sql_store"]

_PERSON_FIELDS = tuple(
    f.name for f in attrs.fields(Person) if f.name not in ("household", "residences")
)
_RESIDENCE_FIELDS = tuple(f.name for f in attrs.fields(Residence))
_UNIT_FIELDS = tuple(f.name for f in attrs.fields(Unit))
_CHANGE_FIELDS = tuple(f.name for f in attrs.fields(UnitChange) if f.name != "successors")
_HISTORY_FIELDS = tuple(f.name for f in attrs.fields(ChangeRecord))
_RES_LABEL = "r_"
_UNKNOWN = object()


# -- errors ------------------------------------------------------------------------------------
def _stale(what: str, stored: int | None, expected: int) -> ConcurrencyError:
    return ConcurrencyError(
        "记录已被他人修改, 请重新读取后再保存",
        f"the {what} was changed by someone else since it was read; reload and retry",
        code="stale_version",
        field="version",
        details={"stored_version": stored, "given_version": expected},
    )


def _duplicate_unit() -> DuplicateError:
    return DuplicateError(
        "单位版本已存在", "unit version exists", code="duplicate_unit", field="code"
    )


def _duplicate_person() -> DuplicateError:
    return DuplicateError(
        "人员记录标识重复", "a person with this id exists", code="duplicate_id", field="id"
    )


def _duplicate_change() -> DuplicateError:
    return DuplicateError(
        "区划变更记录标识重复", "a unit change with this id exists", code="duplicate_id", field="id"
    )


def _duplicate_history() -> DuplicateError:
    return DuplicateError(
        "该实体的此版本变更记录已存在",
        "a history record for this entity version exists",
        code="duplicate_history",
        field="version",
    )


# -- row mapping -------------------------------------------------------------------------------
@attrs.frozen
class _ColumnInfo:
    name: str
    is_date: bool
    is_datetime: bool
    max_length: int | None


def _column_infos(table: Table) -> tuple[_ColumnInfo, ...]:
    infos = []
    for col in table.columns:
        length = col.type.length if isinstance(col.type, String) else None
        infos.append(
            _ColumnInfo(
                name=col.name,
                is_date=isinstance(col.type, Date),
                is_datetime=isinstance(col.type, UTCDateTime),
                max_length=length,
            )
        )
    return tuple(infos)


def _bind(
    infos: Sequence[_ColumnInfo], data: Mapping[str, Any], field_prefix: str
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


def _prefix_match(column: Any, prefixes: tuple[str, ...]) -> ColumnElement[bool]:
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


# -- the backend -------------------------------------------------------------------------------
def _remove_dir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


class SqlBackend:
    """An open SQL store: one SQLAlchemy :class:`~sqlalchemy.Engine` and its tables.

    Attributes:
        engine: the engine (bound parameters are hidden from its logs and error texts).
        metadata: the ``MetaData`` holding the store's tables (for a host's Alembic setup).
        tables: the :class:`~minzu_adapters.sql.schema.Tables`.
        prefix: the table-name prefix.
        schema: the database schema, or ``None``.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        prefix: str = "minzu_",
        schema: str | None = None,
        url: str | None = None,
        temp_dir: str | None = None,
    ) -> None:
        self.engine = engine
        self.prefix = prefix
        self.schema = schema
        self.metadata, self.tables = build_metadata(prefix, schema)
        self._url = url if url is not None else engine.url.render_as_string(hide_password=True)
        self._temp_dir = temp_dir
        # Remove a private temporary database when closed, garbage-collected or at exit.
        self._cleanup = weakref.finalize(self, _remove_dir, temp_dir) if temp_dir else None
        self._closed = False
        self._infos = {t.name: _column_infos(t) for t in self.tables.all()}
        self._savepoint_every_write = engine.dialect.name == "postgresql"
        self._is_sqlite = engine.dialect.name == "sqlite"

    @property
    def url(self) -> str:
        """The URL the store was opened with, password masked."""
        return self._url

    @property
    def temp_dir(self) -> str | None:
        """The private directory of an in-memory (``sqlite://``) store, else ``None``."""
        return self._temp_dir

    def create_schema(self) -> None:
        """Create the tables of an empty database (and, on PostgreSQL, the schema) and stamp
        the migration head, in one transaction; see
        :func:`~minzu_adapters.sql.migrate.ensure_schema` (a database behind head raises
        ``StoreError(code="schema_outdated")``)."""
        from minzu_adapters.sql.migrate import ensure_schema

        ensure_schema(self.engine, prefix=self.prefix, schema=self.schema)

    def schema_create(self) -> str:
        """Create the tables of a new, empty database and stamp the newest revision
        (:func:`~minzu_adapters.sql.migrate.create_schema`)."""
        from minzu_adapters.sql.migrate import create_schema

        return create_schema(self.engine, prefix=self.prefix, schema=self.schema)

    def schema_upgrade(self, revision: str = "head") -> str | None:
        """Run the shipped migrations up to ``revision``
        (:func:`~minzu_adapters.sql.migrate.upgrade_schema`)."""
        from minzu_adapters.sql.migrate import upgrade_schema

        return upgrade_schema(
            self.engine, prefix=self.prefix, schema=self.schema, revision=revision
        )

    def schema_revision(self) -> tuple[str | None, str]:
        """``(current, head)`` migration revisions of the database."""
        from minzu_adapters.sql.migrate import current_revision, head_revision

        return (
            current_revision(self.engine, prefix=self.prefix, schema=self.schema),
            head_revision(),
        )

    def isolation_level(self) -> str:
        """The isolation level of the store's transactions, as the database reports it for a
        pooled connection: ``"READ COMMITTED"`` on PostgreSQL and MySQL/MariaDB unless another
        was passed to :func:`open_sql_store`, ``"SERIALIZABLE"`` on SQLite."""
        with translate_errors(connecting=True):
            conn = self.engine.connect()
        with conn, translate_errors():
            return str(conn.get_isolation_level())

    def begin(self) -> SqlSession:
        """Start a session (its transaction begins with its first statement)."""
        if self._closed:
            raise StoreError("存储已关闭", "the store is closed", code="store_closed")
        return SqlSession(self)

    def close(self) -> None:
        """Dispose of the engine's connections; delete a private temporary database."""
        self._closed = True
        self.engine.dispose()
        if self._cleanup is not None:
            self._cleanup()

    def __repr__(self) -> str:
        return f"SqlBackend({self._url!r}, prefix={self.prefix!r}, schema={self.schema!r})"


class SqlSession(ServiceStorage, DisputeStorage, OrganisationStorage, IndicatorStorage):
    """One transaction on a :class:`SqlBackend`. Not thread-safe.

    The connection and transaction are acquired lazily by the first statement; after
    :meth:`commit` or :meth:`rollback` the next statement starts a new transaction.
    """

    def __init__(self, backend: SqlBackend) -> None:
        self._backend = backend
        self._t: Tables = backend.tables
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None
        self._closed = False
        # Set by a write conflict or a lost connection: the database may have rolled the
        # transaction back already (MySQL deadlock, SQLite busy), so nothing more may run in it
        # (later statements could autocommit on their own) until rollback().
        self._doomed: type[ConcurrencyError | ConnectionLostError] | None = None

    # -- connection and transaction ----------------------------------------------------------
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
                self._conn = self._backend.engine.connect()
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

    @contextmanager
    def _write(
        self, on_duplicate: DuplicateFactory | None, *, several: bool = False
    ) -> Iterator[Connection]:
        """A write primitive: errors translated; atomic (SAVEPOINT) when it runs several
        statements or the dialect aborts the transaction on any error (PostgreSQL)."""
        conn = self._c()
        with self._translating(on_duplicate):
            if not (several or self._backend._savepoint_every_write):
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
                raise _stale(what, stored, expected_version)
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
            if err.code != "write_conflict" or not self._backend._is_sqlite:
                raise
            stored = self._committed_version(key_column, key)
            if stored is _UNKNOWN or stored == expected_version:
                raise
            raise _stale(what, stored, expected_version) from err

    def _committed_version(self, key_column: Any, key: str) -> Any:
        """The latest committed version of a row (``None``: no row), read outside this
        session's transaction; ``_UNKNOWN`` if it cannot be read."""
        stmt = select(key_column.table.c.version).where(key_column == key)
        try:
            with self._backend.engine.connect() as fresh, translate_errors():
                return fresh.execute(stmt).scalar()
        except MinzuError:
            return _UNKNOWN

    def _dialect_name(self) -> str:
        return self._backend.engine.dialect.name

    def _all(self, stmt: Select[Any]) -> Sequence[Row[Any]]:
        conn = self._c()
        with self._translating():
            return conn.execute(stmt).all()

    def _bind(
        self, table: Table, data: Mapping[str, Any], field_prefix: str = ""
    ) -> dict[str, Any]:
        return _bind(self._backend._infos[table.name], data, field_prefix)

    # -- units ---------------------------------------------------------------------------------
    def _unit_row(self, unit: Unit) -> dict[str, Any]:
        data = unstructure(unit)
        data["unit_key"] = unit_key(unit.code, unit.valid_from)
        return self._bind(self._t.units, data)

    @staticmethod
    def _unit_from(row: Row[Any]) -> Unit:
        m = row._mapping
        return structure({name: m[name] for name in _UNIT_FIELDS}, Unit)

    def _unit_order(self) -> tuple[Any, ...]:
        u = self._t.units
        return (u.c.code, case((u.c.valid_from.is_(None), 0), else_=1), u.c.valid_from)

    def get_unit_versions(self, code: DivisionCode) -> list[Unit]:
        """Every stored version of ``code``, ordered by ``valid_from`` (``None`` first)."""
        u = self._t.units
        stmt = select(u).where(u.c.code == code.value).order_by(*self._unit_order())
        return [self._unit_from(row) for row in self._all(stmt)]

    def insert_unit(self, unit: Unit) -> None:
        """Store a new unit version (``DuplicateError`` if ``(code, valid_from)`` exists)."""
        row = self._unit_row(unit)
        with self._write(_duplicate_unit) as conn:
            conn.execute(insert(self._t.units), row)

    def update_unit(self, unit: Unit, expected_version: int) -> None:
        """Replace the version keyed by ``(unit.code, unit.valid_from)`` if its stored version
        is ``expected_version``; else raise ``ConcurrencyError(code="stale_version")``."""
        u = self._t.units
        row = self._unit_row(unit)
        key = row.pop("unit_key")
        with self._versioned_update(
            "unit", u.c.unit_key, key, row, expected_version, _duplicate_unit
        ):
            pass

    def query_units(self, query: UnitQuery) -> list[Unit]:
        """Units matching ``query``, ordered by code, then ``valid_from`` (``None`` first)."""
        u = self._t.units
        conds: list[ColumnElement[bool]] = []
        if query.prefixes is not None:
            conds.append(_prefix_match(u.c.code, query.prefixes))
        if query.level is not None:
            conds.append(u.c.level == query.level.value)
        if query.as_of is not None:
            conds.append(or_(u.c.valid_from.is_(None), u.c.valid_from <= query.as_of))
            conds.append(or_(u.c.valid_to.is_(None), u.c.valid_to > query.as_of))
        stmt = select(u).where(*conds).order_by(*self._unit_order())
        return [self._unit_from(row) for row in self._all(stmt)]

    def insert_unit_change(self, change: UnitChange) -> None:
        """Record a unit change (and its successors, in order)."""
        data = unstructure(change)
        successors = data.pop("successors")
        row = self._bind(self._t.unit_changes, data)
        succ_rows = [
            {"change_id": data["id"], "position": i, "code": code}
            for i, code in enumerate(successors)
        ]
        with self._write(_duplicate_change, several=bool(succ_rows)) as conn:
            conn.execute(insert(self._t.unit_changes), row)
            if succ_rows:
                conn.execute(insert(self._t.unit_change_successors), succ_rows)

    def query_unit_changes(self, prefixes: tuple[str, ...] | None) -> list[UnitChange]:
        """Changes whose ``code`` or a successor starts with one of ``prefixes`` (``None``: all),
        ordered by effective date, then code, then insertion (one statement)."""
        uc, s = self._t.unit_changes, self._t.unit_change_successors
        conds: list[ColumnElement[bool]] = []
        if prefixes is not None:
            touches_successor = (
                select(s.c.change_id)
                .where(s.c.change_id == uc.c.id, _prefix_match(s.c.code, prefixes))
                .exists()
            )
            conds.append(or_(_prefix_match(uc.c.code, prefixes), touches_successor))
        found = select(uc).where(*conds).subquery("found")
        stmt = (
            select(found, s.c.code.label("successor_code"))
            .select_from(found.outerjoin(s, s.c.change_id == found.c.id))
            .order_by(found.c.effective, found.c.code, found.c.seq, s.c.position)
        )
        grouped: dict[str, dict[str, Any]] = {}
        for row in self._all(stmt):
            m = row._mapping
            data = grouped.get(m["id"])
            if data is None:
                data = grouped[m["id"]] = {name: m[name] for name in _CHANGE_FIELDS}
                data["successors"] = []
            if m["successor_code"] is not None:
                data["successors"].append(m["successor_code"])
        return [structure(data, UnitChange) for data in grouped.values()]

    # -- persons -------------------------------------------------------------------------------
    def _person_rows(self, person: Person) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        data = unstructure(person)
        residences = data.pop("residences")
        household = data.pop("household")
        data["has_household"] = household is not None
        data["household_code"] = household["division_code"] if household else None
        data["household_address"] = household["address"] if household else None
        data["active_id_number"] = (
            data["id_number"] if person.status is PersonStatus.ACTIVE else None
        )
        row = self._bind(self._t.persons, data)
        res_rows = [
            self._bind(self._t.residences, {**r, "person_id": data["id"]}, "residences.")
            for r in residences
        ]
        return row, res_rows

    def _load_persons(
        self,
        conds: Sequence[ColumnElement[bool]],
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Person]:
        """Persons matching ``conds`` ordered by id, with their residences: ONE statement (the
        page of persons as a subquery, outer-joined to its residences)."""
        p, r = self._t.persons, self._t.residences
        page_stmt = select(p).where(*conds)
        if limit is not None or offset:
            page_stmt = page_stmt.order_by(p.c.id).limit(limit).offset(offset or None)
        page = page_stmt.subquery("page")
        stmt = (
            select(page, *(c.label(_RES_LABEL + c.name) for c in r.c))
            .select_from(page.outerjoin(r, r.c.person_id == page.c.id))
            .order_by(page.c.id, r.c.arrival, r.c.id)
        )
        grouped: dict[str, dict[str, Any]] = {}
        for row in self._all(stmt):
            m = row._mapping
            data = grouped.get(m["id"])
            if data is None:
                data = grouped[m["id"]] = {name: m[name] for name in _PERSON_FIELDS}
                data["household"] = (
                    {"division_code": m["household_code"], "address": m["household_address"]}
                    if m["has_household"]
                    else None
                )
                data["residences"] = []
            if m[_RES_LABEL + "id"] is not None:
                data["residences"].append({n: m[_RES_LABEL + n] for n in _RESIDENCE_FIELDS})
        return [structure(data, Person) for data in grouped.values()]

    def get_person(self, person_id: uuid.UUID) -> Person | None:
        """The person with this id (any status), or ``None``."""
        found = self._load_persons([self._t.persons.c.id == str(person_id)])
        return found[0] if found else None

    def find_active_by_id_number(self, id_number: str) -> Person | None:
        """The active person holding this normalised ID number, or ``None``."""
        found = self._load_persons([self._t.persons.c.active_id_number == id_number])
        return found[0] if found else None

    def insert_person(self, person: Person) -> None:
        """Store a new person with its residences (``DuplicateError`` for an existing id or a
        second active record with the ID number)."""
        row, res_rows = self._person_rows(person)
        with self._write(_duplicate_person, several=bool(res_rows)) as conn:
            conn.execute(insert(self._t.persons), row)
            if res_rows:
                conn.execute(insert(self._t.residences), res_rows)

    def update_person(self, person: Person, expected_version: int) -> None:
        """Replace a person and rewrite its residences if the stored version is
        ``expected_version``; else raise ``ConcurrencyError(code="stale_version")``."""
        p, r = self._t.persons, self._t.residences
        row, res_rows = self._person_rows(person)
        pid = row.pop("id")
        with self._versioned_update(
            "person", p.c.id, pid, row, expected_version, _duplicate_person, several=True
        ) as conn:
            conn.execute(delete(r).where(r.c.person_id == pid))
            if res_rows:
                conn.execute(insert(r), res_rows)

    def _person_conditions(self, q: PersonQuery) -> list[ColumnElement[bool]]:
        p, r = self._t.persons, self._t.residences
        conds: list[ColumnElement[bool]] = []
        if q.active_only:
            conds.append(p.c.status == PersonStatus.ACTIVE.value)
        if q.minority is not None:
            conds.append(p.c.ethnicity != HAN if q.minority else p.c.ethnicity == HAN)
        if q.ethnicity is not None:
            conds.append(p.c.ethnicity == q.ethnicity)
        if q.name is not None:
            conds.append(p.c.name == q.name)
        if q.birth_date is not None:
            conds.append(p.c.birth_date == q.birth_date)
        if q.has_residence_condition:
            episode: list[ColumnElement[bool]] = [r.c.person_id == p.c.id]
            if q.prefixes is not None:
                episode.append(_prefix_match(r.c.unit_code, q.prefixes))
            if q.as_of is not None:
                episode.append(r.c.arrival <= q.as_of)
                episode.append(or_(r.c.departure.is_(None), r.c.departure > q.as_of))
            if q.status is not None:
                episode.append(r.c.status == q.status.value)
            conds.append(select(r.c.id).where(and_(*episode)).exists())
        return conds

    def query_persons(self, query: PersonQuery) -> list[Person]:
        """Persons matching ``query`` ordered by id, paged in the database."""
        if query.limit is not None and query.limit <= 0:
            return []
        return self._load_persons(
            self._person_conditions(query), limit=query.limit, offset=max(query.offset, 0)
        )

    def count_persons(self, query: PersonQuery) -> int:
        """How many persons match ``query``: one ``SELECT count(*)``."""
        p = self._t.persons
        stmt = select(func.count()).select_from(p).where(*self._person_conditions(query))
        conn = self._c()
        with self._translating():
            return int(conn.execute(stmt).scalar_one())

    # -- history -------------------------------------------------------------------------------
    def append_history(self, record: ChangeRecord) -> None:
        """Append one history record."""
        row = self._bind(self._t.history, unstructure(record))
        with self._write(_duplicate_history) as conn:
            conn.execute(insert(self._t.history), row)

    def list_history(self, entity_type: str, entity_id: str) -> list[ChangeRecord]:
        """The history of one entity, ordered by version."""
        h = self._t.history
        stmt = (
            select(h)
            .where(h.c.entity_type == entity_type, h.c.entity_id == entity_id)
            .order_by(h.c.version)
        )
        return [
            structure({n: row._mapping[n] for n in _HISTORY_FIELDS}, ChangeRecord)
            for row in self._all(stmt)
        ]

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
        return f"SqlSession({self._backend.url!r}, {state})"


# -- opening -----------------------------------------------------------------------------------
def _configure_sqlite(engine: Engine, *, wal: bool, busy_timeout: float) -> None:
    """Per-connection setup for SQLite (pysqlite): real transactions, foreign keys, a busy
    timeout and (for files) WAL journaling."""
    busy_ms = max(int(busy_timeout * 1000), 0)

    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Turn off pysqlite's legacy transaction control (it would not BEGIN before SELECT or
        # DDL and would make SAVEPOINTs escape the transaction); on_begin emits BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms:d}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    def on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)


#: URL schemes without a driver, and the driver the store uses for them.
_DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}

#: The isolation level of server transactions (see the module docstring of this module).
SERVER_ISOLATION_LEVEL = "READ COMMITTED"


def _with_default_driver(sa_url: URL) -> URL:
    """``postgresql://`` and ``postgres://`` use psycopg 3, ``mysql://`` and ``mariadb://``
    PyMySQL (the drivers this distribution depends on); ``postgres+driver://`` becomes
    ``postgresql+driver://``. An explicit driver is kept."""
    name = sa_url.drivername
    if name in _DEFAULT_DRIVERS:
        return sa_url.set(drivername=_DEFAULT_DRIVERS[name])
    if name.startswith("postgres+"):
        return sa_url.set(drivername="postgresql" + name[len("postgres") :])
    return sa_url


def _server_engine_options(options: dict[str, Any]) -> None:
    """Defaults for PostgreSQL and MySQL/MariaDB engines: an explicit isolation level (READ
    COMMITTED, whatever the server default is) and a liveness check of pooled connections
    before use (a connection the server or network dropped while idle is replaced, not
    handed to a unit of work). ``AUTOCOMMIT`` is refused: it would break atomic commits."""
    options.setdefault("isolation_level", SERVER_ISOLATION_LEVEL)
    options.setdefault("pool_pre_ping", True)
    level = options["isolation_level"]
    if isinstance(level, str) and level.upper() == "AUTOCOMMIT":
        raise StoreError(
            "存储不能使用自动提交模式",
            "the store cannot run in AUTOCOMMIT mode: units of work must commit atomically",
            code="invalid_isolation_level",
            field="isolation_level",
        )


def _configure_mysql(engine: Engine) -> None:
    """Per-connection setup for MySQL/MariaDB: strict SQL mode, so that a value too long or
    invalid for its column is an error (DataTooLongError), never silently truncated, whatever
    the server's default ``sql_mode`` is."""

    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT @@SESSION.sql_mode")
            row = cursor.fetchone()
            modes = [m for m in str(row[0] if row else "").split(",") if m]
            if "STRICT_TRANS_TABLES" not in modes and "STRICT_ALL_TABLES" not in modes:
                cursor.execute(
                    "SET SESSION sql_mode = %s", (",".join([*modes, "STRICT_ALL_TABLES"]),)
                )
        finally:
            cursor.close()

    event.listen(engine, "connect", on_connect)


def open_sql_store(
    url: str,
    *,
    prefix: str = "minzu_",
    schema: str | None = None,
    create_tables: bool = True,
    sqlite_wal: bool = True,
    sqlite_busy_timeout: float = 5.0,
    **engine_options: Any,
) -> SqlBackend:
    """Open (and by default create) a SQL store: the entry point for ``sqlite``,
    ``postgresql+psycopg``, ``mysql+pymysql`` and ``mariadb+pymysql`` URLs.

    Args:
        url: a SQLAlchemy URL. ``postgresql://`` and ``postgres://`` mean
            ``postgresql+psycopg://`` (psycopg 3), ``mysql://`` and ``mariadb://`` mean
            ``mysql+pymysql://`` and ``mariadb+pymysql://``. ``sqlite:///path.db`` is a file;
            ``sqlite://`` (or ``sqlite:///:memory:``) is an in-memory store — implemented as a
            private temporary database file (in a new directory readable only by the current
            user) that is deleted when the backend is closed, garbage-collected, or at
            interpreter exit, because SQLite's ``:memory:`` databases cannot give isolated
            transactions to several connections.
        prefix: table-name prefix (see :func:`~minzu_adapters.sql.schema.build_metadata`).
        schema: database schema for the tables (created if missing on PostgreSQL; on SQLite a
            schema is an attached database, which the host must attach itself).
        create_tables: create the tables of an empty database and stamp the migration head,
            or check that the database is at head (``False`` when the host manages the schema;
            see :mod:`minzu_adapters.sql.migrate`).
        sqlite_wal: use WAL journaling for SQLite (readers do not block writers); turn off for
            databases on network file systems.
        sqlite_busy_timeout: seconds an SQLite connection waits for a lock before the write is
            refused as a conflict.
        engine_options: passed to :func:`sqlalchemy.create_engine` (``hide_parameters``
            defaults to ``True`` so that logs and error texts never show personal data; on
            PostgreSQL and MySQL/MariaDB ``isolation_level`` defaults to ``"READ COMMITTED"``
            and ``pool_pre_ping`` to ``True``, and ``"AUTOCOMMIT"`` is refused).
    """
    try:
        sa_url = make_url(url)
    except ArgumentError as err:
        raise UnknownStoreError(
            "存储 URL 格式不正确", "malformed store URL", code="malformed_store_url", field="url"
        ) from err
    display_url = sa_url.render_as_string(hide_password=True)
    sa_url = _with_default_driver(sa_url)
    temp_dir: str | None = None
    is_sqlite = sa_url.get_backend_name() == "sqlite"
    if is_sqlite and sa_url.database in (None, "", ":memory:"):
        temp_dir = tempfile.mkdtemp(prefix="minzu-sqlite-")
        sa_url = sa_url.set(database=os.path.join(temp_dir, "store.db"))
    engine_options.setdefault("hide_parameters", True)
    if not is_sqlite:
        _server_engine_options(engine_options)
    try:
        engine = create_engine(sa_url, **engine_options)
    except BaseException:
        if temp_dir:
            _remove_dir(temp_dir)
        raise
    if is_sqlite:
        _configure_sqlite(engine, wal=sqlite_wal, busy_timeout=sqlite_busy_timeout)
    elif engine.dialect.name in ("mysql", "mariadb"):
        _configure_mysql(engine)
    try:
        backend = SqlBackend(
            engine, prefix=prefix, schema=schema, url=display_url, temp_dir=temp_dir
        )
    except BaseException:
        engine.dispose()
        if temp_dir:
            _remove_dir(temp_dir)
        raise
    if create_tables:
        try:
            backend.create_schema()
        except BaseException:
            backend.close()
            raise
    return backend


_check: type[StoreSession] = SqlSession  # static check that the session fits the port
