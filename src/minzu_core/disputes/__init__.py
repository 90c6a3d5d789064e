"""Dispute mediation under the People's Mediation Law (矛盾纠纷排查化解)."""

from __future__ import annotations

from minzu_core.disputes.model import (
    CHANNELS,
    DEFAULT_TARGET_DAYS,
    DISPUTE_LIFECYCLE,
    JUDICIAL_CONFIRMATION_DAYS,
    OPEN_STATES,
    Dispute,
    DisputeCategory,
    DisputeSource,
    Party,
    Severity,
)
from minzu_core.disputes.ports import (
    DisputeIndex,
    DisputeQuery,
    DisputesPort,
)
from minzu_core.disputes.repository import (
    DisputeRepository,
)

__all__ = [
    "CHANNELS",
    "DEFAULT_TARGET_DAYS",
    "DISPUTE_LIFECYCLE",
    "JUDICIAL_CONFIRMATION_DAYS",
    "OPEN_STATES",
    "Dispute",
    "DisputeCategory",
    "DisputeIndex",
    "DisputeQuery",
    "DisputeRepository",
    "DisputeSource",
    "DisputesPort",
    "Party",
    "Severity",
]
