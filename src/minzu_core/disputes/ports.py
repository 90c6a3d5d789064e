"""The disputes' storage port (纠纷存储端口)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

import minzu_core.fields as fields
from minzu_core.codes.divisions import DivisionCode
from minzu_core.disputes.model import Dispute, DisputeCategory, Severity

if TYPE_CHECKING:
    pass


__all__ = [
    "DisputeIndex",
    "DisputeQuery",
    "DisputesPort",
]


@attrs.frozen
class DisputeIndex:
    """Values derived from a dispute's history that a store keeps in columns for queries."""

    state: str
    handling_unit: DivisionCode
    accepted_at: datetime | None
    due_at: datetime | None
    concluded_at: datetime | None
    outcome: str | None
    escalations: int
    target_days: int | None = None
    concluded_within_target: bool | None = None
    party_count: int = 0

    @classmethod
    def of(cls, dispute: Dispute) -> DisputeIndex:
        """The index values of ``dispute``."""
        return cls(
            state=dispute.state,
            handling_unit=dispute.handling_unit,
            accepted_at=dispute.accepted_at,
            due_at=dispute.due_at,
            concluded_at=dispute.concluded_at,
            outcome=dispute.outcome,
            escalations=dispute.escalations,
            target_days=None if dispute.accepted_at is None else dispute.target_days,
            concluded_within_target=dispute.concluded_within_target(),
            party_count=len(dispute.parties),
        )


@attrs.frozen
class DisputeQuery:
    """Which disputes to list or count.

    A dispute matches when its handling unit OR its origin unit starts with one of ``prefixes``
    (``None``: any; this is how scope applies), and, where given: its handling unit starts with
    one of ``handling_prefixes``; its state is one of ``states``; its category, severity,
    ``ethnic_factor`` and ``mass`` flags equal the values given; ``escalated`` (escalated at
    least once, or never); registered in ``[registered_from, registered_to)``; concluded in
    ``[concluded_from, concluded_to)``; and ``overdue_at``: still open (registered, accepted or
    mediating) with ``due_at < overdue_at``. Ordered by ``registered_at``, then id.
    """

    prefixes: tuple[str, ...] | None = None
    handling_prefixes: tuple[str, ...] | None = None
    states: frozenset[str] | None = attrs.field(default=None, converter=fields.to_text_set_or_none)
    category: DisputeCategory | None = attrs.field(default=None, converter=fields.to_choice_or_none)
    severity: Severity | None = attrs.field(default=None, converter=fields.to_choice_or_none)
    ethnic_factor: bool | None = attrs.field(default=None, converter=fields.to_flag_or_none)
    mass: bool | None = attrs.field(default=None, converter=fields.to_flag_or_none)
    escalated: bool | None = attrs.field(default=None, converter=fields.to_flag_or_none)
    registered_from: datetime | None = attrs.field(default=None, converter=fields.to_aware_or_none)
    registered_to: datetime | None = attrs.field(default=None, converter=fields.to_aware_or_none)
    concluded_from: datetime | None = attrs.field(default=None, converter=fields.to_aware_or_none)
    concluded_to: datetime | None = attrs.field(default=None, converter=fields.to_aware_or_none)
    overdue_at: datetime | None = attrs.field(
        default=None, converter=fields.to_aware_or_none, metadata=fields.named("as_of")
    )
    limit: int | None = attrs.field(default=None, converter=fields.to_count_or_none)
    offset: int = attrs.field(default=0, converter=fields.to_count)


@runtime_checkable
class DisputesPort(Protocol):
    """Storage primitives of disputes (with their event history)."""

    def get_dispute(self, dispute_id: uuid.UUID) -> Dispute | None:
        """The dispute with this id (with its whole history), or ``None``."""
        ...

    def insert_dispute(self, dispute: Dispute, index: DisputeIndex) -> None:
        """Store a newly registered dispute with its events and derived index values."""
        ...

    def update_dispute(self, dispute: Dispute, index: DisputeIndex, expected_version: int) -> None:
        """Store a dispute whose stored version is ``expected_version`` (events append-only)."""
        ...

    def query_disputes(self, query: DisputeQuery) -> list[Dispute]:
        """Disputes matching ``query`` (see :class:`DisputeQuery`)."""
        ...

    def count_disputes(self, query: DisputeQuery) -> int:
        """How many disputes match ``query`` (``limit``/``offset`` ignored)."""
        ...
