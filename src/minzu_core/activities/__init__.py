"""Activities, training and recognition (宣传教育、培训与示范创建)."""

from __future__ import annotations

from minzu_core.activities import model
from minzu_core.activities.model import *  # noqa: F403

__all__: list[str] = []
__all__ += model.__all__
