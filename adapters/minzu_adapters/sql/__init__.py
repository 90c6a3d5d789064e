"""The SQL store (SQLAlchemy 2.x Core, no ORM): SQLite, PostgreSQL, MySQL/MariaDB.

Open it by URL through :func:`minzu_core.open_store` (``sqlite:///path.db``, ``sqlite://``,
``postgresql+psycopg://…``, ``mysql+pymysql://…``, ``mariadb+pymysql://…``) or directly with
:func:`open_sql_store`. The tables live on a ``MetaData`` built by :func:`build_metadata` (with a
configurable prefix and schema) that a host application can include in its own Alembic
migrations; nothing is registered globally at import time.
"""

from __future__ import annotations

from minzu_adapters.sql.backend import SqlBackend, SqlSession, open_sql_store
from minzu_adapters.sql.errors import translate_errors
from minzu_adapters.sql.schema import Tables, build_metadata

__all__ = [
    "SqlBackend",
    "SqlSession",
    "Tables",
    "build_metadata",
    "open_sql_store",
    "translate_errors",
]
