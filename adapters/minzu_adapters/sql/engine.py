"""The engine set-up of the SQL store: URL handling, driver defaults and the per-connection
configuration of SQLite and MySQL/MariaDB (:func:`create_store_engine`). The store itself
(:class:`~minzu_adapters.sql.store.SqlBackend`, :func:`~minzu_adapters.sql.store.open_sql_store`)
and the migrations (:mod:`minzu_adapters.sql.migrate`) both open their engines here.

SQLite specifics: pysqlite's legacy transaction handling is turned off (``isolation_level =
None``) and the adapter emits ``BEGIN`` itself when a transaction starts, so reads, writes and
DDL of a session form one real, atomic, serializable transaction (the recipe of the SQLAlchemy
SQLite dialect documentation, which works on every Python version). File databases use WAL
journaling, so readers never block a writer's commit; a writer whose snapshot went stale gets
``SQLITE_BUSY_SNAPSHOT``, translated to ``ConcurrencyError(code="write_conflict")``.
``sqlite://`` (in memory) is a private temporary database file, see :func:`create_store_engine`.

PostgreSQL and MySQL/MariaDB specifics: every connection runs at ``READ COMMITTED``, set
explicitly (MySQL's server default is ``REPEATABLE READ``) unless the caller passes another
``isolation_level``. It is enough for the guarantees of the store, which do not rest on
snapshots:

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

import logging
import os
import shutil
import tempfile
from typing import Any

import attrs
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from minzu_core.errors import ConfigurationError, StoreError, UnknownStoreError

__all__ = [
    "SERVER_ISOLATION_LEVEL",
    "StoreEngine",
    "create_store_engine",
    "refused_option",
    "remove_dir",
]

#: URL schemes without a driver, and the driver the store uses for them.
_DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}

#: The isolation level of server transactions (see the module docstring of this module).
SERVER_ISOLATION_LEVEL = "READ COMMITTED"


class _WithheldRows(logging.Filter):
    """Withholds the result rows SQLAlchemy logs at ``DEBUG`` (``"Row %r"``): rows carry
    names, ID numbers, phones and narratives, and ``hide_parameters`` does not cover them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Row %r":
            record.msg = "Row <withheld: result rows may hold personal data>"
            record.args = ()
        return True


def _withhold_rows(engine: Engine) -> None:
    """Put the row filter on the logger of ``engine`` (once per logger)."""
    logger = engine.logger
    target = getattr(logger, "logger", logger)  # an InstanceLogger (echo=...) wraps a Logger
    if isinstance(target, logging.Logger) and not any(
        isinstance(f, _WithheldRows) for f in target.filters
    ):
        target.addFilter(_WithheldRows())


def remove_dir(path: str) -> None:
    """Delete a private temporary database directory (errors ignored)."""
    shutil.rmtree(path, ignore_errors=True)


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


#: What to install for a driver module that is missing.
_DRIVER_EXTRAS = {
    "psycopg": 'pip install "minzu-core[postgres]"',
    "pymysql": 'pip install "minzu-core[mysql]"',
    "psycopg2": 'pip install "minzu-core[postgres]" and use postgresql+psycopg://',
    "MySQLdb": 'pip install "minzu-core[mysql]" and use mysql+pymysql://',
}


def _malformed_part(url: str) -> str:
    """The part of a URL that does not parse: ``url.host``, ``url.port`` or ``url``."""
    from urllib.parse import urlsplit

    try:
        urlsplit(url).port  # noqa: B018 - parsing the port is the check
    except ValueError as err:
        return "url.host" if "IPv6" in str(err) else "url.port"
    return "url"


def _driver_error(drivername: str, err: BaseException, display_url: str) -> ConfigurationError:
    """A ConfigurationError for a dialect or driver that SQLAlchemy cannot load."""
    if isinstance(err, ImportError):
        module = err.name or drivername
        hint = _DRIVER_EXTRAS.get(module, f"pip install {module}")
        return ConfigurationError(
            f"未安装数据库驱动 {module} ({display_url}); 请安装: {hint}",
            f"the database driver {module} is not installed ({display_url}); install it: {hint}",
            code="driver_not_installed",
            field="url.drivername",
            details={"driver": drivername, "module": module, "install": hint},
        )
    return ConfigurationError(
        f"未知的数据库方言或驱动 {drivername} ({display_url})",
        f"unknown database dialect or driver {drivername} ({display_url}); "
        "use sqlite://, postgresql+psycopg:// or mysql+pymysql://",
        code="unknown_driver",
        field="url.drivername",
        details={"driver": drivername},
    )


def refused_option(err: Exception, display_url: str) -> ConfigurationError:
    """A ConfigurationError for a URL option (or file name) the driver refused with ``err``."""
    part = "url.database" if "null byte" in str(err) else "url.query"
    return ConfigurationError(
        f"数据库驱动不接受存储 URL 的参数 ({part}: {display_url})",
        f"the database driver refused the store URL ({part} of {display_url}): "
        f"{type(err).__name__}",
        code="invalid_store_option",
        field=part,
    )


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


@attrs.frozen
class StoreEngine:
    """An engine configured for the store.

    Attributes:
        engine: the engine.
        url: the URL it was opened with, password masked.
        temp_dir: the private directory of an in-memory (``sqlite://``) database, else
            ``None``.
    """

    engine: Engine
    url: str
    temp_dir: str | None

    def dispose(self) -> None:
        """Dispose of the engine's connections; delete a private temporary database."""
        self.engine.dispose()
        if self.temp_dir:
            remove_dir(self.temp_dir)


def create_store_engine(
    url: str,
    *,
    sqlite_wal: bool = True,
    sqlite_busy_timeout: float = 5.0,
    **engine_options: Any,
) -> StoreEngine:
    """An engine for a store URL, configured as the store needs it (the arguments are those of
    :func:`~minzu_adapters.sql.store.open_sql_store`).

    ``sqlite://`` (or ``sqlite:///:memory:``) becomes a private temporary database file, in a
    new directory readable only by the current user, because SQLite's ``:memory:`` databases
    cannot give isolated transactions to several connections. ``hide_parameters`` is always
    ``True`` (bound parameters carry personal data) and the result rows SQLAlchemy logs at
    ``DEBUG`` are withheld (the engine's logger gets a filter); server engines get
    :func:`_server_engine_options`. A malformed URL raises
    ``UnknownStoreError(code="malformed_store_url")``; an unknown dialect or driver raises
    SQLAlchemy's ``ArgumentError``/``ImportError``.
    """
    try:
        sa_url = make_url(url)
    except (ArgumentError, ValueError) as err:
        part = _malformed_part(url)
        raise UnknownStoreError(
            f"存储 URL 格式不正确 ({part})",
            f"malformed store URL ({part})",
            code="malformed_store_url",
            field=part,
        ) from err
    display_url = sa_url.render_as_string(hide_password=True)
    sa_url = _with_default_driver(sa_url)
    temp_dir: str | None = None
    is_sqlite = sa_url.get_backend_name() == "sqlite"
    if is_sqlite and sa_url.database in (None, "", ":memory:"):
        temp_dir = tempfile.mkdtemp(prefix="minzu-sqlite-")
        sa_url = sa_url.set(database=os.path.join(temp_dir, "store.db"))
    # Bound parameters carry personal data (names, ID numbers, phones): never in a log line or
    # an error, even with echo or DEBUG logging, whatever the caller passed.
    engine_options["hide_parameters"] = True
    if not is_sqlite:
        _server_engine_options(engine_options)
    try:
        engine = create_engine(sa_url, **engine_options)
    except BaseException as err:
        if temp_dir:
            remove_dir(temp_dir)
        if isinstance(err, (NoSuchModuleError, ImportError)):
            raise _driver_error(sa_url.drivername, err, display_url) from err
        if isinstance(err, (ValueError, TypeError)):
            raise refused_option(err, display_url) from err
        raise
    _withhold_rows(engine)
    if is_sqlite:
        _configure_sqlite(engine, wal=sqlite_wal, busy_timeout=sqlite_busy_timeout)
    elif engine.dialect.name in ("mysql", "mariadb"):
        _configure_mysql(engine)
    return StoreEngine(engine=engine, url=display_url, temp_dir=temp_dir)
