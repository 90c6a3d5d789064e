"""NBS division files and editions (区划代码文件与版本): reading NBS-format CSV files, the shipped
Jiangxi editions and the diff of two editions into proposed unit changes."""

from __future__ import annotations

import csv
import datetime
import functools
import importlib.resources
import io
import os
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final, NamedTuple, TextIO

from minzu_core.codes.divisions import (
    DivisionCode,
    Level,
)
from minzu_core.codes.ethnicity import all_ethnicities
from minzu_core.errors import MinzuError, ValidationError
from minzu_core.hierarchy.model import (
    _KIND_ORDER,
    CodeLike,
    Unit,
    UnitChange,
    UnitChangeKind,
)

# --- NBS files -----------------------------------------------------------------------------

__all__ = [
    "EDITIONS",
    "Edition",
    "diff_editions",
    "load_edition",
    "name_stem",
    "read_nbs_csv",
]

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
