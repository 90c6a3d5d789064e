"""The field converters of every model class (字段转换器): one implementation for the library.

A model attribute that takes outside input converts it with one of the ``to_*`` converters::

    opened: date = attrs.field(converter=fields.to_date)
    closed: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    kind: BodyKind = attrs.field(converter=fields.to_choice)

A converter knows the attribute it serves, so its error names the field
(``ValidationError(code="invalid_date", field="opened")``) without a wrapper function per field.
Where the error must name something else (``residence.arrival`` on a :class:`Residence`), the
attribute says so: ``attrs.field(converter=fields.to_date, metadata=fields.named(
"residence.arrival"))``. :func:`to_choice` and the record converters read the attribute's
annotation to find the enum or record class (``kind: BodyKind`` parses with
``BodyKind.parse``), so the annotation is the single statement of the type.

How it is built, and why. At run time each ``to_*`` name is an ``attrs.Converter(...,
takes_self=True, takes_field=True)`` made by :func:`bind` from one ``as_*`` function
``(value, field) -> T``; attrs passes it the instance and the :class:`attrs.Attribute`. The attrs
mypy plugin types only *named functions* (and classes) used as converters — it reports a call
(``converter=to_date("opened")``), an ``attrs.Converter(...)`` object or a lambda as unsupported
or untyped — so under ``TYPE_CHECKING`` each converter is declared as a plain named function
``(value: Any, /) -> T``. The plugin then gives the ``__init__`` parameter the type ``Any`` and
the attribute keeps its annotation; the run-time object is the bound ``as_*`` implementation.
The ``as_*`` functions are public for code that checks a value outside a constructor.

Every refusal is a :class:`~minzu_core.errors.ValidationError` naming the field, never a raw
``TypeError``: a wrong type is ``code="invalid_type"``, and a ``datetime`` where a date belongs is
``code="invalid_date"`` (a timestamp is not a day). Messages carry no personal data.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from minzu_core.checks import parse_uuid, storable_text
from minzu_core.clock import require_aware
from minzu_core.codes.divisions import DivisionCode
from minzu_core.codes.ethnicity import normalize_ethnicity_code
from minzu_core.codes.masking import mask_address, mask_name
from minzu_core.codes.phone import mask_phone, parse_phone
from minzu_core.codes.resident_id import Gender, mask_resident_id, parse_resident_id
from minzu_core.codes.uscc import parse_uscc
from minzu_core.errors import ValidationError

__all__ = [
    "MASK_MARK",
    "HeldPeriod",
    "as_aware_or_none",
    "as_choice",
    "as_code",
    "as_code_or_none",
    "as_count",
    "as_count_or_none",
    "as_date",
    "as_date_or_none",
    "as_extension_values",
    "as_flag",
    "as_flag_or_none",
    "as_items",
    "as_records",
    "as_strings",
    "as_text",
    "as_text_or_none",
    "as_text_set_or_none",
    "as_uuid",
    "as_uuid_or_none",
    "as_uuids",
    "as_vocabulary_code",
    "bind",
    "check_period",
    "error_field",
    "in_period",
    "invalid",
    "is_withheld",
    "masked_address",
    "masked_id_number",
    "masked_length",
    "masked_name",
    "masked_phone",
    "masked_uscc",
    "named",
    "to_aware_or_none",
    "to_birth_date_or_none",
    "to_choice",
    "to_choice_or_none",
    "to_code",
    "to_code_or_none",
    "to_count",
    "to_count_or_none",
    "to_date",
    "to_date_or_none",
    "to_ethnicity",
    "to_extension_values",
    "to_flag",
    "to_flag_or_none",
    "to_gender_or_none",
    "to_id_number_or_none",
    "to_link_or_none",
    "to_phone_or_none",
    "to_record_or_none",
    "to_records",
    "to_strings",
    "to_text",
    "to_text_or_empty",
    "to_text_or_none",
    "to_text_set_or_none",
    "to_uscc_or_none",
    "to_uuid",
    "to_uuid_or_none",
    "to_uuids",
    "to_vocabulary_code",
]

T = TypeVar("T")

_FIELD_KEY = "minzu_core.error_field"
_VOCABULARY_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")


# -- errors --------------------------------------------------------------------------------------
def invalid(code: str, zh: str, en: str, field: str, **details: Any) -> ValidationError:
    """A :class:`ValidationError` naming ``field`` (no personal data in the messages)."""
    return ValidationError(zh, en, code=code, field=field, details=details or None)


def _wrong_type(field: str, zh: str, en: str) -> ValidationError:
    return invalid("invalid_type", f"{field} 须为{zh}", f"{field} must be {en}", field)


def _required(field: str) -> ValidationError:
    return invalid("required", f"缺少必填项 {field}", f"{field} is required", field)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# -- the as_* implementations ---------------------------------------------------------------------
def as_uuid(value: Any, field: str = "id") -> uuid.UUID:
    """``value`` (a UUID or its text) as a UUID; ``ValidationError(code="invalid_id")``."""
    return parse_uuid(value, field)


def as_uuid_or_none(value: Any, field: str) -> uuid.UUID | None:
    """:func:`as_uuid`, or ``None`` for ``None``/blank."""
    return None if _blank(value) else as_uuid(value, field)


def as_uuids(values: Any, field: str) -> frozenset[uuid.UUID]:
    """A set of UUIDs from an iterable (not text)."""
    return frozenset(as_uuid(v, field) for v in as_items(values, field))


def as_code(value: Any, field: str) -> DivisionCode:
    """``value`` as a division code (``code="invalid_division_code"`` otherwise)."""
    return value if isinstance(value, DivisionCode) else DivisionCode.parse(value, field=field)


def as_code_or_none(value: Any, field: str) -> DivisionCode | None:
    """:func:`as_code`, or ``None`` for ``None``/blank."""
    return None if _blank(value) else as_code(value, field)


def as_date(value: Any, field: str) -> dt.date:
    """``value`` as a date: a ``date`` or ISO ``YYYY-MM-DD`` text. ``None``/blank is
    ``code="required"``; anything else, a ``datetime`` included, ``code="invalid_date"``."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if _blank(value):
        raise _required(field)
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise invalid(
        "invalid_date",
        f"{field} 不是有效日期 (YYYY-MM-DD)",
        f"{field} is not a valid date (YYYY-MM-DD)",
        field,
    )


def as_date_or_none(value: Any, field: str) -> dt.date | None:
    """:func:`as_date`, or ``None`` for ``None``/blank."""
    return None if _blank(value) else as_date(value, field)


def as_text(value: Any, field: str, *, required: bool = True) -> str:
    """Stripped text (``None`` is empty); ``code="required"`` for empty required text,
    ``code="invalid_type"`` for a value that is not text."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = storable_text(value.strip(), field)
    else:
        raise _wrong_type(field, "文本", "text")
    if required and not text:
        raise _required(field)
    return text


def as_text_or_none(value: Any, field: str) -> str | None:
    """Stripped text, or ``None`` for ``None``/blank."""
    return as_text(value, field, required=False) or None


def as_strings(values: Any, field: str) -> tuple[str, ...]:
    """A tuple of texts from an iterable (not text itself)."""
    items = tuple(as_items(values, field))
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise _wrong_type(f"{field}[{index}]", "文本", "text")
        storable_text(item, f"{field}[{index}]")
    return items


def as_text_set_or_none(values: Any, field: str) -> frozenset[str] | None:
    """A set of texts from an iterable (not text itself), or ``None`` for ``None``."""
    return None if values is None else frozenset(as_strings(values, field))


def as_vocabulary_code(value: Any, field: str) -> str:
    """A vocabulary code: lower-case letters, digits and ``_``, starting with a letter, at most
    32 characters (roles, activity types)."""
    text = value.strip() if isinstance(value, str) else ""
    if not _VOCABULARY_RE.fullmatch(text):
        raise invalid(
            "invalid_code",
            f"{field} 须为小写字母、数字和下划线 (最多 32 个字符)",
            f"{field} must be lower-case letters, digits and _ (at most 32 characters)",
            field,
        )
    return text


def as_count(value: Any, field: str) -> int:
    """A non-negative integer (``code="invalid_count"`` for a non-integer or a ``bool``,
    ``code="negative_count"`` below zero)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid("invalid_count", f"{field} 须为整数", f"{field} must be an integer", field)
    if value < 0:
        raise invalid("negative_count", f"{field} 不能为负数", f"{field} is negative", field)
    return value


def as_count_or_none(value: Any, field: str) -> int | None:
    """:func:`as_count`, or ``None`` for ``None``."""
    return None if value is None else as_count(value, field)


def as_flag(value: Any, field: str) -> bool:
    """``True`` or ``False`` (nothing else: ``0``, ``"yes"`` … are ``code="invalid_type"``)."""
    if not isinstance(value, bool):
        raise _wrong_type(field, "布尔值", "true or false")
    return value


def as_flag_or_none(value: Any, field: str) -> bool | None:
    """:func:`as_flag`, or ``None`` for ``None``."""
    return None if value is None else as_flag(value, field)


def as_aware_or_none(value: Any, field: str) -> dt.datetime | None:
    """A timezone-aware datetime (``code="invalid_type"`` for anything else,
    ``code="naive_datetime"`` without a timezone), or ``None`` for ``None``."""
    return None if value is None else require_aware(value, field)


def as_choice(cls: type[T], value: Any, field: str, *, optional: bool = False) -> T | None:
    """A member of the enum ``cls``: its ``parse(value, field=...)`` if it has one (every
    :class:`~minzu_core.labels.LabelledEnum` does), else ``cls(value)``. ``None``/blank is
    ``None`` if ``optional``, else ``code="required"``."""
    if isinstance(value, cls):
        return value
    if _blank(value):
        if optional:
            return None
        raise _required(field)
    parse = getattr(cls, "parse", None)
    if parse is not None:
        result: T = parse(value, field=field)
        return result
    try:
        member: T = typing.cast(Callable[[Any], T], cls)(value)
    except ValueError:
        allowed = [str(getattr(m, "value", m)) for m in typing.cast(Iterable[Any], cls)]
        raise invalid(
            "invalid_choice",
            f"{field} 的取值无效, 可选: {', '.join(allowed)}",
            f"invalid value for {field}; allowed: {', '.join(allowed)}",
            field,
            allowed=allowed,
        ) from None
    return member


def as_record(cls: type[T], value: Any, field: str) -> T:
    """An instance of the attrs class ``cls``: the instance itself, or built from a mapping of
    its fields (``code="invalid_record"`` if the mapping does not fit, ``code="invalid_type"``
    for anything else)."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise _wrong_type(field, f"{cls.__name__} 记录", f"a {cls.__name__} record")
    names = {a.alias for a in attrs.fields(typing.cast(Any, cls)) if a.init}
    unknown = sorted(str(k) for k in value if k not in names)
    missing = sorted(
        a.alias
        for a in attrs.fields(typing.cast(Any, cls))
        if a.init and a.default is attrs.NOTHING and a.alias not in value
    )
    if unknown or missing:
        raise invalid(
            "invalid_record",
            f"{field} 的字段不符: 缺少 {', '.join(missing) or '-'}, "
            f"未知 {', '.join(unknown) or '-'}",
            f"{field} does not fit: missing {', '.join(missing) or '-'}, "
            f"unknown {', '.join(unknown) or '-'}",
            field,
            missing=missing,
            unknown=unknown,
        )
    return cls(**value)


def as_records(cls: type[T], values: Any, field: str) -> tuple[T, ...]:
    """A tuple of :func:`as_record` items from an iterable (errors name ``field[i]``)."""
    return tuple(
        as_record(cls, item, f"{field}[{i}]") for i, item in enumerate(as_items(values, field))
    )


def as_items(values: Any, field: str) -> tuple[Any, ...]:
    """The items of a list, tuple, set or other iterable (text and mappings are refused with
    ``code="invalid_type"``)."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise _wrong_type(field, "列表", "a list")
    return tuple(values)


# -- binding an implementation to attributes ---------------------------------------------------
def named(error_field: str) -> dict[str, str]:
    """``attrs.field`` metadata: errors of this attribute name ``error_field`` (e.g.
    ``residence.arrival``) instead of the attribute's name."""
    return {_FIELD_KEY: error_field}


def error_field(attribute: attrs.Attribute[Any]) -> str:
    """The field an error of ``attribute`` names (see :func:`named`)."""
    name: str = attribute.metadata.get(_FIELD_KEY, attribute.name)
    return name


def bind(fn: Callable[[Any, str], T]) -> Any:
    """``fn(value, field)`` as an attrs converter that receives its field (the run-time half of
    every ``to_*`` converter; declare a matching named function under ``TYPE_CHECKING``)."""

    def convert(value: Any, instance: Any, attribute: attrs.Attribute[Any]) -> T:
        return fn(value, error_field(attribute))

    return attrs.Converter(convert, takes_self=True, takes_field=True)


_ANNOTATIONS: dict[tuple[type, str], Any] = {}


def _annotation(instance: Any, attribute: attrs.Attribute[Any]) -> Any:
    """The resolved annotation of ``attribute``, without ``| None`` (cached per class)."""
    key = (type(instance), attribute.name)
    found = _ANNOTATIONS.get(key)
    if found is None:
        hint = typing.get_type_hints(type(instance))[attribute.name]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if type(None) in typing.get_args(hint) and len(args) == 1:
            hint = args[0]
        found = _ANNOTATIONS[key] = hint
    return found


def _bind_typed(fn: Callable[[Any, Any, str], T]) -> Any:
    """Like :func:`bind`, for ``fn(annotation, value, field)``."""

    def convert(value: Any, instance: Any, attribute: attrs.Attribute[Any]) -> T:
        return fn(_annotation(instance, attribute), value, error_field(attribute))

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def _element(annotation: Any) -> Any:
    """``Residence`` for ``tuple[Residence, ...]``."""
    return typing.get_args(annotation)[0]


def _ethnicity(value: Any, field: str) -> str:
    return normalize_ethnicity_code(value, field=field)


def _gender_or_none(value: Any, field: str) -> Gender | None:
    return typing.cast("Gender | None", as_choice(Gender, value, field, optional=True))


#: The mark every masked (withheld) value carries; no valid name, number, date or id has it.
MASK_MARK = "*"


def is_withheld(value: object) -> bool:
    """True if ``value`` is a masked text standing for a withheld value (it holds ``*``).

    A record read without the permission to see a field in clear holds the field's masked
    text; the converters of personal fields keep such text as it is, so that the record can be
    built and changed in its other fields, and the repositories never store it (a new record
    with a withheld value is refused; a saved one keeps the stored value)."""
    return isinstance(value, str) and MASK_MARK in value


def _phone_or_none(value: Any, field: str) -> str | None:
    if is_withheld(value):
        return typing.cast(str, value)
    text = as_text_or_none(value, field)
    return None if text is None else parse_phone(text, field=field)


def _uscc_or_none(value: Any, field: str) -> str | None:
    text = as_text_or_none(value, field)
    return None if text is None else parse_uscc(text, field=field)


def _id_number_or_none(value: Any, field: str) -> str | None:
    if is_withheld(value):
        return typing.cast(str, value)
    text = as_text_or_none(value, field)
    return None if text is None else parse_resident_id(text, field=field).number


def _birth_date_or_none(value: Any, field: str) -> dt.date | None:
    if is_withheld(value):
        return typing.cast(dt.date, value)  # the masked text of a withheld birth date
    return as_date_or_none(value, field)


def _link_or_none(value: Any, field: str) -> uuid.UUID | None:
    if is_withheld(value):
        return typing.cast(uuid.UUID, value)  # the masked text of a withheld link
    return as_uuid_or_none(value, field)


def as_extension_values(value: Any, field: str = "extensions") -> dict[str, Any]:
    """The extension values of a record: a mapping of vocabulary-code keys to JSON scalars
    (text, number, boolean, ``None``); ``None`` is an empty mapping. Which keys are allowed is
    the deployment's :class:`~minzu_core.privacy.ExtensionRegistry`'s business."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _wrong_type(field, "键值映射", "a mapping of keys to values")
    result: dict[str, Any] = {}
    for key, item in value.items():
        name = as_vocabulary_code(key, field)
        where = f"{field}.{name}"
        if isinstance(item, str):
            item = storable_text(item, where)
        elif isinstance(item, float) and (item != item or item in (float("inf"), float("-inf"))):
            raise invalid("invalid_value", "须为有限数值", "must be a finite number", where)
        elif item is not None and not isinstance(item, bool | int | float):
            raise _wrong_type(where, "文本、数值或布尔值", "text, a number or a boolean")
        result[name] = item
    return result


def _text_or_empty(value: Any, field: str) -> str:
    return as_text(value, field, required=False)


if TYPE_CHECKING:
    # What the attrs mypy plugin reads: plain named functions (see the module docstring).
    def to_uuid(value: Any, /) -> uuid.UUID:
        """A UUID (:func:`as_uuid`)."""

    def to_uuid_or_none(value: Any, /) -> uuid.UUID | None:
        """A UUID or ``None``."""

    def to_uuids(value: Any, /) -> frozenset[uuid.UUID]:
        """A set of UUIDs."""

    def to_code(value: Any, /) -> DivisionCode:
        """A division code."""

    def to_code_or_none(value: Any, /) -> DivisionCode | None:
        """A division code or ``None``."""

    def to_date(value: Any, /) -> dt.date:
        """A date (never a ``datetime``)."""

    def to_date_or_none(value: Any, /) -> dt.date | None:
        """A date or ``None``."""

    def to_text(value: Any, /) -> str:
        """Required stripped text."""

    def to_text_or_empty(value: Any, /) -> str:
        """Stripped text, ``""`` when absent."""

    def to_text_or_none(value: Any, /) -> str | None:
        """Stripped text, ``None`` when absent."""

    def to_strings(value: Any, /) -> tuple[str, ...]:
        """A tuple of texts."""

    def to_text_set_or_none(value: Any, /) -> frozenset[str] | None:
        """A set of texts or ``None``."""

    def to_vocabulary_code(value: Any, /) -> str:
        """A vocabulary code (:func:`as_vocabulary_code`)."""

    def to_count(value: Any, /) -> int:
        """A non-negative integer."""

    def to_count_or_none(value: Any, /) -> int | None:
        """A non-negative integer or ``None``."""

    def to_flag(value: Any, /) -> bool:
        """A ``bool``."""

    def to_flag_or_none(value: Any, /) -> bool | None:
        """A ``bool`` or ``None``."""

    def to_aware_or_none(value: Any, /) -> dt.datetime | None:
        """A timezone-aware datetime or ``None``."""

    def to_ethnicity(value: Any, /) -> str:
        """A GB/T 3304 ethnicity code (any accepted form)."""

    def to_gender_or_none(value: Any, /) -> Gender | None:
        """A gender or ``None``."""

    def to_phone_or_none(value: Any, /) -> str | None:
        """A normalised phone number or ``None``."""

    def to_uscc_or_none(value: Any, /) -> str | None:
        """A unified social credit code or ``None``."""

    def to_id_number_or_none(value: Any, /) -> str | None:
        """A resident ID number or ``None`` (a withheld value's mask kept)."""

    def to_birth_date_or_none(value: Any, /) -> dt.date | None:
        """A birth date or ``None`` (a withheld value's mask kept)."""

    def to_extension_values(value: Any, /) -> dict[str, Any]:
        """Extension values: vocabulary-code keys, JSON scalar values."""

    def to_link_or_none(value: Any, /) -> uuid.UUID | None:
        """A link to another person (UUID) or ``None`` (a withheld value's mask kept)."""

    def to_choice(value: Any, /) -> Any:
        """A member of the enum the attribute is annotated with."""

    def to_choice_or_none(value: Any, /) -> Any:
        """A member of the annotated enum, or ``None``."""

    def to_records(value: Any, /) -> Any:
        """A tuple of the records the attribute is annotated with (``tuple[R, ...]``)."""

    def to_record_or_none(value: Any, /) -> Any:
        """A record of the annotated class, or ``None``."""

else:
    to_uuid = bind(as_uuid)
    to_uuid_or_none = bind(as_uuid_or_none)
    to_uuids = bind(as_uuids)
    to_code = bind(as_code)
    to_code_or_none = bind(as_code_or_none)
    to_date = bind(as_date)
    to_date_or_none = bind(as_date_or_none)
    to_text = bind(as_text)
    to_text_or_empty = bind(_text_or_empty)
    to_text_or_none = bind(as_text_or_none)
    to_strings = bind(as_strings)
    to_text_set_or_none = bind(as_text_set_or_none)
    to_vocabulary_code = bind(as_vocabulary_code)
    to_count = bind(as_count)
    to_count_or_none = bind(as_count_or_none)
    to_flag = bind(as_flag)
    to_flag_or_none = bind(as_flag_or_none)
    to_aware_or_none = bind(as_aware_or_none)
    to_ethnicity = bind(_ethnicity)
    to_gender_or_none = bind(_gender_or_none)
    to_phone_or_none = bind(_phone_or_none)
    to_uscc_or_none = bind(_uscc_or_none)
    to_id_number_or_none = bind(_id_number_or_none)
    to_birth_date_or_none = bind(_birth_date_or_none)
    to_link_or_none = bind(_link_or_none)
    to_extension_values = bind(as_extension_values)
    to_choice = _bind_typed(as_choice)
    to_choice_or_none = _bind_typed(lambda cls, v, f: as_choice(cls, v, f, optional=True))
    to_records = _bind_typed(lambda tp, v, f: as_records(_element(tp), v, f))
    to_record_or_none = _bind_typed(lambda cls, v, f: None if v is None else as_record(cls, v, f))


# -- periods -------------------------------------------------------------------------------------
def check_period(start: dt.date, end: dt.date | None, end_field: str = "end") -> None:
    """Raise ``ValidationError(code="end_before_start")`` unless ``end`` is after ``start``."""
    if end is not None and end <= start:
        raise invalid(
            "end_before_start",
            "结束日期须晚于开始日期",
            "the end must be after the start",
            end_field,
        )


def in_period(day: dt.date, start: dt.date, end: dt.date | None) -> bool:
    """``start <= day < end`` (``end=None``: open)."""
    return start <= day and (end is None or day < end)


class HeldPeriod:
    """The base of an attrs record that holds on ``start <= d < end`` (``end=None``: still
    holding), e.g. an appointment or a team membership: the period is checked when the record
    is made (``end_before_start``) and :meth:`active_on` asks it."""

    __slots__ = ()

    start: dt.date
    end: dt.date | None

    def __attrs_post_init__(self) -> None:
        check_period(self.start, self.end)

    def active_on(self, day: dt.date) -> bool:
        """True if the record holds on ``day`` (``start <= day < end``)."""
        return in_period(day, self.start, self.end)


# -- reprs of personal and confidential data ------------------------------------------------------
def masked_name(value: str | None) -> str:
    """The repr of a personal name: masked."""
    return "None" if value is None else repr(mask_name(value) if value else "")


def masked_id_number(value: str | None) -> str:
    """The repr of a resident ID number: masked."""
    return "None" if value is None else repr(mask_resident_id(value))


def masked_phone(value: str | None) -> str:
    """The repr of a phone number: masked."""
    return "None" if value is None else repr(mask_phone(value))


def masked_address(value: str | None) -> str:
    """The repr of an address (or other identifying text): masked."""
    return "None" if value is None else repr(mask_address(value))


def masked_uscc(value: str | None) -> str:
    """The repr of a unified social credit code: the first eight characters."""
    return "None" if value is None else repr(value[:8] + "*" * (len(value) - 8))


def masked_length(value: str | None) -> str:
    """The repr of confidential text: its length only."""
    return "None" if value is None else f"<{len(value)} chars>"
