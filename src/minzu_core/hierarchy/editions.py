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

import attrs

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
    "ProposedChange",
    "diff_editions",
    "load_edition",
    "name_stem",
    "propose_edition_changes",
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


#: County-level designations (县级单位的通名), removed for matching only (龙南县 ~ 龙南市).
_COUNTY_SUFFIXES: Final = ("自治县", "县", "市", "区", "旗")
#: Township-level designations beyond :func:`name_stem`'s, for matching only (红角洲管理处 ~
#: 红角洲街道).
_TOWNSHIP_EXTRA_SUFFIXES: Final = ("管理处",)


def _strip_one(text: str, suffixes: Iterable[str]) -> str:
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) - len(suffix) >= 2:
            return text[: -len(suffix)]
    return text


def _match_key(unit: Unit) -> str:
    """The name without its administrative designation: what "the same name" means here."""
    if unit.level is Level.COUNTY:
        return _strip_one(unit.name.strip(), _COUNTY_SUFFIXES)
    return name_stem(_strip_one(unit.name.strip(), _TOWNSHIP_EXTRA_SUFFIXES))


@attrs.frozen
class ProposedChange:
    """One proposed change of an edition diff, with how sure the rule is and why it was proposed.

    ``change`` is the plain :class:`UnitChange` (what ``apply_change`` takes); ``confidence`` is
    0–1 (1: the same code or the same name under the same parent; lower where a reviewer should
    look); ``rule`` a stable name of the rule that proposed it; ``reason_zh``/``reason_en`` say
    why, naming the units (public division names and codes, no personal data).
    """

    change: UnitChange
    confidence: float
    rule: str
    reason_zh: str
    reason_en: str


# Rules and their confidences.
_CONFIDENCE: Final = {
    "renamed": 1.0,
    "renamed_unrelated": 0.6,
    "recoded_same_name": 0.95,
    "recoded_new_designation": 0.9,
    "moved_same_name": 0.8,
    "moved_new_designation": 0.7,
    "abolished": 0.6,
    "created": 0.6,
}


def diff_editions(
    old: Iterable[Unit],
    new: Iterable[Unit],
    *,
    effective: datetime.date,
    within: CodeLike | None = None,
    follow_units: bool = True,
) -> list[UnitChange]:
    """The plain changes of :func:`propose_edition_changes` (a proposal to review: look at
    its confidences and reasons before applying them).

    By default the full rules apply: units are followed across parents of the same prefecture
    and through a change of designation, and merges and splits are proposed from where the
    children went. With ``follow_units=False`` only the same-parent rules apply (no match across
    parents, no designation change of a county, no merge or split).
    """
    proposals = propose_edition_changes(
        old, new, effective=effective, within=within, follow_units=follow_units
    )
    return [p.change for p in proposals]


def propose_edition_changes(
    old: Iterable[Unit],
    new: Iterable[Unit],
    *,
    effective: datetime.date,
    within: CodeLike | None = None,
    follow_units: bool = True,
) -> list[ProposedChange]:
    """Propose the changes that turn edition ``old`` into ``new``, each with a confidence and a
    reason, for a person to review before applying (:attr:`ProposedChange.change`).

    Level by level, top down:

    - a code in both with another name is ``renamed``; but if the stems are unrelated (neither
      contains the other) and the old stem reappears at another new or renamed code under the
      same parent, the code was reused: the old unit is matched like a disappeared one and the
      new one like an appeared one;
    - a disappeared code is ``recoded`` to an appeared code of the same level under the same
      parent (the parent's new code if it was recoded) with the same name, ignoring the
      administrative designation (县/市/区/旗 for a county; 乡/镇/街道/管理处… for a township,
      :func:`name_stem`): 桃花镇 360103101 → 桃花街道 360103014, 龙南县 360727 → 龙南市 360783;
    - ``follow_units`` only: a disappeared township or village still unmatched is ``recoded`` to
      an appeared one under another parent in the same prefecture if it is the only one there
      with that name on both sides (站前街道 360105001 → 360112001, 蛟桥镇 → 蛟桥街道 360112003);
    - an unmatched disappeared code is ``abolished``, an unmatched appeared code ``created``;
    - ``follow_units`` only: an abolished unit whose children went elsewhere is ``merged`` into
      the one unit that received them (湾里区 360105 → 新建区 360112) or ``split`` among several,
      with the share of its children that went there as the confidence.

    Without ``follow_units`` only the same-parent rules apply and a designation is matched by
    :func:`name_stem` alone. ``within`` limits both editions to a unit's subtree (itself
    included). Each edition should hold one unit per code (for a repeated code the last one
    wins). The result is sorted by code.
    """
    root = None if within is None else DivisionCode.parse(within, field="within")

    def index(units: Iterable[Unit]) -> dict[str, Unit]:
        return {u.code.value: u for u in units if root is None or root.contains(u.code)}

    return _Differ(index(old), index(new), effective, follow_units).run()


def _parent_of(unit: Unit) -> str | None:
    parent = unit.code.parent
    return None if parent is None else parent.value


class _Differ:
    """The state of one diff: the editions, the recodes so far and the proposals."""

    def __init__(
        self,
        olds: dict[str, Unit],
        news: dict[str, Unit],
        effective: datetime.date,
        follow_units: bool,
    ) -> None:
        self.olds, self.news = olds, news
        self.effective = effective
        self.follow = follow_units
        self.key = _match_key if follow_units else (lambda u: name_stem(u.name))
        self.recoded_to: dict[str, str] = {}
        self.proposals: list[ProposedChange] = []

    def run(self) -> list[ProposedChange]:
        for level in Level:
            self._level(level)
        if self.follow:
            self._merges_and_splits()
        self.proposals.sort(key=lambda p: (p.change.code.value, _KIND_ORDER[p.change.kind]))
        return self.proposals

    def _propose(
        self, kind: UnitChangeKind, unit: Unit, rule: str, zh: str, en: str, **fields: object
    ) -> None:
        change = UnitChange(kind, self.effective, unit.code, **fields)
        self.proposals.append(ProposedChange(change, _CONFIDENCE[rule], rule, zh, en))

    def expected_parent(self, unit: Unit) -> str | None:
        """The parent's code in the new edition (for an old unit)."""
        parent = _parent_of(unit)
        return None if parent is None else self.recoded_to.get(parent, parent)

    def _prefecture(self, value: str | None) -> str | None:
        """The (new) prefecture a new-edition parent code lies in."""
        if value is None:
            return None
        code = DivisionCode(value)
        while code.parent is not None and code.level > Level.PREFECTURE:
            code = code.parent
        return code.value if code.level is Level.PREFECTURE else None

    def _level(self, level: Level) -> None:
        olds = {v: u for v, u in self.olds.items() if u.level is level}
        news = {v: u for v, u in self.news.items() if u.level is level}
        gone = [olds[v] for v in olds.keys() - news.keys()]
        fresh = {v: news[v] for v in news.keys() - olds.keys()}
        renamed = {v for v in olds.keys() & news.keys() if olds[v].name != news[v].name}
        key = self.key
        # Where a name could have moved to: appeared codes and codes with a new stem.
        landing: dict[tuple[str | None, str], list[str]] = {}
        for v, unit in news.items():
            if v in fresh or (v in renamed and key(olds[v]) != key(unit)):
                landing.setdefault((_parent_of(unit), key(unit)), []).append(v)
        for v in sorted(renamed):
            before, after = olds[v], news[v]
            old_stem, new_stem = key(before), key(after)
            unrelated = old_stem not in new_stem and new_stem not in old_stem
            moved = [w for w in landing.get((self.expected_parent(before), old_stem), []) if w != v]
            if unrelated and moved:
                gone.append(before)
                fresh[v] = after
                continue
            rule = "renamed_unrelated" if unrelated else "renamed"
            self._propose(
                UnitChangeKind.RENAMED,
                before,
                rule,
                f"代码不变，名称由{before.name}改为{after.name}"
                + ("（名称无关联，请核对是否为代码复用）" if unrelated else ""),
                f"same code, renamed {before.name} to {after.name}"
                + (" (unrelated names: check whether the code was reused)" if unrelated else ""),
                old_name=before.name,
                new_name=after.name,
            )
        available = self._match(gone, fresh, same_parent=True)
        if self.follow and level > Level.COUNTY:
            available = self._match(
                [u for u in gone if u.code.value not in self.recoded_to], fresh, available
            )
        for before in sorted(gone, key=lambda u: u.code):
            if before.code.value not in self.recoded_to:
                self._propose(
                    UnitChangeKind.ABOLISHED,
                    before,
                    "abolished",
                    f"新版本中没有同名的{level.label_zh}单位",
                    f"no {level.label_en} unit of that name in the new edition",
                    old_name=before.name,
                )
        for v in sorted(available):
            self._propose(
                UnitChangeKind.CREATED,
                fresh[v],
                "created",
                f"旧版本中没有同名的{level.label_zh}单位",
                f"no {level.label_en} unit of that name in the old edition",
                new_name=fresh[v].name,
            )

    def _match(
        self,
        gone: list[Unit],
        fresh: Mapping[str, Unit],
        available: set[str] | None = None,
        *,
        same_parent: bool = False,
    ) -> set[str]:
        """Recode disappeared units to appeared ones of the same name; the unmatched appeared.

        ``same_parent``: under the (recoded) parent, the first free candidate in code order;
        else within the prefecture, only where the name is unique there on both sides.
        """
        free = set(fresh) if available is None else set(available)

        def scope_of_new(unit: Unit) -> str | None:
            parent = _parent_of(unit)
            return parent if same_parent else self._prefecture(parent)

        def scope_of_old(unit: Unit) -> str | None:
            parent = self.expected_parent(unit)
            return parent if same_parent else self._prefecture(parent)

        candidates: dict[tuple[str | None, str], list[str]] = {}
        for v in sorted(free):
            candidates.setdefault((scope_of_new(fresh[v]), self.key(fresh[v])), []).append(v)
        wanted: dict[tuple[str | None, str], int] = {}
        for before in gone:
            k = (scope_of_old(before), self.key(before))
            wanted[k] = wanted.get(k, 0) + 1
        for before in sorted(gone, key=lambda u: u.code):
            k = (scope_of_old(before), self.key(before))
            options = [w for w in candidates.get(k, []) if w in free]
            if not options or (not same_parent and (len(options) > 1 or wanted[k] > 1)):
                continue
            match = options[0]
            free.discard(match)
            self.recoded_to[before.code.value] = match
            self._propose_recode(before, fresh[match], same_parent)
        return free

    def _propose_recode(self, before: Unit, after: Unit, same_parent: bool) -> None:
        same_name = before.name == after.name
        if same_parent:
            rule = "recoded_same_name" if same_name else "recoded_new_designation"
            zh, en = "同一上级下同名", "the same name under the same parent"
        else:
            rule = "moved_same_name" if same_name else "moved_new_designation"
            old_parent = self.olds.get(_parent_of(before) or "")
            new_parent = self.news.get(_parent_of(after) or "")
            zh = (
                f"由{_label(old_parent, _parent_of(before))}移至同一地级的"
                f"{_label(new_parent, _parent_of(after))}，且该地级内名称唯一"
            )
            en = (
                f"moved from {_label(old_parent, _parent_of(before))} to "
                f"{_label(new_parent, _parent_of(after))} in the same prefecture, "
                "the only unit of that name there"
            )
        if not same_name:
            zh += f"（通名改变：{before.name} → {after.name}）"
            en += f" (designation changed: {before.name} → {after.name})"
        self._propose(
            UnitChangeKind.RECODED,
            before,
            rule,
            zh,
            en,
            successors=(after.code,),
            old_name=before.name,
            new_name=after.name,
        )

    def _merges_and_splits(self) -> None:
        """Turn an abolished parent whose children went elsewhere into a merge or a split."""
        children: dict[str, list[str]] = {}
        for v, unit in self.olds.items():
            parent = _parent_of(unit)
            if parent is not None and parent in self.olds:
                children.setdefault(parent, []).append(v)
        for i, proposal in enumerate(self.proposals):
            change = proposal.change
            kids = children.get(change.code.value)
            if change.kind is not UnitChangeKind.ABOLISHED or not kids:
                continue
            went: dict[str, int] = {}
            for kid in kids:
                target = self.recoded_to.get(kid)
                home = None if target is None else DivisionCode(target).parent
                if home is not None and home.value in self.news:
                    went[home.value] = went.get(home.value, 0) + 1
            if not went:
                continue
            moved = sum(went.values())
            share = moved / len(kids)
            labels = [_label(self.news[w], w) for w in sorted(went)]
            names, names_en = "、".join(labels), ", ".join(labels)
            merged = len(went) == 1
            kind = UnitChangeKind.MERGED if merged else UnitChangeKind.SPLIT
            verb_zh, verb_en = ("并入", "merged into") if merged else ("分入", "split among")
            self.proposals[i] = ProposedChange(
                UnitChange(
                    kind,
                    self.effective,
                    change.code,
                    successors=tuple(sorted(went)),
                    old_name=change.old_name,
                ),
                round(share * (0.9 if merged else 0.8), 2),
                "merged" if merged else "split",
                f"{len(kids)}个下级中{moved}个{verb_zh}{names}",
                f"{moved} of its {len(kids)} child units {verb_en} {names_en}",
            )


def _label(unit: Unit | None, value: str | None) -> str:
    if value is None:
        return "-"
    short = DivisionCode(value).short
    return short if unit is None else f"{unit.name} {short}"
