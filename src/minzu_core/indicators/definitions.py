"""Indicator definitions as data (指标定义).

An :class:`Indicator` is a declarative object: a stable ``id``, Chinese and English names, a
numerator :class:`Measure`, an optional denominator :class:`Measure`, a ``factor`` (100 for a
percentage), ``decimals``, ``kind`` (stock or flow) and an optional ``breakdown`` attribute.
Users add their own indicators without touching the engine; definitions round-trip through the
library's one cattrs converter (:mod:`minzu_core.serialization`) to JSON.

How a measure is evaluated
--------------------------
A :class:`Measure` names an *entity* (the rows it aggregates, e.g. ``service_request``), an
*aggregate* over those rows, *filters* that every counted row must pass, and how the *period*
applies. For one unit level (prefix length *n* of the 12-digit division code) and an optional
breakdown attribute, the engine turns it into exactly one grouped query::

    SELECT substr(<unit_field>, 1, n) AS unit, [<breakdown>,] <aggregate>
    FROM   <entity rows>
    WHERE  <unit_field> starts with the scope's code prefix
      AND  <filter 1> AND <filter 2> AND …
      AND  <period condition>
    GROUP  BY unit[, <breakdown>]

``unit_field`` is the measure's ``unit_field`` or else the entity's default
(:data:`ENTITY_UNIT_FIELDS`). (This is the meaning; a store may answer several measures of one
entity in one statement, each as a conditional aggregate, as the SQL store does.) The pieces
mean:

* **aggregate** — ``count``: rows (``field`` must be unset); ``count_distinct``: distinct
  non-null values of ``field``; ``sum``: the sum of ``field`` over the rows (nulls skipped; no
  rows gives 0, a real zero); ``average``: the mean of the non-null values of ``field`` (no such
  values gives *missing*, never 0). Counts and sums add up the hierarchy, so a parent's value is
  the sum of its children's; an average is carried up as (sum, count) and divided at the end,
  never averaged from averages; ``count_distinct`` is computed at each level by its own query,
  never summed from a lower level.
* **filters** — AND-ed; each is ``Filter(field, op, value)`` with SQL null semantics: a row
  whose ``field`` is null matches only ``is_null`` (it does *not* match ``ne`` or ``not_in``).
  ``eq, ne, ge, le, gt, lt`` take one value; ``in, not_in`` a non-empty tuple; ``is_null,
  not_null`` none. Values are JSON scalars (text, number, boolean); a ``date`` is given as ISO
  text and an enum member as its value. Ordering operators on a graded field
  (:data:`ORDERED_FIELDS`, e.g. ``official.rank``) compare by grade, not alphabetically:
  ``Filter("rank", "ge", "deputy_section")`` means 副科级 or higher. On a set-valued field
  (``service_window.categories``) ``eq v`` means "contains v" and ``in`` "contains any of".
* **period** — :class:`DateRole`:

  - ``within_period`` (a *flow*: requests received, disputes resolved, activities held): the row
    counts if ``date_field`` lies in the period — for a date field ``start <= d <= end``, for a
    timestamp field ``period.start_datetime() <= t < period.end_datetime()`` (CST). A row whose
    ``date_field`` is null does not count.
  - ``present_at_end`` (a *stock*: people in the ledger, cadres, open windows): the row counts if
    it is valid on the period's last day, with the library's half-open validity: ``(valid_from
    is null or valid_from <= end) and (valid_to is null or end < valid_to)`` — ``valid_to`` is
    the first day the row no longer holds (a departure, a closing date). For timestamp fields the
    same test uses the instant ``period.end_datetime()``: ``valid_from < end_datetime <=
    valid_to``. Fields evaluated "as of" a date (``official.rank``,
    ``unit.responsibility_complete``, …) are evaluated on the period's last day.

Entities and fields
-------------------
:data:`ENTITY_FIELDS` maps each entity of the open vocabulary :class:`Entity` to the fields a
definition may name: the stored attributes of the aggregate (dotted paths into nested records,
e.g. ``residence.unit_code`` on a person row) plus derived fields, each described in
:data:`DERIVED_FIELDS`. A store declares which entities it supports; :func:`check_supported`
tests a definition against that. :func:`register_entity` adds an entity or fields.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Final

import attrs

from minzu_core.activities.model import VolunteerServiceKind
from minzu_core.codes.divisions import Level, UnitKind
from minzu_core.codes.resident_id import Gender
from minzu_core.disputes.model import DisputeCategory, DisputeSource, Severity
from minzu_core.errors import MinzuError, ValidationError
from minzu_core.indicators._common import invalid, prefixed
from minzu_core.labels import LabelledEnum
from minzu_core.ledger.model import (
    LanguageProficiency,
    MigrationReason,
    PersonStatus,
    ResidenceStatus,
)
from minzu_core.organisation.cadres import Rank, TitleLevel
from minzu_core.serialization import converter
from minzu_core.services.model import Satisfaction, ServiceCategory

__all__ = [
    "DERIVED_FIELDS",
    "ENTITY_FIELDS",
    "ENTITY_UNIT_FIELDS",
    "ENUMERATED_FIELDS",
    "ORDERED_FIELDS",
    "PERSONAL_FIELDS",
    "RESIDENCE_FIELDS",
    "Aggregate",
    "DateRole",
    "Entity",
    "Filter",
    "Indicator",
    "IndicatorKind",
    "Measure",
    "Op",
    "check_supported",
    "indicator_from_json",
    "indicator_to_json",
    "register_entity",
    "unsupported_entity",
]


# -- vocabularies ------------------------------------------------------------------------------
class Aggregate(LabelledEnum, error_code="invalid_aggregate"):
    """聚合方式: how a measure aggregates its rows."""

    COUNT = "count", "计数", "count of rows"
    COUNT_DISTINCT = "count_distinct", "去重计数", "count of distinct values"
    SUM = "sum", "求和", "sum"
    AVERAGE = "average", "平均", "average"


#: The operators' other spellings.
_OP_SPELLINGS = {
    "=": "eq",
    "==": "eq",
    "!=": "ne",
    "<>": "ne",
    ">=": "ge",
    "<=": "le",
    ">": "gt",
    "<": "lt",
}


class Op(LabelledEnum, error_code="invalid_op", aliases=_OP_SPELLINGS):
    """筛选运算符: the operator of a :class:`Filter` (``=``, ``!=``, ``>=`` … are accepted)."""

    EQ = "eq", "等于", "equals"
    NE = "ne", "不等于", "differs from"
    IN = "in", "属于", "is one of"
    NOT_IN = "not_in", "不属于", "is none of"
    GE = "ge", "大于等于", "at least"
    LE = "le", "小于等于", "at most"
    GT = "gt", "大于", "greater than"
    LT = "lt", "小于", "less than"
    IS_NULL = "is_null", "为空", "is empty"
    NOT_NULL = "not_null", "不为空", "is filled"

    @property
    def arity(self) -> str:
        """``"one"`` (one value), ``"many"`` (a tuple of values) or ``"none"`` (no value)."""
        if self in (Op.IN, Op.NOT_IN):
            return "many"
        if self in (Op.IS_NULL, Op.NOT_NULL):
            return "none"
        return "one"

    @property
    def ordering(self) -> bool:
        """True for ``ge``, ``le``, ``gt`` and ``lt``."""
        return self in (Op.GE, Op.LE, Op.GT, Op.LT)


class DateRole(LabelledEnum, error_code="invalid_date_role"):
    """How the period applies to a measure's rows (see the module docstring)."""

    WITHIN_PERIOD = "within_period", "期间内发生", "happened within the period"
    PRESENT_AT_END = "present_at_end", "期末存在", "present at the period's end"


class IndicatorKind(LabelledEnum, error_code="invalid_kind"):
    """Stock (存量, evaluated at the period's end) or flow (流量, what happened in the period)."""

    STOCK = "stock", "存量", "stock"
    FLOW = "flow", "流量", "flow"

    @property
    def date_role(self) -> DateRole:
        """The date role a numerator of this kind has."""
        return DateRole.PRESENT_AT_END if self is IndicatorKind.STOCK else DateRole.WITHIN_PERIOD


class Entity:
    """The entity vocabulary (统计对象). Open: a store may support more (see
    :func:`register_entity`); these constants are the ones the library knows."""

    PERSON: Final = "person"
    RESIDENCE: Final = "residence"
    SERVICE_REQUEST: Final = "service_request"
    DISPUTE: Final = "dispute"
    UNIT: Final = "unit"
    SERVICE_WINDOW: Final = "service_window"
    APPOINTMENT: Final = "appointment"
    OFFICIAL: Final = "official"
    TECHNICIAN: Final = "technician"
    ACTIVITY: Final = "activity"
    ENROLLMENT: Final = "enrollment"
    HONOUR: Final = "honour"
    SERVICE_HOURS: Final = "service_hours"


# -- the field registry --------------------------------------------------------------------------
#: The stored fields of a residence episode besides its ``id`` (on a person row they are
#: ``residence.<name>``).
RESIDENCE_FIELDS: Final = (
    "unit_code",
    "status",
    "arrival",
    "departure",
    "address",
    "origin",
    "reason",
    "occupation",
    "employer",
    "employer_uscc",
)

#: Derived fields: computed by the store from the stored record (and, for "as of" fields, the
#: period's last day). Each entry says precisely what the field is.
DERIVED_FIELDS: dict[str, dict[str, str]] = {
    "person": {
        "is_minority": "bool: ethnicity is not 汉族 (code 01)",
        "is_complete": (
            "bool: the ledger record is complete (台账信息完整) for this residence episode: name; "
            "ID number, or birth date and gender; ethnicity; phone; residence.address; and for a "
            "floating episode also residence.arrival and residence.origin"
        ),
    },
    "residence": {
        "person.ethnicity": "text: the person's ethnicity code",
        "person.is_minority": "bool: the person's ethnicity is not 汉族 (01)",
        "person.gender": "text: the person's gender",
        "person.birth_date": "date: the person's birth date",
        "person.language": "text: the person's proficiency in the national common language",
        "person.status": "text: active or merged",
    },
    "service_request": {
        "accepted_at": "timestamp: the last accept event (the clock starts)",
        "resolved_at": "timestamp: the last resolve event",
        "followed_up_at": "timestamp: the last follow_up event",
        "closed_at": "timestamp: the close or close_without_follow_up event",
        "time_limit_days": "int: the time limit promised at acceptance",
        "resolved_on_time": "bool: the last resolution came by the due date (null: unresolved)",
        "satisfaction": "text: satisfaction of the last follow-up (null: none)",
        "applicant.ethnicity": "text: the applicant's ethnicity code",
        "applicant.is_minority": "bool: the applicant's ethnicity is not 汉族 (01)",
    },
    "dispute": {
        "handling_unit": "code: the unit handling the dispute now (after escalations)",
        "accepted_at": "timestamp: acceptance for mediation",
        "concluded_at": "timestamp: the agree or terminate event",
        "outcome": "text: agreement, terminated, or null",
        "concluded_within_target": "bool: concluded by acceptance + target days (null: open)",
        "escalations": "int: how many times it was escalated",
        "target_days": "int: the target recorded at acceptance (default 30)",
        "due_at": "timestamp: acceptance + target days",
        "party_count": "int: the number of parties",
    },
    "unit": {
        "parent_code": "code: the parent unit's code",
        "has_open_window": (
            "bool, as of the period's last day: a service window of the unit is open then"
        ),
        "responsibility_complete": (
            "bool, as of the period's last day: every role the store's responsibility policy "
            "requires at the unit's level is filled (两级责任制落实)"
        ),
    },
    "service_window": {},
    "appointment": {
        "official.ethnicity": "text: the official's ethnicity code",
        "official.is_minority": "bool: the official's ethnicity is not 汉族 (01)",
    },
    "official": {
        "is_minority": "bool: ethnicity is not 汉族 (01)",
        "rank": "graded text, as of the period's last day: the rank held then (null: none)",
    },
    "technician": {
        "is_minority": "bool: ethnicity is not 汉族 (01)",
        "title": "graded text, as of the period's last day: the title held then (null: none)",
    },
    "activity": {"attendee_count": "int: the number of ledger persons recorded as attending"},
    "enrollment": {
        "completed": "bool: completed_on is set",
        "course.type": "text: the course's type (e.g. language_training)",
        "course.organiser_code": "code: the unit organising the course",
        "course.title": "text: the course title",
        "course.start": "date: the course's first day",
        "course.end": "date: the course's end (exclusive), or null",
    },
    "honour": {},
    "service_hours": {"team.unit_code": "code: the unit of the volunteer team (a body)"},
}

#: Personal fields an indicator may only test for presence (``is_null`` / ``not_null``, e.g.
#: ledger completeness): never compared, measured or broken down by (DESIGN §6: indicators read
#: no personal field in clear; on a store that encrypts at rest they hold tokens).
PERSONAL_FIELDS: Final[dict[str, frozenset[str]]] = {
    "person": frozenset(
        {"name", "id_number", "phone", "household.address", "residence.address", "guardian_id"}
    ),
    "residence": frozenset({"address"}),
    "dispute": frozenset({"narrative"}),
}

_STORED: Final[dict[str, tuple[str, ...]]] = {
    # A person row is one ledger person with one residence episode (a person without episodes
    # has one row with the residence.* fields null). Residence episodes never overlap, so a stock
    # count of person rows counts persons.
    "person": (
        "id",
        "name",
        "ethnicity",
        "id_number",
        "gender",
        "birth_date",
        "phone",
        "household.division_code",
        "household.address",
        "language",
        "guardian_id",
        "status",
        "merged_into",
        "residence.id",
        *(f"residence.{name}" for name in RESIDENCE_FIELDS),
    ),
    "residence": ("id", "person_id", *RESIDENCE_FIELDS),
    "service_request": (
        "id",
        "window_id",
        "unit_code",
        "applicant_id",
        "category",
        "received_at",
        "state",
    ),
    "dispute": (
        "id",
        "origin_unit",
        "category",
        "severity",
        "source",
        "registered_at",
        "ethnic_factor",
        "mass",
        "referred_by",
        "state",
    ),
    "unit": ("code", "name", "level", "kind", "valid_from", "valid_to", "urban_rural_code"),
    "service_window": ("id", "unit_code", "name", "opened", "closed", "categories"),
    "appointment": ("id", "official_id", "role", "unit_code", "start", "end", "basis", "body_id"),
    "official": (
        "id",
        "unit_code",
        "name",
        "ethnicity",
        "gender",
        "position",
        "person_id",
        "left_on",
    ),
    "technician": (
        "id",
        "unit_code",
        "name",
        "ethnicity",
        "gender",
        "specialty",
        "person_id",
        "left_on",
    ),
    "activity": (
        "id",
        "type",
        "organiser_code",
        "title",
        "start",
        "end",
        "participants",
        "minority_participants",
        "materials",
        "body_id",
    ),
    "enrollment": ("id", "course_id", "enrolled_on", "person_id", "official_id", "completed_on"),
    "honour": (
        "id",
        "title",
        "unit_code",
        "awarded_on",
        "person_id",
        "business_name",
        "business_uscc",
        "ceremony_id",
        "basis",
    ),
    "service_hours": ("id", "team_id", "kind", "served_on", "hours", "member_id"),
}

#: The fields each entity knows: stored attributes plus :data:`DERIVED_FIELDS`. A store that
#: supports more adds them with :func:`register_entity`.
ENTITY_FIELDS: dict[str, frozenset[str]] = {
    entity: frozenset(stored) | frozenset(DERIVED_FIELDS[entity])
    for entity, stored in _STORED.items()
}

#: The field that places a row in the hierarchy when a measure sets no ``unit_field``.
#: Disputes are attributed to the unit where they arose (``origin_unit``); a measure may use
#: ``handling_unit`` instead.
ENTITY_UNIT_FIELDS: dict[str, str] = {
    "person": "residence.unit_code",
    "residence": "unit_code",
    "service_request": "unit_code",
    "dispute": "origin_unit",
    "unit": "code",
    "service_window": "unit_code",
    "appointment": "unit_code",
    "official": "unit_code",
    "technician": "unit_code",
    "activity": "organiser_code",
    "enrollment": "course.organiser_code",
    "honour": "unit_code",
    "service_hours": "team.unit_code",
}

#: Graded fields: their values in order, lowest first. Ordering operators compare by this order.
ORDERED_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "official": {
        "rank": (
            "staff",
            "deputy_section",
            "section",
            "deputy_division",
            "division",
            "deputy_bureau",
            "bureau_and_above",
        )
    },
    "technician": {"title": ("junior", "intermediate", "associate_senior", "senior")},
    "dispute": {"severity": ("ordinary", "major", "serious")},
}

#: Enumerated fields: their vocabulary. A filter value on one is read by the vocabulary's rule
#: (:meth:`~minzu_core.labels.LabelledEnum.parse`: the value, the name or either label) and kept
#: as the member's value; any other value is refused (``invalid_filter_value``).
ENUMERATED_FIELDS: dict[str, dict[str, type[LabelledEnum]]] = {
    "person": {
        "gender": Gender,
        "language": LanguageProficiency,
        "status": PersonStatus,
        "residence.status": ResidenceStatus,
        "residence.reason": MigrationReason,
    },
    "residence": {
        "status": ResidenceStatus,
        "reason": MigrationReason,
        "person.gender": Gender,
        "person.language": LanguageProficiency,
        "person.status": PersonStatus,
    },
    "service_request": {"category": ServiceCategory, "satisfaction": Satisfaction},
    "dispute": {"category": DisputeCategory, "severity": Severity, "source": DisputeSource},
    "unit": {"level": Level, "kind": UnitKind},
    "service_window": {"categories": ServiceCategory},
    "official": {"gender": Gender, "rank": Rank},
    "technician": {"gender": Gender, "title": TitleLevel},
    "service_hours": {"kind": VolunteerServiceKind},
}

_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")


def register_entity(
    name: str,
    fields: Iterable[str],
    *,
    unit_field: str | None = None,
    derived: Mapping[str, str] | None = None,
    ordered: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """Add an entity to the vocabulary, or fields to a known one.

    ``fields`` are stored field names, ``derived`` maps derived field names to a description
    (both become known fields), ``unit_field`` the field placing a row in the hierarchy
    (required for a new entity), ``ordered`` the graded fields and their values lowest first.
    """
    entity = _field_name(name, "entity")
    known = set(ENTITY_FIELDS.get(entity, frozenset()))
    known.update(_field_name(f, "fields") for f in fields)
    known.update(_field_name(f, "derived") for f in derived or {})
    if unit_field is None and entity not in ENTITY_UNIT_FIELDS:
        raise invalid(
            "required",
            "新的统计对象须指定归属单位字段 unit_field",
            "a new entity needs a unit_field",
            "unit_field",
        )
    if unit_field is not None:
        known.add(_field_name(unit_field, "unit_field"))
        ENTITY_UNIT_FIELDS[entity] = unit_field
    ENTITY_FIELDS[entity] = frozenset(known)
    DERIVED_FIELDS.setdefault(entity, {}).update(derived or {})
    for field, values in (ordered or {}).items():
        ORDERED_FIELDS.setdefault(entity, {})[field] = tuple(str(v) for v in values)


# -- converters ----------------------------------------------------------------------------------
def _field_name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise invalid(
            "invalid_field_name",
            "字段名须为小写字母、数字和下划线, 以点号分隔 (如 residence.status)",
            "a field name is lower-case letters, digits and underscores, dot-separated "
            "(e.g. residence.status)",
            field,
        )
    return value


def _opt_field_name(field: str) -> Any:
    def convert(value: Any) -> str | None:
        return None if value is None else _field_name(value, field)

    return convert


def _scalar(value: Any, field: str) -> str | int | float | bool:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, datetime):
        raise invalid(
            "invalid_filter_value",
            "筛选值不能是时间戳, 请用日期 (YYYY-MM-DD)",
            "a filter value cannot be a timestamp; use a date (YYYY-MM-DD)",
            field,
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        raise invalid(
            "invalid_filter_value", "筛选值须为有限数值", "a filter value must be finite", field
        )
    if isinstance(value, str | int | float | bool):
        return value
    raise invalid(
        "invalid_filter_value",
        "筛选值须为文本、数值、布尔值或日期",
        "a filter value is text, a number, a boolean or a date",
        field,
    )


def _op(value: Any) -> Op:
    result: Op = Op.parse(value, field="op")
    return result


def _aggregate(value: Any) -> Aggregate:
    result: Aggregate = Aggregate.parse(value, field="aggregate")
    return result


def _date_role(value: Any) -> DateRole:
    result: DateRole = DateRole.parse(value, field="date_role")
    return result


def _kind(value: Any) -> IndicatorKind:
    result: IndicatorKind = IndicatorKind.parse(value, field="kind")
    return result


def _filter_field(value: Any) -> str:
    return _field_name(value, "field")


def _measure_field(value: Any) -> str | None:
    result: str | None = _opt_field_name("field")(value)
    return result


def _date_field(value: Any) -> str | None:
    result: str | None = _opt_field_name("date_field")(value)
    return result


def _valid_from_field(value: Any) -> str | None:
    result: str | None = _opt_field_name("valid_from_field")(value)
    return result


def _valid_to_field(value: Any) -> str | None:
    result: str | None = _opt_field_name("valid_to_field")(value)
    return result


def _unit_field(value: Any) -> str | None:
    result: str | None = _opt_field_name("unit_field")(value)
    return result


def _breakdown(value: Any) -> str | None:
    result: str | None = _opt_field_name("breakdown")(value)
    return result


def _entity(value: Any) -> str:
    name = str(value).strip() if isinstance(value, str) else value
    if not isinstance(name, str) or name not in ENTITY_FIELDS:
        raise invalid(
            "unknown_entity",
            "未知的统计对象",
            "unknown entity",
            "entity",
            entity=str(value)[:64],
            known=sorted(ENTITY_FIELDS),
        )
    return name


def _from_mapping(cls: type[Any], data: Mapping[str, Any]) -> Any:
    """Build ``cls`` from a mapping of its init arguments, with typed errors for unknown and
    missing keys."""
    fields = {a.alias: a for a in attrs.fields(cls) if a.init}
    for key in data:
        if key not in fields:
            raise invalid(
                "unknown_key",
                f"未知的键 {key}",
                f"unknown key {key}",
                str(key),
                allowed=sorted(fields),
            )
    for name, attribute in fields.items():
        if attribute.default is attrs.NOTHING and name not in data:
            raise invalid("required", f"缺少必填项 {name}", f"{name} is required", name)
    return cls(**data)


# -- filters -------------------------------------------------------------------------------------
@attrs.frozen
class Filter:
    """One condition on a row: ``field op value`` (see the module docstring for semantics).

    ``Filter("ethnicity", "ne", "01")``, ``Filter("residence.status", "eq", "floating")``,
    ``Filter("satisfaction", "in", ("satisfied", "basically_satisfied"))``,
    ``Filter("id_number", "not_null")``. The operator may be given as ``=``, ``!=``, ``>=`` ….
    Which fields exist is checked by the :class:`Measure` (which knows the entity).
    """

    field: str = attrs.field(converter=_filter_field)
    op: Op = attrs.field(default=Op.EQ, converter=_op)
    value: Any = None

    def __attrs_post_init__(self) -> None:
        value = self.value
        if self.op.arity == "none":
            if value is not None:
                raise invalid(
                    "invalid_filter_value",
                    f"运算符 {self.op.value} 不带取值",
                    f"operator {self.op.value} takes no value",
                    "value",
                )
        elif self.op.arity == "many":
            if isinstance(value, str | bytes) or not isinstance(value, Iterable):
                raise invalid(
                    "invalid_filter_value",
                    f"运算符 {self.op.value} 需要一组取值",
                    f"operator {self.op.value} needs a list of values",
                    "value",
                )
            items = tuple(_scalar(v, "value") for v in value)
            if not items:
                raise invalid(
                    "invalid_filter_value",
                    "取值列表不能为空",
                    "the list of values must not be empty",
                    "value",
                )
            object.__setattr__(self, "value", items)
        else:
            if value is None:
                raise invalid(
                    "invalid_filter_value",
                    f"运算符 {self.op.value} 需要一个取值 (判断为空请用 is_null)",
                    f"operator {self.op.value} needs a value (use is_null for nulls)",
                    "value",
                )
            object.__setattr__(self, "value", _scalar(value, "value"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Filter:
        """Build from ``{"field": …, "op": …, "value": …}`` (typed errors)."""
        result: Filter = _from_mapping(cls, data)
        return result

    def describe(self) -> tuple[str, str]:
        """A (Chinese, English) description, e.g. ``("ethnicity 不等于 01", "ethnicity differs
        from 01")``."""
        if self.op.arity == "none":
            return f"{self.field} {self.op.label_zh}", f"{self.field} {self.op.label_en}"
        shown = (
            ", ".join(str(v) for v in self.value)
            if isinstance(self.value, tuple)
            else str(self.value)
        )
        return (
            f"{self.field} {self.op.label_zh} {shown}",
            f"{self.field} {self.op.label_en} {shown}",
        )


def _one_filter(value: Any, index: int) -> Filter:
    try:
        if isinstance(value, Filter):
            return value
        if isinstance(value, Mapping):
            return Filter.from_dict(value)
        if isinstance(value, tuple | list) and 1 <= len(value) <= 3:
            return Filter(*value)
    except MinzuError as error:
        raise prefixed(error, f"filters[{index}]") from None
    raise invalid(
        "invalid_filter",
        "筛选条件须为 Filter、(字段, 运算符, 取值) 或映射",
        "a filter is a Filter, a (field, op, value) tuple or a mapping",
        f"filters[{index}]",
    )


def _filters(values: Any) -> tuple[Filter, ...]:
    if isinstance(values, Filter | Mapping | str) or not isinstance(values, Iterable):
        raise invalid(
            "invalid_filter",
            "filters 须为筛选条件的列表",
            "filters must be a list of filters",
            "filters",
        )
    return tuple(_one_filter(v, i) for i, v in enumerate(values))


def _default_role(measure: Measure) -> DateRole:
    if measure.valid_from_field is not None or measure.valid_to_field is not None:
        return DateRole.PRESENT_AT_END
    return DateRole.WITHIN_PERIOD


# -- measures ------------------------------------------------------------------------------------
@attrs.frozen
class Measure:
    """What to aggregate: ``aggregate(field)`` over the rows of ``entity`` that pass every
    filter and the period condition (the module docstring gives the precise semantics).

    Attributes:
        entity: a known entity (:data:`ENTITY_FIELDS`), e.g. ``"service_request"``.
        aggregate: ``count`` (default), ``count_distinct``, ``sum`` or ``average``.
        field: what ``count_distinct``, ``sum`` and ``average`` aggregate (unset for ``count``).
        filters: conditions AND-ed together.
        date_field: for ``within_period``: the date or timestamp that must fall in the period.
        valid_from_field: for ``present_at_end``: first day valid (null or unset: unbounded).
        valid_to_field: for ``present_at_end``: first day no longer valid (exclusive).
        date_role: ``within_period`` (a flow) or ``present_at_end`` (a stock); by default
            ``present_at_end`` if a ``valid_*_field`` is set, else ``within_period``.
        unit_field: the field placing a row in the hierarchy (default: the entity's, see
            :data:`ENTITY_UNIT_FIELDS`).

    Every field named must be known for the entity, else
    ``ValidationError(code="unknown_field", field=<where, e.g. "filters[0].field">)``.
    """

    entity: str = attrs.field(converter=_entity)
    aggregate: Aggregate = attrs.field(default=Aggregate.COUNT, converter=_aggregate)
    field: str | None = attrs.field(default=None, converter=_measure_field)
    filters: tuple[Filter, ...] = attrs.field(default=(), converter=_filters)
    date_field: str | None = attrs.field(default=None, converter=_date_field)
    valid_from_field: str | None = attrs.field(default=None, converter=_valid_from_field)
    valid_to_field: str | None = attrs.field(default=None, converter=_valid_to_field)
    date_role: DateRole = attrs.field(
        default=attrs.Factory(_default_role, takes_self=True), converter=_date_role
    )
    unit_field: str | None = attrs.field(default=None, converter=_unit_field)

    def __attrs_post_init__(self) -> None:
        self._check_aggregate()
        self._check_dates()
        filters = tuple(self._checked(condition, i) for i, condition in enumerate(self.filters))
        object.__setattr__(self, "filters", filters)
        if self.unit_field is not None:
            self._known(self.unit_field, "unit_field")

    def _known(self, name: str, where: str) -> None:
        if name not in ENTITY_FIELDS.get(self.entity, frozenset()):
            raise invalid(
                "unknown_field",
                f"统计对象 {self.entity} 没有字段 {name}",
                f"entity {self.entity} has no field {name}",
                where,
                entity=self.entity,
                name=name,
                known=sorted(ENTITY_FIELDS.get(self.entity, frozenset())),
            )

    def _check_aggregate(self) -> None:
        if self.aggregate is Aggregate.COUNT:
            if self.field is not None:
                raise invalid(
                    "invalid_measure",
                    "计数 (count) 不指定字段; 去重计数请用 count_distinct",
                    "count takes no field; use count_distinct to count distinct values",
                    "field",
                )
            return
        if self.field is None:
            raise invalid(
                "invalid_measure",
                f"聚合方式 {self.aggregate.value} 须指定字段",
                f"aggregate {self.aggregate.value} needs a field",
                "field",
            )
        self._known(self.field, "field")
        if self.field in PERSONAL_FIELDS.get(self.entity, ()):
            raise invalid(
                "personal_field",
                f"指标不读取个人信息: {self.field}",
                f"indicators read no personal data: {self.field}",
                "field",
                name=self.field,
            )

    def _check_dates(self) -> None:
        if self.date_role is DateRole.WITHIN_PERIOD:
            if self.date_field is None:
                raise invalid(
                    "invalid_measure",
                    "流量 (within_period) 须指定日期字段 date_field",
                    "a within_period measure needs a date_field",
                    "date_field",
                )
            for name in ("valid_from_field", "valid_to_field"):
                if getattr(self, name) is not None:
                    raise invalid(
                        "invalid_measure",
                        f"流量 (within_period) 不使用 {name}",
                        f"a within_period measure takes no {name}",
                        name,
                    )
            self._known(self.date_field, "date_field")
            return
        if self.date_field is not None:
            raise invalid(
                "invalid_measure",
                "存量 (present_at_end) 不使用 date_field, 请用 valid_from_field/valid_to_field",
                "a present_at_end measure takes no date_field; use valid_from_field/valid_to_field",
                "date_field",
            )
        if self.valid_from_field is None and self.valid_to_field is None:
            raise invalid(
                "invalid_measure",
                "存量 (present_at_end) 须指定 valid_from_field 或 valid_to_field",
                "a present_at_end measure needs valid_from_field or valid_to_field",
                "valid_from_field",
            )
        for name in ("valid_from_field", "valid_to_field"):
            value = getattr(self, name)
            if value is not None:
                self._known(value, name)

    def _checked(self, condition: Filter, index: int) -> Filter:
        """``condition`` checked against the entity, its values on an enumerated field parsed."""
        self._known(condition.field, f"filters[{index}].field")
        if condition.field in PERSONAL_FIELDS.get(self.entity, ()) and condition.op.arity != "none":
            raise invalid(
                "personal_field",
                f"指标不读取个人信息: 字段 {condition.field} 只能判断是否为空",
                f"indicators read no personal data: {condition.field} takes only "
                "is_null / not_null",
                f"filters[{index}].op",
                name=condition.field,
            )
        condition = self._parse_enumerated(condition, index)
        self._check_ordered(condition, index)
        return condition

    def _parse_enumerated(self, condition: Filter, index: int) -> Filter:
        vocabulary = ENUMERATED_FIELDS.get(self.entity, {}).get(condition.field)
        if vocabulary is None or condition.op.arity == "none":
            return condition

        def parse(value: Any) -> str:
            try:
                member: LabelledEnum = vocabulary.parse(value, field=condition.field)
            except ValidationError as error:
                raise invalid(
                    "invalid_filter_value",
                    error.message_zh,
                    error.message_en,
                    f"filters[{index}].value",
                    name=condition.field,
                    **error.details,
                ) from None
            return str(member.value)

        value = condition.value
        parsed = tuple(map(parse, value)) if isinstance(value, tuple) else parse(value)
        return condition if parsed == value else attrs.evolve(condition, value=parsed)

    def _check_ordered(self, condition: Filter, index: int) -> None:
        grades = ORDERED_FIELDS.get(self.entity, {}).get(condition.field)
        if grades is None or condition.op.arity == "none":
            return
        values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        for value in values:
            if value not in grades:
                raise invalid(
                    "invalid_filter_value",
                    f"{condition.field} 的取值无效, 可选: {', '.join(grades)}",
                    f"invalid value for {condition.field}; allowed: {', '.join(grades)}",
                    f"filters[{index}].value",
                    allowed=list(grades),
                )

    @property
    def effective_unit_field(self) -> str:
        """``unit_field``, or the entity's default."""
        return self.unit_field or ENTITY_UNIT_FIELDS[self.entity]

    @property
    def fields_used(self) -> frozenset[str]:
        """Every field the measure reads (for a store checking what it supports)."""
        names = {condition.field for condition in self.filters}
        names.add(self.effective_unit_field)
        for name in (self.field, self.date_field, self.valid_from_field, self.valid_to_field):
            if name is not None:
                names.add(name)
        return frozenset(names)

    @classmethod
    def flow(
        cls,
        entity: str,
        date_field: str,
        *filters: Filter | tuple[Any, ...],
        aggregate: Aggregate | str = Aggregate.COUNT,
        field: str | None = None,
        unit_field: str | None = None,
    ) -> Measure:
        """A ``within_period`` measure: rows whose ``date_field`` lies in the period."""
        dates = {"date_field": date_field}
        return cls._with_dates(
            DateRole.WITHIN_PERIOD, dates, entity, filters, aggregate, field, unit_field
        )

    @classmethod
    def stock(
        cls,
        entity: str,
        *filters: Filter | tuple[Any, ...],
        valid_from: str | None = None,
        valid_to: str | None = None,
        aggregate: Aggregate | str = Aggregate.COUNT,
        field: str | None = None,
        unit_field: str | None = None,
    ) -> Measure:
        """A ``present_at_end`` measure: rows valid on the period's last day."""
        dates = {"valid_from_field": valid_from, "valid_to_field": valid_to}
        return cls._with_dates(
            DateRole.PRESENT_AT_END, dates, entity, filters, aggregate, field, unit_field
        )

    @classmethod
    def _with_dates(
        cls,
        role: DateRole,
        dates: Mapping[str, str | None],
        entity: str,
        filters: tuple[Filter | tuple[Any, ...], ...],
        aggregate: Aggregate | str,
        field: str | None,
        unit_field: str | None,
    ) -> Measure:
        """The measure of :meth:`flow` and :meth:`stock`: ``dates`` names its date fields."""
        return cls(
            entity, aggregate, field, filters, date_role=role, unit_field=unit_field, **dates
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Measure:
        """Build from the mapping :func:`~minzu_core.serialization.unstructure` gives."""
        result: Measure = _from_mapping(cls, data)
        return result


def _measure_at(path: str) -> Any:
    def convert(value: Any) -> Measure | None:
        if value is None or isinstance(value, Measure):
            return value
        if not isinstance(value, Mapping):
            raise invalid("invalid_measure", "度量须为 Measure", "expected a Measure", path)
        try:
            return Measure.from_dict(value)
        except MinzuError as error:
            raise prefixed(error, path) from None

    return convert


def _numerator(value: Any) -> Measure:
    result: Measure | None = _measure_at("numerator")(value)
    if result is None:
        raise invalid("required", "缺少分子", "the numerator is required", "numerator")
    return result


def _denominator(value: Any) -> Measure | None:
    result: Measure | None = _measure_at("denominator")(value)
    return result


def _indicator_id(value: Any) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise invalid(
            "invalid_indicator_id",
            "指标代码须为小写字母开头的字母、数字、下划线 (最长 64)",
            "an indicator id is lower-case letters, digits and underscores, starting with a "
            "letter (at most 64)",
            "id",
        )
    return value


def _name_zh(value: Any) -> str:
    return _required_text(value, "name_zh")


def _name_en(value: Any) -> str:
    return _required_text(value, "name_en")


def _required_text(value: Any, field: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise invalid("required", f"缺少必填项 {field}", f"{field} is required", field)
    return text


def _factor(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid("invalid_factor", "系数须为数值", "the factor must be a number", "factor")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise invalid(
            "invalid_factor", "系数须为正的有限数值", "the factor must be positive", "factor"
        )
    return number


def _decimals(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise invalid(
            "invalid_decimals",
            "小数位数须为 0–10 的整数",
            "decimals must be an integer 0–10",
            "decimals",
        )
    return value


def _description(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _default_decimals(indicator: Indicator) -> int:
    plain_count = indicator.numerator.aggregate in (Aggregate.COUNT, Aggregate.COUNT_DISTINCT)
    return 0 if indicator.denominator is None and plain_count else 2


def _default_kind(indicator: Indicator) -> IndicatorKind:
    if indicator.numerator.date_role is DateRole.PRESENT_AT_END:
        return IndicatorKind.STOCK
    return IndicatorKind.FLOW


# -- indicators ----------------------------------------------------------------------------------
@attrs.frozen
class Indicator:
    """An indicator (指标): ``numerator ÷ denominator × factor``, rounded to ``decimals``.

    The value is a *ratio of sums*: numerator and denominator are each aggregated over a unit's
    whole subtree and only then divided (see :func:`minzu_core.indicators.ratio`). Without a
    denominator the value is ``numerator × factor``.

    Attributes:
        id: stable identifier (lower-case letters, digits, ``_``), e.g. ``"dispute_success_rate"``.
        name_zh: Chinese name, e.g. ``"调解成功率"``.
        name_en: English name.
        numerator: the measure on top.
        denominator: the measure below, or ``None``.
        factor: multiplier, e.g. ``100`` for a percentage (default 1).
        decimals: digits after the point, rounded half up (default 0 for a plain count, else 2).
        kind: ``stock`` or ``flow``; defaults from, and must agree with, the numerator's
            ``date_role`` (stock ↔ ``present_at_end``, flow ↔ ``within_period``). The
            denominator may use either role (e.g. requests per 1,000 residents).
        description: free text.
        breakdown: an attribute to break the value down by (e.g. ``"type"`` of activities);
            it must be a field of the numerator's entity and of the denominator's, which are
            both grouped by it.
    """

    id: str = attrs.field(converter=_indicator_id)
    name_zh: str = attrs.field(converter=_name_zh)
    name_en: str = attrs.field(converter=_name_en)
    numerator: Measure = attrs.field(converter=_numerator)
    denominator: Measure | None = attrs.field(default=None, converter=_denominator)
    factor: float = attrs.field(default=1.0, converter=_factor)
    decimals: int = attrs.field(
        default=attrs.Factory(_default_decimals, takes_self=True), converter=_decimals
    )
    kind: IndicatorKind = attrs.field(
        default=attrs.Factory(_default_kind, takes_self=True), converter=_kind
    )
    description: str = attrs.field(default="", converter=_description)
    breakdown: str | None = attrs.field(default=None, converter=_breakdown)

    def __attrs_post_init__(self) -> None:
        if self.numerator.date_role is not self.kind.date_role:
            raise invalid(
                "kind_mismatch",
                f"{self.kind.label_zh}指标的分子须为 {self.kind.date_role.value}",
                f"the numerator of a {self.kind.value} indicator must be "
                f"{self.kind.date_role.value}",
                "kind",
            )
        if self.breakdown is not None:
            for part, measure in (("numerator", self.numerator), ("denominator", self.denominator)):
                if measure is not None and self.breakdown in PERSONAL_FIELDS.get(
                    measure.entity, ()
                ):
                    raise invalid(
                        "personal_field",
                        f"指标不按个人信息分组: {self.breakdown}",
                        f"indicators are not broken down by personal data: {self.breakdown}",
                        "breakdown",
                        name=self.breakdown,
                    )
                if measure is not None and self.breakdown not in ENTITY_FIELDS[measure.entity]:
                    raise invalid(
                        "unknown_field",
                        f"分组字段 {self.breakdown} 不是{part}对象 {measure.entity} 的字段",
                        f"breakdown {self.breakdown} is not a field of the {part}'s entity "
                        f"{measure.entity}",
                        "breakdown",
                        entity=measure.entity,
                        name=self.breakdown,
                    )

    @property
    def is_ratio(self) -> bool:
        """True if the indicator has a denominator."""
        return self.denominator is not None

    @property
    def entities(self) -> frozenset[str]:
        """The entities the indicator reads."""
        measures = (
            [self.numerator]
            if self.denominator is None
            else [
                self.numerator,
                self.denominator,
            ]
        )
        return frozenset(m.entity for m in measures)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (the shared converter's ``unstructure``)."""
        result: dict[str, Any] = converter.unstructure(self)
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Indicator:
        """Build from :meth:`to_dict` output; every problem is a typed ``ValidationError``
        whose ``field`` is the path (``numerator.filters[0].field``)."""
        if not isinstance(data, Mapping):
            raise invalid("invalid_indicator", "指标定义须为映射", "expected a mapping", None)
        result: Indicator = _from_mapping(cls, data)
        return result


def indicator_to_json(indicator: Indicator, *, indent: int | None = 2) -> str:
    """The definition as JSON text (UTF-8 Chinese kept readable)."""
    import json

    return json.dumps(indicator.to_dict(), ensure_ascii=False, indent=indent)


def indicator_from_json(text: str) -> Indicator:
    """Read a definition written by :func:`indicator_to_json`."""
    import json

    try:
        data = json.loads(text)
    except ValueError:
        raise invalid(
            "invalid_json", "指标定义不是有效的 JSON", "the definition is not valid JSON", None
        ) from None
    return Indicator.from_dict(data)


def unsupported_entity(entity: str) -> ValidationError:
    """The error a store raises when asked for rows of an entity it does not know."""
    return ValidationError(
        f"存储不支持统计对象 {entity}",
        f"the store does not support the entity {entity}",
        code="unsupported_entity",
        field="entity",
    )


def check_supported(indicator: Indicator, entities: Collection[str]) -> None:
    """Raise ``ValidationError(code="unsupported_entity")`` unless every entity the indicator
    reads is in ``entities`` (what a store declares it supports)."""
    missing = sorted(indicator.entities - set(entities))
    if missing:
        raise ValidationError(
            f"存储不支持统计对象: {', '.join(missing)}",
            f"the store does not support the entities: {', '.join(missing)}",
            code="unsupported_entity",
            field="entity",
            details={"indicator": indicator.id, "missing": missing},
        )


# The converter builds definitions through their validating constructors, so data read from JSON
# gets the same typed errors as code.
converter.register_structure_hook(Filter, lambda data, _: Filter.from_dict(data))
converter.register_structure_hook(Measure, lambda data, _: Measure.from_dict(data))
converter.register_structure_hook(Indicator, lambda data, _: Indicator.from_dict(data))
