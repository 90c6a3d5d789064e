"""Disputes (their events live in the shared ``case_events`` table of 0002).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

A frozen snapshot of the ``disputes`` table added to
:func:`minzu_adapters.sql.schema.build_metadata`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from minzu_adapters.sql.migrations._helpers import Builder, json_text, key, utc_datetime, version

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Create the ``disputes`` table and its indexes (handling unit and state, origin unit,
    state and due time, registration time)."""
    b = Builder(prefix, schema)
    b.table(
        "disputes",
        sa.Column("id", key(36), nullable=False),
        sa.Column("origin_unit", key(12), nullable=False),
        sa.Column("handling_unit", key(12), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("referred_by", sa.String(200), nullable=True),
        sa.Column("ethnic_factor", sa.Boolean(), nullable=False),
        sa.Column("mass", sa.Boolean(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=True),
        sa.Column("parties", json_text(), nullable=False),
        sa.Column("mediators", json_text(), nullable=False),
        sa.Column("registered_at", utc_datetime(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("accepted_at", utc_datetime(), nullable=True),
        sa.Column("due_at", utc_datetime(), nullable=True),
        sa.Column("concluded_at", utc_datetime(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        version(),
        b.primary_key("disputes", "id"),
    )
    for name, columns in (
        ("handling_state", ["handling_unit", "state"]),
        ("origin", ["origin_unit"]),
        ("state_due", ["state", "due_at"]),
        ("registered", ["registered_at"]),
    ):
        b.index("disputes", name, columns)


def downgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Drop the disputes table."""
    Builder(prefix, schema).drop_tables("disputes")
