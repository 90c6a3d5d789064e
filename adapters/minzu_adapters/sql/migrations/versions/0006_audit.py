"""The audit trail (审计日志).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

Adds ``audit_entries`` (the hash-chained entries), ``audit_subjects`` (the persons each entry
concerns) and ``audit_head`` (the last ``seq`` and hash, locked while appending). A frozen
snapshot of the tables added to :func:`minzu_adapters.sql.schema.build_metadata`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from minzu_adapters.sql.migrations._helpers import Builder, json_text, key, utc_datetime

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Create the audit tables and their indexes."""
    b = Builder(prefix, schema)
    b.table(
        "audit_entries",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", utc_datetime(), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("entity_type", key(32), nullable=False),
        sa.Column("entity_id", key(64), nullable=False),
        sa.Column("field_groups", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("subject_ids", json_text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        b.primary_key("audit_entries", "seq"),
    )
    b.index("audit_entries", "actor", ["actor_id", "seq"])
    b.index("audit_entries", "entity", ["entity_type", "entity_id"])
    b.index("audit_entries", "at", ["at"])
    b.table(
        "audit_subjects",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("person_id", key(64), nullable=False),
        b.primary_key("audit_subjects", "seq", "person_id"),
    )
    b.index("audit_subjects", "person", ["person_id", "seq"])
    b.table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        b.primary_key("audit_head", "id"),
    )


def downgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Drop the audit tables."""
    Builder(prefix, schema).drop_tables("audit_head", "audit_subjects", "audit_entries")
