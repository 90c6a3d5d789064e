"""The SQL store: :class:`SqlBackend` (one engine and its tables), :class:`SqlSession` (one
transaction) and :func:`open_sql_store`, the entry point of the SQL URL schemes.

:class:`SqlSession` is the composition of the session core
(:class:`~minzu_adapters.sql.session.SessionCore`: transactions, write primitives, row
helpers) and one storage mixin per domain context: :mod:`~minzu_adapters.sql.hierarchy`,
:mod:`~minzu_adapters.sql.ledger`, :mod:`~minzu_adapters.sql.history`,
:mod:`~minzu_adapters.sql.services`, :mod:`~minzu_adapters.sql.disputes`,
:mod:`~minzu_adapters.sql.organisation`, :mod:`~minzu_adapters.sql.indicators` and
:mod:`~minzu_adapters.sql.audit` (the hash-chained audit trail), and
:mod:`~minzu_adapters.sql.bulk` (whole batches of new records). The engine
is configured by :mod:`~minzu_adapters.sql.engine` (SQLite transactions, isolation levels) and
the schema managed by :mod:`~minzu_adapters.sql.migrate`.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from sqlalchemy import Engine, Table, text

from minzu_adapters.sql.audit import AuditStorage
from minzu_adapters.sql.bulk import BulkStorage
from minzu_adapters.sql.crypto import ColumnCodec, Progress, make_codec, rotate_keys, with_codec
from minzu_adapters.sql.disputes import DisputeStorage
from minzu_adapters.sql.engine import create_store_engine, refused_option, remove_dir
from minzu_adapters.sql.erasure import ErasureStorage
from minzu_adapters.sql.errors import translate_errors
from minzu_adapters.sql.hierarchy import UnitStorage
from minzu_adapters.sql.history import HistoryStorage
from minzu_adapters.sql.indicators import IndicatorStorage
from minzu_adapters.sql.ledger import PersonStorage
from minzu_adapters.sql.migrate import (
    create_schema,
    current_revision,
    ensure_schema,
    head_revision,
    upgrade_schema,
)
from minzu_adapters.sql.organisation import OrganisationStorage
from minzu_adapters.sql.schema import build_metadata
from minzu_adapters.sql.services import ServiceStorage
from minzu_adapters.sql.session import SqlContext
from minzu_core.errors import StoreError
from minzu_core.privacy.keys import KeyProvider
from minzu_core.store.ports import StoreSession

__all__ = ["SqlBackend", "SqlSession", "open_sql_store"]

_log = logging.getLogger("minzu_adapters.sql")


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
        encrypt_names: bool = False,
    ) -> None:
        self.engine = engine
        self.prefix = prefix
        self.schema = schema
        self.metadata, self.tables = build_metadata(prefix, schema)
        self._url = url if url is not None else engine.url.render_as_string(hide_password=True)
        self._temp_dir = temp_dir
        # Remove a private temporary database when closed, garbage-collected or at exit.
        self._cleanup = weakref.finalize(self, remove_dir, temp_dir) if temp_dir else None
        self._closed = False
        self._context = SqlContext.of(engine, self.tables, self._url)
        self._encrypt_names = encrypt_names
        self._codec: ColumnCodec | None = None  # set by use_keys
        self._plaintext_noted = False

    def use_keys(self, provider: KeyProvider) -> None:
        """Encrypt ID numbers and phones (and names, if opened with ``encrypt_names=True``)
        under ``provider``'s keys, with blind indexes for the lookups
        (:mod:`~minzu_adapters.sql.crypto`). Called by :func:`minzu_core.store.open_store`
        with its ``keys`` before any unit of work; sessions begun earlier keep clear values."""
        self._codec = make_codec(provider, encrypt_names=self._encrypt_names)
        self._context = with_codec(self._context, self._codec)

    @property
    def encrypted(self) -> bool:
        """True if the store encrypts at rest (:meth:`use_keys` was called)."""
        return self._codec is not None

    def rotate_keys(self, *, batch: int = 1000, progress: Progress | None = None) -> int:
        """Re-encrypt every value not under the current key id (clear values too), ``batch``
        rows a transaction; resumable. Returns the rows rewritten; see
        :func:`minzu_adapters.sql.crypto.rotate_keys`."""
        if self._codec is None:
            raise StoreError(
                "未配置密钥, 无法轮换",
                "no key provider: nothing to rotate to",
                code="keys_required",
            )
        return rotate_keys(self.engine, self.tables, self._codec, batch=batch, progress=progress)

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
        ensure_schema(self.engine, prefix=self.prefix, schema=self.schema)

    def schema_create(self) -> str:
        """Create the tables of a new, empty database and stamp the newest revision
        (:func:`~minzu_adapters.sql.migrate.create_schema`)."""
        return create_schema(self.engine, prefix=self.prefix, schema=self.schema)

    def schema_upgrade(self, revision: str = "head") -> str | None:
        """Run the shipped migrations up to ``revision``
        (:func:`~minzu_adapters.sql.migrate.upgrade_schema`)."""
        return upgrade_schema(
            self.engine, prefix=self.prefix, schema=self.schema, revision=revision
        )

    def schema_revision(self) -> tuple[str | None, str]:
        """``(current, head)`` migration revisions of the database."""
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
        if self._codec is None and not self._plaintext_noted:
            self._plaintext_noted = True
            _log.warning(
                "未配置密钥: 身份证号和电话以明文存储 / no key provider: ID numbers and phones "
                "are stored in plaintext (open_store(url, keys=...) encrypts them)"
            )
        return SqlSession(self)

    def close(self) -> None:
        """Dispose of the engine's connections; delete a private temporary database."""
        self._closed = True
        self.engine.dispose()
        if self._cleanup is not None:
            self._cleanup()

    def analyze(self) -> None:
        """Refresh the planner's statistics of the store's tables (``ANALYZE``); a bulk load
        leaves them stale, and PostgreSQL's plans were five times slower without them."""
        statements = {
            "postgresql": [f"ANALYZE {self._quoted(t)}" for t in self.tables.all()],
            "sqlite": ["ANALYZE"],
        }.get(
            self.engine.dialect.name,
            [f"ANALYZE TABLE {self._quoted(t)}" for t in self.tables.all()],
        )
        with self.engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
            conn.commit()

    def _quoted(self, table: Table) -> str:
        return self.engine.dialect.identifier_preparer.format_table(table)

    def __repr__(self) -> str:
        return f"SqlBackend({self._url!r}, prefix={self.prefix!r}, schema={self.schema!r})"


class SqlSession(
    ErasureStorage,
    AuditStorage,
    BulkStorage,
    UnitStorage,
    PersonStorage,
    HistoryStorage,
    ServiceStorage,
    DisputeStorage,
    OrganisationStorage,
    IndicatorStorage,
):
    """One transaction on a :class:`SqlBackend`. Not thread-safe.

    The connection and transaction are acquired lazily by the first statement; after
    :meth:`commit` or :meth:`rollback` the next statement starts a new transaction.
    """

    def __init__(self, backend: SqlBackend) -> None:
        super().__init__(backend._context)


def open_sql_store(
    url: str,
    *,
    prefix: str = "minzu_",
    schema: str | None = None,
    create_tables: bool = True,
    sqlite_wal: bool = True,
    sqlite_busy_timeout: float = 5.0,
    encrypt_names: bool = False,
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
        encrypt_names: with keys (:meth:`SqlBackend.use_keys`), also encrypt names (a blind
            index keeps the likely-duplicates query working). Without keys the store keeps
            clear values and logs one warning, when its first session begins.
        engine_options: passed to :func:`sqlalchemy.create_engine` (``hide_parameters`` is
            always ``True``, whatever is passed, so that logs and error texts never show
            personal data; on
            PostgreSQL and MySQL/MariaDB ``isolation_level`` defaults to ``"READ COMMITTED"``
            and ``pool_pre_ping`` to ``True``, and ``"AUTOCOMMIT"`` is refused).
    """
    opened = create_store_engine(
        url, sqlite_wal=sqlite_wal, sqlite_busy_timeout=sqlite_busy_timeout, **engine_options
    )
    try:
        backend = SqlBackend(
            opened.engine,
            prefix=prefix,
            schema=schema,
            url=opened.url,
            temp_dir=opened.temp_dir,
            encrypt_names=encrypt_names,
        )
    except BaseException:
        opened.dispose()
        raise
    if create_tables:
        try:
            backend.create_schema()
        except (ValueError, TypeError, AttributeError) as err:
            # The first connection: the driver refused an option of the URL (a query argument
            # it does not know or cannot read, a NUL byte in a file name …).
            backend.close()
            raise refused_option(err, opened.url) from err
        except BaseException:
            backend.close()
            raise
    return backend


_check: type[StoreSession] = SqlSession  # static check that the session fits the port
