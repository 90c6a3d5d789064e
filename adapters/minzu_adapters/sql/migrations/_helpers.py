"""Building blocks shared by the revisions in ``versions/``.

A revision is a frozen snapshot of the schema, so what is here is frozen too: the column types
as the revisions write them (not the live :mod:`minzu_adapters.sql.schema` types), and
:class:`Builder`, which names every table, constraint and index after the prefix and puts it in
the schema the revisions receive from ``env.py``. A change here must leave the DDL of every
revision as it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

__all__ = ["MYSQL_OPTIONS", "Builder", "json_text", "key", "utc_datetime", "version"]

#: The table options of every table: InnoDB, utf8mb4 with binary collation on MySQL/MariaDB.
MYSQL_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def key(length: int) -> sa.types.TypeEngine[str]:
    """A key/code column: binary collation on PostgreSQL (MySQL tables are ``utf8mb4_bin``)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def utc_datetime() -> sa.types.TypeEngine[datetime]:
    """``UTCDateTime``: ``DATETIME(6)`` on MySQL/MariaDB, ``DateTime`` elsewhere."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def json_text() -> sa.types.TypeEngine[str]:
    """``JSONText``: ``MEDIUMTEXT`` on MySQL/MariaDB, ``TEXT`` elsewhere."""
    return sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


class Builder:
    """Creates and drops the tables and indexes of one store: every name starts with
    ``prefix``, every object lives in ``schema`` (``None``: the connection's default)."""

    def __init__(self, prefix: str, schema: str | None) -> None:
        self.prefix = prefix
        self.schema = schema

    def name(self, table: str) -> str:
        """The name of ``table`` with the prefix."""
        return f"{self.prefix}{table}"

    def ref(self, table: str, column: str = "id") -> str:
        """The target of a foreign key to ``table.column`` (schema-qualified when given)."""
        target = f"{self.prefix}{table}.{column}"
        return f"{self.schema}.{target}" if self.schema else target

    def fk(
        self, column: str, table: str, name: str, ondelete: str | None = None
    ) -> sa.ForeignKeyConstraint:
        """``column`` references ``table.id``; the constraint is ``fk_<prefix><name>``."""
        return sa.ForeignKeyConstraint(
            [column], [self.ref(table)], name=f"fk_{self.prefix}{name}", ondelete=ondelete
        )

    def primary_key(self, table: str, *columns: str) -> sa.PrimaryKeyConstraint:
        """The primary key ``pk_<prefix><table>`` on ``columns``."""
        return sa.PrimaryKeyConstraint(*columns, name=f"pk_{self.prefix}{table}")

    def unique(self, name: str, *columns: str) -> sa.UniqueConstraint:
        """The unique constraint ``uq_<prefix><name>`` on ``columns``."""
        return sa.UniqueConstraint(*columns, name=f"uq_{self.prefix}{name}")

    def table(self, name: str, *items: Any) -> None:
        """Create the table ``<prefix><name>`` with its columns and constraints."""
        op.create_table(self.name(name), *items, schema=self.schema, **MYSQL_OPTIONS)

    def index(
        self, table: str, suffix: str, columns: list[str], *, stem: str | None = None
    ) -> None:
        """Create the index ``ix_<prefix><table>_<suffix>`` on ``columns`` (``stem`` replaces
        the table's name in the index's name)."""
        name = f"ix_{self.prefix}{stem or table}_{suffix}"
        op.create_index(name, self.name(table), columns, schema=self.schema)

    def drop_index(self, table: str, suffix: str) -> None:
        """Drop the index ``ix_<prefix><table>_<suffix>``."""
        op.drop_index(f"ix_{self.prefix}{table}_{suffix}", self.name(table), schema=self.schema)

    def drop_tables(self, *tables: str) -> None:
        """Drop the tables, in the order given (children first)."""
        for table in tables:
            op.drop_table(self.name(table), schema=self.schema)

    def lightweight(self, table: str, *columns: str) -> sa.TableClause:
        """A table clause for data migrations, with the columns named in ``columns`` (names
        separated by spaces, several to a string)."""
        names = [name for group in columns for name in group.split()]
        return sa.table(self.name(table), *(sa.column(n) for n in names), schema=self.schema)


def version() -> sa.Column[int]:
    """The ``version`` column every record table has."""
    return sa.Column("version", sa.Integer(), nullable=False)
