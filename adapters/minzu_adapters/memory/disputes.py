"""Memory storage of disputes (a mixin of :class:`~minzu_adapters.memory.MemorySession`)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from minzu_core.disputes.model import OPEN_STATES, Dispute
from minzu_core.disputes.ports import DisputeIndex, DisputeQuery
from minzu_core.errors import ConcurrencyError

__all__ = ["DisputeMemory"]

_KIND = "dispute"


class DisputeMemory:
    """Dispute primitives on the generic document layer of the memory session."""

    if TYPE_CHECKING:

        def doc_get(self, kind: str, key: str) -> Any: ...

        def doc_all(self, kind: str) -> list[Any]: ...

        def doc_insert(self, kind: str, key: str, obj: Any) -> None: ...

        def doc_update(self, kind: str, key: str, obj: Any, expected_version: int) -> None: ...

    def get_dispute(self, dispute_id: uuid.UUID) -> Dispute | None:
        """The dispute with this id."""
        found: Dispute | None = self.doc_get(_KIND, str(dispute_id))
        return found

    def insert_dispute(self, dispute: Dispute, index: DisputeIndex) -> None:
        """Insert a dispute (the index is derived again from it when queried)."""
        self.doc_insert(_KIND, str(dispute.id), dispute)

    def update_dispute(self, dispute: Dispute, index: DisputeIndex, expected_version: int) -> None:
        """Replace a dispute (events append-only) if its version is ``expected_version``."""
        current = self.get_dispute(dispute.id)
        if current is not None and dispute.events[: len(current.events)] != current.events:
            raise ConcurrencyError(
                "纠纷历史只能追加",
                "the event history is append-only",
                code="history_rewritten",
                field="events",
            )
        self.doc_update(_KIND, str(dispute.id), dispute, expected_version)

    @staticmethod
    def _dispute_matches(d: Dispute, q: DisputeQuery) -> bool:
        idx = DisputeIndex.of(d)
        handling, origin = idx.handling_unit.value, d.origin_unit.value
        if q.prefixes is not None and not (
            handling.startswith(q.prefixes) or origin.startswith(q.prefixes)
        ):
            return False
        checks = (
            q.handling_prefixes is None or handling.startswith(q.handling_prefixes),
            q.states is None or idx.state in q.states,
            q.category is None or d.category is q.category,
            q.severity is None or d.severity is q.severity,
            q.ethnic_factor is None or d.ethnic_factor == q.ethnic_factor,
            q.mass is None or d.mass == q.mass,
            q.escalated is None or (idx.escalations > 0) == q.escalated,
            q.registered_from is None or d.registered_at >= q.registered_from,
            q.registered_to is None or d.registered_at < q.registered_to,
            q.concluded_from is None
            or (idx.concluded_at is not None and idx.concluded_at >= q.concluded_from),
            q.concluded_to is None
            or (idx.concluded_at is not None and idx.concluded_at < q.concluded_to),
            q.overdue_at is None
            or (idx.state in OPEN_STATES and idx.due_at is not None and idx.due_at < q.overdue_at),
        )
        return all(checks)

    def query_disputes(self, query: DisputeQuery) -> list[Dispute]:
        """Disputes matching ``query``, by registration time then id."""
        found = sorted(
            (d for d in self.doc_all(_KIND) if self._dispute_matches(d, query)),
            key=lambda d: (d.registered_at, str(d.id)),
        )
        end = None if query.limit is None else query.offset + query.limit
        return found[query.offset : end]

    def count_disputes(self, query: DisputeQuery) -> int:
        """How many disputes match ``query``."""
        return sum(1 for d in self.doc_all(_KIND) if self._dispute_matches(d, query))
