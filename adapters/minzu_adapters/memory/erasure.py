"""Memory storage of export and erasure (个人信息删除): the port
:class:`~minzu_core.store.rights.ErasurePort` on the document layer — a person's requests and
disputes, the records merged into them, and the in-place rewrites an erasure needs (a history
snapshot, the free texts of a case) without a new version or event."""

from __future__ import annotations

import uuid

import attrs

from minzu_adapters.memory.disputes import DISPUTES
from minzu_adapters.memory.history import HISTORY
from minzu_adapters.memory.ledger import PERSONS
from minzu_adapters.memory.services import REQUESTS, RequestEntry
from minzu_adapters.memory.session import DocumentSession
from minzu_core.disputes.model import Dispute
from minzu_core.errors import NotFoundError
from minzu_core.history import ChangeRecord
from minzu_core.ledger.model import Person
from minzu_core.services.model import ServiceRequest
from minzu_core.store.rights import redaction_keeps_facts, redaction_refused

__all__ = ["ErasureMemory"]


class ErasureMemory(DocumentSession):
    """The erasure port on the document layer (a mixin of
    :class:`~minzu_adapters.memory.MemorySession`)."""

    def requests_of_applicant(self, person_id: uuid.UUID) -> list[ServiceRequest]:
        """The person's requests, by received time, then id."""
        found = self.doc_query(
            REQUESTS,
            lambda e: e.request.applicant_id == person_id,
            lambda e: (e.request.received_at, str(e.request.id)),
        )
        return [e.request for e in found]

    def disputes_of_party(self, person_id: uuid.UUID) -> list[Dispute]:
        """The disputes the person is a party to, by registration time, then id."""
        return self.doc_query(
            DISPUTES,
            lambda d: any(p.person_id == person_id for p in d.parties),
            lambda d: (d.registered_at, str(d.id)),
        )

    def persons_merged_into(self, person_id: uuid.UUID) -> list[Person]:
        """The records merged into the person, by id."""
        return self.doc_query(PERSONS, lambda p: p.merged_into == person_id, lambda p: str(p.id))

    def replace_history_snapshot(self, record: ChangeRecord) -> None:
        """Replace the snapshot of the stored history record ``record.id``."""
        current = self.doc_get(HISTORY, str(record.id))
        if current is None:
            raise NotFoundError(
                "变更记录不存在", "history record not found", code="history_not_found", field="id"
            )
        self.doc_update(HISTORY, attrs.evolve(current, snapshot=record.snapshot), current.version)

    def redact_request(self, request: ServiceRequest) -> None:
        """Store the request's free texts over the stored one (same version, same events)."""
        entry = self.doc_get(REQUESTS, str(request.id))
        if entry is None or not redaction_keeps_facts(entry.request, request):
            raise redaction_refused()
        self.doc_update(REQUESTS, RequestEntry(request, entry.index), entry.request.version)

    def redact_dispute(self, dispute: Dispute) -> None:
        """Store the dispute's free texts over the stored one (same version, same events)."""
        current = self.doc_get(DISPUTES, str(dispute.id))
        if current is None or not redaction_keeps_facts(current, dispute):
            raise redaction_refused()
        self.doc_update(DISPUTES, dispute, current.version)
