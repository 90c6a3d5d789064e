"""Dispute mediation under the People's Mediation Law (矛盾纠纷排查化解)."""

from __future__ import annotations

from minzu_core.disputes import model, ports, repository
from minzu_core.disputes.model import *  # noqa: F403
from minzu_core.disputes.ports import *  # noqa: F403
from minzu_core.disputes.repository import *  # noqa: F403

__all__: list[str] = []
__all__ += model.__all__
__all__ += ports.__all__
__all__ += repository.__all__
