"""National code standards (国家标准代码): divisions, ethnicity, resident ID, USCC, phone, masking.

Every parser raises :class:`minzu_core.errors.ValidationError` with a stable ``code`` and never
puts personal data in its message.
"""

from __future__ import annotations

from minzu_core.codes import divisions, ethnicity, masking, phone, resident_id, uscc
from minzu_core.codes.divisions import *  # noqa: F403
from minzu_core.codes.ethnicity import *  # noqa: F403
from minzu_core.codes.masking import *  # noqa: F403
from minzu_core.codes.phone import *  # noqa: F403
from minzu_core.codes.resident_id import *  # noqa: F403
from minzu_core.codes.uscc import *  # noqa: F403

__all__: list[str] = []
__all__ += divisions.__all__
__all__ += ethnicity.__all__
__all__ += masking.__all__
__all__ += phone.__all__
__all__ += resident_id.__all__
__all__ += uscc.__all__
