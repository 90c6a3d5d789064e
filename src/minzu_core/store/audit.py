"""Queries of the audit trail (审计查询): who saw a person's data (PIPL Art. 45), what an actor
did, what happened in a period; and the check of the whole chain.

``uow.audit`` is an :class:`AuditRepository`. Reading the trail needs the ``audit`` operation
of the permission policy (roles ``auditor``, ``privacy_officer``) or an unrestricted actor;
otherwise ``PermissionDeniedError(code="audit_denied")``. Entries hold no personal data, so
they are not masked.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from minzu_core.privacy.actor import Actor
from minzu_core.privacy.audit import (
    AuditEntry,
    AuditPort,
    AuditProblem,
    AuditQuery,
    iter_chain,
    verify_chain,
)
from minzu_core.privacy.permissions import FieldAccess

__all__ = ["AuditContext", "AuditRepository", "verify_store_audit"]


class AuditContext(Protocol):
    """What the audit repository uses of its unit of work."""

    @property
    def actor(self) -> Actor:
        """Who is acting."""
        ...

    @property
    def access(self) -> FieldAccess:
        """What the actor may do (``can_view_audit``)."""
        ...

    @property
    def session(self) -> AuditPort:
        """The storage session."""
        ...


def _text(value: uuid.UUID | str | None) -> str | None:
    return None if value is None else str(value)


class AuditRepository:
    """The audit trail of a store, read through one unit of work."""

    def __init__(self, uow: AuditContext) -> None:
        self._uow = uow

    def _require(self) -> None:
        if not self._uow.actor.unrestricted:
            self._uow.access.require_audit_view()

    def entries(
        self,
        *,
        person_id: uuid.UUID | str | None = None,
        actor_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        entity_type: str | None = None,
        entity_id: uuid.UUID | str | None = None,
        after_seq: int = 0,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """The entries matching every condition given, by ``seq`` (see
        :class:`~minzu_core.privacy.audit.AuditQuery`; ``start <= at < end``)."""
        self._require()
        query = AuditQuery(
            person_id=_text(person_id),
            actor_id=actor_id,
            start=start,
            end=end,
            entity_type=entity_type,
            entity_id=_text(entity_id),
            after_seq=after_seq,
            limit=limit,
        )
        return self._uow.session.query_audit_entries(query)

    def who_saw(self, person_id: uuid.UUID | str) -> list[AuditEntry]:
        """Every entry about the person (as the entity or a subject): reads in clear, writes,
        exports, erasure — the answer to "who saw my data" (PIPL Art. 45)."""
        return self.entries(person_id=person_id)

    def last(self) -> AuditEntry | None:
        """The last entry of the chain, or ``None``."""
        self._require()
        return self._uow.session.last_audit_entry()

    def verify(self, *, head: str | None = None, key: bytes | None = None) -> list[AuditProblem]:
        """Check the whole chain (see :func:`verify_store_audit`)."""
        self._require()
        return verify_store_audit(self._uow.session, key=key, head=head)


def verify_store_audit(
    port: AuditPort, *, key: bytes | None = None, head: str | None = None, batch: int = 1000
) -> list[AuditProblem]:
    """Every problem of the store's chain (empty when intact), streamed ``batch`` entries at a
    time: the first names the first entry altered, removed or inserted."""
    entries: Iterator[AuditEntry] = iter_chain(port, batch=batch)
    return verify_chain(entries, key=key, head=head)
