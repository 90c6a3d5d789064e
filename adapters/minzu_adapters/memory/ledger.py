"""Memory storage of the ledger (台账): persons, one active record per ID number."""

from __future__ import annotations

import uuid
from collections.abc import Hashable

from minzu_adapters.memory.session import DocumentSession, Unique, id_kind, in_prefixes, page
from minzu_core.errors import DuplicateError
from minzu_core.ledger.model import Person, PersonStatus
from minzu_core.ledger.ports import PersonQuery

__all__ = ["ACTIVE_ID_NUMBER", "PERSONS", "LedgerMemory"]


def _active_number(person: Person) -> Hashable | None:
    return person.id_number if person.status is PersonStatus.ACTIVE else None


#: One active record per ID number.
ACTIVE_ID_NUMBER: Unique[Person] = Unique(
    "person.active_id_number",
    value=_active_number,
    error=lambda _p: DuplicateError(
        "该公民身份号码已有有效记录",
        "an active record with this ID number exists",
        code="duplicate_id_number",
        field="id_number",
    ),
)
#: Persons, keyed by id.
PERSONS = id_kind("person", Person, "人员记录", "person", unique=(ACTIVE_ID_NUMBER,))


def _matches(person: Person, q: PersonQuery) -> bool:
    if q.active_only and person.status is not PersonStatus.ACTIVE:
        return False
    if not (
        (q.minority is None or person.is_minority == q.minority)
        and (q.ethnicity is None or person.ethnicity == q.ethnicity)
        and (q.name is None or person.name == q.name)
        and (q.birth_date is None or person.birth_date == q.birth_date)
    ):
        return False
    if q.latest_prefixes is not None:
        latest = person.latest_residence
        if latest is None or not in_prefixes(latest.unit_code, q.latest_prefixes):
            return False
    return not q.has_residence_condition or any(
        in_prefixes(r.unit_code, q.prefixes)
        and (q.as_of is None or r.present_on(q.as_of))
        and (q.status is None or r.status is q.status)
        for r in person.residences
    )


class LedgerMemory(DocumentSession):
    """The ledger port on the document layer."""

    def get_person(self, person_id: uuid.UUID) -> Person | None:
        """The person with this id."""
        return self.doc_get(PERSONS, str(person_id))

    def find_active_by_id_number(self, id_number: str) -> Person | None:
        """The active person with this ID number."""
        return self.doc_find(PERSONS, ACTIVE_ID_NUMBER, id_number)

    def insert_person(self, person: Person) -> None:
        """Insert a person."""
        self.doc_insert(PERSONS, person)

    def update_person(self, person: Person, expected_version: int) -> None:
        """Replace a person if its version is ``expected_version``."""
        self.doc_update(PERSONS, person, expected_version)

    def query_persons(self, query: PersonQuery) -> list[Person]:
        """Persons matching ``query``, ordered by id text."""
        found = self.doc_query(PERSONS, lambda p: _matches(p, query), lambda p: str(p.id))
        return page(found, query.limit, query.offset)

    def count_persons(self, query: PersonQuery) -> int:
        """How many persons match ``query``."""
        return self.doc_count(PERSONS, lambda p: _matches(p, query))
