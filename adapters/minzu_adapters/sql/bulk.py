"""Bulk writes on SQL stores (批量写入): :class:`BulkStorage` stores a whole
:class:`~minzu_core.store.bulk.BulkBatch` with one multi-row ``INSERT`` per table.

The rows are built by the context mixins' own row builders (the same bind formats as a single
insert); SQLAlchemy sends each list of rows as an ``executemany``, which it batches into
multi-row ``INSERT … VALUES (…), (…)`` statements on PostgreSQL and MariaDB ("insertmanyvalues").
The whole batch runs in one SAVEPOINT, so a refused row leaves nothing of the batch behind.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert

from minzu_adapters.sql.disputes import DISPUTE_CASE, DisputeStorage
from minzu_adapters.sql.hierarchy import UnitStorage
from minzu_adapters.sql.history import HistoryStorage
from minzu_adapters.sql.ledger import PersonStorage
from minzu_adapters.sql.services import SERVICE_CASE, ServiceStorage
from minzu_core.errors import DuplicateError
from minzu_core.serialization import unstructure
from minzu_core.store.bulk import BulkBatch

__all__ = ["BulkStorage"]


def _duplicate() -> DuplicateError:
    return DuplicateError(
        "批量写入的记录与已存储的记录重复",
        "a record of the bulk write duplicates a stored one",
        code="duplicate",
    )


class BulkStorage(UnitStorage, PersonStorage, HistoryStorage, ServiceStorage, DisputeStorage):
    """The :class:`~minzu_core.store.bulk.BulkPort` of
    :class:`~minzu_adapters.sql.store.SqlSession`."""

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
        history = [self._bind(t.history, unstructure(r)) for r in batch.history]
        plan.append((t.history, history))
        with self._write(_duplicate, several=True) as conn:
            for table, rows in plan:
                if rows:
                    conn.execute(insert(table), rows)
