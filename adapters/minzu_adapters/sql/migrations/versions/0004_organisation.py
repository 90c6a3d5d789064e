"""The organisation section: bodies, officials and technicians with their dated histories,
appointments, the responsibility policy, activity types, activities, training courses and
enrollments, demonstration sites, honours, volunteer members and hours.

Revision ID: 0004
Revises: 0003 (disputes)
Create Date: 2026-11-28

A frozen snapshot of the sixteen tables added to
:func:`minzu_adapters.sql.schema.build_metadata` for the organisation section.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from minzu_adapters.sql.migrations._helpers import Builder, json_text, key, version

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = (
    "bodies",
    "officials",
    "official_ranks",
    "technicians",
    "technician_titles",
    "appointments",
    "org_settings",
    "activity_types",
    "activities",
    "training_courses",
    "enrollments",
    "demonstration_sites",
    "site_statuses",
    "honours",
    "volunteer_members",
    "volunteer_hours",
)


def upgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Create the organisation tables and their indexes."""
    b = Builder(prefix, schema)
    fk, table, index = b.fk, b.table, b.index

    def dated(name: str, parent_column: str, parent: str, *entry: sa.Column[Any]) -> None:
        """A dated history of ``parent``: entry ``seq`` is in force from ``since`` to ``until``."""
        table(
            name,
            sa.Column(parent_column, key(36), nullable=False),
            sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
            *entry,
            sa.Column("since", sa.Date(), nullable=False),
            sa.Column("until", sa.Date(), nullable=True),
            sa.Column("basis", sa.String(200), nullable=False),
            fk(parent_column, parent, f"{name}_{parent_column.removesuffix('_id')}", "CASCADE"),
            b.primary_key(name, parent_column, "seq"),
        )

    table(
        "bodies",
        sa.Column("id", key(36), nullable=False),
        sa.Column("unit_code", key(12), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("opened", sa.Date(), nullable=False),
        sa.Column("closed", sa.Date(), nullable=True),
        sa.Column("origin_code", key(12), nullable=True),
        sa.Column("window_id", key(36), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        version(),
        fk("window_id", "service_windows", "bodies_window"),
        b.primary_key("bodies", "id"),
    )
    index("bodies", "unit_kind", ["unit_code", "kind"])

    for holder, extra, child, grade, parent in (
        ("officials", "position", "official_ranks", "rank", "official_id"),
        ("technicians", "specialty", "technician_titles", "title", "technician_id"),
    ):
        table(
            holder,
            sa.Column("id", key(36), nullable=False),
            sa.Column("unit_code", key(12), nullable=False),
            sa.Column("name", sa.String(100), nullable=False),
            sa.Column("ethnicity", key(2), nullable=False),
            sa.Column("gender", sa.String(32), nullable=True),
            sa.Column(extra, sa.String(200), nullable=False),
            sa.Column("person_id", key(36), nullable=True),
            sa.Column("left_on", sa.Date(), nullable=True),
            version(),
            fk("person_id", "persons", f"{holder}_person"),
            b.primary_key(holder, "id"),
        )
        index(holder, "unit", ["unit_code"])
        dated(
            child,
            parent,
            holder,
            sa.Column(grade, sa.String(32), nullable=False),
            sa.Column(f"{grade}_order", sa.Integer(), nullable=False),
        )
        index(child, "order_since", [f"{grade}_order", "since"])

    table(
        "appointments",
        sa.Column("id", key(36), nullable=False),
        sa.Column("official_id", key(36), nullable=False),
        sa.Column("role", key(32), nullable=False),
        sa.Column("unit_code", key(12), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("basis", sa.String(200), nullable=False),
        sa.Column("body_id", key(36), nullable=True),
        version(),
        fk("official_id", "officials", "appointments_official"),
        fk("body_id", "bodies", "appointments_body"),
        b.primary_key("appointments", "id"),
    )
    index("appointments", "unit_role_start", ["unit_code", "role", "start"])
    index("appointments", "official", ["official_id"])

    table(
        "org_settings",
        sa.Column("key", key(64), nullable=False),
        sa.Column("data", json_text(), nullable=False),
        version(),
        b.primary_key("org_settings", "key"),
    )
    table(
        "activity_types",
        sa.Column("code", key(32), nullable=False),
        sa.Column("label_zh", sa.String(100), nullable=False),
        sa.Column("label_en", sa.String(100), nullable=False),
        version(),
        b.primary_key("activity_types", "code"),
    )
    table(
        "activities",
        sa.Column("id", key(36), nullable=False),
        sa.Column("type", key(32), nullable=False),
        sa.Column("organiser_code", key(12), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("minority_participants", sa.Integer(), nullable=False),
        sa.Column("materials", sa.Integer(), nullable=False),
        sa.Column("attendee_ids", json_text(), nullable=False),
        sa.Column("body_id", key(36), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        version(),
        fk("body_id", "bodies", "activities_body"),
        b.primary_key("activities", "id"),
    )
    index("activities", "organiser_start", ["organiser_code", "start"])
    index("activities", "type_start", ["type", "start"])
    table(
        "training_courses",
        sa.Column("id", key(36), nullable=False),
        sa.Column("type", key(32), nullable=False),
        sa.Column("organiser_code", key(12), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("activity_id", key(36), nullable=True),
        version(),
        fk("activity_id", "activities", "training_courses_activity"),
        b.primary_key("training_courses", "id"),
    )
    index("training_courses", "organiser", ["organiser_code", "start"])
    table(
        "enrollments",
        sa.Column("id", key(36), nullable=False),
        sa.Column("course_id", key(36), nullable=False),
        sa.Column("person_id", key(36), nullable=True),
        sa.Column("official_id", key(36), nullable=True),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        version(),
        fk("course_id", "training_courses", "enrollments_course"),
        fk("person_id", "persons", "enrollments_person"),
        fk("official_id", "officials", "enrollments_official"),
        b.primary_key("enrollments", "id"),
        b.unique("enrollments_course_person", "course_id", "person_id"),
        b.unique("enrollments_course_official", "course_id", "official_id"),
    )
    index("enrollments", "completed", ["completed_on"])

    table(
        "demonstration_sites",
        sa.Column("id", key(36), nullable=False),
        sa.Column("unit_code", key(12), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("body_id", key(36), nullable=True),
        version(),
        fk("body_id", "bodies", "sites_body"),
        b.primary_key("demonstration_sites", "id"),
    )
    index("demonstration_sites", "unit", ["unit_code"])
    dated(
        "site_statuses",
        "site_id",
        "demonstration_sites",
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("level_order", sa.Integer(), nullable=False),
    )
    table(
        "honours",
        sa.Column("id", key(36), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("unit_code", key(12), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("person_id", key(36), nullable=True),
        sa.Column("business_name", sa.String(200), nullable=False),
        sa.Column("business_uscc", key(18), nullable=True),
        sa.Column("ceremony_id", key(36), nullable=True),
        sa.Column("basis", sa.String(200), nullable=False),
        version(),
        fk("person_id", "persons", "honours_person"),
        fk("ceremony_id", "activities", "honours_ceremony"),
        b.primary_key("honours", "id"),
    )
    index("honours", "unit_awarded", ["unit_code", "awarded_on"])
    table(
        "volunteer_members",
        sa.Column("id", key(36), nullable=False),
        sa.Column("team_id", key(36), nullable=False),
        sa.Column("person_id", key(36), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("duty", sa.String(100), nullable=False),
        version(),
        fk("team_id", "bodies", "volunteer_members_team"),
        fk("person_id", "persons", "volunteer_members_person"),
        b.primary_key("volunteer_members", "id"),
    )
    index("volunteer_members", "team_start", ["team_id", "start"])
    index("volunteer_members", "person", ["person_id"])
    table(
        "volunteer_hours",
        sa.Column("id", key(36), nullable=False),
        sa.Column("team_id", key(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("served_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(10, 2), nullable=False),
        sa.Column("member_id", key(36), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        version(),
        fk("team_id", "bodies", "volunteer_hours_team"),
        fk("member_id", "persons", "volunteer_hours_member"),
        b.primary_key("volunteer_hours", "id"),
    )
    index("volunteer_hours", "team_served", ["team_id", "served_on"])


def downgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Drop the organisation tables (children first)."""
    Builder(prefix, schema).drop_tables(*reversed(_TABLES))
