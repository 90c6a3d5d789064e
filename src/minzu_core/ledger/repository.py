"""The repository of the ledger (台账仓储): persons and their residence episodes.

Every record read comes back as the unit of work may see it (:mod:`minzu_core.ledger.masking`):
personal fields the actor's roles may not read in clear for the declared purpose are masked,
and each record read with a field group in clear is recorded for the audit trail. A write needs
the write permission of every field group it changes; a masked value is never stored.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Protocol

import attrs

import minzu_core.fields as fields
from minzu_core.checks import check_version, parse_uuid, require_reason
from minzu_core.codes.divisions import DivisionCode, Level
from minzu_core.codes.ethnicity import normalize_ethnicity_code
from minzu_core.codes.resident_id import mask_resident_id, parse_resident_id
from minzu_core.errors import DuplicateError, PermissionDeniedError, ValidationError
from minzu_core.hierarchy.ports import HierarchyPort
from minzu_core.hierarchy.repository import stored_versions
from minzu_core.history import ChangeKind, ChangeRecord, HistoryPort
from minzu_core.ledger.masking import (
    refuse_withheld,
    restore_withheld,
    shown_person,
    written_groups,
)
from minzu_core.ledger.model import Person, PersonStatus, ResidenceStatus
from minzu_core.ledger.ports import LedgerPort, PersonQuery
from minzu_core.privacy.actor import Actor
from minzu_core.privacy.extensions import ExtensionRegistry
from minzu_core.privacy.permissions import FieldGroup
from minzu_core.repository import Label, List, Repository, RepositoryContext

__all__ = [
    "LedgerContext",
    "PersonRepository",
    "person_in_scope",
]


class _Storage(HierarchyPort, LedgerPort, HistoryPort, Protocol):
    """The ports the person repository uses."""


class LedgerContext(RepositoryContext[_Storage], Protocol):
    """What the person repository uses of its unit of work: the common context and the
    deployment's declared extension fields."""

    @property
    def extensions(self) -> ExtensionRegistry:
        """The declared extension fields of persons."""
        ...


_PERSON: Label = ("人员记录", "person")
_RESIDENCE: Label = ("居住地", "residence ")


class PersonRepository(Repository[_Storage]):
    """The ledger: persons and their residence episodes."""

    _uow: LedgerContext

    def __init__(self, uow: LedgerContext) -> None:
        super().__init__(uow)

    # -- scope ---------------------------------------------------------------------------------
    def _visible(self, person: Person) -> bool:
        return person_in_scope(self._uow.actor, person)

    def _require_visible(self, person: Person) -> None:
        if not self._visible(person):
            raise self._outside(_PERSON, "residences")

    def _shown(self, person: Person) -> Person:
        """``person`` as the unit of work may see it (masked where it may not read in clear),
        its clear read recorded for the audit trail."""
        shown, clear = shown_person(
            person, self._uow.access, self._uow.today(), self._uow.extensions
        )
        self._uow.trail.read("person", str(person.id), clear)
        return shown

    def _written_groups(self, record: object, previous: object | None) -> frozenset[FieldGroup]:
        if not isinstance(record, Person):  # pragma: no cover - the repository stores persons
            return frozenset()
        before = previous if isinstance(previous, Person) else None
        return written_groups(record, before, self._uow.today(), self._uow.extensions)

    def _require_write(self, person: Person, current: Person | None) -> None:
        """``PermissionDeniedError(code="field_group_denied")`` unless the actor may write
        every field group the write changes."""
        if person.extensions:  # undeclared keys (and religion, risk scores) are refused
            self._uow.extensions.check(person.extensions)
        groups = written_groups(person, current, self._uow.today(), self._uow.extensions)
        self._uow.access.require_write(groups, field="person")

    def _stored(self, person_id: uuid.UUID) -> Person:
        """The stored record (in scope), or ``NotFoundError(code="person_not_found")``."""
        current = self._found(self._s.get_person(person_id), _PERSON, "person_not_found", "id")
        self._require_visible(current)
        return current

    # -- reads ---------------------------------------------------------------------------------
    def find(self, person_id: uuid.UUID | str) -> Person | None:
        """The person with this id, or ``None``; raises PermissionDeniedError out of scope."""
        person = self._s.get_person(parse_uuid(person_id, "id"))
        if person is None:
            return None
        self._require_visible(person)
        return self._shown(person)

    def get(self, person_id: uuid.UUID | str) -> Person:
        """Like :meth:`find` but raises :class:`NotFoundError` (code ``person_not_found``)."""
        return self._found(self.find(person_id), _PERSON, "person_not_found", "id")

    def find_by_id_number(self, id_number: str) -> Person | None:
        """The active record holding this ID number, or ``None``. The number is judged on the
        store's clock: one whose birth date is after today is ``birth_date_in_future``."""
        number = parse_resident_id(id_number, today=self._uow.today()).number
        person = self._s.find_active_by_id_number(number)
        if person is None:
            return None
        self._require_visible(person)
        return self._shown(person)

    def _query(
        self,
        within: DivisionCode | str | None,
        as_of: date | None,
        status: ResidenceStatus | str | None,
        minority: bool | None,
        ethnicity: str | None,
    ) -> PersonQuery | None:
        """The filters of :meth:`list` and :meth:`count` in ``within`` ∩ the actor's scope
        (``None``: nothing is visible)."""
        query = PersonQuery(
            as_of=None if as_of is None else fields.as_date(as_of, "as_of"),
            status=None if status is None else ResidenceStatus.parse(status, field="status"),
            minority=None if minority is None else fields.as_flag(minority, "minority"),
            ethnicity=None if ethnicity is None else normalize_ethnicity_code(ethnicity),
        )
        return self._scoped_now(within, query)

    def _scoped_now(
        self, within: DivisionCode | str | None, query: PersonQuery
    ) -> PersonQuery | None:
        """``query`` in ``within`` ∩ the actor's scope, where the scope applies to the person's
        latest residence episode (a unit the person has left no longer sees them)."""
        scoped = self._scoped(within, query)
        actor = self._uow.actor
        if scoped is None or actor.unrestricted:
            return scoped
        return attrs.evolve(scoped, latest_prefixes=self._prefixes(None))

    def list(
        self,
        *,
        within: DivisionCode | str | None = None,
        as_of: date | None = None,
        status: ResidenceStatus | str | None = None,
        minority: bool | None = None,
        ethnicity: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> List[Person]:
        """Active persons with a residence in ``within``'s subtree (∩ the actor's scope), present
        on ``as_of`` with ``status`` if given, ordered by id."""
        query = self._query(within, as_of, status, minority, ethnicity)
        if query is None:
            return []
        found = self._s.query_persons(attrs.evolve(query, limit=limit, offset=offset))
        return [self._shown(p) for p in found]

    def count(
        self,
        *,
        within: DivisionCode | str | None = None,
        as_of: date | None = None,
        status: ResidenceStatus | str | None = None,
        minority: bool | None = None,
        ethnicity: str | None = None,
    ) -> int:
        """How many persons :meth:`list` would return (counted in the store)."""
        query = self._query(within, as_of, status, minority, ethnicity)
        return 0 if query is None else self._s.count_persons(query)

    def likely_duplicates(self, person: Person) -> List[Person]:
        """Active records (in scope) that may be the same person: same name, birth date and
        ethnicity, another id; for a record whose birth date is unknown, the records of the
        same name and ethnicity whose birth date is unknown too. Offered for a merge decision
        (:meth:`merge`)."""
        person = self._typed(person, Person, "person")
        born = person.birth_date if isinstance(person.birth_date, date) else None
        if born is None and fields.is_withheld(person.birth_date):
            return []  # a masked birth date matches nothing
        query = self._scoped_now(
            None, PersonQuery(name=person.name, birth_date=born, ethnicity=person.ethnicity)
        )
        found = [] if query is None else self._s.query_persons(query)
        if born is None:
            found = [p for p in found if p.birth_date is None]
        return [self._shown(p) for p in found if p.id != person.id]

    def history(self, person_id: uuid.UUID | str) -> List[ChangeRecord]:
        """Every recorded change of a person, oldest first."""
        person = self._stored(parse_uuid(person_id, "id"))
        return self._history("person", str(person.id))

    # -- writes --------------------------------------------------------------------------------
    def add(self, person: Person, *, reason: str) -> Person:
        """Store a new ledger record; returns it with ``version == 1``."""
        person = self._typed(person, Person, "person")
        why = require_reason(reason)
        if person.status is not PersonStatus.ACTIVE:
            raise ValidationError(
                "新记录须为有效状态",
                "a new record must be active",
                code="invalid_status",
                field="status",
            )
        refuse_withheld(person)
        if self._s.get_person(person.id) is not None:
            raise DuplicateError(
                "人员记录标识重复", "a person with this id exists", code="duplicate_id", field="id"
            )
        self._require_write(person, None)
        self._check(person, None)
        return self._insert(person, why, "person", _key, self._s.insert_person)

    def save(self, person: Person, *, reason: str, correction: bool = False) -> Person:
        """Store a changed record, version-checked. ``correction=True`` marks the change as the
        correction of a recording mistake rather than a change in the world."""
        person = self._typed(person, Person, "person")
        why = require_reason(reason)
        current = self._stored(person.id)
        check_version(current.version, person.version, "person")
        person = restore_withheld(person, current)
        self._require_write(person, current)
        self._check(person, current)
        return self._update(
            person, current, why, "person", _key, self._s.update_person, correction=correction
        )

    def merge(self, keep: Person, duplicate: Person, *, reason: str) -> Person:
        """Record the decision that ``duplicate`` is the same person as ``keep``: the duplicate
        becomes ``merged`` (pointing to ``keep``) and stays in the history."""
        keep = self._typed(keep, Person, "keep")
        duplicate = self._typed(duplicate, Person, "duplicate")
        why = require_reason(reason)
        if keep.id == duplicate.id:
            raise ValidationError(
                "不能与自身合并",
                "cannot merge a record into itself",
                code="invalid_merge",
                field="merged_into",
            )
        target = self._stored(keep.id)
        if target.status is not PersonStatus.ACTIVE:
            raise ValidationError(
                "合并目标须为有效记录",
                "the record kept must be active",
                code="invalid_merge",
                field="merged_into",
            )
        current = self._stored(duplicate.id)
        merged = attrs.evolve(
            restore_withheld(duplicate, current), status=PersonStatus.MERGED, merged_into=keep.id
        )
        store = self._s.update_person
        return self._update(merged, current, why, "person", _key, store, kind=ChangeKind.MERGED)

    def _check(self, person: Person, current: Person | None) -> None:
        """Domain rules that need the store or the clock."""
        actor = self._uow.actor
        today = self._uow.today()
        if person.birth_date is not None and person.birth_date > today:
            raise ValidationError(
                "出生日期不能晚于今天",
                "birth date is in the future",
                code="birth_date_in_future",
                field="birth_date",
            )
        if not person.residences and not actor.unrestricted:
            raise PermissionDeniedError(
                "须登记居住地 (数据范围以居住地确定)",
                "a residence is required: the actor's scope is checked against it",
                code="outside_scope",
                field="residences",
            )
        old = {r.id: r for r in current.residences} if current else {}
        kept = {r.id for r in person.residences}
        for gone in old.values():
            if gone.id not in kept:  # an episode of another unit cannot be dropped from here
                actor.require(gone.unit_code, field="residences")
        for index, residence in enumerate(person.residences):
            if old.get(residence.id) == residence:
                continue  # unchanged episode: no need to re-check
            field = f"residences[{index}].unit_code"
            actor.require(residence.unit_code, field=field)
            if residence.arrival > today:
                raise ValidationError(
                    "来本地时间不能晚于今天",
                    "arrival is in the future",
                    code="arrival_in_future",
                    field=f"residences[{index}].arrival",
                )
            versions = stored_versions(self._s, residence.unit_code, field, _RESIDENCE)
            if versions[-1].level is not Level.VILLAGE:
                raise ValidationError(
                    "居住地须为社区/村级单位",
                    "the residence unit must be a community or village",
                    code="residence_level",
                    field=field,
                )
        if person.guardian_id is not None and (
            current is None or current.guardian_id != person.guardian_id
        ):
            guardian = self._s.get_person(person.guardian_id)
            if guardian is not None and not person_in_scope(actor, guardian):
                raise self._outside(("监护人", "guardian"), "guardian_id")
            if guardian is None:
                raise ValidationError(
                    "监护人记录不存在",
                    "the guardian record does not exist",
                    code="guardian_not_found",
                    field="guardian_id",
                )
        if (
            person.id_number is not None
            and person.status is PersonStatus.ACTIVE
            and (
                current is None
                or current.id_number != person.id_number
                or current.status is not PersonStatus.ACTIVE
            )
        ):
            holder = self._s.find_active_by_id_number(person.id_number)
            if holder is not None and holder.id != person.id:
                raise DuplicateError(
                    f"公民身份号码 {mask_resident_id(person.id_number)} 已有有效记录",
                    f"an active record with ID number {mask_resident_id(person.id_number)} exists",
                    code="duplicate_id_number",
                    field="id_number",
                )


def person_in_scope(actor: Actor, person: Person) -> bool:
    """Whether ``actor`` may see ``person``: unrestricted, or the person's latest residence
    episode (:attr:`Person.latest_residence`) lies in the actor's scope. Scope follows the
    person's current place; a unit the person has left keeps only its own records (requests,
    disputes it handled), not the ledger record."""
    if actor.unrestricted:
        return True
    latest = person.latest_residence
    return latest is not None and actor.covers(latest.unit_code)


def _key(person: Person) -> str:
    return str(person.id)
