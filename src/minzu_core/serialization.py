"""The one cattrs converter of minzu-core (序列化).

``converter`` turns every model object into JSON-ready data (``unstructure``) and back
(``structure``): division codes become their 12-digit text, dates and datetimes ISO 8601 text,
UUIDs text, enums their value, tuples lists. Adapters map rows with it and history snapshots are
made with it, so there is exactly one representation of each type.
"""

from __future__ import annotations

import typing
import uuid
from datetime import date, datetime
from typing import Any, TypeVar

import cattrs

from minzu_core.codes.divisions import DivisionCode
from minzu_core.fields import is_withheld

__all__ = ["converter", "structure", "unstructure"]

T = TypeVar("T")


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(DivisionCode, lambda c: c.value)
    conv.register_structure_hook(
        DivisionCode, lambda v, _: v if isinstance(v, DivisionCode) else DivisionCode.parse(v)
    )
    # A record read masked holds the masked text of a withheld date or link (``****-**-**``):
    # it is kept as text both ways (see :func:`minzu_core.fields.is_withheld`).
    conv.register_unstructure_hook(date, lambda d: d if isinstance(d, str) else d.isoformat())
    conv.register_structure_hook(
        date, lambda v, _: v if isinstance(v, date) or is_withheld(v) else date.fromisoformat(v)
    )
    conv.register_unstructure_hook(datetime, lambda d: d.isoformat())
    conv.register_structure_hook(
        datetime, lambda v, _: v if isinstance(v, datetime) else datetime.fromisoformat(v)
    )
    conv.register_unstructure_hook(uuid.UUID, str)

    def is_set(tp: Any) -> bool:
        return tp in (set, frozenset) or typing.get_origin(tp) in (set, frozenset)

    def set_to_list(value: Any) -> list[Any]:
        return sorted((conv.unstructure(item) for item in value), key=str)

    # Sets become sorted lists: JSON has no sets, and the order must be stable.
    conv.register_unstructure_hook_func(is_set, set_to_list)
    conv.register_structure_hook(
        uuid.UUID,
        lambda v, _: v if isinstance(v, uuid.UUID) or is_withheld(v) else uuid.UUID(str(v)),
    )
    return conv


#: The converter shared by the whole library.
converter: cattrs.Converter = _make_converter()


def unstructure(obj: Any) -> Any:
    """JSON-ready data for ``obj`` (dicts, lists, strings, numbers, booleans, ``None``)."""
    return converter.unstructure(obj)


def structure(data: Any, cls: type[T]) -> T:
    """Build a ``cls`` from data produced by :func:`unstructure`."""
    return converter.structure(data, cls)
