"""The rights of the person (个人权利): export, erasure and retention (PIPL Art. 45, 47).

* :func:`export_person` (查阅复制, Art. 45) — everything a store holds about one person as one
  JSON-ready document (through the library's cattrs converter): the record and its residence
  episodes, records merged into it, the service requests they applied for, the disputes they
  are a party to, the activities they attended (and courses, honours, volunteer memberships and
  hours), the change history of the record, and the audit entries of who read or changed their
  data. Other named parties of a dispute are third parties: their names come masked.
* :func:`erase_person` (删除/匿名化, Art. 47) — anonymisation in place. Removed: the name
  (replaced by :data:`ERASED_NAME`, a name is required), the ID number, the phone, the
  household and residence addresses, the employer and its USCC, the guardian link; the birth
  date is coarsened to 1 January of its year. Kept, because aggregates need them: ethnicity,
  gender, birth year, language, household division, every residence episode's unit, status,
  dates, origin, migration reason and occupation (a kind of work, which breakdowns use), the
  record status and merge link. The same is done to every history snapshot of the record (and
  of duplicate records merged into it); the free texts that speak of the person — the
  description and event notes of the requests they applied for, the narrative and event notes
  of the disputes they are a party to, and their own party name there — are replaced by
  :data:`ERASED_TEXT`. Nothing is deleted, so no foreign key can block it, and every catalog
  indicator of a past period is unchanged except ledger completeness (the record is no longer
  complete). The erasure is audited (:attr:`~minzu_core.privacy.audit.AuditOperation.ERASE`,
  one entry for the person and one per case redacted) and is itself a ``corrected`` history
  version whose reason starts with :data:`ERASURE_REASON_PREFIX`.
  A record is *erased* when it holds :data:`ERASED_NAME` and no identifying field
  (:func:`is_erased`); erasing it again is an idempotent no-op (``already_erased=True``, nothing
  written, nothing audited). If someone adds an identifying field to an erased record later, it
  is no longer erased and a new erasure removes it again.
* Retention (保存期限): :class:`RetentionPolicy` — floating persons whose latest residence
  episode ended more than ``floating_years`` years ago (default
  :data:`DEFAULT_FLOATING_YEARS` = 3: a floating person who left is followed up by the place
  they went to; three years covers the annual statistics of the year they left and the two
  following years' comparisons (同比) and an appeal of a service or mediation matter, after which
  the ledger no longer needs to identify them). :func:`retention_candidates` lists them;
  :func:`apply_retention` erases them, each in its own unit of work, so that an interruption
  leaves every person either wholly erased or untouched; run again, it skips those already
  erased and finishes.

Permissions. An unrestricted actor (``Actor.system``) may do everything. Otherwise the unit of
work must declare the purpose ``data_subject_request`` (权利请求) and the actor's roles must
read every field group in clear for it (export), and also write every field group (erasure and
retention). In the default policy the ethnic-affairs officer can do both and the privacy
officer can export but not erase (they have no write grant). Export reads the audit entries
about the person without the audit-view permission: answering "who saw my data" is part of
the right of access. Related records (requests, disputes, activities) are exported and
redacted even when they belong to units outside a scoped actor's scope: the person's rights
cover everything held about them; the person's record itself must be in scope.

Storage. What the repositories cannot do — find a person's requests and disputes, rewrite a
history snapshot, redact a case's free texts without appending an event — is the small
:class:`ErasurePort`, implemented by the memory and SQL adapters; a store without it raises
``StoreError(code="erasure_unsupported")``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, Protocol, cast, runtime_checkable

import attrs

from minzu_core.activities.model import (
    Activity,
    Enrollment,
    Honour,
    ServiceHours,
    VolunteerMembership,
)
from minzu_core.checks import parse_uuid, require_reason
from minzu_core.clock import today_cst
from minzu_core.disputes.model import Dispute
from minzu_core.errors import NotFoundError, PermissionDeniedError, StoreError, ValidationError
from minzu_core.history import ChangeKind, ChangeRecord
from minzu_core.ledger.masking import written_groups
from minzu_core.ledger.model import HouseholdRegistration, Person, PersonStatus, ResidenceStatus
from minzu_core.ledger.ports import PersonQuery
from minzu_core.ledger.repository import person_in_scope
from minzu_core.lifecycle import Event
from minzu_core.organisation.ports import OrgQuery
from minzu_core.privacy.actor import Actor
from minzu_core.privacy.audit import AuditEntry, AuditOperation, AuditQuery
from minzu_core.privacy.permissions import FieldGroup, SensitiveField, mask_value
from minzu_core.privacy.purposes import DATA_SUBJECT_REQUEST
from minzu_core.serialization import unstructure
from minzu_core.services.model import ServiceRequest
from minzu_core.store.factory import Store
from minzu_core.store.uow import UnitOfWork

__all__ = [
    "DEFAULT_FLOATING_YEARS",
    "ERASED_NAME",
    "ERASED_TEXT",
    "ERASURE_REASON_PREFIX",
    "EXPORT_FORMAT",
    "RETENTION_REASON",
    "ErasurePort",
    "ErasureReport",
    "RetentionCandidate",
    "RetentionPolicy",
    "RetentionReport",
    "anonymise_snapshot",
    "anonymised",
    "apply_retention",
    "erase_person",
    "export_person",
    "is_erased",
    "redacted_dispute",
    "redacted_request",
    "redaction_keeps_facts",
    "redaction_refused",
    "retention_candidates",
]

#: The name an erased record holds (``Person.name`` is required).
ERASED_NAME = "（已匿名化 anonymised）"
#: What an erased free text (a note, a narrative, a description) reads as.
ERASED_TEXT = "（已删除 erased）"
#: The start of the reason of the history version an erasure writes.
ERASURE_REASON_PREFIX = "个人信息删除 erasure (PIPL Art. 47): "
#: The ``format`` of an export document.
EXPORT_FORMAT = "minzu-person-export/1"
#: The default retention of floating persons who left, in years (see the module docstring).
DEFAULT_FLOATING_YEARS = 3

_ALL_GROUPS = frozenset(FieldGroup)
_PAGE = 500


# -- the storage port ----------------------------------------------------------------------------
@runtime_checkable
class ErasurePort(Protocol):
    """Storage primitives of export and erasure (a store session implements them besides
    :class:`~minzu_core.store.ports.StoreSession`)."""

    def requests_of_applicant(self, person_id: uuid.UUID) -> list[ServiceRequest]:
        """Every service request whose applicant is the person, by received time, then id."""
        ...

    def disputes_of_party(self, person_id: uuid.UUID) -> list[Dispute]:
        """Every dispute one of whose parties is the person, by registration time, then id."""
        ...

    def persons_merged_into(self, person_id: uuid.UUID) -> list[Person]:
        """The records merged into the person (duplicates of the same person), by id."""
        ...

    def replace_history_snapshot(self, record: ChangeRecord) -> None:
        """Replace the snapshot of the stored history record with ``record.id`` by
        ``record.snapshot`` (nothing else changes; encrypted again where the store encrypts);
        ``NotFoundError(code="history_not_found")`` if there is none."""
        ...

    def redact_request(self, request: ServiceRequest) -> None:
        """Store the free texts of ``request`` (description, event notes) over the stored
        request of the same id and version, without a new event or version; ``StoreError``
        (code ``redaction_changes_facts``) unless :func:`redaction_keeps_facts`."""
        ...

    def redact_dispute(self, dispute: Dispute) -> None:
        """Store the free texts of ``dispute`` (narrative, party names, event notes) over the
        stored dispute of the same id and version (as :meth:`redact_request`)."""
        ...


def _port(uow: UnitOfWork) -> ErasurePort:
    session = uow.session
    if not isinstance(session, ErasurePort):
        raise StoreError(
            "该存储不支持个人信息删除与导出",
            "this store does not support export and erasure of a person",
            code="erasure_unsupported",
        )
    return cast(ErasurePort, session)


def _facts(event: Event) -> tuple[Any, ...]:
    return (event.action, event.at, event.actor_id, event.data)


def redaction_keeps_facts(current: Any, given: Any) -> bool:
    """Whether ``given`` (a request or dispute) differs from the stored ``current`` in free
    texts only: same id and version, the same events but for their notes, the same parties
    but for their names (what :meth:`ErasurePort.redact_request` accepts)."""
    if type(current) is not type(given) or (current.id, current.version) != (
        given.id,
        given.version,
    ):
        return False
    if len(current.events) != len(given.events) or any(
        _facts(a) != _facts(b) for a, b in zip(current.events, given.events, strict=True)
    ):
        return False
    if isinstance(current, Dispute):
        plain = [(p.person_id, p.role) for p in current.parties]
        return plain == [(p.person_id, p.role) for p in given.parties]
    return True


def redaction_refused() -> StoreError:
    """The error of a redaction that would change more than free texts."""
    return StoreError(
        "删除只能改写自由文本",
        "a redaction may change free texts only",
        code="redaction_changes_facts",
    )


# -- anonymisation -------------------------------------------------------------------------------
def _year_start(value: date | None) -> date | None:
    return None if value is None else date(value.year, 1, 1)


def anonymised(person: Person) -> Person:
    """``person`` with every identifying field removed (see the module docstring); what
    aggregates need is kept. The version is unchanged."""
    household = person.household
    if household is not None:
        household = HouseholdRegistration(household.division_code, None)
    residences = tuple(
        attrs.evolve(r, address=None, employer=None, employer_uscc=None) for r in person.residences
    )
    return attrs.evolve(
        person,
        name=ERASED_NAME,
        id_number=None,
        phone=None,
        birth_date=_year_start(person.birth_date),
        gender=person.gender,
        household=household,
        guardian_id=None,
        residences=residences,
    )


def anonymise_snapshot(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A person's history snapshot (JSON-ready) anonymised like :func:`anonymised`: works on
    the data itself, so that a snapshot of any age is anonymised."""
    data = dict(snapshot)
    if "name" in data:
        data["name"] = ERASED_NAME
    for key in ("id_number", "phone", "guardian_id"):
        if key in data:
            data[key] = None
    born = data.get("birth_date")
    if isinstance(born, str) and len(born) >= 4 and born[:4].isdigit():
        data["birth_date"] = f"{born[:4]}-01-01"
    household = data.get("household")
    if isinstance(household, Mapping):
        data["household"] = {**household, "address": None}
    residences = data.get("residences")
    if isinstance(residences, list):
        data["residences"] = [
            {**r, "address": None, "employer": None, "employer_uscc": None}
            if isinstance(r, Mapping)
            else r
            for r in residences
        ]
    return data


def is_erased(person: Person) -> bool:
    """True if the record was erased: it holds :data:`ERASED_NAME` and no identifying field."""
    household = person.household
    return (
        person.name == ERASED_NAME
        and person.id_number is None
        and person.phone is None
        and person.guardian_id is None
        and (household is None or household.address is None)
        and all(
            r.address is None and r.employer is None and r.employer_uscc is None
            for r in person.residences
        )
    )


def _erased_text(text: str | None) -> str | None:
    return ERASED_TEXT if text else text


def _erased_events(events: Iterable[Event]) -> tuple[Event, ...]:
    return tuple(attrs.evolve(e, note=ERASED_TEXT) if e.note else e for e in events)


def redacted_request(request: ServiceRequest) -> ServiceRequest:
    """``request`` with its description and event notes replaced by :data:`ERASED_TEXT`."""
    return attrs.evolve(
        request,
        description=_erased_text(request.description) or "",
        events=_erased_events(request.events),
    )


def redacted_dispute(dispute: Dispute, person_id: uuid.UUID) -> Dispute:
    """``dispute`` with its narrative and event notes replaced by :data:`ERASED_TEXT` and the
    name of the person's own party entry removed (the party stays, by its ``person_id``)."""
    parties = tuple(
        attrs.evolve(p, name=None) if p.person_id == person_id else p for p in dispute.parties
    )
    return attrs.evolve(
        dispute,
        narrative=_erased_text(dispute.narrative),
        parties=parties,
        events=_erased_events(dispute.events),
    )


# -- permissions ---------------------------------------------------------------------------------
def _require_rights(uow: UnitOfWork, *, write: bool) -> None:
    """``PermissionDeniedError(code="rights_denied")`` unless the actor may export (``write``:
    erase) a person's data (see the module docstring)."""
    if uow.actor.unrestricted:
        return
    access = uow.access
    purpose_ok = access.purpose is not None and access.purpose.code == DATA_SUBJECT_REQUEST
    allowed = (
        purpose_ok
        and access.readable >= _ALL_GROUPS
        and (not write or access.writable >= _ALL_GROUPS)
    )
    if not allowed:
        zh, en = ("删除", "erase") if write else ("导出", "export")
        raise PermissionDeniedError(
            f"{zh}个人信息须声明目的“权利请求”并具有全部字段组的"
            + ("读写权限" if write else "查看权限"),
            f"to {en} a person's data the unit of work must declare the purpose "
            f"data_subject_request and the actor must "
            + ("read and write" if write else "read")
            + " every field group",
            code="rights_denied",
            field="actor",
            details={"purpose": DATA_SUBJECT_REQUEST},
        )


def _stored_person(uow: UnitOfWork, person_id: uuid.UUID | str) -> Person:
    pid = parse_uuid(person_id, "person_id")
    person = uow.session.get_person(pid)
    if person is None:
        raise NotFoundError(
            "人员记录不存在", "person not found", code="person_not_found", field="person_id"
        )
    if not person_in_scope(uow.actor, person):
        raise PermissionDeniedError(
            "人员记录不在数据范围内",
            "the person is outside the scope",
            code="outside_scope",
            field="person_id",
        )
    return person


# -- export --------------------------------------------------------------------------------------
def _third_parties_masked(dispute: Dispute, person_id: uuid.UUID) -> Dispute:
    parties = tuple(
        p
        if p.person_id == person_id or p.name is None
        else attrs.evolve(p, name=mask_value(SensitiveField.NAME, p.name))
        for p in dispute.parties
    )
    return attrs.evolve(dispute, parties=parties)


def _audit_entries(uow: UnitOfWork, person_id: str) -> list[AuditEntry]:
    found: list[AuditEntry] = []
    after = 0
    while True:
        page = uow.session.query_audit_entries(
            AuditQuery(person_id=person_id, after_seq=after, limit=_PAGE)
        )
        found.extend(page)
        if len(page) < _PAGE:
            return found
        after = page[-1].seq


def export_person(uow: UnitOfWork, person_id: uuid.UUID | str) -> dict[str, Any]:
    """Everything the store holds about one person, as one JSON-ready document (PIPL Art. 45;
    keys: ``format``, ``person_id``, ``exported_at``, ``exported_by``, ``person``,
    ``residences``, ``merged_records``, ``service_requests``, ``disputes``, ``activities``,
    ``enrollments``, ``honours``, ``volunteer_memberships``, ``volunteer_hours``, ``history``,
    ``audit_entries``). The export is audited (an ``export`` entry, appended when the unit of
    work ends, committed or not).

    Raises:
        NotFoundError: ``person_not_found``.
        PermissionDeniedError: ``rights_denied`` (see the module docstring), ``outside_scope``.
        StoreError: ``erasure_unsupported`` — the store lacks :class:`ErasurePort`.
    """
    _require_rights(uow, write=False)
    person = _stored_person(uow, person_id)
    port = _port(uow)
    session = uow.session
    pid = person.id
    by_person = OrgQuery(person_id=pid)
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "person_id": str(pid),
        "exported_at": unstructure(uow.clock()),
        "exported_by": uow.actor.id,
        "person": unstructure(person),
        "residences": unstructure(list(person.residences)),
        "merged_records": unstructure(port.persons_merged_into(pid)),
        "service_requests": unstructure(port.requests_of_applicant(pid)),
        "disputes": unstructure(
            [_third_parties_masked(d, pid) for d in port.disputes_of_party(pid)]
        ),
        "activities": unstructure(session.org_query(Activity, by_person)),
        "enrollments": unstructure(session.org_query(Enrollment, by_person)),
        "honours": unstructure(session.org_query(Honour, by_person)),
        "volunteer_memberships": unstructure(session.org_query(VolunteerMembership, by_person)),
        "volunteer_hours": unstructure(session.org_query(ServiceHours, by_person)),
        "history": unstructure(session.list_history("person", str(pid))),
        "audit_entries": unstructure(_audit_entries(uow, str(pid))),
    }
    uow.trail.read("person", str(pid), _ALL_GROUPS, operation=AuditOperation.EXPORT)
    return document


# -- erasure -------------------------------------------------------------------------------------
@attrs.frozen
class ErasureReport:
    """What :func:`erase_person` did (ids and counts only: no personal data).

    Attributes:
        person_id: the person erased.
        already_erased: the record was erased before; nothing was written.
        records: the person records anonymised (the person and the records merged into it).
        history_records: the history snapshots rewritten.
        service_requests: the requests (the person applied for) whose free texts were redacted.
        disputes: the disputes (the person is a party to) whose free texts were redacted.
    """

    person_id: uuid.UUID
    already_erased: bool = False
    records: int = 0
    history_records: int = 0
    service_requests: int = 0
    disputes: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (through the library's converter)."""
        data: dict[str, Any] = unstructure(self)
        return data


def _erase_record(
    uow: UnitOfWork, person: Person, reason: str
) -> tuple[int, frozenset[FieldGroup]]:
    """Anonymise one stored record and its history; the number of snapshots rewritten and the
    field groups removed."""
    port = _port(uow)
    session = uow.session
    rewritten = 0
    for record in session.list_history("person", str(person.id)):
        snapshot = anonymise_snapshot(record.snapshot)
        if snapshot != record.snapshot:
            port.replace_history_snapshot(attrs.evolve(record, snapshot=snapshot))
            rewritten += 1
    anon = anonymised(person)
    groups = written_groups(anon, person, uow.today())
    stored = attrs.evolve(anon, version=person.version + 1)
    session.update_person(stored, person.version)
    session.append_history(
        ChangeRecord(
            entity_type="person",
            entity_id=str(person.id),
            version=stored.version,
            at=uow.clock(),
            actor_id=uow.actor.id,
            kind=ChangeKind.CORRECTED,
            reason=ERASURE_REASON_PREFIX + reason,
            snapshot=unstructure(stored),
        )
    )
    return rewritten, groups


def erase_person(uow: UnitOfWork, person_id: uuid.UUID | str, *, reason: str) -> ErasureReport:
    """Erase (anonymise in place) one person, the records merged into it, their history and
    the free texts of their requests and disputes (see the module docstring); commit the unit
    of work afterwards. Everything is written in the unit of work: if it fails or is not
    committed, nothing changes. An already erased record is an idempotent no-op.

    Raises:
        NotFoundError: ``person_not_found``.
        PermissionDeniedError: ``rights_denied``, ``outside_scope``.
        ValidationError: ``reason_required``.
        StoreError: ``erasure_unsupported``.
    """
    _require_rights(uow, write=True)
    why = require_reason(reason)
    person = _stored_person(uow, person_id)
    pid = person.id
    port = _port(uow)
    merged = [p for p in port.persons_merged_into(pid) if not is_erased(p)]
    if is_erased(person) and not merged:
        return ErasureReport(pid, already_erased=True)
    records = history = 0
    removed: set[FieldGroup] = set()
    for target in ([] if is_erased(person) else [person]) + merged:
        rewritten, groups = _erase_record(uow, target, why)
        records += 1
        history += rewritten
        removed |= groups
        if target.id != pid:
            uow.trail.wrote(
                AuditOperation.ERASE,
                "person",
                str(target.id),
                groups=groups,
                reason=why,
                subjects=(str(pid),),
            )
    requests = 0
    for request in port.requests_of_applicant(pid):
        redacted = redacted_request(request)
        if redacted != request:
            port.redact_request(redacted)
            requests += 1
            uow.trail.wrote(
                AuditOperation.ERASE,
                "service_request",
                str(request.id),
                groups={FieldGroup.NARRATIVE},
                reason=why,
                subjects=(str(pid),),
            )
    disputes = 0
    for dispute in port.disputes_of_party(pid):
        redacted_case = redacted_dispute(dispute, pid)
        if redacted_case != dispute:
            port.redact_dispute(redacted_case)
            disputes += 1
            uow.trail.wrote(
                AuditOperation.ERASE,
                "dispute",
                str(dispute.id),
                groups={FieldGroup.NARRATIVE},
                reason=why,
                subjects=(str(pid),),
            )
    uow.trail.wrote(AuditOperation.ERASE, "person", str(pid), groups=removed, reason=why)
    return ErasureReport(pid, False, records, history, requests, disputes)


# -- retention -----------------------------------------------------------------------------------
def _positive_years(_instance: object, _attribute: object, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise ValidationError(
            "保存期限须为 1 至 100 之间的整数年",
            "the retention period must be a whole number of years from 1 to 100",
            code="invalid_retention",
            field="floating_years",
        )


@attrs.frozen
class RetentionPolicy:
    """Which records are erased when their retention period has passed (保存期限).

    Attributes:
        floating_years: floating persons whose latest residence episode (a floating one) ended
            more than this many years before today are erased (default
            :data:`DEFAULT_FLOATING_YEARS`; see the module docstring for why).
    """

    floating_years: int = attrs.field(default=DEFAULT_FLOATING_YEARS, validator=_positive_years)

    def cutoff(self, today: date) -> date:
        """The day ``floating_years`` years before ``today`` (29 February → 28 February): a
        departure before it has passed the retention period."""
        year = today.year - self.floating_years
        try:
            return today.replace(year=year)
        except ValueError:
            return today.replace(year=year, day=28)

    def applies_to(self, person: Person, today: date) -> bool:
        """True if ``person`` is due for erasure on ``today`` (active, not erased, its latest
        episode floating and ended before :meth:`cutoff`)."""
        latest = person.latest_residence
        return (
            person.status is PersonStatus.ACTIVE
            and latest is not None
            and latest.status is ResidenceStatus.FLOATING
            and latest.departure is not None
            and latest.departure < self.cutoff(today)
            and not is_erased(person)
        )


@attrs.frozen
class RetentionCandidate:
    """A record due for erasure (no personal data).

    Attributes:
        person_id: the record.
        unit_code: the unit of its latest residence episode.
        departure: when the person left it.
    """

    person_id: uuid.UUID
    unit_code: str
    departure: date


def retention_candidates(
    uow: UnitOfWork, policy: RetentionPolicy, *, today: date | None = None, batch: int = _PAGE
) -> list[RetentionCandidate]:
    """The records ``policy`` erases on ``today`` (default: the store's today), in the actor's
    scope, ordered by id (``batch`` records read per query page)."""
    on = uow.today() if today is None else today
    query = PersonQuery(status=ResidenceStatus.FLOATING)
    if not uow.actor.unrestricted:
        assert uow.actor.scope is not None
        query = attrs.evolve(query, latest_prefixes=tuple(r.short for r in uow.actor.scope))
    found: list[RetentionCandidate] = []
    offset = 0
    while True:
        page = uow.session.query_persons(attrs.evolve(query, limit=batch, offset=offset))
        for person in page:
            latest = person.latest_residence
            if policy.applies_to(person, on) and latest is not None:
                assert latest.departure is not None
                found.append(
                    RetentionCandidate(person.id, latest.unit_code.value, latest.departure)
                )
        if len(page) < batch:
            return found
        offset += batch


@attrs.frozen
class RetentionReport:
    """What :func:`apply_retention` found and did (ids, dates and counts only).

    Attributes:
        floating_years: the policy's period.
        today: the day the policy was applied on.
        cutoff: departures before this day were due.
        dry_run: nothing was changed.
        candidates: the records due (in a dry run: what a real run would erase).
        erased: the ids erased by this run (empty in a dry run).
        skipped: candidates found already erased when their turn came (another run).
    """

    floating_years: int
    today: date
    cutoff: date
    dry_run: bool
    candidates: tuple[RetentionCandidate, ...]
    erased: tuple[uuid.UUID, ...] = ()
    skipped: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (through the library's converter)."""
        data: dict[str, Any] = unstructure(self)
        return data


#: The reason recorded on a retention erasure.
RETENTION_REASON = "保存期限届满 retention period passed"


def apply_retention(
    store: Store,
    policy: RetentionPolicy,
    actor: Actor,
    *,
    dry_run: bool = True,
    batch: int = _PAGE,
    today: date | None = None,
    limit: int | None = None,
    after_each: Callable[[uuid.UUID], None] | None = None,
) -> RetentionReport:
    """Apply ``policy``: list the records due and, unless ``dry_run``, erase each in its own
    unit of work (committed one by one, ``batch`` candidates listed per query page, at most
    ``limit`` erased). An interrupted run leaves every record wholly erased or untouched; a
    rerun skips those erased and finishes. ``after_each(person_id)`` is called after each
    committed erasure (progress; an exception from it stops the run).

    Raises:
        PermissionDeniedError: ``rights_denied`` (see the module docstring).
        ValidationError: ``invalid_batch``.
    """
    if isinstance(batch, bool) or not isinstance(batch, int) or batch <= 0:
        raise ValidationError(
            "批量须为正整数", "the batch size must be positive", code="invalid_batch", field="batch"
        )
    on = today_cst(store.clock) if today is None else today
    with store.unit_of_work(actor, purpose=DATA_SUBJECT_REQUEST) as uow:
        _require_rights(uow, write=not dry_run)
        candidates = retention_candidates(uow, policy, today=on, batch=batch)
    erased: list[uuid.UUID] = []
    skipped = 0
    if not dry_run:
        for candidate in candidates if limit is None else candidates[:limit]:
            with store.unit_of_work(
                actor, purpose=DATA_SUBJECT_REQUEST, reason=RETENTION_REASON
            ) as uow:
                current = uow.session.get_person(candidate.person_id)
                if current is None or not policy.applies_to(current, on):
                    skipped += 1
                    continue
                erase_person(uow, candidate.person_id, reason=RETENTION_REASON)
                uow.commit()
            erased.append(candidate.person_id)
            if after_each is not None:
                after_each(candidate.person_id)
    return RetentionReport(
        policy.floating_years,
        on,
        policy.cutoff(on),
        dry_run,
        tuple(candidates),
        tuple(erased),
        skipped,
    )
