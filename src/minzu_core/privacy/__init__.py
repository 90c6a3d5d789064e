"""Privacy (隐私保护): actors, scope and masking."""

from __future__ import annotations

from minzu_core.privacy.actor import (
    Actor,
    intersect_scope,
)

__all__ = [
    "Actor",
    "intersect_scope",
]
