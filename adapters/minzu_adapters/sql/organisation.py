"""SQL storage of the organisation section (a mixin of
:class:`~minzu_adapters.sql.store.SqlSession`).

One table per record class; the dated histories of officials (ranks), technicians (titles) and
demonstration sites (statuses) live in child tables with a derived ``until`` column (the next
entry's date, or the day of leaving), so that "rank on D at least R" or "named on D" is an
``EXISTS`` over ``since <= D < until``. Every filter of
:class:`~minzu_core.organisation.OrgQuery` is a
``WHERE`` clause, counts and sums are one aggregate statement, and a page of records comes back
with its child rows in one more statement. The store's responsibility policy is a JSON document
in ``org_settings``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    Text,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
)

from minzu_adapters.sql.errors import DuplicateFactory, duplicate, duplicate_id
from minzu_adapters.sql.session import SessionCore, prefix_match
from minzu_core.activities import model as activities
from minzu_core.organisation.bodies import Body
from minzu_core.organisation.cadres import Official, Technician, periods_of
from minzu_core.organisation.ports import ORG_RECORDS, OrgQuery, OrgRecord, OrgT, org_record_kind
from minzu_core.organisation.responsibility import Appointment, ResponsibilityPolicy
from minzu_core.serialization import structure, unstructure

__all__ = ["OrganisationStorage"]

_CHUNK = 500


@attrs.frozen
class _Child:
    """A child table holding a record's dated history."""

    table: str  # attribute of Tables
    parent_column: str
    field: str  # the record's tuple field
    order: str  # the column of the entry's order (rank, title, level)
    kind: str | None = None  # the column OrgQuery.kinds filters, if any


@attrs.frozen
class _Spec:
    """Where a record class lives: its table, the order of its listings (columns) and the child
    table of its dated history, if any; its key and label come from the core's registry."""

    table: str  # attribute of Tables
    order: tuple[str, ...]  # the columns org_query orders by
    child: _Child | None = None


_UNIT_ORDER = ("unit_code", "id")

#: The storage of each record class, by its name in the core's registry
#: (:data:`~minzu_core.organisation.ports.ORG_RECORDS`).
_STORED: dict[str, _Spec] = {
    "body": _Spec("bodies", _UNIT_ORDER),
    "official": _Spec(
        "officials",
        _UNIT_ORDER,
        _Child("official_ranks", "official_id", "ranks", "rank_order"),
    ),
    "technician": _Spec(
        "technicians",
        _UNIT_ORDER,
        _Child("technician_titles", "technician_id", "titles", "title_order"),
    ),
    "appointment": _Spec("appointments", ("unit_code", "role", "start", "id")),
    "policy": _Spec("org_settings", ()),
    "activity_type": _Spec("activity_types", ("code",)),
    "activity": _Spec("activities", ("start", "id")),
    "course": _Spec("training_courses", ("start", "id")),
    "enrollment": _Spec("enrollments", ("enrolled_on", "id")),
    "site": _Spec(
        "demonstration_sites",
        _UNIT_ORDER,
        _Child("site_statuses", "site_id", "statuses", "level_order", "status"),
    ),
    "honour": _Spec("honours", ("awarded_on", "id")),
    "membership": _Spec("volunteer_members", ("start", "id")),
    "hours": _Spec("volunteer_hours", ("served_on", "id")),
}
_SPECS: dict[type, _Spec] = {cls: _STORED[kind.name] for cls, kind in ORG_RECORDS.items()}


_duplicate_enrollment = duplicate(
    "该学员已报名此培训班",
    "the trainee is already enrolled in the course",
    code="duplicate_enrollment",
    field="person_id",
)


def _duplicate(cls: type) -> DuplicateFactory:
    if cls is activities.Enrollment:
        return _duplicate_enrollment
    return duplicate_id(org_record_kind(cls).label_zh, cls.__name__, "key")


def _child_rows(record: OrgRecord, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The history rows of a record (with the derived ``until``); pops the field from data."""
    if isinstance(record, Official | Technician):
        entries: Sequence[Any]
        if isinstance(record, Official):
            entries, name, parent = record.ranks, "rank", "official_id"
        else:
            entries, name, parent = record.titles, "title", "technician_id"
        data.pop(f"{name}s")
        rows = []
        for index, since, until in periods_of(entries, record.left_on):
            grade = getattr(entries[index], name)
            rows.append(
                {
                    parent: str(record.id),
                    "seq": index,
                    name: grade.value,
                    f"{name}_order": grade.order,
                    "since": since,
                    "until": until,
                    "basis": entries[index].basis,
                }
            )
        return rows
    if isinstance(record, activities.DemonstrationSite):
        data.pop("statuses")
        return [
            {
                "site_id": str(record.id),
                "seq": index,
                "status": entry.status.value,
                "level": entry.level.value,
                "level_order": entry.level.order,
                "since": entry.since,
                "until": until,
                "basis": entry.basis,
            }
            for index, (entry, until) in enumerate(record.periods())
        ]
    return []


class OrganisationStorage(SessionCore):
    """The organisation primitives of :class:`~minzu_adapters.sql.store.SqlSession`."""

    def _table(self, cls: type) -> Table:
        table: Table = getattr(self._t, _SPECS[cls].table)
        return table

    # -- rows ----------------------------------------------------------------------------------
    def _rows(self, record: OrgRecord) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        cls = type(record)
        spec = _SPECS[cls]
        data = unstructure(record)
        if isinstance(record, ResponsibilityPolicy):
            version = data.pop("version")
            return {"key": ResponsibilityPolicy.KEY, "data": data, "version": version}, []
        children = _child_rows(record, data)
        row = self._bind(self._table(cls), data)
        if spec.child is None:
            return row, []
        child_table: Table = getattr(self._t, spec.child.table)
        return row, [self._bind(child_table, c, f"{spec.child.field}.") for c in children]

    def _load(self, cls: type[OrgT], rows: Sequence[Row[Any]]) -> list[OrgT]:
        """Records from their rows, with their child rows fetched in one statement per
        ``_CHUNK`` records."""
        if cls is ResponsibilityPolicy:
            return [
                structure({**r._mapping["data"], "version": r._mapping["version"]}, cls)
                for r in rows
            ]
        names = [f.name for f in attrs.fields(cls)]
        spec = _SPECS[cls]
        entries: dict[str, list[dict[str, Any]]] = {}
        if spec.child is not None and rows:
            child: Table = getattr(self._t, spec.child.table)
            parent = child.c[spec.child.parent_column]
            ids = [r._mapping["id"] for r in rows]
            for start in range(0, len(ids), _CHUNK):
                stmt = (
                    select(child)
                    .where(parent.in_(ids[start : start + _CHUNK]))
                    .order_by(parent, child.c.seq)
                )
                for c in self._all(stmt):
                    entries.setdefault(c._mapping[spec.child.parent_column], []).append(
                        dict(c._mapping)
                    )
        found = []
        for row in rows:
            m = row._mapping
            data = {n: m[n] for n in names if n in m}
            if spec.child is not None:
                data[spec.child.field] = entries.get(m["id"], [])
            found.append(structure(data, cls))
        return found

    # -- primitives ----------------------------------------------------------------------------
    def org_get(self, cls: type[OrgT], key: str) -> OrgT | None:
        """The record of ``cls`` stored under ``key``, or ``None``."""
        t = self._table(cls)
        rows = self._all(select(t).where(t.c[org_record_kind(cls).key_field] == key))
        found = self._load(cls, rows)
        return found[0] if found else None

    def org_insert(self, record: OrgRecord) -> None:
        """Store a new record (and its history rows)."""
        cls = type(record)
        row, children = self._rows(record)
        if isinstance(record, activities.Enrollment):
            self._check_enrollment(record)
        with self._write(_duplicate(cls), several=bool(children)) as conn:
            conn.execute(insert(self._table(cls)), row)
            child = _SPECS[cls].child
            if children and child is not None:
                conn.execute(insert(getattr(self._t, child.table)), children)

    def _check_enrollment(self, record: activities.Enrollment) -> None:
        e = self._t.enrollments
        trainee = (
            e.c.person_id == str(record.person_id)
            if record.person_id is not None
            else e.c.official_id == str(record.official_id)
        )
        stmt = select(e.c.id).where(e.c.course_id == str(record.course_id), trainee)
        if self._all(stmt):
            raise _duplicate_enrollment()

    def org_update(self, record: OrgRecord, expected_version: int) -> None:
        """Replace a record (and rewrite its history rows) if its stored version is
        ``expected_version``."""
        cls = type(record)
        spec = _SPECS[cls]
        t = self._table(cls)
        row, children = self._rows(record)
        key_field = org_record_kind(cls).key_field
        key = row.pop(key_field)
        key_column = t.c[key_field]
        what = cls.__name__
        with self._versioned_update(
            what,
            key_column,
            key,
            row,
            expected_version,
            _duplicate(cls),
            several=spec.child is not None,
        ) as conn:
            if spec.child is not None:
                child: Table = getattr(self._t, spec.child.table)
                conn.execute(delete(child).where(child.c[spec.child.parent_column] == key))
                if children:
                    conn.execute(insert(child), children)

    # -- conditions ----------------------------------------------------------------------------
    def _conditions(self, cls: type, q: OrgQuery) -> list[ColumnElement[bool]]:
        t = self._table(cls)
        conds: list[ColumnElement[bool]] = []

        def prefix(column: Any) -> None:
            if q.prefixes is not None:
                conds.append(prefix_match(column, q.prefixes))

        def kinds(column: Any) -> None:
            if q.kinds is not None:
                conds.append(column.in_(sorted(q.kinds)))

        def dates(column: Any) -> None:
            if q.date_from is not None:
                conds.append(column >= q.date_from)
            if q.date_to is not None:
                conds.append(column < q.date_to)

        def active(start: Any, end: Any) -> None:
            if q.on is not None:
                conds.append(start <= q.on)
                conds.append(or_(end.is_(None), end > q.on))

        def equals(column: Any, value: Any) -> None:
            if value is not None:
                conds.append(column == str(value))

        def via(parent: Table, column: Any) -> None:
            if q.prefixes is not None:
                conds.append(
                    select(literal(1))
                    .where(parent.c.id == column, prefix_match(parent.c.unit_code, q.prefixes))
                    .exists()
                )

        if cls is Body:
            prefix(t.c.unit_code)
            kinds(t.c.kind)
            active(t.c.opened, t.c.closed)
        elif cls in (Official, Technician):
            prefix(t.c.unit_code)
            if q.minority is not None:
                conds.append(t.c.ethnicity != "01" if q.minority else t.c.ethnicity == "01")
            equals(t.c.person_id, q.person_id)
            if q.on is not None or q.min_order is not None:
                conds.append(self._dated(cls, t, q))
        elif cls is Appointment:
            prefix(t.c.unit_code)
            kinds(t.c.role)
            active(t.c.start, t.c.end)
            dates(t.c.start)
            equals(t.c.official_id, q.parent_id)
        elif cls is activities.Activity:
            prefix(t.c.organiser_code)
            kinds(t.c.type)
            active(t.c.start, t.c.end)
            dates(t.c.start)
            equals(t.c.body_id, q.parent_id)
            if q.person_id is not None:
                text = type_coerce(t.c.attendee_ids, Text)
                conds.append(text.contains(f'"{q.person_id}"', autoescape=True))
        elif cls is activities.TrainingCourse:
            prefix(t.c.organiser_code)
            kinds(t.c.type)
            dates(t.c.start)
            equals(t.c.activity_id, q.parent_id)
        elif cls is activities.Enrollment:
            equals(t.c.course_id, q.parent_id)
            if q.person_id is not None:
                pid = str(q.person_id)
                conds.append(or_(t.c.person_id == pid, t.c.official_id == pid))
            if q.completed is not None:
                done = t.c.completed_on
                conds.append(done.is_not(None) if q.completed else done.is_(None))
            dates(t.c.completed_on if q.completed else t.c.enrolled_on)
            if q.prefixes is not None or q.kinds is not None:
                c = self._t.training_courses
                course: list[ColumnElement[bool]] = [c.c.id == t.c.course_id]
                if q.prefixes is not None:
                    course.append(prefix_match(c.c.organiser_code, q.prefixes))
                if q.kinds is not None:
                    course.append(c.c.type.in_(sorted(q.kinds)))
                conds.append(select(literal(1)).where(*course).exists())
        elif cls is activities.DemonstrationSite:
            prefix(t.c.unit_code)
            equals(t.c.body_id, q.parent_id)
            if q.on is not None or q.kinds is not None or q.min_order is not None:
                conds.append(self._dated(cls, t, q))
        elif cls is activities.Honour:
            prefix(t.c.unit_code)
            dates(t.c.awarded_on)
            equals(t.c.ceremony_id, q.parent_id)
            equals(t.c.person_id, q.person_id)
        elif cls is activities.VolunteerMembership:
            via(self._t.bodies, t.c.team_id)
            equals(t.c.team_id, q.parent_id)
            active(t.c.start, t.c.end)
            equals(t.c.person_id, q.person_id)
        elif cls is activities.ServiceHours:
            via(self._t.bodies, t.c.team_id)
            equals(t.c.team_id, q.parent_id)
            kinds(t.c.kind)
            dates(t.c.served_on)
            equals(t.c.member_id, q.person_id)
        return conds

    def _dated(self, cls: type, t: Table, q: OrgQuery) -> ColumnElement[bool]:
        """``EXISTS`` an entry of the record's dated history (rank, title, site status) in
        force on ``q.on`` (no date: the current entry), of one of ``q.kinds`` where the
        history has a kind, and of at least ``q.min_order``."""
        spec = _SPECS[cls].child
        assert spec is not None
        g: Table = getattr(self._t, spec.table)
        entry: list[ColumnElement[bool]] = [g.c[spec.parent_column] == t.c.id]
        if q.on is None:
            entry.append(g.c.until.is_(None))
        else:
            entry += [g.c.since <= q.on, or_(g.c.until.is_(None), g.c.until > q.on)]
        if spec.kind is not None and q.kinds is not None:
            entry.append(g.c[spec.kind].in_(sorted(q.kinds)))
        if q.min_order is not None:
            entry.append(g.c[spec.order] >= q.min_order)
        return select(literal(1)).where(*entry).exists()

    def _order(self, cls: type) -> tuple[Any, ...]:
        t = self._table(cls)
        return tuple(t.c[name] for name in _SPECS[cls].order)

    # -- queries -------------------------------------------------------------------------------
    def org_query(self, cls: type[OrgT], query: OrgQuery) -> list[OrgT]:
        """Records of ``cls`` matching ``query``, ordered and paged in the database."""
        stmt = select(self._table(cls)).where(*self._conditions(cls, query))
        rows = self._page(stmt.order_by(*self._order(cls)), query.limit, query.offset)
        return self._load(cls, rows)

    def org_count(self, cls: type[OrgRecord], query: OrgQuery) -> int:
        """How many records of ``cls`` match ``query``: one ``SELECT count(*)``."""
        return self._count(self._table(cls), self._conditions(cls, query))

    def activity_totals(self, query: OrgQuery) -> activities.ActivityTotals:
        """Count and sums of the matching activities: one aggregate statement."""
        a = self._t.activities
        stmt = select(
            func.count(),
            func.coalesce(func.sum(a.c.participants), 0),
            func.coalesce(func.sum(a.c.minority_participants), 0),
            func.coalesce(func.sum(a.c.materials), 0),
        ).where(*self._conditions(activities.Activity, query))
        n, total, minority, materials = (int(v) for v in tuple(self._all(stmt)[0]))
        return activities.ActivityTotals(n, total, minority, materials)

    def volunteer_hours_by_kind(self, query: OrgQuery) -> dict[str, float]:
        """Hours per kind of the matching records: one ``GROUP BY`` statement."""
        h = self._t.volunteer_hours
        stmt = (
            select(h.c.kind, func.sum(h.c.hours))
            .where(*self._conditions(activities.ServiceHours, query))
            .group_by(h.c.kind)
        )
        sums: dict[str, float] = {}
        for row in self._all(stmt):
            kind, hours = tuple(row)
            sums[str(kind)] = round(float(hours), 2)
        return sums
