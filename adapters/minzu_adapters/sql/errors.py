"""Translation of database driver errors into :mod:`minzu_core.errors`.

:func:`translate_errors` wraps every statement, commit and connect of the SQL store. It maps

* a unique violation → :class:`~minzu_core.errors.DuplicateError` (on ``active_id_number``:
  ``code="duplicate_id_number"``, ``field="id_number"``);
* SQLite ``SQLITE_BUSY``/``SQLITE_LOCKED`` ("database is locked", including a stale WAL
  snapshot), PostgreSQL serialization failure/deadlock/lock not available, MySQL deadlock (1213),
  lock wait timeout (1205), NOWAIT (3572) and MariaDB's snapshot-isolation "record has changed
  since last read" (1020) → :class:`~minzu_core.errors.ConcurrencyError`
  (``code="write_conflict"``);
* a failure to connect or a lost connection (including a server-side kill or shutdown) →
  :class:`~minzu_core.errors.ConnectionLostError`;
* a value too long for its column (PostgreSQL 22001, MySQL 1406) →
  :class:`~minzu_core.errors.DataTooLongError`;
* any other driver error → :class:`~minzu_core.errors.StoreError`.

Driver messages can contain the values of the statement (MySQL repeats a duplicated value, and
SQLAlchemy's own text lists the bound parameters), so they are never copied into the new
error: messages are fixed texts, and ``details`` holds only driver codes and constraint names.
The original exception stays chained as ``__cause__`` for debugging; do not log it where
personal data must not go.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import exc as sa_exc

from minzu_core.errors import (
    ConcurrencyError,
    ConnectionLostError,
    DataTooLongError,
    DuplicateError,
    MinzuError,
    StoreError,
)

__all__ = [
    "DuplicateFactory",
    "duplicate",
    "duplicate_id",
    "duplicate_id_number",
    "translate_errors",
]

#: Builds the DuplicateError for a unique violation not on ``active_id_number``.
DuplicateFactory = Callable[[], DuplicateError]

# SQLite primary result codes (the low byte of the extended code).
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_CANTOPEN = 14
_SQLITE_TOOBIG = 18
_SQLITE_CONSTRAINT = 19
_SQLITE_CONSTRAINT_PRIMARYKEY = 1555
_SQLITE_CONSTRAINT_UNIQUE = 2067

_PG_UNIQUE = "23505"
_PG_TOO_LONG = "22001"
_PG_CONFLICT = frozenset({"40001", "40P01", "55P03"})
_PG_CONNECTION_CLASSES = ("08", "57P01", "57P02", "57P03")

_MYSQL_DUPLICATE = frozenset({1062, 1586})
# 1020 ER_CHECKREAD (MariaDB innodb_snapshot_isolation), 1205 lock wait timeout, 1213
# deadlock, 3572 ER_LOCK_NOWAIT.
_MYSQL_CONFLICT = frozenset({1020, 1205, 1213, 3572})
_MYSQL_TOO_LONG = 1406
# Client 2002–2013/2055 (cannot connect, server gone, lost during query); server 1040 too many
# connections, 1045 access denied, 1049 unknown database, 1053 shutdown in progress, 1927
# connection killed (MariaDB), 4031 disconnected for inactivity (MySQL 8.0.24+).
_MYSQL_CONNECTION = frozenset(
    {2002, 2003, 2005, 2006, 2013, 2055, 1040, 1045, 1049, 1053, 1927, 4031}
)

_MYSQL_KEY_RE = re.compile(r"for key '([^']*)'")
_SQLITE_UNIQUE_RE = re.compile(r"^UNIQUE constraint failed: ([\w., ]+)$")


def duplicate_id_number() -> DuplicateError:
    """The error for a second active record with one ID number."""
    return DuplicateError(
        "该公民身份号码已有有效记录",
        "an active record with this ID number exists",
        code="duplicate_id_number",
        field="id_number",
    )


def duplicate(
    message_zh: str, message_en: str, *, code: str = "duplicate_id", field: str = "id"
) -> DuplicateFactory:
    """The factory of one :class:`DuplicateError` (for ``on_duplicate``)."""
    return lambda: DuplicateError(message_zh, message_en, code=code, field=field)


def duplicate_id(label_zh: str, what_en: str, key: str = "id") -> DuplicateFactory:
    """The factory of the error for a record whose identifier exists
    (``code="duplicate_id"``, ``field="id"``): "<label>标识重复", "a <what> with this <key>
    exists"."""
    return duplicate(f"{label_zh}标识重复", f"a {what_en} with this {key} exists")


def _generic_duplicate() -> DuplicateError:
    return DuplicateError("记录重复", "a record with this key exists", code="duplicate")


def _write_conflict(details: dict[str, Any]) -> ConcurrencyError:
    return ConcurrencyError(
        "与其他并发事务的写入冲突, 请重试",
        "the write conflicts with a concurrent transaction; retry",
        code="write_conflict",
        details=details,
    )


def _connection_lost(details: dict[str, Any]) -> ConnectionLostError:
    return ConnectionLostError(
        "无法连接数据库或连接已断开",
        "the database could not be reached or the connection was lost",
        details=details,
    )


def _too_long(details: dict[str, Any]) -> DataTooLongError:
    return DataTooLongError(
        "数据超过字段允许的长度", "a value is too long for its column", details=details
    )


def _store_error(details: dict[str, Any]) -> StoreError:
    return StoreError("数据库操作失败", "the database operation failed", details=details)


def _driver_info(orig: BaseException | None) -> tuple[str, Any, str]:
    """``(driver, code, key)``: which driver, its error code, and the name of the violated
    constraint or columns where the driver tells it (never a value)."""
    if orig is None:
        return "", None, ""
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        key = ""
        match = _SQLITE_UNIQUE_RE.match(str(orig.args[0]) if orig.args else "")
        if match:
            key = match.group(1)
        return "sqlite", sqlite_code, key
    # MySQL drivers (PyMySQL, mysqlclient): args = (errno, message). Checked before the
    # SQLSTATE, which recent PyMySQL versions also set.
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):
        key = ""
        if len(args) > 1:
            match = _MYSQL_KEY_RE.search(str(args[1]))
            if match:
                key = match.group(1)
        return "mysql", args[0], key
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate is not None:
        diag = getattr(orig, "diag", None)
        key = getattr(diag, "constraint_name", None) or ""
        return "postgresql", str(sqlstate), key
    return "", None, ""


def _translate(
    err: sa_exc.DBAPIError, on_duplicate: DuplicateFactory | None, connecting: bool
) -> MinzuError:
    driver, code, key = _driver_info(err.orig)
    details: dict[str, Any] = {"driver_error": type(err.orig).__name__}
    if code is not None:
        details["driver_code"] = code
    if err.connection_invalidated:
        return _connection_lost(details)

    duplicate = conflict = too_long = lost = False
    if driver == "sqlite":
        primary = int(code) & 0xFF
        duplicate = code in (_SQLITE_CONSTRAINT_UNIQUE, _SQLITE_CONSTRAINT_PRIMARYKEY) or (
            primary == _SQLITE_CONSTRAINT and bool(key)
        )
        conflict = primary in (_SQLITE_BUSY, _SQLITE_LOCKED)
        too_long = primary == _SQLITE_TOOBIG
        lost = primary == _SQLITE_CANTOPEN
    elif driver == "postgresql":
        duplicate = code == _PG_UNIQUE
        conflict = code in _PG_CONFLICT
        too_long = code == _PG_TOO_LONG
        lost = str(code).startswith(_PG_CONNECTION_CLASSES)
    elif driver == "mysql":
        duplicate = code in _MYSQL_DUPLICATE
        conflict = code in _MYSQL_CONFLICT
        too_long = code == _MYSQL_TOO_LONG
        lost = code in _MYSQL_CONNECTION

    if duplicate:
        if "active_id_number" in key:
            found = duplicate_id_number()
            found.details.update(details)
            return found
        made = (on_duplicate or _generic_duplicate)()
        made.details.update(details)
        if key:
            made.details["constraint"] = key
        return made
    if conflict:
        return _write_conflict(details)
    if too_long:
        return _too_long(details)
    if lost or (connecting and isinstance(err, sa_exc.OperationalError | sa_exc.InterfaceError)):
        return _connection_lost(details)
    return _store_error(details)


@contextmanager
def translate_errors(
    on_duplicate: DuplicateFactory | None = None, *, connecting: bool = False
) -> Iterator[None]:
    """Translate SQLAlchemy/driver errors raised inside the block into minzu errors.

    Args:
        on_duplicate: builds the :class:`DuplicateError` for a unique violation that is not on
            ``active_id_number`` (default: ``code="duplicate"``).
        connecting: the block opens a connection; an ``OperationalError`` there means the
            database cannot be reached (:class:`ConnectionLostError`).

    The original is not chained (``from None``: no ``__cause__``, and the context is suppressed,
    so no traceback or log record shows it): a database's message quotes the values of the
    row (PostgreSQL ``Key (active_id_number)=(…) already exists``, MySQL ``Duplicate entry
    '…'``), which must not reach a traceback or a log. The new error's ``details`` name the
    driver's error class and code instead.
    """
    try:
        yield
    except sa_exc.DBAPIError as err:
        raise _translate(err, on_duplicate, connecting) from None
    except sa_exc.DisconnectionError as err:
        raise _connection_lost({"driver_error": type(err).__name__}) from None
