"""Demo and synthetic data (演示与合成数据): the Xihu District walking skeleton, its synthetic
year and the synthetic-people helpers. Never used by the domain itself.
"""

from __future__ import annotations

from minzu_core.demo import synthetic, xihu, year
from minzu_core.demo.synthetic import *  # noqa: F403
from minzu_core.demo.xihu import *  # noqa: F403
from minzu_core.demo.year import *  # noqa: F403

__all__: list[str] = []
__all__ += synthetic.__all__
__all__ += xihu.__all__
__all__ += year.__all__
