"""The administrative hierarchy with history (行政区划及其沿革).

A :class:`Unit` is one version of an administrative unit: its 12-digit code, name, level and kind
(derived from the code) and the dates it is valid (``valid_from`` inclusive, ``valid_to``
exclusive). A code can be reused: several versions with the same code and disjoint validity.
:class:`UnitChange` records what happened to a unit (created, renamed, recoded, merged, split,
abolished), so facts recorded against an old code can be attributed to today's units
(:meth:`Hierarchy.successors`).

:class:`Hierarchy` is an in-memory index answering ancestors, children, subtree and level
queries "as of" a date. :func:`read_nbs_csv` and :func:`load_edition` load NBS-format files and
:func:`diff_editions` proposes the changes between two editions.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import uuid
from collections.abc import Iterable, Iterator
from typing import Any, Final, TypeAlias

import attrs

import minzu_core.fields as fields
from minzu_core.codes.divisions import (
    DivisionCode,
    Level,
    UnitKind,
    validate_urban_rural_code,
)
from minzu_core.errors import NotFoundError, ValidationError
from minzu_core.labels import LabelledEnum

__all__ = [
    "CodeLike",
    "Hierarchy",
    "Unit",
    "UnitChange",
    "UnitChangeKind",
]

#: Anything accepted where a division code is expected.
CodeLike: TypeAlias = str | int | DivisionCode


def _to_codes(values: Any) -> tuple[DivisionCode, ...]:
    if isinstance(values, str | int | DivisionCode):
        return (fields.as_code(values, "successors"),)
    return tuple(fields.as_code(v, "successors") for v in fields.as_items(values, "successors"))


def _optional_urban_rural(value: str | None) -> str | None:
    return None if value is None else validate_urban_rural_code(value)


def _unit_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            "单位名称不能为空",
            "the unit name must not be empty",
            code="invalid_unit_name",
            field="name",
        )
    return value.strip()


def _default_level(unit: Unit) -> Level:
    return unit.code.level


def _default_kind(unit: Unit) -> UnitKind:
    return unit.code.kind


#: The fields of :class:`Unit` that must agree with its code, with their Chinese names.
_IMPLIED_BY_CODE: Final = {"level": "级别", "kind": "类型"}


def _agrees_with_code(unit: Unit, attribute: attrs.Attribute[Any], value: LabelledEnum) -> None:
    """A given ``level``/``kind`` must be what the code implies (``level_mismatch``,
    ``kind_mismatch``)."""
    field = attribute.name
    implied: LabelledEnum = getattr(unit.code, field)
    if value is not implied:
        raise ValidationError(
            f"{_IMPLIED_BY_CODE[field]}与代码不符（代码表示{implied.label_zh}）",
            f"the {field} does not match the code (the code is {implied.label_en})",
            code=f"{field}_mismatch",
            field=field,
        )


@attrs.frozen
class Unit:
    """One version of an administrative unit (行政区划单位).

    ``level`` and ``kind`` default to what the code implies and, if given, must agree with it.
    ``valid_from`` is inclusive, ``valid_to`` exclusive (the first day the unit is no longer
    valid); None means unbounded. ``version`` is the optimistic-locking version of the record.
    Use :meth:`create` or pass the code as a string: it is parsed.
    """

    code: DivisionCode = attrs.field(converter=fields.to_code)
    name: str = attrs.field(converter=_unit_name)
    level: Level = attrs.field(
        default=attrs.Factory(_default_level, takes_self=True), validator=_agrees_with_code
    )
    kind: UnitKind = attrs.field(
        default=attrs.Factory(_default_kind, takes_self=True), validator=_agrees_with_code
    )
    valid_from: datetime.date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    valid_to: datetime.date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    urban_rural_code: str | None = attrs.field(default=None, converter=_optional_urban_rural)
    version: int = attrs.field(default=0, converter=fields.to_count)

    @valid_to.validator
    def _check_valid_to(
        self, attribute: attrs.Attribute[datetime.date | None], value: datetime.date | None
    ) -> None:
        if value is not None and self.valid_from is not None and value <= self.valid_from:
            raise ValidationError(
                "失效日期必须晚于生效日期",
                "valid_to must be after valid_from",
                code="invalid_validity",
                field="valid_to",
            )

    @classmethod
    def create(
        cls,
        code: CodeLike,
        name: str,
        *,
        level: Level | None = None,
        kind: UnitKind | None = None,
        valid_from: datetime.date | None = None,
        valid_to: datetime.date | None = None,
        urban_rural_code: str | None = None,
        version: int = 0,
    ) -> Unit:
        """Build a unit from a code in any accepted form; level and kind default from the code."""
        parsed = DivisionCode.parse(code)
        return cls(
            parsed,
            name,
            level=level or parsed.level,
            kind=kind or parsed.kind,
            valid_from=valid_from,
            valid_to=valid_to,
            urban_rural_code=urban_rural_code,
            version=version,
        )

    def valid_on(self, day: datetime.date) -> bool:
        """True if the unit is valid on ``day`` (``valid_from <= day < valid_to``)."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day < self.valid_to
        )

    @property
    def parent_code(self) -> DivisionCode | None:
        """The parent's code (derived from this code), None for a province."""
        return self.code.parent


class UnitChangeKind(LabelledEnum):
    """What happened to a unit (区划变更类型): 新设, 更名, 改代码, 合并, 拆分, 撤销."""

    CREATED = "created", "新设", "created"
    RENAMED = "renamed", "更名", "renamed"
    RECODED = "recoded", "改代码", "recoded"
    MERGED = "merged", "合并", "merged"
    SPLIT = "split", "拆分", "split"
    ABOLISHED = "abolished", "撤销", "abolished"


# Kinds that end the life of a code (the facts move to the successors).
_TERMINAL: Final = frozenset(
    {UnitChangeKind.RECODED, UnitChangeKind.MERGED, UnitChangeKind.SPLIT, UnitChangeKind.ABOLISHED}
)
# Minimum and maximum number of successors per kind.
_SUCCESSOR_COUNTS: Final = {
    UnitChangeKind.CREATED: (0, 0),
    UnitChangeKind.RENAMED: (0, 0),
    UnitChangeKind.RECODED: (1, None),
    UnitChangeKind.MERGED: (1, None),
    UnitChangeKind.SPLIT: (2, None),
    UnitChangeKind.ABOLISHED: (0, 0),
}


@attrs.frozen
class UnitChange:
    """A recorded change of a unit, effective on a date.

    ``code`` is the unit affected (its old code; for ``created`` the new code). Recoded and
    merged need at least one successor, split at least two; created, renamed and abolished none.
    A rename needs ``new_name``.
    """

    kind: UnitChangeKind = attrs.field(converter=fields.to_choice)
    effective: datetime.date = attrs.field(converter=fields.to_date)
    code: DivisionCode = attrs.field(converter=fields.to_code)
    successors: tuple[DivisionCode, ...] = attrs.field(default=(), converter=_to_codes)
    old_name: str | None = attrs.field(default=None, converter=fields.to_text_or_none)
    new_name: str | None = attrs.field(default=None, converter=fields.to_text_or_none)
    note: str = attrs.field(default="", converter=fields.to_text_or_empty)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)

    @successors.validator
    def _check_successors(
        self, attribute: attrs.Attribute[tuple[DivisionCode, ...]], value: tuple[DivisionCode, ...]
    ) -> None:
        low, high = _SUCCESSOR_COUNTS[self.kind]
        if len(value) < low or (high is not None and len(value) > high):
            wanted = f"{low}" if low == high else f">= {low}"
            raise ValidationError(
                f"{self.kind.label_zh}变更的后继代码数量应为{wanted}个",
                f"a {self.kind.value} change needs {wanted} successor code(s)",
                code="invalid_unit_change",
                field="successors",
            )
        if self.kind is UnitChangeKind.RECODED and self.code in value:
            raise ValidationError(
                "改代码变更的后继代码不能是原代码",
                "a recoded unit cannot succeed itself",
                code="invalid_unit_change",
                field="successors",
            )

    @new_name.validator
    def _check_new_name(self, attribute: attrs.Attribute[str | None], value: str | None) -> None:
        if self.kind is UnitChangeKind.RENAMED and not value:
            raise ValidationError(
                "更名变更需要新名称",
                "a renamed change needs new_name",
                code="invalid_unit_change",
                field="new_name",
            )


def _not_found(code: DivisionCode, as_of: datetime.date | None) -> NotFoundError:
    when_zh = f"在{as_of.isoformat()}" if as_of else ""
    when_en = f" on {as_of.isoformat()}" if as_of else ""
    return NotFoundError(
        f"区划单位{code}{when_zh}不存在",
        f"unit {code} does not exist{when_en}",
        code="unit_not_found",
        field="code",
    )


def _from_key(unit: Unit) -> datetime.date:
    return unit.valid_from or datetime.date.min


#: The order of change kinds on the same code (a rename before a recode, …).
_KIND_ORDER: Final = {
    kind: i
    for i, kind in enumerate(
        (
            UnitChangeKind.RENAMED,
            UnitChangeKind.RECODED,
            UnitChangeKind.MERGED,
            UnitChangeKind.SPLIT,
            UnitChangeKind.ABOLISHED,
            UnitChangeKind.CREATED,
        )
    )
}


class Hierarchy:
    """An in-memory index of unit versions and their recorded changes.

    Every query takes ``as_of``: a date picks the version valid that day; None ignores
    validity and takes the latest version (greatest ``valid_from``) of each code. Codes may be
    given as strings, integers or :class:`DivisionCode`. Results are sorted by code. ``len`` and
    iteration cover every unit version, in (code, valid_from) order.

    Raises:
        ValidationError: ``code="overlapping_unit_versions"`` if two versions of one code are
            valid on the same day.
    """

    __slots__ = ("_by_code", "_by_level", "_changes", "_changes_by_code", "_children", "_codes")

    def __init__(self, units: Iterable[Unit] = (), changes: Iterable[UnitChange] = ()) -> None:
        grouped: dict[str, list[Unit]] = {}
        for unit in units:
            grouped.setdefault(unit.code.value, []).append(unit)
        self._by_code: dict[str, tuple[Unit, ...]] = {}
        for value, versions in grouped.items():
            versions.sort(key=_from_key)
            for earlier, later in itertools.pairwise(versions):
                if (
                    earlier.valid_to is None
                    or later.valid_from is None
                    or earlier.valid_to > later.valid_from
                ):
                    raise ValidationError(
                        f"区划代码{value}的多个版本有效期重叠",
                        f"versions of unit {value} have overlapping validity",
                        code="overlapping_unit_versions",
                        field="valid_from",
                    )
            self._by_code[value] = tuple(versions)
        self._codes: list[str] = sorted(self._by_code)
        self._by_level: dict[Level, list[str]] = {level: [] for level in Level}
        self._children: dict[str, list[str]] = {}
        for value in self._codes:
            code = DivisionCode(value)
            self._by_level[code.level].append(value)
            parent = code.parent
            if parent is not None:
                self._children.setdefault(parent.value, []).append(value)
        self._changes: tuple[UnitChange, ...] = tuple(
            sorted(changes, key=lambda c: (c.effective, c.code.value, _KIND_ORDER[c.kind]))
        )
        self._changes_by_code: dict[str, list[UnitChange]] = {}
        for change in self._changes:
            self._changes_by_code.setdefault(change.code.value, []).append(change)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_code.values())

    def __iter__(self) -> Iterator[Unit]:
        for value in self._codes:
            yield from self._by_code[value]

    @property
    def changes(self) -> tuple[UnitChange, ...]:
        """All recorded changes, by effective date then code."""
        return self._changes

    def versions(self, code: CodeLike) -> tuple[Unit, ...]:
        """Every version of a code, oldest first (empty if unknown)."""
        return self._by_code.get(DivisionCode.parse(code).value, ())

    def _pick(self, value: str, as_of: datetime.date | None) -> Unit | None:
        versions = self._by_code.get(value)
        if not versions:
            return None
        if as_of is None:
            return versions[-1]
        for unit in versions:
            if unit.valid_on(as_of):
                return unit
        return None

    def find(self, code: CodeLike, as_of: datetime.date | None = None) -> Unit | None:
        """The unit with this code (valid ``as_of``), or None."""
        return self._pick(DivisionCode.parse(code).value, as_of)

    def get(self, code: CodeLike, as_of: datetime.date | None = None) -> Unit:
        """The unit with this code (valid ``as_of``).

        Raises:
            NotFoundError: ``code="unit_not_found"``.
        """
        parsed = DivisionCode.parse(code)
        unit = self._pick(parsed.value, as_of)
        if unit is None:
            raise _not_found(parsed, as_of)
        return unit

    def parent(self, code: CodeLike, as_of: datetime.date | None = None) -> Unit | None:
        """The parent unit, or None for a province or a parent not in the index.

        Raises:
            NotFoundError: if ``code`` itself is not in the index ``as_of``.
        """
        parent = self.get(code, as_of).code.parent
        return None if parent is None else self._pick(parent.value, as_of)

    def ancestors(self, code: CodeLike, as_of: datetime.date | None = None) -> tuple[Unit, ...]:
        """The ancestor units present in the index, nearest first.

        Raises:
            NotFoundError: if ``code`` itself is not in the index ``as_of``.
        """
        unit = self.get(code, as_of)
        found = (self._pick(a.value, as_of) for a in unit.code.ancestors())
        return tuple(u for u in found if u is not None)

    def children(self, code: CodeLike, as_of: datetime.date | None = None) -> tuple[Unit, ...]:
        """The direct children, sorted by code.

        Raises:
            NotFoundError: if ``code`` itself is not in the index ``as_of``.
        """
        unit = self.get(code, as_of)
        return self._present(self._children.get(unit.code.value, ()), as_of)

    def subtree(
        self, code: CodeLike, as_of: datetime.date | None = None, *, include_self: bool = True
    ) -> tuple[Unit, ...]:
        """The unit and everything below it (or only below it), sorted by code.

        Raises:
            NotFoundError: if ``code`` itself is not in the index ``as_of``.
        """
        root = self.get(code, as_of).code
        values = _with_prefix(self._codes, root.short)
        if not include_self:
            values = [v for v in values if v != root.value]
        return self._present(values, as_of)

    def by_level(
        self,
        level: Level,
        as_of: datetime.date | None = None,
        *,
        within: CodeLike | None = None,
    ) -> tuple[Unit, ...]:
        """The units of a level (within a unit's subtree, if given), sorted by code.

        Raises:
            NotFoundError: if ``within`` is given and not in the index ``as_of``.
        """
        prefix = "" if within is None else self.get(within, as_of).code.short
        return self._present(_with_prefix(self._by_level[level], prefix), as_of)

    def _present(self, values: Iterable[str], as_of: datetime.date | None) -> tuple[Unit, ...]:
        picked = (self._pick(v, as_of) for v in values)
        return tuple(u for u in picked if u is not None)

    def successors(
        self,
        code: CodeLike,
        on: datetime.date,
        *,
        since: datetime.date | None = None,
    ) -> tuple[DivisionCode, ...]:
        """The codes that carry on ``code`` on the date ``on``, sorted.

        Follows the recorded recoded/merged/split/abolished changes effective after ``since``
        (the date the code was recorded; None: from the beginning) and on or before ``on``,
        transitively; a later change applies only if it is effective after the one that led to
        the code (changes on one day are simultaneous). Renames keep the code. A code with no
        such change maps to itself; an abolished one to nothing.
        """
        result: set[str] = set()
        pending: list[tuple[str, datetime.date | None]] = [(DivisionCode.parse(code).value, since)]
        seen: set[tuple[str, datetime.date | None]] = set()
        while pending:
            state = pending.pop()
            if state in seen:
                continue
            seen.add(state)
            value, after = state
            ending = self._next_terminal(value, after, on)
            if not ending:
                result.add(value)
            for change in ending:
                pending.extend((s.value, change.effective) for s in change.successors)
        return tuple(DivisionCode(v) for v in sorted(result))

    def _next_terminal(
        self, value: str, after: datetime.date | None, on: datetime.date
    ) -> list[UnitChange]:
        """The earliest-dated terminal changes of a code in the window (after, on]."""
        window = [
            c
            for c in self._changes_by_code.get(value, ())
            if c.kind in _TERMINAL and (after is None or c.effective > after) and c.effective <= on
        ]
        if not window:
            return []
        first = min(c.effective for c in window)
        return [c for c in window if c.effective == first]


def _with_prefix(values: list[str], prefix: str) -> list[str]:
    """The slice of a sorted list of strings that start with ``prefix``."""
    if not prefix:
        return values
    start = bisect.bisect_left(values, prefix)
    end = bisect.bisect_left(values, prefix[:-1] + chr(ord(prefix[-1]) + 1), lo=start)
    return values[start:end]
