"""Bulk writes on SQL stores (批量写入): :class:`BulkStorage` stores a whole
:class:`~minzu_core.store.bulk.BulkBatch` with one bulk statement per table.

The rows are built by the context mixins' own row builders (the same bind formats as a single
insert). On PostgreSQL through psycopg 3 each table's rows are streamed with ``COPY … FROM
STDIN`` on the driver connection of the session's own connection, inside the same transaction
and SAVEPOINT, after the columns' own bind processing (the values a single insert would send, so
the stored formats are the same). Elsewhere, and as the fallback for other PostgreSQL drivers,
SQLAlchemy sends each list of rows as an ``executemany``, which it batches into multi-row
``INSERT … VALUES (…), (…)`` statements on PostgreSQL and MariaDB ("insertmanyvalues"). The
whole batch runs in one SAVEPOINT, so a refused row leaves nothing of the batch behind. Person
and history rows are encrypted by their row builders when the store has keys (the COPY path
streams the same tokens and blind indexes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, exc, insert

from minzu_adapters.sql.disputes import DISPUTE_CASE, DisputeStorage
from minzu_adapters.sql.hierarchy import UnitStorage
from minzu_adapters.sql.history import HistoryStorage
from minzu_adapters.sql.ledger import PersonStorage
from minzu_adapters.sql.services import SERVICE_CASE, ServiceStorage
from minzu_core.errors import DuplicateError
from minzu_core.store.bulk import BulkBatch

__all__ = ["BulkStorage", "can_copy", "copy_rows"]


def _duplicate() -> DuplicateError:
    return DuplicateError(
        "批量写入的记录与已存储的记录重复",
        "a record of the bulk write duplicates a stored one",
        code="duplicate",
    )


def can_copy(conn: Connection) -> bool:
    """Whether :func:`copy_rows` can load rows through ``conn``: PostgreSQL through psycopg 3."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def copy_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Load ``rows`` (all with the keys of the first) into ``table`` with one ``COPY … FROM
    STDIN`` on the driver connection of ``conn`` (psycopg 3), in its current transaction.

    Every value goes through its column type's bind processing first (what SQLAlchemy does for
    an ``INSERT``: aware timestamps to naive UTC, JSON to text), so the stored rows are those an
    ``insert(table)`` of the same rows stores. A driver error is raised as SQLAlchemy's
    :class:`~sqlalchemy.exc.DBAPIError`, as an ``INSERT`` would raise it."""
    import psycopg

    names = list(rows[0])
    dialect = conn.dialect
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    quote = dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in names)
    statement = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        value if process is None else process(value)
                        for value, process in zip(
                            (row[name] for name in names), processors, strict=True
                        )
                    ]
                )
    except psycopg.Error as err:
        raise exc.DBAPIError.instance(statement, None, err, psycopg.Error) from err


class BulkStorage(UnitStorage, PersonStorage, HistoryStorage, ServiceStorage, DisputeStorage):
    """The :class:`~minzu_core.store.bulk.BulkPort` of
    :class:`~minzu_adapters.sql.store.SqlSession`."""

    #: Load with ``COPY`` where :func:`can_copy` says so (``False``: always ``executemany``).
    use_copy = True

    def insert_batch(self, batch: BulkBatch) -> None:
        """Store every record of ``batch``, parents first, in one SAVEPOINT."""
        t = self._t
        plan: list[tuple[Table, list[dict[str, Any]]]] = [
            (t.units, [self._unit_row(u) for u in batch.units])
        ]
        persons, residences = [], []
        for person in batch.persons:
            row, rows = self._person_rows(person)
            persons.append(row)
            residences.extend(rows)
        plan += [(t.persons, persons), (t.residences, residences)]
        plan.append((t.service_windows, [self._window_row(w) for w in batch.windows]))
        events: list[dict[str, Any]] = []
        requests = []
        for request, index in batch.requests:
            requests.append(self._request_row(request, index))
            events += self._event_rows(SERVICE_CASE, str(request.id), request.events, 0)
        disputes = []
        for dispute, dispute_index in batch.disputes:
            disputes.append(self._dispute_row(dispute, dispute_index))
            events += self._event_rows(DISPUTE_CASE, str(dispute.id), dispute.events, 0)
        plan += [(t.service_requests, requests), (t.disputes, disputes), (t.case_events, events)]
        history = [self._history_row(r) for r in batch.history]
        plan.append((t.history, history))
        with self._write(_duplicate, several=True) as conn:
            copying = self.use_copy and can_copy(conn)
            for table, rows in plan:
                if rows and copying:
                    copy_rows(conn, table, rows)
                elif rows:
                    conn.execute(insert(table), rows)
