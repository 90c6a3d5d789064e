"""The SQL store (SQLAlchemy 2.x Core, no ORM): SQLite, PostgreSQL, MySQL/MariaDB.

Open it by URL through :func:`minzu_core.open_store` (``sqlite:///path.db``, ``sqlite://``,
``postgresql+psycopg://…``, ``mysql+pymysql://…``, ``mariadb+pymysql://…``) or directly with
:func:`open_sql_store`. The tables live on a ``MetaData`` built by :func:`build_metadata` (with a
configurable prefix and schema) that a host application can include in its own Alembic
migrations; nothing is registered globally at import time.

Layout: :mod:`~minzu_adapters.sql.store` (the backend, the composed session and
:func:`open_sql_store`), :mod:`~minzu_adapters.sql.engine` (URL handling and connection set-up),
:mod:`~minzu_adapters.sql.session` (the session core every storage mixin builds on), one mixin
per domain context (:mod:`~minzu_adapters.sql.hierarchy`, :mod:`~minzu_adapters.sql.ledger`,
:mod:`~minzu_adapters.sql.history`, :mod:`~minzu_adapters.sql.services`,
:mod:`~minzu_adapters.sql.disputes` with :mod:`~minzu_adapters.sql.cases`,
:mod:`~minzu_adapters.sql.organisation`, :mod:`~minzu_adapters.sql.indicators`),
:mod:`~minzu_adapters.sql.schema` (the tables), :mod:`~minzu_adapters.sql.errors` (driver
error translation) and :mod:`~minzu_adapters.sql.migrate` (Alembic migrations).
"""

from __future__ import annotations

from minzu_adapters.sql.errors import translate_errors
from minzu_adapters.sql.schema import Tables, build_metadata
from minzu_adapters.sql.store import SqlBackend, SqlSession, open_sql_store

__all__ = [
    "SqlBackend",
    "SqlSession",
    "Tables",
    "build_metadata",
    "open_sql_store",
    "translate_errors",
]
