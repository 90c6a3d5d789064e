"""Memory storage of the organisation section (a mixin of
:class:`~minzu_adapters.memory.MemorySession`).

Records live on the session's generic document layer (``doc_get``/``doc_all``/``doc_insert``/
``doc_update``), one document kind per record class, keyed by
:func:`minzu_core.organisation.org_key`.
One enrollment per trainee and course is kept by a second document kind keyed by
``Enrollment.trainee_key``: the layer's commit-time key check makes it hold across concurrent
sessions, as the SQL unique constraints do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from minzu_core.activities.model import (
    Activity,
    ActivityTotals,
    ActivityType,
    DemonstrationSite,
    Enrollment,
    Honour,
    ServiceHours,
    TrainingCourse,
    VolunteerMembership,
)
from minzu_core.errors import DuplicateError
from minzu_core.organisation.model import (
    Appointment,
    Body,
    Official,
    RankEntry,
    ResponsibilityPolicy,
    Technician,
    in_period,
    periods_of,
)
from minzu_core.organisation.ports import OrgQuery, OrgRecord, OrgT, org_key

__all__ = ["OrganisationMemory"]

_KINDS: dict[type, str] = {
    Body: "org.body",
    Official: "org.official",
    Technician: "org.technician",
    Appointment: "org.appointment",
    ResponsibilityPolicy: "org.policy",
    ActivityType: "org.activity_type",
    Activity: "org.activity",
    TrainingCourse: "org.course",
    Enrollment: "org.enrollment",
    DemonstrationSite: "org.site",
    Honour: "org.honour",
    VolunteerMembership: "org.membership",
    ServiceHours: "org.hours",
}
_ENROLLMENT_KEYS = "org.enrollment_by_trainee"


def _prefix(code: Any, prefixes: tuple[str, ...] | None) -> bool:
    return prefixes is None or str(code.value).startswith(prefixes)


def _range(day: date | None, q: OrgQuery) -> bool:
    if q.date_from is None and q.date_to is None:
        return True
    if day is None:
        return False
    return (q.date_from is None or day >= q.date_from) and (q.date_to is None or day < q.date_to)


def _kind(value: str, q: OrgQuery) -> bool:
    return q.kinds is None or value in q.kinds


def _graded(holder: Official | Technician, q: OrgQuery) -> bool:
    if q.on is None and q.min_order is None:
        return True
    entries = holder.ranks if isinstance(holder, Official) else holder.titles
    for index, since, until in periods_of(entries, holder.left_on):
        holds = until is None if q.on is None else in_period(q.on, since, until)
        if holds:
            entry = entries[index]
            order = entry.rank.order if isinstance(entry, RankEntry) else entry.title.order
            return q.min_order is None or order >= q.min_order
    return False


class OrganisationMemory:
    """Organisation primitives on the generic document layer of the memory session."""

    if TYPE_CHECKING:

        def doc_get(self, kind: str, key: str) -> Any: ...

        def doc_all(self, kind: str) -> list[Any]: ...

        def doc_insert(self, kind: str, key: str, obj: Any) -> None: ...

        def doc_update(self, kind: str, key: str, obj: Any, expected_version: int) -> None: ...

    # -- get, insert, update -------------------------------------------------------------------
    def org_get(self, cls: type[OrgT], key: str) -> OrgT | None:
        """The record of ``cls`` stored under ``key``."""
        found: OrgT | None = self.doc_get(_KINDS[cls], key)
        return found

    def org_insert(self, record: OrgRecord) -> None:
        """Insert a record (and claim the trainee's place in a course for an enrollment)."""
        if isinstance(record, Enrollment):
            if self.doc_get(_ENROLLMENT_KEYS, record.trainee_key) is not None:
                raise DuplicateError(
                    "该学员已报名此培训班",
                    "the trainee is already enrolled in the course",
                    code="duplicate_enrollment",
                    field="person_id" if record.person_id else "official_id",
                )
            self.doc_insert(_KINDS[Enrollment], org_key(record), record)
            self.doc_insert(_ENROLLMENT_KEYS, record.trainee_key, record)
            return
        self.doc_insert(_KINDS[type(record)], org_key(record), record)

    def org_update(self, record: OrgRecord, expected_version: int) -> None:
        """Replace a record whose stored version is ``expected_version``."""
        self.doc_update(_KINDS[type(record)], org_key(record), record, expected_version)
        if isinstance(record, Enrollment):
            self.doc_update(_ENROLLMENT_KEYS, record.trainee_key, record, expected_version)

    # -- queries -------------------------------------------------------------------------------
    def _team_unit(self, team_id: Any) -> Any:
        team = self.doc_get(_KINDS[Body], str(team_id))
        return None if team is None else team.unit_code

    def _matcher(self, cls: type, q: OrgQuery) -> Callable[[Any], bool]:
        p = q.prefixes
        if cls is Body:
            return lambda b: (
                _prefix(b.unit_code, p)
                and _kind(b.kind.value, q)
                and (q.on is None or b.open_on(q.on))
            )
        if cls in (Official, Technician):
            return lambda o: (
                _prefix(o.unit_code, p)
                and (q.minority is None or o.is_minority == q.minority)
                and (q.person_id is None or o.person_id == q.person_id)
                and _graded(o, q)
            )
        if cls is Appointment:
            return lambda a: (
                _prefix(a.unit_code, p)
                and _kind(a.role, q)
                and (q.on is None or a.active_on(q.on))
                and _range(a.start, q)
                and (q.parent_id is None or a.official_id == q.parent_id)
            )
        if cls is Activity:
            return lambda a: (
                _prefix(a.organiser_code, p)
                and _kind(a.type, q)
                and (q.on is None or a.held_on(q.on))
                and _range(a.start, q)
                and (q.parent_id is None or a.body_id == q.parent_id)
                and (q.person_id is None or q.person_id in a.attendee_ids)
            )
        if cls is TrainingCourse:
            return lambda c: (
                _prefix(c.organiser_code, p)
                and _kind(c.type, q)
                and _range(c.start, q)
                and (q.parent_id is None or c.activity_id == q.parent_id)
            )
        if cls is Enrollment:
            return lambda e: self._enrollment_matches(e, q)
        if cls is DemonstrationSite:
            return lambda s: self._site_matches(s, q)
        if cls is Honour:
            return lambda h: (
                _prefix(h.unit_code, p)
                and _range(h.awarded_on, q)
                and (q.parent_id is None or h.ceremony_id == q.parent_id)
                and (q.person_id is None or h.person_id == q.person_id)
            )
        if cls is VolunteerMembership:
            return lambda m: (
                (p is None or _prefix(self._team_unit(m.team_id), p))
                and (q.parent_id is None or m.team_id == q.parent_id)
                and (q.on is None or m.active_on(q.on))
                and (q.person_id is None or m.person_id == q.person_id)
            )
        if cls is ServiceHours:
            return lambda h: (
                (p is None or _prefix(self._team_unit(h.team_id), p))
                and (q.parent_id is None or h.team_id == q.parent_id)
                and _kind(h.kind.value, q)
                and _range(h.served_on, q)
                and (q.person_id is None or h.member_id == q.person_id)
            )
        return lambda _: True  # ActivityType: every stored type

    def _enrollment_matches(self, e: Enrollment, q: OrgQuery) -> bool:
        if q.parent_id is not None and e.course_id != q.parent_id:
            return False
        if q.person_id is not None and q.person_id not in (e.person_id, e.official_id):
            return False
        if q.completed is not None and (e.completed_on is not None) != q.completed:
            return False
        if not _range(e.completed_on if q.completed else e.enrolled_on, q):
            return False
        if q.prefixes is None and q.kinds is None:
            return True
        course = self.doc_get(_KINDS[TrainingCourse], str(e.course_id))
        return (
            course is not None
            and _prefix(course.organiser_code, q.prefixes)
            and _kind(course.type, q)
        )

    @staticmethod
    def _site_matches(s: DemonstrationSite, q: OrgQuery) -> bool:
        if not _prefix(s.unit_code, q.prefixes):
            return False
        if q.parent_id is not None and s.body_id != q.parent_id:
            return False
        if q.kinds is None and q.min_order is None and q.on is None:
            return True
        entry = s.current if q.on is None else s.status_on(q.on)
        return (
            entry is not None
            and _kind(entry.status.value, q)
            and (q.min_order is None or entry.level.order >= q.min_order)
        )

    @staticmethod
    def _order(cls: type) -> Callable[[Any], tuple[Any, ...]]:
        if cls in (Body, Official, Technician, DemonstrationSite):
            return lambda r: (r.unit_code.value, str(r.id))
        if cls is Appointment:
            return lambda a: (a.unit_code.value, a.role, a.start, str(a.id))
        if cls in (Activity, TrainingCourse, VolunteerMembership):
            return lambda r: (r.start, str(r.id))
        if cls is Enrollment:
            return lambda e: (e.enrolled_on, str(e.id))
        if cls is Honour:
            return lambda h: (h.awarded_on, str(h.id))
        if cls is ServiceHours:
            return lambda h: (h.served_on, str(h.id))
        return lambda t: (t.code,)

    def _matching(self, cls: type, q: OrgQuery) -> list[Any]:
        if q.prefixes == ():
            return []
        matches = self._matcher(cls, q)
        return [r for r in self.doc_all(_KINDS[cls]) if matches(r)]

    def org_query(self, cls: type[OrgT], query: OrgQuery) -> list[OrgT]:
        """Records of ``cls`` matching ``query``, ordered, paged."""
        found = sorted(self._matching(cls, query), key=self._order(cls))
        end = None if query.limit is None else query.offset + query.limit
        return found[query.offset : end]

    def org_count(self, cls: type[OrgRecord], query: OrgQuery) -> int:
        """How many records of ``cls`` match ``query``."""
        return len(self._matching(cls, query))

    def activity_totals(self, query: OrgQuery) -> ActivityTotals:
        """Count and sums of the matching activities."""
        found: list[Activity] = self._matching(Activity, query)
        return ActivityTotals(
            activities=len(found),
            participants=sum(a.participants for a in found),
            minority_participants=sum(a.minority_participants for a in found),
            materials=sum(a.materials for a in found),
        )

    def volunteer_hours_by_kind(self, query: OrgQuery) -> dict[str, float]:
        """Hours of the matching records per kind value."""
        sums: dict[str, float] = {}
        for h in self._matching(ServiceHours, query):
            sums[h.kind.value] = round(sums.get(h.kind.value, 0.0) + h.hours, 2)
        return sums
