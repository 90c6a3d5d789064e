"""The ledger's storage port (台账存储端口): what a store offers for persons."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

import minzu_core.fields as fields
from minzu_core.ledger.model import Person, ResidenceStatus

if TYPE_CHECKING:
    pass


__all__ = [
    "LedgerPort",
    "PersonQuery",
]


@attrs.frozen
class PersonQuery:
    """Which persons to list or count.

    The residence condition applies when any of ``prefixes``, ``as_of`` or ``status`` is set: a
    person matches if ONE of their residence episodes has a unit code starting with one of
    ``prefixes`` (if set), is present on ``as_of`` (``arrival <= as_of < departure``, if set) and
    has ``status`` (if set). ``latest_prefixes`` (the actor's scope) applies to the person's
    latest episode alone (:attr:`Person.latest_residence`: the open one, else the last by
    arrival): its unit code must start with one of them. The other filters apply to the person
    record itself. Results are ordered by the person id (text form); ``limit``/``offset`` page
    through them.
    """

    prefixes: tuple[str, ...] | None = None
    latest_prefixes: tuple[str, ...] | None = None
    as_of: date | None = attrs.field(default=None, converter=fields.to_date_or_none)
    status: ResidenceStatus | None = attrs.field(default=None, converter=fields.to_choice_or_none)
    minority: bool | None = attrs.field(default=None, converter=fields.to_flag_or_none)
    ethnicity: str | None = None
    name: str | None = None
    birth_date: date | None = None
    active_only: bool = True
    limit: int | None = attrs.field(default=None, converter=fields.to_count_or_none)
    offset: int = attrs.field(default=0, converter=fields.to_count)

    @property
    def has_residence_condition(self) -> bool:
        """True if the query filters on residence episodes."""
        return self.prefixes is not None or self.as_of is not None or self.status is not None


@runtime_checkable
class LedgerPort(Protocol):
    """Storage primitives of ledger persons (with their residence episodes)."""

    def get_person(self, person_id: uuid.UUID) -> Person | None:
        """The person with this id (any status), or ``None``."""
        ...

    def find_active_by_id_number(self, id_number: str) -> Person | None:
        """The active person holding this normalised ID number, or ``None``."""
        ...

    def insert_person(self, person: Person) -> None:
        """Store a new person (with its residences)."""
        ...

    def update_person(self, person: Person, expected_version: int) -> None:
        """Replace a person (and its residences) if the stored version is ``expected_version``."""
        ...

    def query_persons(self, query: PersonQuery) -> list[Person]:
        """Persons matching ``query`` (see :class:`PersonQuery`)."""
        ...

    def count_persons(self, query: PersonQuery) -> int:
        """How many persons match ``query`` (``limit``/``offset`` ignored)."""
        ...
