"""Responsibility (两级责任制): roles, the responsibility policy, appointments, the coverage
report and the chain of who is responsible for a unit.

* :class:`Appointment` — an official holding a role at a unit from ``start`` until ``end``;
* :class:`ResponsibilityPolicy` — the roles each level needs, with minimum and maximum counts
  (:data:`DEFAULT_POLICY` is the seed's rule);
* :func:`coverage_report` — as of a date, every unit that lacks a required role, has too many
  holders, or had a gap or an overlap in a handover;
* :class:`ResponsibilityChain` — the holders at a unit and each unit above it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

import minzu_core.fields as fields
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.fields import HeldPeriod, as_code, invalid
from minzu_core.hierarchy.model import Unit
from minzu_core.labels import Choice
from minzu_core.organisation.cadres import Official

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_ROLES",
    "DESIGNATED_CADRE",
    "ETHNIC_AFFAIRS_OFFICER",
    "FIRST_RESPONSIBLE",
    "LEADING_GROUP_LEADER",
    "LEADING_GROUP_MEMBER",
    "Appointment",
    "ChainLink",
    "CoverageReport",
    "Holder",
    "ResponsibilityChain",
    "ResponsibilityPolicy",
    "Role",
    "RoleRule",
    "Violation",
    "ViolationKind",
    "coverage_report",
]

FIRST_RESPONSIBLE = "first_responsible"
ETHNIC_AFFAIRS_OFFICER = "ethnic_affairs_officer"
DESIGNATED_CADRE = "designated_cadre"
LEADING_GROUP_LEADER = "leading_group_leader"
LEADING_GROUP_MEMBER = "leading_group_member"


@attrs.frozen
class Role:
    """A role of the responsibility network: a code and its Chinese and English labels."""

    code: str = attrs.field(converter=fields.to_vocabulary_code)
    label_zh: str = attrs.field(converter=fields.to_text)
    label_en: str = attrs.field(converter=fields.to_text)


#: The roles of the seed (三级网络两级责任制).
DEFAULT_ROLES: tuple[Role, ...] = (
    Role(LEADING_GROUP_LEADER, "民族工作领导小组组长", "leading group leader"),
    Role(LEADING_GROUP_MEMBER, "民族工作领导小组成员", "leading group member"),
    Role(FIRST_RESPONSIBLE, "第一责任人", "first responsible person"),
    Role(ETHNIC_AFFAIRS_OFFICER, "统战民宗专干", "ethnic and religious affairs officer"),
    Role(DESIGNATED_CADRE, "民族工作指定干部", "designated community (village) cadre"),
)


def _as_limit(value: Any, field: str) -> int:
    """A holder count of a rule: a non-negative integer (``code="invalid_count"``)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise invalid("invalid_count", "人数须为非负整数", "counts are non-negative", field)
    return value


def _as_limit_or_none(value: Any, field: str) -> int | None:
    return None if value is None else _as_limit(value, field)


if TYPE_CHECKING:

    def _limit(value: Any, /) -> int: ...

    def _limit_or_none(value: Any, /) -> int | None: ...

else:
    _limit = fields.bind(_as_limit)
    _limit_or_none = fields.bind(_as_limit_or_none)


@attrs.frozen
class RoleRule:
    """At every unit of ``level``, ``role`` must have between ``min_count`` and ``max_count``
    holders (``max_count=None``: no maximum). ``min_count=0`` makes a role allowed but not
    required."""

    level: Level = attrs.field(converter=fields.to_choice)
    role: str = attrs.field(converter=fields.to_vocabulary_code)
    min_count: int = attrs.field(default=1, converter=_limit)
    max_count: int | None = attrs.field(default=1, converter=_limit_or_none)

    def __attrs_post_init__(self) -> None:
        if self.max_count is not None and self.max_count < max(self.min_count, 1):
            raise invalid(
                "invalid_count",
                "人数上限须不小于下限且至少为 1",
                "max_count must be at least min_count and at least 1",
                "max_count",
            )


@attrs.frozen
class ResponsibilityPolicy:
    """Which roles every unit of a level needs (责任制规则), as data.

    A store holds one policy (``uow.org.set_policy``); without one, :data:`DEFAULT_POLICY`
    applies. A role may be held at a level only if the policy has a rule for it there.
    """

    KEY: ClassVar[str] = "responsibility_policy"

    roles: tuple[Role, ...] = attrs.field(converter=fields.to_records)
    rules: tuple[RoleRule, ...] = attrs.field(converter=fields.to_records)
    name: str = attrs.field(default="default", converter=fields.to_text)
    version: int = 0

    def __attrs_post_init__(self) -> None:
        codes = [r.code for r in self.roles]
        if len(set(codes)) != len(codes):
            raise invalid("duplicate_role", "角色重复", "a role is declared twice", "roles")
        seen: set[tuple[Level, str]] = set()
        for index, rule in enumerate(self.rules):
            if rule.role not in codes:
                raise invalid(
                    "unknown_role",
                    "规则引用了未声明的角色",
                    "a rule names an undeclared role",
                    f"rules[{index}].role",
                )
            if (rule.level, rule.role) in seen:
                raise invalid(
                    "duplicate_rule",
                    "同一级别的同一角色只能有一条规则",
                    "one rule per level and role",
                    f"rules[{index}]",
                )
            seen.add((rule.level, rule.role))

    def role(self, code: str) -> Role:
        """The declared role ``code`` (``ValidationError(code="unknown_role")`` otherwise)."""
        for role in self.roles:
            if role.code == code:
                return role
        raise invalid("unknown_role", "未知的角色", "unknown role", "role")

    def rule(self, level: Level, role: str) -> RoleRule | None:
        """The rule for ``role`` at ``level``, if any."""
        for rule in self.rules:
            if rule.level is level and rule.role == role:
                return rule
        return None

    def rules_for(self, level: Level) -> tuple[RoleRule, ...]:
        """The rules of ``level`` in declaration order."""
        return tuple(r for r in self.rules if r.level is level)

    @property
    def levels(self) -> frozenset[Level]:
        """The levels the policy has rules for."""
        return frozenset(r.level for r in self.rules)

    def allows(self, level: Level, role: str) -> bool:
        """True if ``role`` may be held at a unit of ``level``."""
        return self.rule(level, role) is not None

    def check(self, level: Level, role: str, field: str = "role") -> RoleRule:
        """The rule allowing ``role`` at ``level``, or ``ValidationError(code=
        "role_not_allowed")`` naming ``field``."""
        rule = self.rule(level, role)
        if rule is None:
            allowed = [r.role for r in self.rules_for(level)]
            raise invalid(
                "role_not_allowed",
                f"责任制规则不允许在{level.label_zh}单位设此角色",
                f"the responsibility policy does not allow this role at a {level.label_en} unit",
                field,
                allowed=allowed,
            )
        return rule


#: The seed's rules: 区 — a leading group (one leader, at least one member); 街道(镇) — one
#: 第一责任人 (the 党(工)委书记) and one 统战民宗专干; 社区(村) — one 第一责任人 (the 支部书记)
#: and one designated cadre.
DEFAULT_POLICY = ResponsibilityPolicy(
    roles=DEFAULT_ROLES,
    rules=(
        RoleRule(Level.COUNTY, LEADING_GROUP_LEADER, 1, 1),
        RoleRule(Level.COUNTY, LEADING_GROUP_MEMBER, 1, None),
        RoleRule(Level.TOWNSHIP, FIRST_RESPONSIBLE, 1, 1),
        RoleRule(Level.TOWNSHIP, ETHNIC_AFFAIRS_OFFICER, 1, 1),
        RoleRule(Level.VILLAGE, FIRST_RESPONSIBLE, 1, 1),
        RoleRule(Level.VILLAGE, DESIGNATED_CADRE, 1, 1),
    ),
    name="三级网络两级责任制 (seed default)",
)


@attrs.frozen
class Appointment(HeldPeriod):
    """An official holds ``role`` at ``unit_code`` on ``start <= d < end`` (任职).

    ``basis`` is the document that made the appointment (任命文件, e.g. 西统字〔2019〕5号);
    ``body_id`` optionally names the body the role belongs to (e.g. the leading group).
    """

    official_id: uuid.UUID = attrs.field(converter=fields.to_uuid)
    role: str = attrs.field(converter=fields.to_vocabulary_code)
    unit_code: DivisionCode = attrs.field(converter=fields.to_code)
    start: date = attrs.field(converter=fields.to_date)
    end: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    basis: str = attrs.field(default="", converter=fields.to_text_or_empty)
    body_id: uuid.UUID | None = attrs.field(default=None, converter=fields.to_uuid_or_none)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, converter=fields.to_uuid)
    version: int = 0


# -- coverage ------------------------------------------------------------------------------------
class ViolationKind(Choice):
    """What is wrong with a unit's role (责任落实问题)."""

    MISSING = "missing", "缺少", "missing"
    EXCESS = "excess", "超员", "too many"
    GAP = "gap", "交接空档", "handover gap"
    OVERLAP = "overlap", "交接重叠", "handover overlap"


@attrs.frozen(order=False)
class Violation:
    """One finding of the coverage report.

    * ``missing`` — on the report date the role has fewer than ``min_count`` holders; ``start``
      is the first day of the shortfall (``None``: the role was never filled), ``end`` is None;
    * ``excess`` — on the report date it has more than ``max_count``; ``start`` is the first day
      of the excess;
    * ``gap`` — a past shortfall ``[start, end)`` after the role had been filled, over by the
      report date (the handover left the unit without a holder);
    * ``overlap`` — a past excess ``[start, end)`` over by the report date (two holders at
      once during a handover).

    ``count`` is the number of holders on the report date (missing, excess), or the fewest
    (gap) or most (overlap) during the period. ``appointment_ids`` are the appointments of the
    unit and role (started by the report date) involved, by start: for ``excess``/``overlap``
    those holding on some day of the period; for ``missing``/``gap`` also those ending on its
    first day or starting on its ``end`` (the predecessor and successor of a handover).
    """

    kind: ViolationKind
    unit_code: DivisionCode
    role: str
    start: date | None
    end: date | None
    count: int
    min_count: int
    max_count: int | None
    unit_name: str = ""
    appointment_ids: tuple[uuid.UUID, ...] = ()

    def describe(self, policy: ResponsibilityPolicy | None = None) -> str:
        """One line in Chinese and English (no personal data)."""
        role = self.role
        if policy is not None:
            found = next((r for r in policy.roles if r.code == self.role), None)
            if found is not None:
                role = f"{found.label_zh} {found.label_en}"
        span = f"{self.start.isoformat() if self.start else '…'}→"
        span += self.end.isoformat() if self.end else "now"
        limits = f"{self.min_count}..{'' if self.max_count is None else self.max_count}"
        unit = f"{self.unit_code.short} {self.unit_name}".strip()
        return (
            f"{self.kind.label_zh} {self.kind.label_en}: {unit} | {role} | {span} | "
            f"holders {self.count} (required {limits})"
        )


@attrs.frozen
class CoverageReport:
    """The coverage of the responsibility network as of ``as_of`` (责任落实情况).

    Attributes:
        as_of: the report date.
        since: gaps and overlaps ending on or before this date are left out (``None``: all).
        checked: the units checked (valid on ``as_of``, at a level the policy has rules for).
        violations: every finding, ordered by unit code, then the policy's rule order, then
            date.
    """

    as_of: date
    since: date | None
    checked: tuple[DivisionCode, ...]
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        """True if nothing was found."""
        return not self.violations

    @property
    def fully_covered(self) -> tuple[DivisionCode, ...]:
        """Checked units with every required role filled on ``as_of`` (no ``missing``)."""
        lacking = {v.unit_code for v in self.violations if v.kind is ViolationKind.MISSING}
        return tuple(c for c in self.checked if c not in lacking)

    def of_kind(self, *kinds: ViolationKind) -> tuple[Violation, ...]:
        """The findings of the given kinds."""
        return tuple(v for v in self.violations if v.kind in kinds)

    def for_unit(self, code: DivisionCode | str) -> tuple[Violation, ...]:
        """The findings of one unit."""
        c = as_code(code, "unit_code")
        return tuple(v for v in self.violations if v.unit_code == c)

    def lines(self, policy: ResponsibilityPolicy | None = None) -> list[str]:
        """The report as text lines (a summary, then one line per finding)."""
        head = (
            f"责任落实情况 coverage as of {self.as_of.isoformat()}: "
            f"{len(self.fully_covered)}/{len(self.checked)} units fully covered, "
            f"{len(self.violations)} findings"
        )
        return [head, *(v.describe(policy) for v in self.violations)]


_DAY = timedelta(days=1)


@attrs.frozen
class _Run:
    status: str  # "low", "ok", "high"
    start: date | None  # None: unbounded in the past
    end: date  # exclusive
    counts: tuple[int, ...]


def _runs(appointments: Sequence[Appointment], rule: RoleRule, as_of: date) -> list[_Run]:
    """The maximal runs of days up to ``as_of`` with the same status (below the minimum,
    within the limits, above the maximum), from the step function of the holder count."""
    deltas: dict[date, int] = {}
    for a in appointments:
        if a.start > as_of:
            continue
        deltas[a.start] = deltas.get(a.start, 0) + 1
        if a.end is not None and a.end <= as_of:
            deltas[a.end] = deltas.get(a.end, 0) - 1
    segments: list[tuple[date | None, date, int]] = []
    start: date | None = None
    count = 0
    for point in sorted(deltas):
        segments.append((start, point, count))
        count += deltas[point]
        start = point
    segments.append((start, as_of + _DAY, count))

    def status(n: int) -> str:
        if n < rule.min_count:
            return "low"
        if rule.max_count is not None and n > rule.max_count:
            return "high"
        return "ok"

    runs: list[_Run] = []
    for seg_start, seg_end, n in segments:
        s = status(n)
        if runs and runs[-1].status == s:
            last = runs[-1]
            runs[-1] = _Run(s, last.start, seg_end, (*last.counts, n))
        else:
            runs.append(_Run(s, seg_start, seg_end, (n,)))
    return runs


def _violations_of(
    unit: Unit,
    rule: RoleRule,
    appointments: Sequence[Appointment],
    as_of: date,
    since: date | None,
) -> list[Violation]:
    found = []
    for run in _runs(appointments, rule, as_of):
        if run.status == "ok":
            continue
        current = run.end > as_of
        if current:
            kind = ViolationKind.MISSING if run.status == "low" else ViolationKind.EXCESS
            count = run.counts[-1]
        else:
            if run.status == "low" and run.start is None:
                continue  # before the role was ever filled: not a handover
            if since is not None and run.end <= since:
                continue
            kind = ViolationKind.GAP if run.status == "low" else ViolationKind.OVERLAP
            count = min(run.counts) if run.status == "low" else max(run.counts)
        lo = run.start or date.min
        if run.status == "low":  # the holders around the shortfall (touching it)
            ids = tuple(
                a.id
                for a in sorted(appointments, key=lambda a: (a.start, str(a.id)))
                if a.start <= min(run.end, as_of) and (a.end is None or a.end >= lo)
            )
        else:  # the holders during the excess
            ids = tuple(
                a.id
                for a in sorted(appointments, key=lambda a: (a.start, str(a.id)))
                if a.start < run.end and a.start <= as_of and (a.end is None or a.end > lo)
            )
        found.append(
            Violation(
                kind=kind,
                unit_code=unit.code,
                role=rule.role,
                start=run.start,
                end=None if current else run.end,
                count=count,
                min_count=rule.min_count,
                max_count=rule.max_count,
                unit_name=unit.name,
                appointment_ids=ids,
            )
        )
    return found


def coverage_report(
    units: Iterable[Unit],
    appointments: Iterable[Appointment],
    policy: ResponsibilityPolicy,
    as_of: date,
    *,
    since: date | None = None,
) -> CoverageReport:
    """Check ``units`` against ``policy`` as of ``as_of`` (pure: the repository passes the units
    valid on that date and their appointments).

    For every unit at a level the policy has rules for, and every rule of that level, the
    holder count ``c(d)`` of each day ``d <= as_of`` is the number of the unit's appointments
    of that role holding on ``d``. Maximal runs of days with ``c < min_count`` or
    ``c > max_count`` are findings: ``missing``/``excess`` if the run reaches ``as_of``,
    otherwise ``gap`` (only after the role had been filled) or ``overlap``; with ``since``,
    past runs that ended on or before it are left out. Appointments of roles without a rule at
    the unit's level are ignored.
    """
    by_key: dict[tuple[DivisionCode, str], list[Appointment]] = {}
    for a in appointments:
        by_key.setdefault((a.unit_code, a.role), []).append(a)
    checked: list[DivisionCode] = []
    violations: list[Violation] = []
    seen: set[DivisionCode] = set()
    for unit in sorted(units, key=lambda u: u.code.value):
        if unit.code in seen or not unit.valid_on(as_of):
            continue
        rules = policy.rules_for(unit.level)
        if not rules:
            continue
        seen.add(unit.code)
        checked.append(unit.code)
        for rule in rules:
            held = by_key.get((unit.code, rule.role), [])
            violations.extend(_violations_of(unit, rule, held, as_of, since))
    return CoverageReport(
        as_of=as_of, since=since, checked=tuple(checked), violations=tuple(violations)
    )


# -- who is responsible --------------------------------------------------------------------------
@attrs.frozen
class Holder:
    """One appointment holding on the chain's date, with its official (if readable)."""

    appointment: Appointment
    official: Official | None

    @property
    def role(self) -> str:
        """The role held."""
        return self.appointment.role


@attrs.frozen
class ChainLink:
    """A unit of the chain and the appointments holding there on the chain's date."""

    unit: Unit
    holders: tuple[Holder, ...]

    def of_role(self, role: str) -> tuple[Holder, ...]:
        """The holders of ``role``."""
        return tuple(h for h in self.holders if h.role == role)


@attrs.frozen
class ResponsibilityChain:
    """Who is responsible for ``unit_code`` on ``on``: the unit itself, then each unit above
    it up to the county (district), nearest first."""

    unit_code: DivisionCode
    on: date
    links: tuple[ChainLink, ...]

    def first_responsible(self) -> tuple[Holder, ...]:
        """The 第一责任人 holders along the chain, nearest first."""
        return tuple(h for link in self.links for h in link.of_role(FIRST_RESPONSIBLE))

    def lines(self, policy: ResponsibilityPolicy | None = None) -> list[str]:
        """The chain as text lines: each unit and the roles held there (no names)."""
        out = []
        for link in self.links:
            counts: dict[str, int] = {}
            for h in link.holders:
                counts[h.role] = counts.get(h.role, 0) + 1
            roles = []
            for role, n in counts.items():
                label = role
                if policy is not None:
                    found = next((r for r in policy.roles if r.code == role), None)
                    label = found.label_zh if found else role
                roles.append(label if n == 1 else f"{label}×{n}")
            out.append(f"{link.unit.code.short} {link.unit.name}: {', '.join(roles) or '-'}")
        return out
