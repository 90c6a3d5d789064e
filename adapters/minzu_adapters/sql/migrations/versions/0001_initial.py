"""The initial tables of the SQL store (minzu-core 0.1).

Revision ID: 0001
Revises:
Create Date: 2024-06-01

A frozen snapshot of :func:`minzu_adapters.sql.schema.build_metadata` as of this revision: the
operations are written out (never ``metadata.create_all``) so that later changes to the live
``MetaData`` need a new revision. Table, constraint and index names come from ``prefix``; every
object lives in ``schema`` (``None``: the connection's default). Both are passed by ``env.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _key(length: int) -> sa.types.TypeEngine[str]:
    """A key/code column: binary collation on PostgreSQL (MySQL tables are ``utf8mb4_bin``)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _utc_datetime() -> sa.types.TypeEngine[datetime]:
    """``UTCDateTime``: ``DATETIME(6)`` on MySQL/MariaDB, ``DateTime`` elsewhere."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _json_text() -> sa.types.TypeEngine[str]:
    """``JSONText``: ``MEDIUMTEXT`` on MySQL/MariaDB, ``TEXT`` elsewhere."""
    return sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def upgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Create the tables, constraints and indexes."""
    p = prefix

    def ref(table: str, column: str) -> str:
        return f"{schema}.{p}{table}.{column}" if schema else f"{p}{table}.{column}"

    op.create_table(
        f"{p}units",
        sa.Column("unit_key", _key(24), nullable=False),
        sa.Column("code", _key(12), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("urban_rural_code", sa.String(3), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_key", name=f"pk_{p}units"),
        schema=schema,
        **_MYSQL,
    )
    op.create_index(f"ix_{p}units_code", f"{p}units", ["code"], schema=schema)
    op.create_index(f"ix_{p}units_level_code", f"{p}units", ["level", "code"], schema=schema)

    op.create_table(
        f"{p}unit_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", _key(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("code", _key(12), nullable=False),
        sa.Column("old_name", sa.String(100), nullable=True),
        sa.Column("new_name", sa.String(100), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=f"pk_{p}unit_changes"),
        sa.UniqueConstraint("id", name=f"uq_{p}unit_changes_id"),
        schema=schema,
        **_MYSQL,
    )
    op.create_index(f"ix_{p}unit_changes_code", f"{p}unit_changes", ["code"], schema=schema)

    op.create_table(
        f"{p}unit_change_successors",
        sa.Column("change_id", _key(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", _key(12), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            [ref("unit_changes", "id")],
            name=f"fk_{p}unit_change_succ_change",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("change_id", "position", name=f"pk_{p}unit_change_successors"),
        schema=schema,
        **_MYSQL,
    )
    op.create_index(
        f"ix_{p}unit_change_succ_code", f"{p}unit_change_successors", ["code"], schema=schema
    )

    op.create_table(
        f"{p}persons",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("ethnicity", _key(2), nullable=False),
        sa.Column("id_number", _key(18), nullable=True),
        sa.Column("active_id_number", _key(18), nullable=True),
        sa.Column("gender", sa.String(32), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("has_household", sa.Boolean(), nullable=False),
        sa.Column("household_code", _key(12), nullable=True),
        sa.Column("household_address", sa.String(255), nullable=True),
        sa.Column("language", sa.String(32), nullable=True),
        sa.Column("guardian_id", _key(36), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("merged_into", _key(36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}persons"),
        sa.UniqueConstraint("active_id_number", name=f"uq_{p}persons_active_id_number"),
        schema=schema,
        **_MYSQL,
    )
    op.create_index(f"ix_{p}persons_id_number", f"{p}persons", ["id_number"], schema=schema)

    op.create_table(
        f"{p}residences",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("person_id", _key(36), nullable=False),
        sa.Column("unit_code", _key(12), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("arrival", sa.Date(), nullable=False),
        sa.Column("departure", sa.Date(), nullable=True),
        sa.Column("address", sa.String(255), nullable=True),
        sa.Column("origin", _key(12), nullable=True),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("occupation", sa.String(100), nullable=True),
        sa.Column("employer", sa.String(200), nullable=True),
        sa.Column("employer_uscc", _key(18), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            [ref("persons", "id")],
            name=f"fk_{p}residences_person",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}residences"),
        schema=schema,
        **_MYSQL,
    )
    op.create_index(
        f"ix_{p}residences_unit_arrival", f"{p}residences", ["unit_code", "arrival"], schema=schema
    )
    op.create_index(f"ix_{p}residences_person", f"{p}residences", ["person_id"], schema=schema)

    op.create_table(
        f"{p}history",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("entity_type", _key(32), nullable=False),
        sa.Column("entity_id", _key(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", _utc_datetime(), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("snapshot", _json_text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}history"),
        sa.UniqueConstraint(
            "entity_type", "entity_id", "version", name=f"uq_{p}history_entity_version"
        ),
        schema=schema,
        **_MYSQL,
    )


def downgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Drop the tables (children first)."""
    for table in (
        "history",
        "residences",
        "persons",
        "unit_change_successors",
        "unit_changes",
        "units",
    ):
        op.drop_table(f"{prefix}{table}", schema=schema)
