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

import sqlalchemy as sa

from minzu_adapters.sql.migrations._helpers import Builder, json_text, key, utc_datetime, version

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Create the tables of the hierarchy (units, unit changes and their successors), of the
    ledger (persons, residences) and the change history, with their constraints and indexes."""
    b = Builder(prefix, schema)
    b.table(
        "units",
        sa.Column("unit_key", key(24), nullable=False),
        sa.Column("code", key(12), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("urban_rural_code", sa.String(3), nullable=True),
        version(),
        b.primary_key("units", "unit_key"),
    )
    b.index("units", "code", ["code"])
    b.index("units", "level_code", ["level", "code"])

    b.table(
        "unit_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", key(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("code", key(12), nullable=False),
        sa.Column("old_name", sa.String(100), nullable=True),
        sa.Column("new_name", sa.String(100), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        b.primary_key("unit_changes", "seq"),
        b.unique("unit_changes_id", "id"),
    )
    b.index("unit_changes", "code", ["code"])

    b.table(
        "unit_change_successors",
        sa.Column("change_id", key(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", key(12), nullable=False),
        b.fk("change_id", "unit_changes", "unit_change_succ_change", "CASCADE"),
        b.primary_key("unit_change_successors", "change_id", "position"),
    )
    b.index("unit_change_successors", "code", ["code"], stem="unit_change_succ")

    b.table(
        "persons",
        sa.Column("id", key(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("ethnicity", key(2), nullable=False),
        sa.Column("id_number", key(18), nullable=True),
        sa.Column("active_id_number", key(18), nullable=True),
        sa.Column("gender", sa.String(32), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("has_household", sa.Boolean(), nullable=False),
        sa.Column("household_code", key(12), nullable=True),
        sa.Column("household_address", sa.String(255), nullable=True),
        sa.Column("language", sa.String(32), nullable=True),
        sa.Column("guardian_id", key(36), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("merged_into", key(36), nullable=True),
        version(),
        b.primary_key("persons", "id"),
        b.unique("persons_active_id_number", "active_id_number"),
    )
    b.index("persons", "id_number", ["id_number"])

    b.table(
        "residences",
        sa.Column("id", key(36), nullable=False),
        sa.Column("person_id", key(36), nullable=False),
        sa.Column("unit_code", key(12), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("arrival", sa.Date(), nullable=False),
        sa.Column("departure", sa.Date(), nullable=True),
        sa.Column("address", sa.String(255), nullable=True),
        sa.Column("origin", key(12), nullable=True),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("occupation", sa.String(100), nullable=True),
        sa.Column("employer", sa.String(200), nullable=True),
        sa.Column("employer_uscc", key(18), nullable=True),
        b.fk("person_id", "persons", "residences_person", "CASCADE"),
        b.primary_key("residences", "id"),
    )
    b.index("residences", "unit_arrival", ["unit_code", "arrival"])
    b.index("residences", "person", ["person_id"])

    b.table(
        "history",
        sa.Column("id", key(36), nullable=False),
        sa.Column("entity_type", key(32), nullable=False),
        sa.Column("entity_id", key(64), nullable=False),
        version(),
        sa.Column("at", utc_datetime(), nullable=False),
        sa.Column("actor_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("snapshot", json_text(), nullable=False),
        b.primary_key("history", "id"),
        b.unique("history_entity_version", "entity_type", "entity_id", "version"),
    )


def downgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Drop the tables (children first)."""
    Builder(prefix, schema).drop_tables(
        "history", "residences", "persons", "unit_change_successors", "unit_changes", "units"
    )
