"""SQL storage of export and erasure (a mixin of :class:`~minzu_adapters.sql.store.SqlSession`):
the port :class:`~minzu_core.store.rights.ErasurePort`.

A person's requests are found by the indexed ``applicant_id`` column, their disputes by the
party list (a JSON text column, narrowed with a bound ``LIKE`` on the person's id and checked
on the parsed parties), the records merged into them by ``merged_into``. The rewrites of an
erasure are ``UPDATE`` s in place, in the session's transaction: a history row's snapshot
(encrypted again under the store's keys, :mod:`~minzu_adapters.sql.crypto`, with the same
associated data), a case's free-text columns (version-checked, the version unchanged) and the
``note`` of its ``case_events`` rows.
"""

from __future__ import annotations

import uuid
from typing import cast

import attrs
from sqlalchemy import Text, select, type_coerce, update

from minzu_adapters.sql.crypto import codec_of
from minzu_adapters.sql.session import SessionCore
from minzu_core.disputes.model import Dispute
from minzu_core.errors import NotFoundError
from minzu_core.history import ChangeRecord
from minzu_core.ledger.model import Person
from minzu_core.lifecycle import Event
from minzu_core.serialization import structure, unstructure
from minzu_core.services.model import ServiceRequest
from minzu_core.store.ports import StoreSession
from minzu_core.store.rights import redaction_keeps_facts, redaction_refused

__all__ = ["ErasureStorage"]

_HISTORY_FIELDS = tuple(f.name for f in attrs.fields(ChangeRecord))


class ErasureStorage(SessionCore):
    """The erasure primitives of :class:`~minzu_adapters.sql.store.SqlSession`."""

    @property
    def _store(self) -> StoreSession:
        # The other primitives (get_request, get_dispute, get_person) come with the other
        # mixins of the composed session.
        return cast(StoreSession, self)

    def requests_of_applicant(self, person_id: uuid.UUID) -> list[ServiceRequest]:
        """The person's requests, by received time, then id."""
        r = self._t.service_requests
        stmt = (
            select(r.c.id)
            .where(r.c.applicant_id == str(person_id))
            .order_by(r.c.received_at, r.c.id)
        )
        found = (self._store.get_request(uuid.UUID(row[0])) for row in self._all(stmt))
        return [request for request in found if request is not None]

    def disputes_of_party(self, person_id: uuid.UUID) -> list[Dispute]:
        """The disputes the person is a party to, by registration time, then id."""
        d = self._t.disputes
        stmt = (
            select(d.c.id)
            .where(type_coerce(d.c.parties, Text).contains(str(person_id), autoescape=True))
            .order_by(d.c.registered_at, d.c.id)
        )
        found = (self._store.get_dispute(uuid.UUID(row[0])) for row in self._all(stmt))
        return [
            dispute
            for dispute in found
            if dispute is not None and any(p.person_id == person_id for p in dispute.parties)
        ]

    def persons_merged_into(self, person_id: uuid.UUID) -> list[Person]:
        """The records merged into the person, by id."""
        p = self._t.persons
        stmt = select(p.c.id).where(p.c.merged_into == str(person_id)).order_by(p.c.id)
        found = (self._store.get_person(uuid.UUID(row[0])) for row in self._all(stmt))
        return [person for person in found if person is not None]

    def replace_history_snapshot(self, record: ChangeRecord) -> None:
        """Replace the snapshot of the stored history row ``record.id`` (encrypted again when
        the store has keys)."""
        h = self._t.history
        rows = self._all(select(h).where(h.c.id == str(record.id)))
        if not rows:
            raise NotFoundError(
                "变更记录不存在", "history record not found", code="history_not_found", field="id"
            )
        codec = codec_of(self._context)
        stored = structure(
            codec.decode_history({n: rows[0]._mapping[n] for n in _HISTORY_FIELDS}), ChangeRecord
        )
        data = codec.encode_history(unstructure(attrs.evolve(stored, snapshot=record.snapshot)))
        with self._write(None) as conn:
            conn.execute(
                update(h).where(h.c.id == str(record.id)).values(snapshot=data["snapshot"])
            )

    def _redact_notes(
        self, case_id: str, stored: tuple[Event, ...], given: tuple[Event, ...]
    ) -> None:
        e = self._t.case_events
        conn = self._c()
        for seq, (old, new) in enumerate(zip(stored, given, strict=True)):
            if old.note != new.note:
                conn.execute(
                    update(e).where(e.c.case_id == case_id, e.c.seq == seq).values(note=new.note)
                )

    def redact_request(self, request: ServiceRequest) -> None:
        """Store the request's description and event notes over the stored ones (same version,
        same events)."""
        current = self._store.get_request(request.id)
        if current is None or not redaction_keeps_facts(current, request):
            raise redaction_refused()
        r = self._t.service_requests
        row = self._bind(r, {"description": request.description})
        key = str(request.id)
        with self._versioned_update(
            "service request", r.c.id, key, row, current.version, several=True
        ):
            self._redact_notes(key, current.events, request.events)

    def redact_dispute(self, dispute: Dispute) -> None:
        """Store the dispute's narrative, party names and event notes over the stored ones (same
        version, same events)."""
        current = self._store.get_dispute(dispute.id)
        if current is None or not redaction_keeps_facts(current, dispute):
            raise redaction_refused()
        d = self._t.disputes
        row = self._bind(
            d, {"narrative": dispute.narrative, "parties": unstructure(dispute.parties)}
        )
        key = str(dispute.id)
        with self._versioned_update("dispute", d.c.id, key, row, current.version, several=True):
            self._redact_notes(key, current.events, dispute.events)
