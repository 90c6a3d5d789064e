"""The repository of activities, training and recognition (``uow.activities``).

:class:`ActivityRepository` keeps activity types, activities, training courses and enrollments,
demonstration sites, honours, volunteer memberships and service hours, on the organisation
section's base (:class:`~minzu_core.organisation.repository.OrgSectionRepository`): every write
needs a reason and the record's unit inside the actor's scope, and is recorded in the change
history; reads by id outside the scope raise
:class:`~minzu_core.errors.PermissionDeniedError`; filters and sums run in the store.
"""

from __future__ import annotations

import uuid
from datetime import date

import attrs

import minzu_core.fields as fields
from minzu_core.activities.model import (
    DEFAULT_ACTIVITY_TYPES,
    Activity,
    ActivityTotals,
    ActivityType,
    DemonstrationSite,
    Enrollment,
    Honour,
    ServiceHours,
    SiteLevel,
    SiteStatus,
    TrainingCourse,
    VolunteerMembership,
    VolunteerServiceKind,
    activity_type_spellings,
    default_activity_type,
    read_activity_type,
)
from minzu_core.checks import parse_uuid
from minzu_core.codes.divisions import DivisionCode
from minzu_core.errors import DuplicateError, ValidationError
from minzu_core.history import ChangeRecord
from minzu_core.organisation.bodies import Body, BodyKind
from minzu_core.organisation.ports import OrgQuery
from minzu_core.organisation.repository import OrgSectionRepository, one_kind
from minzu_core.repository import List

__all__ = ["ActivityRepository"]

#: the record kinds of this repository (what :meth:`ActivityRepository.history` accepts)
_ACTIVITY_RECORDS = (
    Activity,
    TrainingCourse,
    Enrollment,
    DemonstrationSite,
    Honour,
    VolunteerMembership,
    ServiceHours,
    ActivityType,
)


class ActivityRepository(OrgSectionRepository):
    """Activity types, activities, training, demonstration sites, honours and volunteers
    (``uow.activities``)."""

    # -- activity types ------------------------------------------------------------------------
    def types(self) -> List[ActivityType]:
        """The built-in types, then those the deployment added (by code)."""
        return [*DEFAULT_ACTIVITY_TYPES, *self._s.org_query(ActivityType, OrgQuery())]

    def add_type(self, activity_type: ActivityType, *, reason: str) -> ActivityType:
        """Add a type to the vocabulary (an unrestricted actor only; built-in codes are
        taken)."""
        activity_type = self._typed(activity_type, ActivityType, "activity_type")
        self._require_unrestricted("增加活动类型", "add activity types", "code")
        if default_activity_type(activity_type.code) is not None:
            raise DuplicateError(
                "活动类型已存在", "the activity type exists", code="duplicate_id", field="code"
            )
        return self._add_record(activity_type, reason)

    def _check_type(self, code: str, field: str) -> None:
        if default_activity_type(code) is None and self._s.org_get(ActivityType, code) is None:
            raise ValidationError(
                "未知的活动类型", "unknown activity type", code="unknown_activity_type", field=field
            )

    # -- activities ----------------------------------------------------------------------------
    def _check_activity(self, activity: Activity, current: Activity | None) -> None:
        self._record_unit(activity.organiser_code, activity.start, "organiser_code", activity.end)
        self._check_type(activity.type, "type")
        if activity.body_id is not None and (
            current is None or current.body_id != activity.body_id
        ):
            self._uow.org.get_body(activity.body_id)
        old = set() if current is None else current.attendee_ids
        for person_id in sorted(activity.attendee_ids - old, key=str):
            self._person(person_id, "attendee_ids")

    def add(self, activity: Activity, *, reason: str) -> Activity:
        """Store a new activity (organiser in scope and valid on ``start``, a known type,
        attendees that are ledger persons visible to the actor)."""
        activity = self._typed(activity, Activity, "activity")
        self._check_activity(activity, None)
        return self._add_record(activity, reason)

    def save(self, activity: Activity, *, reason: str, correction: bool = False) -> Activity:
        """Store a changed activity, version-checked (the organiser cannot change)."""
        activity = self._typed(activity, Activity, "activity")
        return self._replace(
            activity, reason, correction, ("organiser_code",), self._check_activity
        )

    def find(self, activity_id: uuid.UUID | str) -> Activity | None:
        """The activity, or ``None``; PermissionDeniedError outside the scope."""
        return self._find_record(Activity, activity_id)

    def get(self, activity_id: uuid.UUID | str) -> Activity:
        """Like :meth:`find` but raises NotFoundError (``activity_not_found``)."""
        return self._get_record(Activity, activity_id)

    def _type_code(self, value: str | None) -> str | None:
        """An activity-type filter read by the type vocabulary (code, or either label, built-in
        or added): ``安全宣传教育`` is ``safety_education``; an unknown type is
        ``ValidationError(code="unknown_activity_type")``, never a silent zero."""
        if value is None:
            return None
        code = read_activity_type(
            fields.as_text(value, "type"), activity_type_spellings(self.types())
        )
        if code is not None:
            return code
        raise ValidationError(
            "未知的活动类型", "unknown activity type", code="unknown_activity_type", field="type"
        )

    def _activity_query(
        self,
        type: str | None,
        start_from: date | None,
        start_to: date | None,
        body_id: uuid.UUID | None = None,
        attendee_id: uuid.UUID | None = None,
    ) -> OrgQuery:
        return OrgQuery(
            kinds=one_kind(self._type_code(type), "type"),
            date_from=start_from,
            date_to=start_to,
            parent_id=body_id,
            person_id=attendee_id,
        )

    def list(
        self,
        *,
        within: DivisionCode | str | None = None,
        type: str | None = None,
        start_from: date | None = None,
        start_to: date | None = None,
        body_id: uuid.UUID | None = None,
        attendee_id: uuid.UUID | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> List[Activity]:
        """Activities organised in the subtree (∩ scope), of a type, starting in
        ``[start_from, start_to)``, run by a body, attended by a person; by start."""
        q = self._activity_query(type, start_from, start_to, body_id, attendee_id)
        return self._records(Activity, within, attrs.evolve(q, limit=limit, offset=offset))

    def count(
        self,
        *,
        within: DivisionCode | str | None = None,
        type: str | None = None,
        start_from: date | None = None,
        start_to: date | None = None,
    ) -> int:
        """How many activities :meth:`list` would return (counted in the store)."""
        return self._count_records(
            Activity, within, self._activity_query(type, start_from, start_to)
        )

    def totals(
        self,
        *,
        within: DivisionCode | str | None = None,
        type: str | None = None,
        start_from: date | None = None,
        start_to: date | None = None,
    ) -> ActivityTotals:
        """Count, participants, minority participants and materials of the activities, summed
        in the store."""
        q = self._scoped(within, self._activity_query(type, start_from, start_to))
        return ActivityTotals() if q is None else self._s.activity_totals(q)

    # -- training ------------------------------------------------------------------------------
    def add_course(self, course: TrainingCourse, *, reason: str) -> TrainingCourse:
        """Store a new training course (organiser in scope, a known type)."""
        course = self._typed(course, TrainingCourse, "course")
        self._record_unit(course.organiser_code, course.start, "organiser_code", course.end)
        self._check_type(course.type, "type")
        if course.activity_id is not None:
            self.get(course.activity_id)
        return self._add_record(course, reason)

    def save_course(
        self, course: TrainingCourse, *, reason: str, correction: bool = False
    ) -> TrainingCourse:
        """Store a changed course, version-checked (the organiser cannot change)."""
        course = self._typed(course, TrainingCourse, "course")
        check = self._check_type
        return self._replace(
            course, reason, correction, ("organiser_code",), lambda c, _: check(c.type, "type")
        )

    def find_course(self, course_id: uuid.UUID | str) -> TrainingCourse | None:
        """The course, or ``None``; PermissionDeniedError outside the scope."""
        return self._find_record(TrainingCourse, course_id)

    def get_course(self, course_id: uuid.UUID | str) -> TrainingCourse:
        """Like :meth:`find_course` but raises NotFoundError (``course_not_found``)."""
        return self._get_record(TrainingCourse, course_id)

    def courses(
        self,
        *,
        within: DivisionCode | str | None = None,
        type: str | None = None,
        start_from: date | None = None,
        start_to: date | None = None,
    ) -> List[TrainingCourse]:
        """Courses organised in the subtree (∩ scope), by start."""
        return self._records(
            TrainingCourse, within, self._activity_query(type, start_from, start_to)
        )

    def _check_trainee(self, enrollment: Enrollment) -> None:
        if enrollment.person_id is not None:
            self._person(enrollment.person_id, "person_id")
        else:
            self._official(enrollment.official_id)

    def _check_completion(self, enrollment: Enrollment, course: TrainingCourse) -> None:
        if enrollment.completed_on is None:
            return
        self._not_future(enrollment.completed_on, "completed_on")
        if enrollment.completed_on < course.start:
            raise ValidationError(
                "结业日期不能早于开班日期",
                "completion is before the course starts",
                code="completion_before_course",
                field="completed_on",
            )

    def enroll(self, enrollment: Enrollment, *, reason: str) -> Enrollment:
        """Enroll a ledger person or an official in a course (once per course:
        DuplicateError ``duplicate_enrollment`` otherwise)."""
        enrollment = self._typed(enrollment, Enrollment, "enrollment")
        course = self.get_course(enrollment.course_id)
        self._uow.actor.require(course.organiser_code, field="course_id")
        self._check_trainee(enrollment)
        self._check_completion(enrollment, course)
        return self._add_record(enrollment, reason)

    def find_enrollment(
        self, course_id: uuid.UUID | str, trainee_id: uuid.UUID | str
    ) -> Enrollment | None:
        """The enrollment of a trainee (person or official) in a course, or ``None``."""
        course = self.get_course(course_id)
        found = self._s.org_query(
            Enrollment,
            OrgQuery(parent_id=course.id, person_id=parse_uuid(trainee_id, "trainee_id")),
        )
        return found[0] if found else None

    def complete(
        self,
        course_id: uuid.UUID | str,
        trainee_id: uuid.UUID | str,
        on: date,
        *,
        reason: str,
    ) -> Enrollment:
        """Record a completion (结业) on ``on``. It needs an enrollment: a trainee never
        enrolled raises ``ValidationError(code="not_enrolled", field="trainee_id")``."""
        enrollment = self.find_enrollment(course_id, trainee_id)
        if enrollment is None:
            raise ValidationError(
                "未报名的学员不能结业",
                "a completion needs an enrollment",
                code="not_enrolled",
                field="trainee_id",
            )
        if enrollment.completed_on is not None:
            raise ValidationError(
                "该学员已结业",
                "the trainee has already completed",
                code="already_completed",
                field="trainee_id",
            )
        return self.save_enrollment(attrs.evolve(enrollment, completed_on=on), reason=reason)

    def save_enrollment(
        self, enrollment: Enrollment, *, reason: str, correction: bool = False
    ) -> Enrollment:
        """Store a changed enrollment (e.g. its completion), version-checked; course and
        trainee cannot change."""
        enrollment = self._typed(enrollment, Enrollment, "enrollment")
        immutable = ("course_id", "person_id", "official_id")
        return self._replace(enrollment, reason, correction, immutable, self._check_enrolled, "id")

    def _check_enrolled(self, enrollment: Enrollment, current: Enrollment) -> None:
        course = self.get_course(current.course_id)
        self._uow.actor.require(course.organiser_code, field="course_id")
        self._check_completion(enrollment, course)

    @staticmethod
    def _enrollment_query(
        course_id: uuid.UUID | None,
        type: str | None,
        completed: bool | None,
        date_from: date | None,
        date_to: date | None,
    ) -> OrgQuery:
        return OrgQuery(
            parent_id=course_id,
            kinds=one_kind(type, "type"),
            completed=completed,
            date_from=date_from,
            date_to=date_to,
        )

    def enrollments(
        self,
        *,
        within: DivisionCode | str | None = None,
        course_id: uuid.UUID | None = None,
        type: str | None = None,
        completed: bool | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> List[Enrollment]:
        """Enrollments in courses organised in the subtree (∩ scope); ``date_from``/
        ``date_to`` bound the completion date when ``completed`` is true, else the enrollment
        date."""
        q = self._enrollment_query(course_id, type, completed, date_from, date_to)
        return self._records(Enrollment, within, q)

    def count_completions(
        self,
        *,
        within: DivisionCode | str | None = None,
        type: str | None = None,
        completed_from: date | None = None,
        completed_to: date | None = None,
    ) -> int:
        """Completions in ``[completed_from, completed_to)`` (e.g. of ``language_training``
        courses: 国家通用语言培训结业人数), counted in the store."""
        q = self._enrollment_query(None, type, True, completed_from, completed_to)
        return self._count_records(Enrollment, within, q)

    # -- demonstration sites -------------------------------------------------------------------
    def _check_site(self, site: DemonstrationSite) -> None:
        self._record_unit(site.unit_code, None, "unit_code")
        for index, entry in enumerate(site.statuses):
            self._not_future(entry.since, f"statuses[{index}].since")
        if site.body_id is not None:
            self._uow.org.get_body(site.body_id)

    def add_site(self, site: DemonstrationSite, *, reason: str) -> DemonstrationSite:
        """Store a new demonstration site (status dates not in the future)."""
        site = self._typed(site, DemonstrationSite, "site")
        self._check_site(site)
        return self._add_record(site, reason)

    def save_site(
        self, site: DemonstrationSite, *, reason: str, correction: bool = False
    ) -> DemonstrationSite:
        """Store a changed site, version-checked (the unit cannot change)."""
        site = self._typed(site, DemonstrationSite, "site")
        check = self._check_site
        return self._replace(site, reason, correction, ("unit_code",), lambda s, _: check(s))

    def set_site_status(
        self,
        site: DemonstrationSite | uuid.UUID | str,
        status: SiteStatus | str,
        since: date,
        *,
        reason: str,
        level: SiteLevel | str | None = None,
        basis: str = "",
    ) -> DemonstrationSite:
        """Append a status entry (e.g. named 已命名 at a level, or revoked 已撤销)."""
        current = site if isinstance(site, DemonstrationSite) else self.get_site(site)
        changed = current.with_status(status, since, level=level, basis=basis)
        return self.save_site(changed, reason=reason)

    def find_site(self, site_id: uuid.UUID | str) -> DemonstrationSite | None:
        """The site, or ``None``; PermissionDeniedError outside the scope."""
        return self._find_record(DemonstrationSite, site_id)

    def get_site(self, site_id: uuid.UUID | str) -> DemonstrationSite:
        """Like :meth:`find_site` but raises NotFoundError (``site_not_found``)."""
        return self._get_record(DemonstrationSite, site_id)

    def sites(
        self,
        *,
        within: DivisionCode | str | None = None,
        status: SiteStatus | str | None = None,
        min_level: SiteLevel | str | None = None,
        as_of: date | None = None,
    ) -> List[DemonstrationSite]:
        """Sites in the subtree (∩ scope) whose status on ``as_of`` (``None``: the latest)
        is ``status`` and whose level then is at least ``min_level``."""
        kinds = None
        if status is not None:
            kinds = frozenset({SiteStatus.parse(status, field="status").value})
        order = None if min_level is None else SiteLevel.parse(min_level, field="min_level")
        q = OrgQuery(kinds=kinds, on=as_of, min_order=None if order is None else order.order)
        return self._records(DemonstrationSite, within, q)

    # -- honours -------------------------------------------------------------------------------
    def award(self, honour: Honour, *, reason: str) -> Honour:
        """Record an honour awarded by a unit in scope (not in the future); the person must be
        a visible ledger person and a ceremony activity must be held on the award date."""
        honour = self._typed(honour, Honour, "honour")
        self._record_unit(honour.unit_code, honour.awarded_on, "unit_code")
        self._not_future(honour.awarded_on, "awarded_on")
        if honour.person_id is not None:
            self._person(honour.person_id, "person_id")
        if honour.ceremony_id is not None:
            ceremony = self.get(honour.ceremony_id)
            if not ceremony.held_on(honour.awarded_on):
                raise ValidationError(
                    "授予日期不在仪式活动日期内",
                    "the award date is not during the ceremony",
                    code="ceremony_date",
                    field="awarded_on",
                )
        return self._add_record(honour, reason)

    def find_honour(self, honour_id: uuid.UUID | str) -> Honour | None:
        """The honour, or ``None``; PermissionDeniedError outside the scope."""
        return self._find_record(Honour, honour_id)

    def get_honour(self, honour_id: uuid.UUID | str) -> Honour:
        """Like :meth:`find_honour` but raises NotFoundError (``honour_not_found``)."""
        return self._get_record(Honour, honour_id)

    def honours(
        self,
        *,
        within: DivisionCode | str | None = None,
        awarded_from: date | None = None,
        awarded_to: date | None = None,
        person_id: uuid.UUID | None = None,
        ceremony_id: uuid.UUID | None = None,
    ) -> List[Honour]:
        """Honours awarded by units in the subtree (∩ scope) in ``[awarded_from, awarded_to)``."""
        q = OrgQuery(
            date_from=awarded_from, date_to=awarded_to, person_id=person_id, parent_id=ceremony_id
        )
        return self._records(Honour, within, q)

    def count_honours(
        self,
        *,
        within: DivisionCode | str | None = None,
        awarded_from: date | None = None,
        awarded_to: date | None = None,
    ) -> int:
        """How many honours were awarded (counted in the store)."""
        return self._count_records(
            Honour, within, OrgQuery(date_from=awarded_from, date_to=awarded_to)
        )

    # -- volunteers ----------------------------------------------------------------------------
    def _team(self, team_id: uuid.UUID, day: date, field: str) -> Body:
        team = self._uow.org.get_body(team_id)
        if team.kind is not BodyKind.VOLUNTEER_TEAM:
            raise ValidationError(
                "该机构不是志愿服务队",
                "the body is not a volunteer team",
                code="not_a_team",
                field="team_id",
            )
        self._uow.actor.require(team.unit_code, field="team_id")
        if not team.open_on(day):
            raise ValidationError(
                "该日期志愿服务队未成立或已撤销",
                "the team does not exist on that date",
                code="team_closed",
                field=field,
            )
        return team

    def _check_member(self, m: VolunteerMembership, current: VolunteerMembership | None) -> None:
        self._team(m.team_id, m.start, "start")
        if current is None:
            self._person(m.person_id, "person_id")
        others = self._s.org_query(
            VolunteerMembership, OrgQuery(parent_id=m.team_id, person_id=m.person_id)
        )
        for other in others:
            if other.id == m.id:
                continue
            if other.start < (m.end or date.max) and m.start < (other.end or date.max):
                raise DuplicateError(
                    "该人员在此期间已是队员",
                    "the person is already a member during that period",
                    code="membership_overlap",
                    field="start",
                )

    def add_member(self, membership: VolunteerMembership, *, reason: str) -> VolunteerMembership:
        """Register a ledger person as a member of a volunteer team (memberships of one
        person in one team may not overlap)."""
        membership = self._typed(membership, VolunteerMembership, "membership")
        self._check_member(membership, None)
        return self._add_record(membership, reason)

    def save_member(
        self, membership: VolunteerMembership, *, reason: str, correction: bool = False
    ) -> VolunteerMembership:
        """Store a changed membership (e.g. ended), version-checked."""
        membership = self._typed(membership, VolunteerMembership, "membership")
        immutable = ("team_id", "person_id")
        return self._replace(membership, reason, correction, immutable, self._check_member, "id")

    def end_membership(
        self, membership: VolunteerMembership, end: date, *, reason: str
    ) -> VolunteerMembership:
        """End a membership on ``end``."""
        membership = self._typed(membership, VolunteerMembership, "membership")
        return self.save_member(attrs.evolve(membership, end=end), reason=reason)

    def members(
        self,
        *,
        within: DivisionCode | str | None = None,
        team_id: uuid.UUID | None = None,
        on: date | None = None,
        person_id: uuid.UUID | None = None,
    ) -> List[VolunteerMembership]:
        """Memberships of teams in the subtree (∩ scope), of a team, holding on a date."""
        q = OrgQuery(parent_id=team_id, on=on, person_id=person_id)
        return self._records(VolunteerMembership, within, q)

    def log_hours(self, hours: ServiceHours, *, reason: str) -> ServiceHours:
        """Record volunteer hours of a team (open on the day, not in the future); a named
        member must be a member on that day."""
        hours = self._typed(hours, ServiceHours, "hours")
        self._team(hours.team_id, hours.served_on, "served_on")
        self._not_future(hours.served_on, "served_on")
        if hours.member_id is not None:
            found = self._s.org_query(
                VolunteerMembership,
                OrgQuery(parent_id=hours.team_id, person_id=hours.member_id, on=hours.served_on),
            )
            if not found:
                raise ValidationError(
                    "该人员当日不是队员",
                    "the person is not a member on that day",
                    code="not_a_member",
                    field="member_id",
                )
        return self._add_record(hours, reason)

    @staticmethod
    def _hours_query(
        team_id: uuid.UUID | None,
        kind: VolunteerServiceKind | str | None,
        served_from: date | None,
        served_to: date | None,
        member_id: uuid.UUID | None = None,
    ) -> OrgQuery:
        kinds = None
        if kind is not None:
            kinds = frozenset({VolunteerServiceKind.parse(kind, field="kind").value})
        return OrgQuery(
            parent_id=team_id,
            kinds=kinds,
            date_from=served_from,
            date_to=served_to,
            person_id=member_id,
        )

    def service_hours(
        self,
        *,
        within: DivisionCode | str | None = None,
        team_id: uuid.UUID | None = None,
        kind: VolunteerServiceKind | str | None = None,
        served_from: date | None = None,
        served_to: date | None = None,
        member_id: uuid.UUID | None = None,
    ) -> List[ServiceHours]:
        """Service-hour records of teams in the subtree (∩ scope), by day."""
        q = self._hours_query(team_id, kind, served_from, served_to, member_id)
        return self._records(ServiceHours, within, q)

    def hours_by_kind(
        self,
        *,
        within: DivisionCode | str | None = None,
        team_id: uuid.UUID | None = None,
        served_from: date | None = None,
        served_to: date | None = None,
    ) -> dict[VolunteerServiceKind, float]:
        """Hours served per kind (summed in the store); kinds without hours are absent."""
        q = self._scoped(within, self._hours_query(team_id, None, served_from, served_to))
        if q is None:
            return {}
        sums = self._s.volunteer_hours_by_kind(q)
        return {VolunteerServiceKind(k): v for k, v in sorted(sums.items())}

    def history(
        self,
        record: Activity
        | TrainingCourse
        | Enrollment
        | DemonstrationSite
        | Honour
        | VolunteerMembership
        | ServiceHours
        | ActivityType,
    ) -> List[ChangeRecord]:
        """The change history of a record (scope-checked), oldest first."""
        self._typed(record, _ACTIVITY_RECORDS, "record")
        if isinstance(record, Enrollment):
            self.get_course(record.course_id)
        elif isinstance(record, VolunteerMembership | ServiceHours):
            self._uow.org.get_body(record.team_id)
        elif not isinstance(record, ActivityType):
            self._get_record(type(record), record.id)
        return self._record_history(record)
