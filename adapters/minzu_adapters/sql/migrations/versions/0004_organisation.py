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
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}

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


def _key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _json_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def upgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Create the organisation tables and their indexes."""
    p = prefix

    def ref(table: str) -> str:
        return f"{schema}.{p}{table}.id" if schema else f"{p}{table}.id"

    def fk(column: str, table: str, name: str, ondelete: str | None = None) -> sa.Constraint:
        return sa.ForeignKeyConstraint(
            [column], [ref(table)], name=f"fk_{p}{name}", ondelete=ondelete
        )

    def table(name: str, *items: Any) -> None:
        op.create_table(f"{p}{name}", *items, schema=schema, **_MYSQL)

    def index(table_name: str, suffix: str, columns: list[str]) -> None:
        op.create_index(f"ix_{p}{table_name}_{suffix}", f"{p}{table_name}", columns, schema=schema)

    def version() -> sa.Column[int]:
        return sa.Column("version", sa.Integer(), nullable=False)

    table(
        "bodies",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("unit_code", _key(12), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("opened", sa.Date(), nullable=False),
        sa.Column("closed", sa.Date(), nullable=True),
        sa.Column("origin_code", _key(12), nullable=True),
        sa.Column("window_id", _key(36), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        version(),
        fk("window_id", "service_windows", "bodies_window"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}bodies"),
    )
    index("bodies", "unit_kind", ["unit_code", "kind"])

    for holder, extra, child, grade, parent in (
        ("officials", "position", "official_ranks", "rank", "official_id"),
        ("technicians", "specialty", "technician_titles", "title", "technician_id"),
    ):
        table(
            holder,
            sa.Column("id", _key(36), nullable=False),
            sa.Column("unit_code", _key(12), nullable=False),
            sa.Column("name", sa.String(100), nullable=False),
            sa.Column("ethnicity", _key(2), nullable=False),
            sa.Column("gender", sa.String(32), nullable=True),
            sa.Column(extra, sa.String(200), nullable=False),
            sa.Column("person_id", _key(36), nullable=True),
            sa.Column("left_on", sa.Date(), nullable=True),
            version(),
            fk("person_id", "persons", f"{holder}_person"),
            sa.PrimaryKeyConstraint("id", name=f"pk_{p}{holder}"),
        )
        index(holder, "unit", ["unit_code"])
        table(
            child,
            sa.Column(parent, _key(36), nullable=False),
            sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column(grade, sa.String(32), nullable=False),
            sa.Column(f"{grade}_order", sa.Integer(), nullable=False),
            sa.Column("since", sa.Date(), nullable=False),
            sa.Column("until", sa.Date(), nullable=True),
            sa.Column("basis", sa.String(200), nullable=False),
            fk(parent, holder, f"{child}_{holder[:-1]}", "CASCADE"),
            sa.PrimaryKeyConstraint(parent, "seq", name=f"pk_{p}{child}"),
        )
        index(child, "order_since", [f"{grade}_order", "since"])

    table(
        "appointments",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("official_id", _key(36), nullable=False),
        sa.Column("role", _key(32), nullable=False),
        sa.Column("unit_code", _key(12), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("basis", sa.String(200), nullable=False),
        sa.Column("body_id", _key(36), nullable=True),
        version(),
        fk("official_id", "officials", "appointments_official"),
        fk("body_id", "bodies", "appointments_body"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}appointments"),
    )
    index("appointments", "unit_role_start", ["unit_code", "role", "start"])
    index("appointments", "official", ["official_id"])

    table(
        "org_settings",
        sa.Column("key", _key(64), nullable=False),
        sa.Column("data", _json_text(), nullable=False),
        version(),
        sa.PrimaryKeyConstraint("key", name=f"pk_{p}org_settings"),
    )
    table(
        "activity_types",
        sa.Column("code", _key(32), nullable=False),
        sa.Column("label_zh", sa.String(100), nullable=False),
        sa.Column("label_en", sa.String(100), nullable=False),
        version(),
        sa.PrimaryKeyConstraint("code", name=f"pk_{p}activity_types"),
    )
    table(
        "activities",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("type", _key(32), nullable=False),
        sa.Column("organiser_code", _key(12), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("minority_participants", sa.Integer(), nullable=False),
        sa.Column("materials", sa.Integer(), nullable=False),
        sa.Column("attendee_ids", _json_text(), nullable=False),
        sa.Column("body_id", _key(36), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        version(),
        fk("body_id", "bodies", "activities_body"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}activities"),
    )
    index("activities", "organiser_start", ["organiser_code", "start"])
    index("activities", "type_start", ["type", "start"])
    table(
        "training_courses",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("type", _key(32), nullable=False),
        sa.Column("organiser_code", _key(12), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("activity_id", _key(36), nullable=True),
        version(),
        fk("activity_id", "activities", "training_courses_activity"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}training_courses"),
    )
    index("training_courses", "organiser", ["organiser_code", "start"])
    table(
        "enrollments",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("course_id", _key(36), nullable=False),
        sa.Column("person_id", _key(36), nullable=True),
        sa.Column("official_id", _key(36), nullable=True),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        version(),
        fk("course_id", "training_courses", "enrollments_course"),
        fk("person_id", "persons", "enrollments_person"),
        fk("official_id", "officials", "enrollments_official"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}enrollments"),
        sa.UniqueConstraint("course_id", "person_id", name=f"uq_{p}enrollments_course_person"),
        sa.UniqueConstraint("course_id", "official_id", name=f"uq_{p}enrollments_course_official"),
    )
    index("enrollments", "completed", ["completed_on"])

    table(
        "demonstration_sites",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("unit_code", _key(12), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("body_id", _key(36), nullable=True),
        version(),
        fk("body_id", "bodies", "sites_body"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}demonstration_sites"),
    )
    index("demonstration_sites", "unit", ["unit_code"])
    table(
        "site_statuses",
        sa.Column("site_id", _key(36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("level_order", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("basis", sa.String(200), nullable=False),
        fk("site_id", "demonstration_sites", "site_statuses_site", "CASCADE"),
        sa.PrimaryKeyConstraint("site_id", "seq", name=f"pk_{p}site_statuses"),
    )
    table(
        "honours",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("unit_code", _key(12), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("person_id", _key(36), nullable=True),
        sa.Column("business_name", sa.String(200), nullable=False),
        sa.Column("business_uscc", _key(18), nullable=True),
        sa.Column("ceremony_id", _key(36), nullable=True),
        sa.Column("basis", sa.String(200), nullable=False),
        version(),
        fk("person_id", "persons", "honours_person"),
        fk("ceremony_id", "activities", "honours_ceremony"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}honours"),
    )
    index("honours", "unit_awarded", ["unit_code", "awarded_on"])
    table(
        "volunteer_members",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("team_id", _key(36), nullable=False),
        sa.Column("person_id", _key(36), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("duty", sa.String(100), nullable=False),
        version(),
        fk("team_id", "bodies", "volunteer_members_team"),
        fk("person_id", "persons", "volunteer_members_person"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}volunteer_members"),
    )
    index("volunteer_members", "team_start", ["team_id", "start"])
    index("volunteer_members", "person", ["person_id"])
    table(
        "volunteer_hours",
        sa.Column("id", _key(36), nullable=False),
        sa.Column("team_id", _key(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("served_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(10, 2), nullable=False),
        sa.Column("member_id", _key(36), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        version(),
        fk("team_id", "bodies", "volunteer_hours_team"),
        fk("member_id", "persons", "volunteer_hours_member"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{p}volunteer_hours"),
    )
    index("volunteer_hours", "team_served", ["team_id", "served_on"])


def downgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Drop the organisation tables (children first)."""
    for name in reversed(_TABLES):
        op.drop_table(f"{prefix}{name}", schema=schema)
