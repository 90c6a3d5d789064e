"""The repository of disputes (``uow.disputes``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

import attrs

from minzu_core.clock import require_aware
from minzu_core.codes.divisions import DivisionCode
from minzu_core.disputes.model import OPEN_STATES, Dispute, DisputeCategory, Severity
from minzu_core.disputes.ports import DisputeIndex, DisputeQuery, DisputesPort
from minzu_core.errors import ValidationError
from minzu_core.hierarchy.ports import HierarchyPort
from minzu_core.hierarchy.repository import stored_versions
from minzu_core.history import HistoryPort
from minzu_core.ledger.ports import LedgerPort
from minzu_core.ledger.repository import person_in_scope
from minzu_core.repository import CaseRepository, List, RepositoryContext, as_code

__all__ = ["DisputeRepository"]

#: the filters of :meth:`DisputeRepository.list` besides ``within`` and ``handled_within``
_FILTERS = frozenset(
    a.name for a in attrs.fields(DisputeQuery) if a.name not in ("prefixes", "handling_prefixes")
)


class _Storage(HierarchyPort, LedgerPort, DisputesPort, HistoryPort, Protocol):
    """The ports the dispute repository uses."""


def _fixed(filters: dict[str, Any], **fixed: Any) -> dict[str, Any]:
    """``filters`` with the ones a query sets itself (``open_disputes``: ``states``); a caller
    giving one of those too gets ``ValidationError(code="fixed_filter")`` naming it."""
    clash = sorted(set(fixed) & set(filters))
    if clash:
        raise ValidationError(
            f"筛选条件 {clash[0]} 由该查询确定, 不能另行指定",
            f"the filter {clash[0]} is set by this query",
            code="fixed_filter",
            field=clash[0],
        )
    return {**filters, **fixed}


class DisputeContext(RepositoryContext[_Storage], Protocol):
    """What the dispute repository is given: a repository context and the mediation target
    recorded when a dispute is accepted."""

    @property
    def dispute_target_days(self) -> int:
        """The mediation target in days (default one month)."""
        ...


class DisputeRepository(CaseRepository[_Storage, Dispute]):
    """Disputes (矛盾纠纷), scope-checked.

    An actor sees a dispute whose origin or handling unit is in their scope; only the handling
    unit's scope sees the confidential narrative (人民调解法 Art. 15) — others get it as
    ``None``. Actions are taken by the handling unit's scope. Every action is an event of the
    dispute's history (who, when, what, note).
    """

    CASE = Dispute
    ENTITY = "dispute"
    LABEL = ("纠纷", "dispute")
    ID_FIELD = "dispute_id"
    NOT_FOUND = "dispute_not_found"
    _uow: DisputeContext

    def __init__(self, uow: DisputeContext) -> None:
        super().__init__(uow)

    def _visible(self, case: Dispute) -> Dispute:
        actor = self._uow.actor
        if not (actor.covers(case.origin_unit) or actor.covers(case.handling_unit)):
            raise self._outside(self.LABEL, self.ID_FIELD)
        if not actor.covers(case.handling_unit) and case.narrative is not None:
            case = attrs.evolve(case, narrative=None)
        return case

    def _load(self, case_id: uuid.UUID) -> Dispute | None:
        return self._s.get_dispute(case_id)

    def _store_new(self, case: Dispute) -> None:
        self._s.insert_dispute(case, DisputeIndex.of(case))

    def _store_changed(self, case: Dispute, expected_version: int) -> None:
        self._s.update_dispute(case, DisputeIndex.of(case), expected_version)

    def register(self, dispute: Dispute, *, reason: str = "受理登记") -> Dispute:
        """Store a newly registered dispute (built with :meth:`Dispute.register`)."""
        dispute = self._typed(dispute, Dispute, "dispute")
        return self._open(dispute, reason, self._check_registered)

    def _check_registered(self, dispute: Dispute) -> None:
        self._uow.actor.require(dispute.origin_unit, field="origin_unit")
        stored_versions(self._s, dispute.origin_unit, "origin_unit")
        if dispute.registered_at > self._uow.clock():
            raise ValidationError(
                "登记时间不能晚于当前时间",
                "registered_at is in the future",
                code="registered_in_future",
                field="registered_at",
            )
        for index, party in enumerate(dispute.parties):
            found = None if party.person_id is None else self._s.get_person(party.person_id)
            if found is not None and not person_in_scope(self._uow.actor, found):
                raise self._outside(("当事人", "party"), f"parties[{index}]")
            if party.person_id is not None and found is None:
                raise ValidationError(
                    "当事人不在台账中",
                    "the party is not in the ledger",
                    code="person_not_found",
                    field=f"parties[{index}]",
                )

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
        return self._act(dispute, action, at, note, data)

    def _before_act(self, current: Dispute, action: str, data: dict[str, Any]) -> None:
        self._uow.actor.require(current.handling_unit, field="handling_unit")
        if action == "accept":
            data.setdefault("target_days", self._uow.dispute_target_days)
        if action == "escalate" and "to" in data:
            target = as_code(data["to"], "to")
            stored_versions(self._s, target, "to")
            data["to"] = target.value

    def find(self, dispute_id: uuid.UUID | str) -> Dispute | None:
        """The dispute, or ``None``; PermissionDeniedError outside the actor's scope."""
        return self._find_case(dispute_id)

    def get(self, dispute_id: uuid.UUID | str) -> Dispute:
        """Like :meth:`find` but raises NotFoundError (code ``dispute_not_found``)."""
        return self._get_case(dispute_id)

    def _query(self, within: DivisionCode | str | None, **filters: Any) -> DisputeQuery | None:
        handled = filters.pop("handled_within", None)
        handling = None if handled is None else (as_code(handled, "handled_within").short,)
        if filters.get("category") is not None:
            filters["category"] = DisputeCategory.parse(filters["category"], field="category")
        if filters.get("severity") is not None:
            filters["severity"] = Severity.parse(filters["severity"], field="severity")
        unknown = sorted(set(filters) - _FILTERS)
        if unknown:
            raise ValidationError(
                f"未知的筛选条件 {unknown[0]}",
                f"unknown filter {unknown[0]}",
                code="unknown_filter",
                field=unknown[0],
            )
        return self._scoped(within, DisputeQuery(handling_prefixes=handling, **filters))

    def list(
        self,
        *,
        within: DivisionCode | str | None = None,
        limit: int | None = None,
        offset: int = 0,
        **filters: Any,
    ) -> List[Dispute]:
        """Disputes in scope (origin or handling unit in ``within``'s subtree) matching the
        filters of :class:`~minzu_core.disputes.DisputeQuery` (``handled_within``, ``states``,
        ``category``, ``severity``, ``ethnic_factor``, ``mass``, ``escalated``,
        ``registered_from``/``to``, ``concluded_from``/``to``, ``overdue_at``), evaluated in
        the store."""
        query = self._query(within, limit=limit, offset=offset, **filters)
        return [] if query is None else [self._view(d) for d in self._s.query_disputes(query)]

    def count(self, *, within: DivisionCode | str | None = None, **filters: Any) -> int:
        """How many disputes :meth:`list` would return (counted in the store)."""
        query = self._query(within, **filters)
        return 0 if query is None else self._s.count_disputes(query)

    def open_disputes(
        self, *, within: DivisionCode | str | None = None, **filters: Any
    ) -> List[Dispute]:
        """Disputes whose mediation has not concluded."""
        return self.list(within=within, **_fixed(filters, states=OPEN_STATES))

    def overdue(
        self, as_of: datetime, *, within: DivisionCode | str | None = None, **filters: Any
    ) -> List[Dispute]:
        """Open disputes past the mediation target at ``as_of``."""
        return self.list(within=within, **_fixed(filters, overdue_at=require_aware(as_of, "as_of")))
