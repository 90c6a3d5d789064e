"""Memory storage of disputes (矛盾纠纷): the index is derived again from a dispute when queried."""

from __future__ import annotations

import uuid

from minzu_adapters.memory.session import (
    DocumentSession,
    id_kind,
    in_prefixes,
    page,
    require_appended,
)
from minzu_core.disputes.model import OPEN_STATES, Dispute
from minzu_core.disputes.ports import DisputeIndex, DisputeQuery

__all__ = ["DISPUTES", "DisputeMemory"]

#: Disputes, keyed by id.
DISPUTES = id_kind("dispute", Dispute, "记录", "dispute")


def _appended(current: Dispute, given: Dispute) -> None:
    require_appended(current.events, given.events, "纠纷")


def _dispute_matches(d: Dispute, q: DisputeQuery) -> bool:
    idx = DisputeIndex.of(d)
    concluded = idx.concluded_at
    checks = (
        in_prefixes(idx.handling_unit, q.prefixes) or in_prefixes(d.origin_unit, q.prefixes),
        in_prefixes(idx.handling_unit, q.handling_prefixes),
        q.states is None or idx.state in q.states,
        q.category is None or d.category is q.category,
        q.severity is None or d.severity is q.severity,
        q.ethnic_factor is None or d.ethnic_factor == q.ethnic_factor,
        q.mass is None or d.mass == q.mass,
        q.escalated is None or (idx.escalations > 0) == q.escalated,
        q.registered_from is None or d.registered_at >= q.registered_from,
        q.registered_to is None or d.registered_at < q.registered_to,
        q.concluded_from is None or (concluded is not None and concluded >= q.concluded_from),
        q.concluded_to is None or (concluded is not None and concluded < q.concluded_to),
        q.overdue_at is None
        or (idx.state in OPEN_STATES and idx.due_at is not None and idx.due_at < q.overdue_at),
    )
    return all(checks)


class DisputeMemory(DocumentSession):
    """The disputes port on the document layer."""

    def get_dispute(self, dispute_id: uuid.UUID) -> Dispute | None:
        """The dispute with this id."""
        return self.doc_get(DISPUTES, str(dispute_id))

    def insert_dispute(self, dispute: Dispute, index: DisputeIndex) -> None:
        """Insert a dispute."""
        self.doc_insert(DISPUTES, dispute)

    def update_dispute(self, dispute: Dispute, index: DisputeIndex, expected_version: int) -> None:
        """Replace a dispute (events append-only) if its version is ``expected_version``."""
        self.doc_update(DISPUTES, dispute, expected_version, _appended)

    def query_disputes(self, query: DisputeQuery) -> list[Dispute]:
        """Disputes matching ``query``, by registration time then id."""
        found = self.doc_query(
            DISPUTES,
            lambda d: _dispute_matches(d, query),
            lambda d: (d.registered_at, str(d.id)),
        )
        return page(found, query.limit, query.offset)

    def count_disputes(self, query: DisputeQuery) -> int:
        """How many disputes match ``query``."""
        return self.doc_count(DISPUTES, lambda d: _dispute_matches(d, query))
