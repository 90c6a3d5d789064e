"""Derived columns for the indicator engine.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

Adds to ``service_requests``: ``time_limit_days``, ``resolved_on_time``, ``followed_up_at``,
``satisfaction`` and ``closed_at``; to ``disputes``: ``target_days``,
``concluded_within_target`` and ``party_count``; and indexes on the request acceptance and
resolution times and the dispute conclusion time. Existing rows are filled in from their stored
events (``case_events``). ``resolved_on_time`` of an existing request is backfilled as
``resolved_at <= due_base`` (the stored due base already has the store's calendar and the
completed pauses); the next save of the request recomputes it exactly from its history.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from minzu_adapters.sql.migrations._helpers import Builder, utc_datetime

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DEFAULT_TARGET_DAYS = 30


def upgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Add the derived columns and indexes, then fill them in for existing rows."""
    b = Builder(prefix, schema)
    requests, disputes = b.name("service_requests"), b.name("disputes")
    for column in (
        sa.Column("time_limit_days", sa.Integer(), nullable=True),
        sa.Column("resolved_on_time", sa.Boolean(), nullable=True),
        sa.Column("followed_up_at", utc_datetime(), nullable=True),
        sa.Column("satisfaction", sa.String(32), nullable=True),
        sa.Column("closed_at", utc_datetime(), nullable=True),
    ):
        op.add_column(requests, column, schema=schema)
    for column in (
        sa.Column("target_days", sa.Integer(), nullable=True),
        sa.Column("concluded_within_target", sa.Boolean(), nullable=True),
        sa.Column("party_count", sa.Integer(), nullable=False, server_default="0"),
    ):
        op.add_column(disputes, column, schema=schema)
    b.index("service_requests", "accepted", ["accepted_at", "unit_code"])
    b.index("service_requests", "resolved", ["resolved_at", "unit_code"])
    b.index("disputes", "concluded", ["concluded_at"])
    _backfill(b)
    # The model has no server default: every write supplies the count.
    with op.batch_alter_table(disputes, schema=schema) as batch:
        batch.alter_column(
            "party_count", existing_type=sa.Integer(), existing_nullable=False, server_default=None
        )


def _backfill(b: Builder) -> None:
    """Fill the new columns of existing rows from their stored events (online upgrades).

    Offline (``--sql``) scripts can only carry what plain SQL computes: there the two flags are
    set from the stored times and the event-derived values stay empty until each row's next
    save (run the upgrade online to fill them at once)."""
    requests = b.lightweight(
        "service_requests",
        "id resolved_at due_base resolved_on_time",
        "time_limit_days followed_up_at satisfaction closed_at",
    )
    disputes = b.lightweight(
        "disputes", "id parties due_at concluded_at party_count target_days concluded_within_target"
    )
    events = b.lightweight("case_events", "case_id seq action at data")
    if context.is_offline_mode():
        op.execute(
            sa.update(requests)
            .where(requests.c.resolved_at.is_not(None))
            .values(
                resolved_on_time=sa.case(
                    (requests.c.resolved_at <= requests.c.due_base, sa.true()), else_=sa.false()
                )
            )
        )
        op.execute(
            sa.update(disputes)
            .where(disputes.c.concluded_at.is_not(None), disputes.c.due_at.is_not(None))
            .values(
                concluded_within_target=sa.case(
                    (disputes.c.concluded_at <= disputes.c.due_at, sa.true()), else_=sa.false()
                )
            )
        )
        return
    bind = op.get_bind()
    by_case: dict[str, list[Any]] = {}
    query = sa.select(events.c.case_id, events.c.action, events.c.at, events.c.data).order_by(
        events.c.case_id, events.c.seq
    )
    for event in bind.execute(query):
        by_case.setdefault(event.case_id, []).append(event)

    def data_of(event: Any) -> dict[str, Any]:
        found = json.loads(event.data) if isinstance(event.data, str) else event.data
        return dict(found or {})

    for request in bind.execute(
        sa.select(requests.c.id, requests.c.resolved_at, requests.c.due_base)
    ).all():
        resolved, due = request.resolved_at, request.due_base
        values: dict[str, Any] = {
            "resolved_on_time": None if resolved is None else due is not None and resolved <= due
        }
        for event in by_case.get(request.id, []):
            if event.action == "accept":
                values["time_limit_days"] = data_of(event).get("time_limit_days")
            elif event.action == "follow_up":
                values["followed_up_at"] = event.at
                values["satisfaction"] = data_of(event).get("satisfaction")
            elif event.action in ("close", "close_without_follow_up"):
                values["closed_at"] = event.at
        bind.execute(sa.update(requests).where(requests.c.id == request.id).values(values))
    for dispute in bind.execute(
        sa.select(disputes.c.id, disputes.c.parties, disputes.c.due_at, disputes.c.concluded_at)
    ).all():
        parties = dispute.parties
        parties = json.loads(parties) if isinstance(parties, str) else parties
        target: int | None = None
        for event in by_case.get(dispute.id, []):
            if event.action == "accept":
                target = int(data_of(event).get("target_days") or _DEFAULT_TARGET_DAYS)
        due, concluded = dispute.due_at, dispute.concluded_at
        within = None if due is None or concluded is None else concluded <= due
        bind.execute(
            sa.update(disputes)
            .where(disputes.c.id == dispute.id)
            .values(party_count=len(parties), target_days=target, concluded_within_target=within)
        )


def downgrade(*, prefix: str = "minzu_", schema: str | None = None) -> None:
    """Drop the derived columns and their indexes."""
    b = Builder(prefix, schema)
    requests, disputes = b.name("service_requests"), b.name("disputes")
    b.drop_index("disputes", "concluded")
    b.drop_index("service_requests", "resolved")
    b.drop_index("service_requests", "accepted")
    with op.batch_alter_table(disputes, schema=schema) as batch:
        for name in ("party_count", "concluded_within_target", "target_days"):
            batch.drop_column(name)
    with op.batch_alter_table(requests, schema=schema) as batch:
        for name in (
            "closed_at",
            "satisfaction",
            "followed_up_at",
            "resolved_on_time",
            "time_limit_days",
        ):
            batch.drop_column(name)
