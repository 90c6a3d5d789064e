"""Declared extension fields of persons.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

Adds ``persons.extensions``: the values of the deployment's declared extension fields, as a JSON
object (NULL: none). Which keys are allowed is the host's
:class:`~minzu_core.privacy.ExtensionRegistry`, checked by the ledger repository.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from minzu_adapters.sql.migrations._helpers import Builder, json_text

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Add the ``extensions`` column."""
    b = Builder(prefix, schema)
    op.add_column(
        b.name("persons"), sa.Column("extensions", json_text(), nullable=True), schema=schema
    )


def downgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Drop the ``extensions`` column (natively on SQLite 3.35+: a batch rebuild of ``persons``
    would cascade to its residences)."""
    b = Builder(prefix, schema)
    if op.get_context().dialect.name == "sqlite":
        table = f'"{schema}"."{b.name("persons")}"' if schema else f'"{b.name("persons")}"'
        op.execute(f"ALTER TABLE {table} DROP COLUMN extensions")
        return
    op.drop_column(b.name("persons"), "extensions", schema=schema)
