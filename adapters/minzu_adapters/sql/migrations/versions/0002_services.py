"""Service windows, service requests and the shared case-event history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

A frozen snapshot of the three tables added to
:func:`minzu_adapters.sql.schema.build_metadata` for service windows and requests.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from minzu_adapters.sql.migrations._helpers import Builder, json_text, key, utc_datetime, version

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Create ``service_windows``, ``service_requests`` (referencing windows and persons) and
    the shared ``case_events``, with their indexes."""
    b = Builder(prefix, schema)
    b.table(
        "service_windows",
        sa.Column("id", key(36), nullable=False),
        sa.Column("unit_code", key(12), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("opened", sa.Date(), nullable=False),
        sa.Column("closed", sa.Date(), nullable=True),
        sa.Column("categories", json_text(), nullable=False),
        sa.Column("time_limits", json_text(), nullable=False),
        version(),
        b.primary_key("service_windows", "id"),
    )
    b.index("service_windows", "unit", ["unit_code"])
    b.table(
        "service_requests",
        sa.Column("id", key(36), nullable=False),
        sa.Column("window_id", key(36), nullable=False),
        sa.Column("unit_code", key(12), nullable=False),
        sa.Column("applicant_id", key(36), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("received_at", utc_datetime(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("accepted_at", utc_datetime(), nullable=True),
        sa.Column("resolved_at", utc_datetime(), nullable=True),
        sa.Column("due_base", utc_datetime(), nullable=True),
        sa.Column("paused_since", utc_datetime(), nullable=True),
        version(),
        b.fk("window_id", "service_windows", "service_requests_window"),
        b.fk("applicant_id", "persons", "service_requests_applicant"),
        b.primary_key("service_requests", "id"),
    )
    for name, columns in (
        ("unit_received", ["unit_code", "received_at"]),
        ("window_state", ["window_id", "state"]),
        ("state_due", ["state", "due_base"]),
        ("applicant", ["applicant_id"]),
    ):
        b.index("service_requests", name, columns)
    b.table(
        "case_events",
        sa.Column("case_id", key(36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_type", key(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("at", utc_datetime(), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", json_text(), nullable=False),
        b.primary_key("case_events", "case_id", "seq"),
    )


def downgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Drop the service and case-event tables."""
    Builder(prefix, schema).drop_tables("case_events", "service_requests", "service_windows")
