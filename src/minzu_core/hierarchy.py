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
import csv
import datetime
import enum
import functools
import importlib.resources
import io
import itertools
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Final, NamedTuple, TextIO, TypeAlias

import attrs

from minzu_core.codes.divisions import (
    DivisionCode,
    Level,
    UnitKind,
    validate_urban_rural_code,
)
from minzu_core.codes.ethnicity import all_ethnicities
from minzu_core.errors import MinzuError, NotFoundError, ValidationError

__all__ = [
    "EDITIONS",
    "CodeLike",
    "Edition",
    "Hierarchy",
    "Unit",
    "UnitChange",
    "UnitChangeKind",
    "diff_editions",
    "load_edition",
    "name_stem",
    "read_nbs_csv",
]

#: Anything accepted where a division code is expected.
CodeLike: TypeAlias = str | int | DivisionCode


def _to_code(value: CodeLike) -> DivisionCode:
    return DivisionCode.parse(value)


def _to_codes(values: Iterable[CodeLike]) -> tuple[DivisionCode, ...]:
    if isinstance(values, str | int | DivisionCode):
        return (DivisionCode.parse(values, field="successors"),)
    return tuple(DivisionCode.parse(v, field="successors") for v in values)


def _strip(value: str) -> str:
    return value.strip() if isinstance(value, str) else value


def _optional_urban_rural(value: str | None) -> str | None:
    return None if value is None else validate_urban_rural_code(value)


def _check_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError(
            "单位名称不能为空",
            "the unit name must not be empty",
            code="invalid_unit_name",
            field="name",
        )


def _default_level(unit: Unit) -> Level:
    return unit.code.level


def _default_kind(unit: Unit) -> UnitKind:
    return unit.code.kind


_optional_date = attrs.validators.optional(attrs.validators.instance_of(datetime.date))


@attrs.frozen
class Unit:
    """One version of an administrative unit (行政区划单位).

    ``level`` and ``kind`` default to what the code implies and, if given, must agree with it.
    ``valid_from`` is inclusive, ``valid_to`` exclusive (the first day the unit is no longer
    valid); None means unbounded. ``version`` is the optimistic-locking version of the record.
    Use :meth:`create` or pass the code as a string: it is parsed.
    """

    code: DivisionCode = attrs.field(converter=_to_code)
    name: str = attrs.field(converter=_strip, validator=_check_name)
    level: Level = attrs.field(default=attrs.Factory(_default_level, takes_self=True))
    kind: UnitKind = attrs.field(default=attrs.Factory(_default_kind, takes_self=True))
    valid_from: datetime.date | None = attrs.field(default=None, validator=_optional_date)
    valid_to: datetime.date | None = attrs.field(default=None, validator=_optional_date)
    urban_rural_code: str | None = attrs.field(default=None, converter=_optional_urban_rural)
    version: int = attrs.field(default=0, validator=attrs.validators.ge(0))

    @level.validator
    def _check_level(self, attribute: attrs.Attribute[Level], value: Level) -> None:
        if value is not self.code.level:
            raise ValidationError(
                f"级别与代码不符（代码表示{self.code.level.label_zh}）",
                f"the level does not match the code (the code is {self.code.level.label_en})",
                code="level_mismatch",
                field="level",
            )

    @kind.validator
    def _check_kind(self, attribute: attrs.Attribute[UnitKind], value: UnitKind) -> None:
        if value is not self.code.kind:
            raise ValidationError(
                f"类型与代码不符（代码表示{self.code.kind.label_zh}）",
                f"the kind does not match the code (the code is {self.code.kind.label_en})",
                code="kind_mismatch",
                field="kind",
            )

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


class UnitChangeKind(enum.Enum):
    """What happened to a unit (区划变更类型)."""

    CREATED = "created"
    RENAMED = "renamed"
    RECODED = "recoded"
    MERGED = "merged"
    SPLIT = "split"
    ABOLISHED = "abolished"

    @property
    def label_zh(self) -> str:
        """新设, 更名, 改代码, 合并, 拆分, 撤销."""
        return _CHANGE_LABELS[self]


_CHANGE_LABELS: Final = {
    UnitChangeKind.CREATED: "新设",
    UnitChangeKind.RENAMED: "更名",
    UnitChangeKind.RECODED: "改代码",
    UnitChangeKind.MERGED: "合并",
    UnitChangeKind.SPLIT: "拆分",
    UnitChangeKind.ABOLISHED: "撤销",
}

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

    kind: UnitChangeKind
    effective: datetime.date = attrs.field(validator=attrs.validators.instance_of(datetime.date))
    code: DivisionCode = attrs.field(converter=_to_code)
    successors: tuple[DivisionCode, ...] = attrs.field(default=(), converter=_to_codes)
    old_name: str | None = None
    new_name: str | None = attrs.field(default=None)
    note: str = ""
    id: uuid.UUID = attrs.field(factory=uuid.uuid4)

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


# --- NBS files -----------------------------------------------------------------------------

_REQUIRED_COLUMNS: Final = ("code", "name", "level", "parent_code")


def read_nbs_csv(
    source: str | os.PathLike[str] | TextIO,
    *,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
) -> list[Unit]:
    """Read an NBS-format CSV (``code,name,level,parent_code[,urban_rural_code]``, header first).

    A path is read as UTF-8 (a BOM is allowed). Every row is validated: the code, the name,
    the level must match the code and ``parent_code`` the derived parent (empty for a
    province), no code twice, a known urban-rural code if given.

    Raises:
        ValidationError: with ``row`` (1-based data row number) and ``field``; codes
            ``invalid_division_code``, ``invalid_level``, ``level_mismatch``, ``parent_mismatch``,
            ``duplicate_unit_code``, ``invalid_unit_name``, ``invalid_urban_rural_code``,
            ``invalid_csv_row``, ``invalid_csv_header``.
    """
    if isinstance(source, str | os.PathLike):
        with open(source, encoding="utf-8-sig", newline="") as handle:
            return _read_rows(handle, valid_from, valid_to)
    return _read_rows(source, valid_from, valid_to)


def _row_error(code: str, field: str | None, row: int, zh: str, en: str) -> ValidationError:
    return ValidationError(zh, en, code=code, field=field, row=row)


def _read_rows(
    handle: TextIO, valid_from: datetime.date | None, valid_to: datetime.date | None
) -> list[Unit]:
    reader = csv.reader(handle)
    header = [h.strip().lstrip("\ufeff").strip() for h in next(reader, [])]
    missing = [c for c in _REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValidationError(
            f"CSV表头缺少列：{', '.join(missing)}",
            f"the CSV header lacks column(s): {', '.join(missing)}",
            code="invalid_csv_header",
            field=missing[0],
        )
    units: list[Unit] = []
    seen: set[str] = set()
    for number, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise _row_error(
                "invalid_csv_row",
                None,
                number,
                f"列数应为{len(header)}",
                f"expected {len(header)} columns",
            )
        row = dict(zip(header, cells, strict=True))
        try:
            units.append(_unit_from_row(row, valid_from, valid_to))
        except MinzuError as error:
            raise error.with_row(number) from None
        value = units[-1].code.value
        if value in seen:
            raise _row_error(
                "duplicate_unit_code", "code", number, "区划代码重复", "duplicate unit code"
            )
        seen.add(value)
    return units


def _unit_from_row(
    row: Mapping[str, str], valid_from: datetime.date | None, valid_to: datetime.date | None
) -> Unit:
    code = DivisionCode.parse(row["code"], field="code")
    try:
        level = Level(row["level"].strip())
    except ValueError:
        raise ValidationError(
            "级别无效（应为province、prefecture、county、township或village）",
            "invalid level (expected province, prefecture, county, township or village)",
            code="invalid_level",
            field="level",
        ) from None
    parent_text = row["parent_code"].strip()
    parent = DivisionCode.parse(parent_text, field="parent_code") if parent_text else None
    if parent != code.parent:
        raise ValidationError(
            f"上级代码应为{code.parent or '空'}",
            f"parent_code should be {code.parent or 'empty'}",
            code="parent_mismatch",
            field="parent_code",
        )
    urban_rural = (row.get("urban_rural_code") or "").strip() or None
    return Unit(
        code,
        row["name"],
        level=level,
        valid_from=valid_from,
        valid_to=valid_to,
        urban_rural_code=urban_rural,
    )


class Edition(NamedTuple):
    """A shipped edition of NBS division codes: the date its codes are as of, and its file."""

    effective: datetime.date
    resource: str


#: The shipped editions. ``jiangxi-2019`` is as of 2019-10-31 (NBS). The reference README gives
#: no date for ``jiangxi-2023``; 2023-10-31 is assumed (NBS's usual cut-off date).
EDITIONS: Final[Mapping[str, Edition]] = MappingProxyType(
    {
        "jiangxi-2019": Edition(datetime.date(2019, 10, 31), "data/divisions/jiangxi-2019.csv"),
        "jiangxi-2023": Edition(datetime.date(2023, 10, 31), "data/divisions/jiangxi-2023.csv"),
    }
)


def load_edition(name: str) -> list[Unit]:
    """The units of a shipped edition (package data), ``valid_from`` the edition's date.

    Raises:
        ValidationError: ``code="unknown_edition"``.
    """
    if name not in EDITIONS:
        raise ValidationError(
            f"未知的区划版本（可用：{', '.join(EDITIONS)}）",
            f"unknown edition (available: {', '.join(EDITIONS)})",
            code="unknown_edition",
            field="edition",
        )
    return list(_load_edition(name))


@functools.cache
def _load_edition(name: str) -> tuple[Unit, ...]:
    edition = EDITIONS[name]
    resource = importlib.resources.files("minzu_core").joinpath(edition.resource)
    text = resource.read_text(encoding="utf-8-sig")
    return tuple(_read_rows(io.StringIO(text, newline=""), edition.effective, None))


# --- Diffing editions ------------------------------------------------------------------------

_BASE_SUFFIXES: Final = (
    "街道办事处",
    "社区居民委员会",
    "社区居委会",
    "村民委员会",
    "居民委员会",
    "管理委员会",
    "民族乡",
    "办事处",
    "村委会",
    "居委会",
    "管委会",
    "街道",
    "社区",
    "苏木",
    "嘎查",
    "镇",
    "乡",
    "村",
)


@functools.cache
def _suffixes() -> tuple[str, ...]:
    ethnic = [f"{e.name_zh}乡" for e in all_ethnicities() if e.name_zh.endswith("族")]
    return tuple(sorted({*_BASE_SUFFIXES, *ethnic}, key=lambda s: (-len(s), s)))


def name_stem(name: str) -> str:
    """A unit name without its type suffix (桃花镇 → 桃花, 石门畲族乡 → 石门, 新村村委会 → 新村).

    Only one suffix is removed, and only if at least two characters remain (新村 stays 新村,
    so it matches 新村村委会).
    """
    text = name.strip()
    for suffix in _suffixes():
        if text.endswith(suffix) and len(text) - len(suffix) >= 2:
            return text[: -len(suffix)]
    return text


# Order of changes of one code in a diff: what happened to the old unit, then a creation.
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


def diff_editions(
    old: Iterable[Unit],
    new: Iterable[Unit],
    *,
    effective: datetime.date,
    within: CodeLike | None = None,
) -> list[UnitChange]:
    """Propose the changes that turn edition ``old`` into ``new`` (a proposal to review).

    Level by level, top down:

    - a code in both with another name is ``renamed``; but if the stems are unrelated (neither
      contains the other) and the old stem reappears at another new or renamed code under the
      same parent, the code was reused: the old unit is matched like a disappeared one and the
      new one like an appeared one;
    - a disappeared code is ``recoded`` to an appeared code of the same level under the same
      parent (the parent's new code if it was recoded) whose name has the same stem
      (:func:`name_stem`), carrying both names (桃花镇 360103101 → 桃花街道 360103014);
    - an unmatched disappeared code is ``abolished``, an unmatched appeared code ``created``.

    ``within`` limits both editions to a unit's subtree (itself included). Each edition should
    hold one unit per code (for a repeated code the last one wins). The result is sorted by code.
    """
    root = None if within is None else DivisionCode.parse(within, field="within")

    def index(units: Iterable[Unit]) -> dict[str, Unit]:
        return {u.code.value: u for u in units if root is None or root.contains(u.code)}

    old_units, new_units = index(old), index(new)
    changes: list[UnitChange] = []
    recoded_to: dict[str, str] = {}

    def parent_of(unit: Unit) -> str | None:
        parent = unit.code.parent
        return None if parent is None else parent.value

    def expected_parent(unit: Unit) -> str | None:
        """The parent's code in the new edition (for an old unit)."""
        parent = parent_of(unit)
        return None if parent is None else recoded_to.get(parent, parent)

    for level in Level:
        olds = {v: u for v, u in old_units.items() if u.level is level}
        news = {v: u for v, u in new_units.items() if u.level is level}
        gone = [olds[v] for v in olds.keys() - news.keys()]
        fresh = {v: news[v] for v in news.keys() - olds.keys()}
        renamed = {v for v in olds.keys() & news.keys() if olds[v].name != news[v].name}
        # Where a name could have moved to: appeared codes and codes with a new stem.
        landing: dict[tuple[str | None, str], list[str]] = {}
        for v, unit in news.items():
            if v in fresh or (v in renamed and name_stem(olds[v].name) != name_stem(unit.name)):
                landing.setdefault((parent_of(unit), name_stem(unit.name)), []).append(v)
        for v in sorted(renamed):
            before, after = olds[v], news[v]
            old_stem, new_stem = name_stem(before.name), name_stem(after.name)
            unrelated = old_stem not in new_stem and new_stem not in old_stem
            moved = [w for w in landing.get((expected_parent(before), old_stem), []) if w != v]
            if unrelated and moved:
                gone.append(before)
                fresh[v] = after
            else:
                changes.append(
                    UnitChange(
                        UnitChangeKind.RENAMED,
                        effective,
                        before.code,
                        old_name=before.name,
                        new_name=after.name,
                    )
                )
        candidates: dict[tuple[str | None, str], list[str]] = {}
        for v in sorted(fresh):
            candidates.setdefault((parent_of(fresh[v]), name_stem(fresh[v].name)), []).append(v)
        available = set(fresh)
        for before in sorted(gone, key=lambda u: u.code):
            key = (expected_parent(before), name_stem(before.name))
            match = next((w for w in candidates.get(key, []) if w in available), None)
            if match is None:
                changes.append(
                    UnitChange(
                        UnitChangeKind.ABOLISHED, effective, before.code, old_name=before.name
                    )
                )
                continue
            available.discard(match)
            recoded_to[before.code.value] = match
            changes.append(
                UnitChange(
                    UnitChangeKind.RECODED,
                    effective,
                    before.code,
                    successors=(fresh[match].code,),
                    old_name=before.name,
                    new_name=fresh[match].name,
                )
            )
        changes.extend(
            UnitChange(UnitChangeKind.CREATED, effective, fresh[v].code, new_name=fresh[v].name)
            for v in sorted(available)
        )
    changes.sort(key=lambda c: (c.code.value, _KIND_ORDER[c.kind]))
    return changes
