"""SQL storage of the ledger (a mixin of :class:`~minzu_adapters.sql.store.SqlSession`): persons
and their residence episodes.

A person is one ``persons`` row (its household flattened into three columns, and
``active_id_number`` holding the ID number while the person is active, under a UNIQUE
constraint) with its residences in ``residences``. A page of persons comes back with its
residences in ONE statement: the page as a subquery, outer-joined to the residences. Persons
of a subtree are found from the residences in its unit-code range (:func:`_from_residences`),
so a community's page or count costs the same in a ledger of 10,000 or 1,000,000 persons.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import attrs
from sqlalchemy import ColumnElement, RowMapping, delete, insert, or_, select

from minzu_adapters.sql.crypto import ColumnCodec, codec_of
from minzu_adapters.sql.errors import duplicate_id
from minzu_adapters.sql.session import SessionCore, nest_rows, prefix_match
from minzu_core.codes.ethnicity import HAN
from minzu_core.ledger.model import Person, PersonStatus, Residence
from minzu_core.ledger.ports import PersonQuery
from minzu_core.serialization import structure, unstructure

__all__ = ["PersonStorage"]

_PERSON_FIELDS = tuple(
    f.name for f in attrs.fields(Person) if f.name not in ("household", "residences")
)
_RESIDENCE_FIELDS = tuple(f.name for f in attrs.fields(Residence))
_RES_LABEL = "r_"

_duplicate_person = duplicate_id("人员记录", "person")

#: The fewest digits of a unit-code prefix (a prefecture's) for which a count or a whole list
#: of persons is found from the residences in the prefix's range (:func:`_from_residences`).
_WHOLE_PREFIX = 4
#: The same for a page of persons (a county's digits).
_PAGE_PREFIX = 6


def _from_residences(q: PersonQuery) -> bool:
    """Whether the statement starts from the residences in the subtree's unit-code range (the
    index on ``residences.unit_code``) and looks the persons up by id: ``persons.id IN (SELECT
    person_id FROM residences WHERE <one episode meets all residence conditions>)``. Its cost
    follows the size of the subtree, not of the ledger.

    The other shape walks the persons in id order, testing each with a correlated ``EXISTS`` on
    its residences: its cost follows the ledger, but a page stops once it is full. SQLite runs
    each shape as written (PostgreSQL plans both as the same semi-join), so the shape is
    chosen by the subtree: the walk is kept without a unit-code condition, for a province
    (whose persons are usually the whole ledger: reading them from the residences costs about
    twice the walk) and for a page of a prefecture, whose persons are so large a part of the
    ledger that the walk fills a page after a few rows. Both shapes give the same persons: the
    subquery is the ``EXISTS`` uncorrelated.
    """
    if q.prefixes is None:
        return False
    shortest = _WHOLE_PREFIX if q.limit is None else _PAGE_PREFIX
    return all(len(prefix) >= shortest for prefix in q.prefixes)


def _person_data(m: RowMapping) -> dict[str, Any]:
    data = {name: m[name] for name in _PERSON_FIELDS}
    data["extensions"] = data["extensions"] or {}  # NULL: none (rows from before 0008)
    data["household"] = (
        {"division_code": m["household_code"], "address": m["household_address"]}
        if m["has_household"]
        else None
    )
    return data


def _residence_data(m: RowMapping) -> dict[str, Any] | None:
    if m[_RES_LABEL + "id"] is None:
        return None
    return {n: m[_RES_LABEL + n] for n in _RESIDENCE_FIELDS}


class PersonStorage(SessionCore):
    """The ledger primitives of :class:`~minzu_adapters.sql.store.SqlSession`."""

    def _codec(self) -> ColumnCodec:
        """The store's column codec (clear values without keys)."""
        return codec_of(self._context)

    def _person_rows(self, person: Person) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        data = unstructure(person)
        residences = data.pop("residences")
        household = data.pop("household")
        data["has_household"] = household is not None
        data["household_code"] = household["division_code"] if household else None
        data["household_address"] = household["address"] if household else None
        data["active_id_number"] = (
            data["id_number"] if person.status is PersonStatus.ACTIVE else None
        )
        row = self._bind(self._t.persons, self._codec().encode_person(data))
        res_rows = [
            self._bind(self._t.residences, {**r, "person_id": data["id"]}, "residences.")
            for r in residences
        ]
        return row, res_rows

    def _load_persons(
        self,
        conds: Sequence[ColumnElement[bool]],
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Person]:
        """Persons matching ``conds`` ordered by id, with their residences: ONE statement (the
        page of persons as a subquery, outer-joined to its residences)."""
        p, r = self._t.persons, self._t.residences
        page_stmt = select(p).where(*conds)
        if limit is not None or offset:
            page_stmt = page_stmt.order_by(p.c.id).limit(limit).offset(offset or None)
        page = page_stmt.subquery("page")
        stmt = (
            select(page, *(c.label(_RES_LABEL + c.name) for c in r.c))
            .select_from(page.outerjoin(r, r.c.person_id == page.c.id))
            .order_by(page.c.id, r.c.arrival, r.c.id)
        )
        codec = self._codec()
        persons = nest_rows(
            self._all(stmt),
            lambda m: codec.decode_person(_person_data(m)),
            "residences",
            _residence_data,
        )
        return [structure(data, Person) for data in persons]

    def get_person(self, person_id: uuid.UUID) -> Person | None:
        """The person with this id (any status), or ``None``."""
        found = self._load_persons([self._t.persons.c.id == str(person_id)])
        return found[0] if found else None

    def find_active_by_id_number(self, id_number: str) -> Person | None:
        """The active person holding this normalised ID number, or ``None``."""
        keys = self._codec().active_keys(id_number)
        found = self._load_persons([self._t.persons.c.active_id_number.in_(keys)])
        return found[0] if found else None

    def insert_person(self, person: Person) -> None:
        """Store a new person with its residences (``DuplicateError`` for an existing id or a
        second active record with the ID number)."""
        row, res_rows = self._person_rows(person)
        with self._write(_duplicate_person, several=bool(res_rows)) as conn:
            conn.execute(insert(self._t.persons), row)
            if res_rows:
                conn.execute(insert(self._t.residences), res_rows)

    def update_person(self, person: Person, expected_version: int) -> None:
        """Replace a person and rewrite its residences if the stored version is
        ``expected_version``; else raise ``ConcurrencyError(code="stale_version")``."""
        p, r = self._t.persons, self._t.residences
        row, res_rows = self._person_rows(person)
        pid = row.pop("id")
        with self._versioned_update(
            "person", p.c.id, pid, row, expected_version, _duplicate_person, several=True
        ) as conn:
            conn.execute(delete(r).where(r.c.person_id == pid))
            if res_rows:
                conn.execute(insert(r), res_rows)

    def _person_conditions(self, q: PersonQuery) -> list[ColumnElement[bool]]:
        p, r = self._t.persons, self._t.residences
        conds: list[ColumnElement[bool]] = []
        if q.active_only:
            conds.append(p.c.status == PersonStatus.ACTIVE.value)
        if q.minority is not None:
            conds.append(p.c.ethnicity != HAN if q.minority else p.c.ethnicity == HAN)
        if q.ethnicity is not None:
            conds.append(p.c.ethnicity == q.ethnicity)
        if q.name is not None:
            conds.append(self._codec().name_condition(p, q.name))
        if q.birth_date is not None:
            conds.append(p.c.birth_date == q.birth_date)
        if q.latest_prefixes is not None:
            conds.append(self._latest_in(q.latest_prefixes))
        if not q.has_residence_condition:
            return conds
        # One residence episode meets all of these:
        episode = [] if q.prefixes is None else [prefix_match(r.c.unit_code, q.prefixes)]
        if q.as_of is not None:
            episode.append(r.c.arrival <= q.as_of)
            episode.append(or_(r.c.departure.is_(None), r.c.departure > q.as_of))
        if q.status is not None:
            episode.append(r.c.status == q.status.value)
        if _from_residences(q):
            conds.append(p.c.id.in_(select(r.c.person_id).where(*episode)))
        else:
            conds.append(select(r.c.id).where(r.c.person_id == p.c.id, *episode).exists())
        return conds

    def _latest_in(self, prefixes: tuple[str, ...]) -> ColumnElement[bool]:
        """The person's latest episode (no later arrival of theirs) lies under ``prefixes``."""
        p, r = self._t.persons, self._t.residences
        later = self._t.residences.alias("later")
        newer = select(later.c.id).where(
            later.c.person_id == r.c.person_id, later.c.arrival > r.c.arrival
        )
        return (
            select(r.c.id)
            .where(r.c.person_id == p.c.id, prefix_match(r.c.unit_code, prefixes), ~newer.exists())
            .exists()
        )

    def query_persons(self, query: PersonQuery) -> list[Person]:
        """Persons matching ``query`` ordered by id, paged in the database."""
        if query.limit is not None and query.limit <= 0:
            return []
        return self._load_persons(
            self._person_conditions(query), limit=query.limit, offset=max(query.offset, 0)
        )

    def count_persons(self, query: PersonQuery) -> int:
        """How many persons match ``query``: one ``SELECT count(*)``."""
        return self._count(self._t.persons, self._person_conditions(query))
