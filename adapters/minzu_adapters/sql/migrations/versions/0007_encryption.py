"""Encryption at rest of ID numbers, phones and names (字段加密).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

Widens ``persons.name`` (100 → 612), ``id_number`` (18 → 104) and ``phone`` (20 → 108) to hold
an AES-GCM token of the longest clear value, and ``active_id_number`` (18 → 64) to hold the
keyed blind index of the active ID number; adds the blind-index columns ``id_number_bidx`` and
``name_bidx`` with their indexes. Stored rows are kept as they are (clear values stay clear until
``minzu keys rotate`` encrypts them). A frozen snapshot: the lengths are written out here.

SQLite cannot change a column's type in place, and recreating ``persons`` would cascade into
its children (the upgrade runs in a transaction with foreign keys on, where SQLite cannot turn
them off). A ``VARCHAR(n)`` length is not part of SQLite's storage format (every one has TEXT
affinity), so on SQLite the declared lengths are rewritten in the table's definition, the
documented procedure for changes that leave the stored content valid
(https://sqlite.org/lang_altertable.html#otheralter), with the schema version bumped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from minzu_adapters.sql.migrations._helpers import Builder, key

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (column, key column, nullable, length before, length after)
_WIDENED: tuple[tuple[str, bool, bool, int, int], ...] = (
    ("name", False, False, 100, 612),
    ("id_number", True, True, 18, 104),
    ("active_id_number", True, True, 18, 64),
    ("phone", False, True, 20, 108),
)


def _string(length: int, is_key: bool, dialect: str) -> sa.types.TypeEngine[str]:
    if is_key and dialect == "postgresql":
        return sa.String(length, collation="C")
    return sa.String(length)


def _resize(b: Builder, *, widen: bool) -> None:
    """Set the declared lengths of the widened columns (``widen=False``: back to 0006's)."""
    dialect = op.get_context().dialect.name
    table = b.name("persons")
    if dialect == "sqlite":
        _sqlite_resize(b, widen=widen)
        return
    for column, is_key, nullable, before, after in _WIDENED:
        old, new = (before, after) if widen else (after, before)
        op.alter_column(
            table,
            column,
            type_=_string(new, is_key, dialect),
            existing_type=_string(old, is_key, dialect),
            existing_nullable=nullable,
            schema=b.schema,
        )


def _sqlite_resize(b: Builder, *, widen: bool) -> None:
    """Rewrite the ``VARCHAR(n)`` of the widened columns in SQLite's stored definition."""
    master = f'"{b.schema}".sqlite_master' if b.schema else "sqlite_master"
    table = b.name("persons")
    if context.is_offline_mode():
        sql = "sql"
        for column, _, _, before, after in _WIDENED:
            old, new = (before, after) if widen else (after, before)
            for lead in ("\t", " ", "("):
                sql = (
                    f"replace({sql}, '{lead}{column} VARCHAR({old})', "
                    f"'{lead}{column} VARCHAR({new})')"
                )
        op.execute("PRAGMA writable_schema = ON")
        op.execute(f"UPDATE {master} SET sql = {sql} WHERE type = 'table' AND name = '{table}'")
        op.execute("PRAGMA writable_schema = RESET")
        return
    bind = op.get_bind()
    found = bind.execute(
        sa.text(f"SELECT sql FROM {master} WHERE type = 'table' AND name = :name"),
        {"name": table},
    ).scalar()
    assert isinstance(found, str), f"no table {table}"
    sql = found
    for column, _, _, before, after in _WIDENED:
        old, new = (before, after) if widen else (after, before)
        sql, count = re.subn(
            rf'(?<=[\s,(])("?{column}"?\s+)VARCHAR\({old}\)', rf"\g<1>VARCHAR({new})", sql
        )
        assert count == 1, f"column {column} VARCHAR({old}) not found in {table}"
    schema_version = f'PRAGMA "{b.schema}".schema_version' if b.schema else "PRAGMA schema_version"
    version = int(bind.execute(sa.text(schema_version)).scalar() or 0)
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    try:
        bind.execute(
            sa.text(f"UPDATE {master} SET sql = :sql WHERE type = 'table' AND name = :name"),
            {"sql": sql, "name": table},
        )
        bind.execute(sa.text(f"{schema_version} = {version + 1}"))
    finally:
        bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Widen the encrypted columns; add the blind-index columns and their indexes."""
    b = Builder(prefix, schema)
    persons = b.name("persons")
    op.add_column(persons, sa.Column("id_number_bidx", key(64), nullable=True), schema=schema)
    op.add_column(persons, sa.Column("name_bidx", key(64), nullable=True), schema=schema)
    _resize(b, widen=True)
    b.index("persons", "id_number_bidx", ["id_number_bidx"])
    b.index("persons", "name_bidx", ["name_bidx", "birth_date"])


def downgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Drop the blind indexes and narrow the columns again (refused by PostgreSQL and MySQL
    while a token is stored: decrypt the store first)."""
    b = Builder(prefix, schema)
    persons = b.name("persons")
    b.drop_index("persons", "name_bidx")
    b.drop_index("persons", "id_number_bidx")
    op.drop_column(persons, "name_bidx", schema=schema)
    op.drop_column(persons, "id_number_bidx", schema=schema)
    _resize(b, widen=False)
