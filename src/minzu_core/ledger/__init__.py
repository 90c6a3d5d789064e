"""The ledger (台账): persons with residence episodes, the storage port and the repository."""

from __future__ import annotations

from minzu_core.ledger import model, ports, repository
from minzu_core.ledger.model import *  # noqa: F403
from minzu_core.ledger.ports import *  # noqa: F403
from minzu_core.ledger.repository import *  # noqa: F403

__all__: list[str] = []
__all__ += model.__all__
__all__ += ports.__all__
__all__ += repository.__all__
