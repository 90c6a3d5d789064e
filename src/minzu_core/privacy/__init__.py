"""Privacy (隐私保护): actors and scope, permissions and masking, purposes, the audit trail,
keys and field encryption, declared extension fields."""

from __future__ import annotations

from minzu_core.privacy import actor, audit, extensions, keys, permissions, purposes, trail
from minzu_core.privacy.actor import *  # noqa: F403
from minzu_core.privacy.audit import *  # noqa: F403
from minzu_core.privacy.extensions import *  # noqa: F403
from minzu_core.privacy.keys import *  # noqa: F403
from minzu_core.privacy.permissions import *  # noqa: F403
from minzu_core.privacy.purposes import *  # noqa: F403
from minzu_core.privacy.trail import *  # noqa: F403

__all__: list[str] = []
__all__ += actor.__all__
__all__ += audit.__all__
__all__ += extensions.__all__
__all__ += keys.__all__
__all__ += permissions.__all__
__all__ += purposes.__all__
__all__ += trail.__all__
