"""Bulk writes (批量写入): many new records in as few statements as the store can.

Inside ``with uow.bulk():`` the ordinary repository calls that *add* records
(``uow.units.add``, ``uow.people.add``, ``uow.services.add_window``, ``uow.services.submit``,
``uow.disputes.register``) run every rule they always run — scope, validation against the stored
hierarchy, one active record per ID number, version 1 and a ``created`` history record with who,
when and why — but what they store is collected in a :class:`BulkBatch`; when the block ends
without an exception the batch is written at once through the session's
:meth:`BulkPort.insert_batch` (one multi-row statement per table on SQL stores), or record by
record on a store that does not offer the port. A request or dispute added in the block may be
carried through its lifecycle in the block (``uow.services.act``, ``uow.disputes.act``): it is
stored once, with all its events. The unit of work's transaction is unchanged:
nothing is visible before ``uow.commit()``, and a block left by an exception writes nothing.

Reads inside the block see the records added in it (a person added earlier in the block can be
the applicant of a request added later; a county can be the parent of its townships). Changes of
records stored before the block (``save``, ``act``, merges) are refused inside it
(``StoreError(code="bulk_add_only")``): a bulk write only adds.

This is the path the ledger import and the synthetic data generators use::

    with store.unit_of_work(actor) as uow:
        with uow.bulk() as batch:
            for person in persons:
                uow.people.add(person, reason="台账导入")
        uow.commit()
    print(len(batch))
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import attrs

from minzu_core.checks import check_version
from minzu_core.codes.divisions import DivisionCode
from minzu_core.disputes.model import Dispute
from minzu_core.disputes.ports import DisputeIndex
from minzu_core.errors import DuplicateError, StoreError
from minzu_core.hierarchy.model import Unit
from minzu_core.history import ChangeRecord
from minzu_core.ledger.model import Person, PersonStatus
from minzu_core.repository import CaseRecord
from minzu_core.services.model import ServiceRequest, ServiceWindow
from minzu_core.services.ports import RequestIndex
from minzu_core.store.ports import StoreSession

C = TypeVar("C", bound=CaseRecord)
X = TypeVar("X")  # the index values stored with a case

__all__ = ["BufferedSession", "BulkBatch", "BulkPort", "insert_records", "write_batch"]


@attrs.define
class BulkBatch:
    """New records to store together, in the order they were added (parents first).

    Attributes:
        units: unit versions.
        persons: ledger persons with their residences.
        windows: service windows.
        requests: service requests with their index values.
        disputes: disputes with their index values.
        history: the ``created`` history records of all of them.
    """

    units: list[Unit] = attrs.Factory(list)
    persons: list[Person] = attrs.Factory(list)
    windows: list[ServiceWindow] = attrs.Factory(list)
    requests: list[tuple[ServiceRequest, RequestIndex]] = attrs.Factory(list)
    disputes: list[tuple[Dispute, DisputeIndex]] = attrs.Factory(list)
    history: list[ChangeRecord] = attrs.Factory(list)

    def __len__(self) -> int:
        """How many records (history records not counted)."""
        return (
            len(self.units)
            + len(self.persons)
            + len(self.windows)
            + len(self.requests)
            + len(self.disputes)
        )

    def counts(self) -> dict[str, int]:
        """Records per kind: ``{"units": 3, "persons": 120, …}``."""
        return {
            "units": len(self.units),
            "persons": len(self.persons),
            "windows": len(self.windows),
            "requests": len(self.requests),
            "disputes": len(self.disputes),
            "history": len(self.history),
        }


@runtime_checkable
class BulkPort(Protocol):
    """Optional port: a session that stores a whole :class:`BulkBatch` at once.

    The records are new and already checked by the repositories; the store must still enforce
    its own guarantees (unique ids, one active person per ID number, one unit version per
    ``(code, valid_from)``: :class:`~minzu_core.errors.DuplicateError`), and the batch is atomic:
    if any row is refused, nothing of the batch remains in the session.
    """

    def insert_batch(self, batch: BulkBatch) -> None:
        """Store every record of ``batch`` (units, persons, windows, requests, disputes, then
        history), atomically within the session."""
        ...


def _refused(name: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        if name in ("commit", "rollback", "close"):
            raise StoreError(
                "批量写入块结束前不能提交或回滚",
                f"{name} is not allowed before the uow.bulk() block ends",
                code="bulk_open",
            )
        raise StoreError(
            "批量写入只能新增单位、人员、窗口、服务事项和纠纷",
            f"a bulk write only adds units, persons, windows, requests and disputes "
            f"({name} is not allowed inside uow.bulk())",
            code="bulk_add_only",
        )

    return refuse


class BufferedSession:
    """A session that collects inserts into a :class:`BulkBatch` and answers the reads the
    repositories' add paths make (ids, active ID numbers, unit versions, windows, requests,
    disputes) from the batch first, then from ``inner``. Other reads (queries, counts) go to
    ``inner`` and do not see the batch; changes of stored records are refused."""

    def __init__(self, inner: StoreSession) -> None:
        self._inner = inner
        self.batch = BulkBatch()
        self._persons: dict[uuid.UUID, Person] = {}
        # Person ids and ID numbers the inner session does not hold (asked once per block).
        self._absent: set[uuid.UUID | str] = set()
        self._id_numbers: dict[str, Person] = {}
        self._versions: dict[str, list[Unit]] = {}
        self._windows: dict[uuid.UUID, ServiceWindow] = {}
        self._requests: _Cases[ServiceRequest, RequestIndex] = _Cases(self.batch.requests)
        self._disputes: _Cases[Dispute, DisputeIndex] = _Cases(self.batch.disputes)

    def __getattr__(self, name: str) -> Any:
        if name.startswith(("update_", "insert_")) or name in ("commit", "rollback", "close"):
            return _refused(name)
        return getattr(self._inner, name)

    # -- hierarchy -----------------------------------------------------------------------------
    def get_unit_versions(self, code: DivisionCode) -> list[Unit]:
        versions = self._versions.get(code.value)
        if versions is None:
            versions = self._versions[code.value] = list(self._inner.get_unit_versions(code))
        return list(versions)

    def insert_unit(self, unit: Unit) -> None:
        versions = self.get_unit_versions(unit.code)
        if any(v.valid_from == unit.valid_from for v in versions):
            raise _duplicate("unit", "该单位此版本已存在", "this unit version exists")
        versions.append(unit)
        versions.sort(key=lambda v: (v.valid_from is not None, v.valid_from))
        self._versions[unit.code.value] = versions
        self.batch.units.append(unit)

    # -- ledger --------------------------------------------------------------------------------
    def get_person(self, person_id: uuid.UUID) -> Person | None:
        found = self._persons.get(person_id)
        if found is not None or person_id in self._absent:
            return found
        found = self._inner.get_person(person_id)
        if found is None:
            self._absent.add(person_id)  # asked again by the add that follows a find
        return found

    def find_active_by_id_number(self, id_number: str) -> Person | None:
        found = self._id_numbers.get(id_number)
        if found is not None or id_number in self._absent:
            return found
        found = self._inner.find_active_by_id_number(id_number)
        if found is None:
            self._absent.add(id_number)
        return found

    def insert_person(self, person: Person) -> None:
        # The repository has checked the store; the batch is checked here.
        if person.id in self._persons:
            raise _duplicate("id", "人员记录标识重复", "a person with this id exists")
        number = person.id_number
        if person.status is PersonStatus.ACTIVE and number is not None:
            if number in self._id_numbers:
                zh, en = "已有使用该身份证号的有效记录", "an active record has this ID number"
                raise _duplicate("id_number", zh, en)
            self._id_numbers[number] = person
        self._persons[person.id] = person
        self.batch.persons.append(person)

    # -- services and disputes -----------------------------------------------------------------
    def get_window(self, window_id: uuid.UUID) -> ServiceWindow | None:
        found = self._windows.get(window_id)
        return found if found is not None else self._inner.get_window(window_id)

    def insert_window(self, window: ServiceWindow) -> None:
        if self.get_window(window.id) is not None:
            raise _duplicate("id", "窗口标识重复", "a window with this id exists")
        self._windows[window.id] = window
        self.batch.windows.append(window)

    # A request or dispute added in the block may be acted on in the block (its events are
    # stored with it); one stored before the block may not.
    def get_request(self, request_id: uuid.UUID) -> ServiceRequest | None:
        found = self._requests.get(request_id)
        return found if found is not None else self._inner.get_request(request_id)

    def insert_request(self, request: ServiceRequest, index: RequestIndex) -> None:
        if self.get_request(request.id) is not None:
            raise _duplicate("id", "服务事项标识重复", "a request with this id exists")
        self._requests.add(request, index)

    def update_request(
        self, request: ServiceRequest, index: RequestIndex, expected_version: int
    ) -> None:
        self._requests.replace(request, index, expected_version, "update_request")

    def get_dispute(self, dispute_id: uuid.UUID) -> Dispute | None:
        found = self._disputes.get(dispute_id)
        return found if found is not None else self._inner.get_dispute(dispute_id)

    def insert_dispute(self, dispute: Dispute, index: DisputeIndex) -> None:
        if self.get_dispute(dispute.id) is not None:
            raise _duplicate("id", "纠纷标识重复", "a dispute with this id exists")
        self._disputes.add(dispute, index)

    def update_dispute(self, dispute: Dispute, index: DisputeIndex, expected_version: int) -> None:
        self._disputes.replace(dispute, index, expected_version, "update_dispute")

    # -- history -------------------------------------------------------------------------------
    def append_history(self, record: ChangeRecord) -> None:
        self.batch.history.append(record)


class _Cases(Generic[C, X]):
    """The cases of one kind added in a block: their place in the batch, by id."""

    def __init__(self, rows: list[tuple[C, X]]) -> None:
        self.rows: list[tuple[C, X]] = rows
        self.position: dict[uuid.UUID, int] = {}

    def get(self, case_id: uuid.UUID) -> C | None:
        at = self.position.get(case_id)
        return None if at is None else self.rows[at][0]

    def add(self, case: C, index: X) -> None:
        self.position[case.id] = len(self.rows)
        self.rows.append((case, index))

    def replace(self, case: C, index: X, expected: int, name: str) -> None:
        """A changed case added in this block (version-checked); one stored before is refused."""
        at = self.position.get(case.id)
        if at is None:
            _refused(name)()
            return
        check_version(self.rows[at][0].version, expected, name.removeprefix("update_"))
        self.rows[at] = (case, index)


def _duplicate(field: str, zh: str, en: str) -> DuplicateError:
    code = {"id": "duplicate_id", "id_number": "duplicate_id_number"}.get(field, "duplicate")
    return DuplicateError(zh, en, code=code, field=field)


def write_batch(session: StoreSession, batch: BulkBatch) -> None:
    """Store ``batch`` through ``session``: :meth:`BulkPort.insert_batch` if the session has it,
    else :func:`insert_records`."""
    if isinstance(session, BulkPort):
        session.insert_batch(batch)
    else:
        insert_records(session, batch)


def insert_records(session: StoreSession, batch: BulkBatch) -> None:
    """Store ``batch`` with one insert per record (parents first, history last): the
    fallback for a store without :class:`BulkPort` (not atomic by itself: the unit of work
    rolls back a failed one)."""
    for unit in batch.units:
        session.insert_unit(unit)
    for person in batch.persons:
        session.insert_person(person)
    for window in batch.windows:
        session.insert_window(window)
    for request, request_index in batch.requests:
        session.insert_request(request, request_index)
    for dispute, dispute_index in batch.disputes:
        session.insert_dispute(dispute, dispute_index)
    for record in batch.history:
        session.append_history(record)
