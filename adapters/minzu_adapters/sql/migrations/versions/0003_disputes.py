"""Disputes (their events live in the shared ``case_events`` table of 0002).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

A frozen snapshot of the ``disputes`` table added to
:func:`minzu_adapters.sql.schema.build_metadata`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _utc_datetime() -> sa.types.TypeEngine[datetime]:
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _json_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def upgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Create the disputes table and its indexes."""
    p = prefix
    op.create_table(
        f"{p}disputes",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("origin_unit", _key(12), nullable=False),
        sa.Column("handling_unit", _key(12), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("referred_by", sa.String(200), nullable=True),
        sa.Column("ethnic_factor", sa.Boolean(), nullable=False),
        sa.Column("mass", sa.Boolean(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("parties", _json_text(), nullable=False),
        sa.Column("mediators", _json_text(), nullable=False),
        sa.Column("registered_at", _utc_datetime(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("accepted_at", _utc_datetime(), nullable=True),
        sa.Column("due_at", _utc_datetime(), nullable=True),
        sa.Column("concluded_at", _utc_datetime(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}disputes"),
        schema=schema,
        **_MYSQL,
    )
    for name, columns in (
        ("handling_state", ["handling_unit", "state"]),
        ("origin", ["origin_unit"]),
        ("state_due", ["state", "due_at"]),
        ("registered", ["registered_at"]),
    ):
        op.create_index(f"ix_{p}disputes_{name}", f"{p}disputes", columns, schema=schema)


def downgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Drop the disputes table."""
    op.drop_table(f"{prefix}disputes", schema=schema)
