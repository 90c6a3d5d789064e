"""Service windows, service requests and the shared case-event history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

A frozen snapshot of the three tables added to
:func:`minzu_adapters.sql.schema.build_metadata` for service windows and requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
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
    """Create the service and case-event tables."""
    p = prefix

    def fk(table: str) -> str:
        return f"{schema}.{p}{table}.id" if schema else f"{p}{table}.id"

    op.create_table(
        f"{p}service_windows",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("unit_code", _key(12), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("opened", sa.Date(), nullable=False),
        sa.Column("closed", sa.Date(), nullable=True),
        sa.Column("categories", _json_text(), nullable=False),
        sa.Column("time_limits", _json_text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}service_windows"),
        schema=schema,
        **_MYSQL,
    )
    op.create_index(
        f"ix_{p}service_windows_unit", f"{p}service_windows", ["unit_code"], schema=schema
    )
    op.create_table(
        f"{p}service_requests",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("window_id", _key(36), nullable=False),
        sa.Column("unit_code", _key(12), nullable=False),
        sa.Column("applicant_id", _key(36), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("received_at", _utc_datetime(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("accepted_at", _utc_datetime(), nullable=True),
        sa.Column("resolved_at", _utc_datetime(), nullable=True),
        sa.Column("due_base", _utc_datetime(), nullable=True),
        sa.Column("paused_since", _utc_datetime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["window_id"], [fk("service_windows")], name=f"fk_{p}service_requests_window"
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"], [fk("persons")], name=f"fk_{p}service_requests_applicant"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}service_requests"),
        schema=schema,
        **_MYSQL,
    )
    for name, columns in (
        ("unit_received", ["unit_code", "received_at"]),
        ("window_state", ["window_id", "state"]),
        ("state_due", ["state", "due_base"]),
        ("applicant", ["applicant_id"]),
    ):
        op.create_index(
            f"ix_{p}service_requests_{name}", f"{p}service_requests", columns, schema=schema
        )
    op.create_table(
        f"{p}case_events",
        sa.Column("case_id", _key(36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_type", _key(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("at", _utc_datetime(), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", _json_text(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "seq", name=f"pk_{p}case_events"),
        schema=schema,
        **_MYSQL,
    )


def downgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Drop the service and case-event tables."""
    for table in ("case_events", "service_requests", "service_windows"):
        op.drop_table(f"{prefix}{table}", schema=schema)
