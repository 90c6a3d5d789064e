"""The repository of disputes (``uow.disputes``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol, TypeAlias

import attrs

from minzu_core.checks import check_version, parse_uuid, require_reason
from minzu_core.clock import require_aware
from minzu_core.codes.divisions import DivisionCode
from minzu_core.disputes.model import OPEN_STATES, Dispute, DisputeCategory, Severity
from minzu_core.disputes.ports import DisputeIndex, DisputeQuery, DisputesPort
from minzu_core.errors import NotFoundError, PermissionDeniedError, ValidationError
from minzu_core.hierarchy.ports import HierarchyPort
from minzu_core.history import ChangeKind, HistoryPort
from minzu_core.ledger.ports import LedgerPort
from minzu_core.privacy.actor import intersect_scope
from minzu_core.repository import RepositoryContext

__all__ = ["DisputeRepository"]

_List: TypeAlias = list


def _as_code(value: DivisionCode | str, field: str = "within") -> DivisionCode:
    return value if isinstance(value, DivisionCode) else DivisionCode.parse(value, field=field)


class _Storage(HierarchyPort, LedgerPort, DisputesPort, HistoryPort, Protocol):
    """The ports the dispute repository uses."""


class DisputeContext(RepositoryContext[_Storage], Protocol):
    """What the dispute repository is given: a repository context and the mediation target
    recorded when a dispute is accepted."""

    @property
    def dispute_target_days(self) -> int:
        """The mediation target in days (default one month)."""
        ...


class DisputeRepository:
    """Disputes (矛盾纠纷), scope-checked.

    An actor sees a dispute whose origin or handling unit is in their scope; only the handling
    unit's scope sees the confidential narrative (人民调解法 Art. 15) — others get it as
    ``None``. Actions are taken by the handling unit's scope. Every action is an event of the
    dispute's history (who, when, what, note).
    """

    def __init__(self, uow: DisputeContext) -> None:
        self._uow = uow

    @property
    def _s(self) -> _Storage:
        return self._uow.session

    def _visible(self, dispute: Dispute) -> Dispute:
        actor = self._uow.actor
        if not (actor.covers(dispute.origin_unit) or actor.covers(dispute.handling_unit)):
            raise PermissionDeniedError(
                "纠纷不在数据范围内",
                "the dispute is outside the scope",
                code="outside_scope",
                field="dispute_id",
            )
        if not actor.covers(dispute.handling_unit) and dispute.narrative is not None:
            return attrs.evolve(dispute, narrative=None)
        return dispute

    def _unit_exists(self, code: DivisionCode, field: str) -> None:
        if not self._s.get_unit_versions(code):
            raise ValidationError(
                f"单位 {code.short} 不存在",
                f"unit {code.short} does not exist",
                code="unit_not_found",
                field=field,
            )

    def register(self, dispute: Dispute, *, reason: str = "受理登记") -> Dispute:
        """Store a newly registered dispute (built with :meth:`Dispute.register`)."""
        reason = require_reason(reason)
        if len(dispute.events) != 1 or dispute.version != 0:
            raise ValidationError(
                "只能登记新的纠纷",
                "only a newly registered dispute",
                code="invalid_history",
                field="events",
            )
        self._uow.actor.require(dispute.origin_unit, field="origin_unit")
        self._unit_exists(dispute.origin_unit, "origin_unit")
        if dispute.registered_at > self._uow.clock():
            raise ValidationError(
                "登记时间不能晚于当前时间",
                "registered_at is in the future",
                code="registered_in_future",
                field="registered_at",
            )
        for index, party in enumerate(dispute.parties):
            if party.person_id is not None and self._s.get_person(party.person_id) is None:
                raise ValidationError(
                    "当事人不在台账中",
                    "the party is not in the ledger",
                    code="person_not_found",
                    field=f"parties[{index}]",
                )
        stored = attrs.evolve(dispute, version=1)
        self._s.insert_dispute(stored, DisputeIndex.of(stored))
        self._uow.record(
            "dispute",
            str(dispute.id),
            1,
            ChangeKind.CREATED,
            reason,
            {"action": "register", "state": stored.state},
        )
        return stored

    def act(
        self,
        dispute: Dispute | uuid.UUID | str,
        action: str,
        *,
        at: datetime | None = None,
        note: str = "",
        **data: Any,
    ) -> Dispute:
        """Take ``action`` on a dispute as the actor (who must cover the handling unit) at
        ``at`` (default: now). ``accept`` records the store's mediation target
        (``target_days``); ``escalate`` needs ``to=`` a stored unit above the handling unit.
        A refused action raises and changes nothing."""
        when = require_aware(at, "at") if at is not None else self._uow.clock()
        if when > self._uow.clock():
            raise ValidationError(
                "记录时间不能晚于当前时间",
                "the action's time is in the future",
                code="event_in_future",
                field="at",
            )
        dispute_id = (
            dispute.id if isinstance(dispute, Dispute) else parse_uuid(dispute, "dispute_id")
        )
        current = self._s.get_dispute(dispute_id)
        if current is None:
            raise NotFoundError(
                "纠纷不存在", "dispute not found", code="dispute_not_found", field="dispute_id"
            )
        self._visible(current)
        self._uow.actor.require(current.handling_unit, field="handling_unit")
        expected = dispute.version if isinstance(dispute, Dispute) else current.version
        check_version(current.version, expected, "dispute")
        if action == "accept":
            data.setdefault("target_days", self._uow.dispute_target_days)
        if action == "escalate" and "to" in data:
            target = _as_code(data["to"], "to")
            self._unit_exists(target, "to")
            data["to"] = target.value
        changed = current.act(action, at=when, actor_id=self._uow.actor.id, note=note, **data)
        stored = attrs.evolve(changed, version=current.version + 1)
        self._s.update_dispute(stored, DisputeIndex.of(stored), current.version)
        return self._visible(stored)

    def find(self, dispute_id: uuid.UUID | str) -> Dispute | None:
        """The dispute, or ``None``; PermissionDeniedError outside the actor's scope."""
        dispute = self._s.get_dispute(parse_uuid(dispute_id, "dispute_id"))
        return None if dispute is None else self._visible(dispute)

    def get(self, dispute_id: uuid.UUID | str) -> Dispute:
        """Like :meth:`find` but raises NotFoundError (code ``dispute_not_found``)."""
        dispute = self.find(dispute_id)
        if dispute is None:
            raise NotFoundError(
                "纠纷不存在", "dispute not found", code="dispute_not_found", field="dispute_id"
            )
        return dispute

    def _query(self, within: DivisionCode | str | None, **filters: Any) -> DisputeQuery | None:
        roots = intersect_scope(self._uow.actor, None if within is None else _as_code(within))
        if roots == ():
            return None
        prefixes = None if roots is None else tuple(r.short for r in roots)
        handled = filters.pop("handled_within", None)
        handling = None if handled is None else (_as_code(handled, "handled_within").short,)
        if filters.get("category") is not None:
            filters["category"] = DisputeCategory.parse(filters["category"], field="category")
        if filters.get("severity") is not None:
            filters["severity"] = Severity.parse(filters["severity"], field="severity")
        if filters.get("states") is not None:
            filters["states"] = frozenset(filters["states"])
        return DisputeQuery(prefixes=prefixes, handling_prefixes=handling, **filters)

    def list(
        self,
        *,
        within: DivisionCode | str | None = None,
        limit: int | None = None,
        offset: int = 0,
        **filters: Any,
    ) -> _List[Dispute]:
        """Disputes in scope (origin or handling unit in ``within``'s subtree) matching the
        filters of :class:`~minzu_core.disputes.DisputeQuery` (``handled_within``, ``states``,
        ``category``, ``severity``, ``ethnic_factor``, ``mass``, ``escalated``,
        ``registered_from``/``to``, ``concluded_from``/``to``, ``overdue_at``), evaluated in
        the store."""
        query = self._query(within, limit=limit, offset=offset, **filters)
        return [] if query is None else [self._visible(d) for d in self._s.query_disputes(query)]

    def count(self, *, within: DivisionCode | str | None = None, **filters: Any) -> int:
        """How many disputes :meth:`list` would return (counted in the store)."""
        query = self._query(within, **filters)
        return 0 if query is None else self._s.count_disputes(query)

    def open_disputes(
        self, *, within: DivisionCode | str | None = None, **filters: Any
    ) -> _List[Dispute]:
        """Disputes whose mediation has not concluded."""
        return self.list(within=within, states=OPEN_STATES, **filters)

    def overdue(
        self, as_of: datetime, *, within: DivisionCode | str | None = None, **filters: Any
    ) -> _List[Dispute]:
        """Open disputes past the mediation target at ``as_of``."""
        return self.list(within=within, overdue_at=require_aware(as_of, "as_of"), **filters)
