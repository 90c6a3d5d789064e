"""Memory storage of the organisation section (组织与活动): one document kind per record class,
keyed by :func:`~minzu_core.organisation.ports.org_key`. One enrollment per trainee and course is a
:class:`~minzu_adapters.memory.session.Unique` rule on ``Enrollment.trainee_key``, held across
concurrent sessions as the SQL unique constraint holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date
from typing import Any

from minzu_adapters.memory.session import DocumentSession, Kind, Unique, id_kind, in_prefixes, page
from minzu_core.activities import model as activities
from minzu_core.errors import DuplicateError
from minzu_core.fields import in_period
from minzu_core.organisation.bodies import Body
from minzu_core.organisation.cadres import Official, RankEntry, Technician, periods_of
from minzu_core.organisation.ports import ORG_RECORDS, OrgQuery, OrgRecord, OrgT
from minzu_core.organisation.responsibility import Appointment

__all__ = ["ORG_KINDS", "TRAINEE", "OrganisationMemory"]


def _trainee_key(enrollment: activities.Enrollment) -> Hashable:
    return enrollment.trainee_key


def _duplicate_enrollment(enrollment: activities.Enrollment) -> DuplicateError:
    return DuplicateError(
        "该学员已报名此培训班",
        "the trainee is already enrolled in the course",
        code="duplicate_enrollment",
        field="person_id" if enrollment.person_id else "official_id",
    )


#: One enrollment per trainee and course.
TRAINEE: Unique[activities.Enrollment] = Unique(
    "org.enrollment.trainee", value=_trainee_key, error=_duplicate_enrollment
)


#: The document kind of each organisation record class (named ``org.<name>`` after the core's
#: registry, :data:`~minzu_core.organisation.ports.ORG_RECORDS`).
ORG_KINDS: dict[type, Kind[Any]] = {
    cls: id_kind(
        f"org.{record.name}",
        cls,
        record.label_zh,
        record.label_en,
        key=record.key,
        key_field=record.key_field,
        unique=(TRAINEE,) if cls is activities.Enrollment else (),
    )
    for cls, record in ORG_RECORDS.items()
}


def _range(day: date | None, q: OrgQuery) -> bool:
    if q.date_from is None and q.date_to is None:
        return True
    if day is None:
        return False
    return (q.date_from is None or day >= q.date_from) and (q.date_to is None or day < q.date_to)


def _kind(value: str, q: OrgQuery) -> bool:
    return q.kinds is None or value in q.kinds


def _is(value: Any, wanted: Any) -> bool:
    return wanted is None or value == wanted


def _on(holds_on: Callable[[date], bool], q: OrgQuery) -> bool:
    return q.on is None or holds_on(q.on)


def _organised(record: activities.Activity | activities.TrainingCourse, q: OrgQuery) -> bool:
    """The filters an activity and a training course share: organiser, type, start date."""
    return (
        in_prefixes(record.organiser_code, q.prefixes)
        and _kind(record.type, q)
        and _range(record.start, q)
    )


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


class OrganisationMemory(DocumentSession):
    """The organisation port on the document layer."""

    def org_get(self, cls: type[OrgT], key: str) -> OrgT | None:
        """The record of ``cls`` stored under ``key``."""
        found: OrgT | None = self.doc_get(ORG_KINDS[cls], key)
        return found

    def org_insert(self, record: OrgRecord) -> None:
        """Insert a record (an enrollment claims the trainee's place in its course)."""
        self.doc_insert(ORG_KINDS[type(record)], record)

    def org_update(self, record: OrgRecord, expected_version: int) -> None:
        """Replace a record whose stored version is ``expected_version``."""
        self.doc_update(ORG_KINDS[type(record)], record, expected_version)

    # -- queries -------------------------------------------------------------------------------
    def _in_team(self, team_id: Any, q: OrgQuery) -> bool:
        """Whether ``team_id`` is the query's parent (if given) and its unit is in scope."""
        if not _is(team_id, q.parent_id):
            return False
        if q.prefixes is None:
            return True
        team = self.doc_get(ORG_KINDS[Body], str(team_id))
        return team is not None and in_prefixes(team.unit_code, q.prefixes)

    def _matcher(self, cls: type, q: OrgQuery) -> Callable[[Any], bool]:
        p = q.prefixes
        if cls is Body:
            return lambda b: (
                in_prefixes(b.unit_code, p) and _kind(b.kind.value, q) and _on(b.open_on, q)
            )
        if cls in (Official, Technician):
            return lambda o: (
                in_prefixes(o.unit_code, p)
                and _is(o.is_minority, q.minority)
                and _is(o.person_id, q.person_id)
                and _graded(o, q)
            )
        if cls is Appointment:
            return lambda a: (
                in_prefixes(a.unit_code, p)
                and _kind(a.role, q)
                and _on(a.active_on, q)
                and _range(a.start, q)
                and _is(a.official_id, q.parent_id)
            )
        if cls is activities.Activity:
            return lambda a: (
                _organised(a, q)
                and _on(a.held_on, q)
                and _is(a.body_id, q.parent_id)
                and (q.person_id is None or q.person_id in a.attendee_ids)
            )
        if cls is activities.TrainingCourse:
            return lambda c: _organised(c, q) and _is(c.activity_id, q.parent_id)
        if cls is activities.Enrollment:
            return lambda e: self._enrollment_matches(e, q)
        if cls is activities.DemonstrationSite:
            return lambda s: self._site_matches(s, q)
        if cls is activities.Honour:
            return lambda h: (
                in_prefixes(h.unit_code, p)
                and _range(h.awarded_on, q)
                and _is(h.ceremony_id, q.parent_id)
                and _is(h.person_id, q.person_id)
            )
        if cls is activities.VolunteerMembership:
            return lambda m: (
                self._in_team(m.team_id, q)
                and _on(m.active_on, q)
                and _is(m.person_id, q.person_id)
            )
        if cls is activities.ServiceHours:
            return lambda h: (
                self._in_team(h.team_id, q)
                and _kind(h.kind.value, q)
                and _range(h.served_on, q)
                and _is(h.member_id, q.person_id)
            )
        return lambda _: True  # ActivityType: every stored type

    def _enrollment_matches(self, e: activities.Enrollment, q: OrgQuery) -> bool:
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
        course = self.doc_get(ORG_KINDS[activities.TrainingCourse], str(e.course_id))
        return (
            course is not None
            and in_prefixes(course.organiser_code, q.prefixes)
            and _kind(course.type, q)
        )

    @staticmethod
    def _site_matches(s: activities.DemonstrationSite, q: OrgQuery) -> bool:
        if not in_prefixes(s.unit_code, q.prefixes):
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
        if cls in (Body, Official, Technician, activities.DemonstrationSite):
            return lambda r: (r.unit_code.value, str(r.id))
        if cls is Appointment:
            return lambda a: (a.unit_code.value, a.role, a.start, str(a.id))
        if cls in (activities.Activity, activities.TrainingCourse, activities.VolunteerMembership):
            return lambda r: (r.start, str(r.id))
        if cls is activities.Enrollment:
            return lambda e: (e.enrolled_on, str(e.id))
        if cls is activities.Honour:
            return lambda h: (h.awarded_on, str(h.id))
        if cls is activities.ServiceHours:
            return lambda h: (h.served_on, str(h.id))
        return lambda t: (t.code,)

    def _matching(self, cls: type, q: OrgQuery) -> list[Any]:
        if q.prefixes == ():
            return []
        matches = self._matcher(cls, q)
        return [r for r in self.doc_all(ORG_KINDS[cls]) if matches(r)]

    def org_query(self, cls: type[OrgT], query: OrgQuery) -> list[OrgT]:
        """Records of ``cls`` matching ``query``, ordered, paged."""
        found = sorted(self._matching(cls, query), key=self._order(cls))
        return page(found, query.limit, query.offset)

    def org_count(self, cls: type[OrgRecord], query: OrgQuery) -> int:
        """How many records of ``cls`` match ``query``."""
        return len(self._matching(cls, query))

    def activity_totals(self, query: OrgQuery) -> activities.ActivityTotals:
        """Count and sums of the matching activities."""
        found: list[activities.Activity] = self._matching(activities.Activity, query)
        return activities.ActivityTotals(
            activities=len(found),
            participants=sum(a.participants for a in found),
            minority_participants=sum(a.minority_participants for a in found),
            materials=sum(a.materials for a in found),
        )

    def volunteer_hours_by_kind(self, query: OrgQuery) -> dict[str, float]:
        """Hours of the matching records per kind value."""
        sums: dict[str, float] = {}
        for h in self._matching(activities.ServiceHours, query):
            sums[h.kind.value] = round(sums.get(h.kind.value, 0.0) + h.hours, 2)
        return sums
