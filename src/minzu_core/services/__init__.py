"""Service windows and the lifecycle of service requests (服务窗口与服务事项)."""

from __future__ import annotations

from minzu_core.services import model, ports, repository
from minzu_core.services.model import *  # noqa: F403
from minzu_core.services.ports import *  # noqa: F403
from minzu_core.services.repository import *  # noqa: F403

__all__: list[str] = []
__all__ += model.__all__
__all__ += ports.__all__
__all__ += repository.__all__
