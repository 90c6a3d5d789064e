"""Organisations and responsibility (组织与责任): bodies, cadres and talent, appointments, the
responsibility policy and coverage report, the storage port and the repository.
"""

from __future__ import annotations

from minzu_core.labels import Choice, Graded
from minzu_core.organisation import bodies, cadres, ports, repository, responsibility
from minzu_core.organisation.bodies import *  # noqa: F403
from minzu_core.organisation.cadres import *  # noqa: F403
from minzu_core.organisation.ports import *  # noqa: F403
from minzu_core.organisation.repository import *  # noqa: F403
from minzu_core.organisation.responsibility import *  # noqa: F403

__all__ = [
    "Choice",
    "Graded",
]
__all__ += bodies.__all__
__all__ += cadres.__all__
__all__ += ports.__all__
__all__ += repository.__all__
__all__ += responsibility.__all__
