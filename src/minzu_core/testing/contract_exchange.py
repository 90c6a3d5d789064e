"""The partner exchange in the storage contract (交换包契约测试): the receiving side, on every
store.

A package is packed on an origin store (a ``memory://`` store with the sample hierarchy) and
received into the store under test:

* the records are created (through the repository: history and ``create`` audit entries) with
  the same ledger fields; receiving the same package again changes nothing (all unchanged);
* a record that differs from the local one is reported field by field and the local record
  stays as it was; a record without ID number resembling a local one is held, not merged;
* a tampered record, a changed checksum, a wrong key, a truncated file and a future version
  are each refused with their typed code, and the store is unchanged (persons, audit trail).

Mixed into :class:`~minzu_core.testing.StoreContract`; it needs the ``store`` fixture. The
helpers (:func:`origin_store`, :func:`store_state`, :data:`EXCHANGE_KEY`) are public so that the
unit tests of the exchange build on them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest

from minzu_core.clock import CST, FixedClock
from minzu_core.errors import MinzuError
from minzu_core.hierarchy.model import Unit
from minzu_core.interchange.exchange import (
    FORMAT_VERSION,
    Agency,
    ExchangePackage,
    Signer,
    Verifier,
    compare_records,
    pack_exchange,
    parse_package,
    receive_exchange,
)
from minzu_core.ledger.model import Person
from minzu_core.ledger.ports import PersonQuery
from minzu_core.privacy.audit import AuditOperation
from minzu_core.privacy.purposes import LEDGER_MANAGEMENT
from minzu_core.serialization import unstructure
from minzu_core.store.factory import Store, open_store
from minzu_core.testing.samples import ADMIN, SAMPLE_UNITS, sample_person

__all__ = [
    "EXCHANGE_KEY",
    "RECIPIENT",
    "SENDER",
    "ExchangeContract",
    "origin_store",
    "pack",
    "receive",
    "store_state",
]

#: The HMAC key the contract's packages are signed with (32 bytes).
EXCHANGE_KEY = bytes(range(32))
SENDER = Agency("360103", "西湖区民族宗教事务局")
RECIPIENT = Agency("653101", "喀什市民族宗教事务局")
_UNIT = "360103"
_BASIS = "流入地与流出地信息互通协议 (2019)"
_WHY = "契约测试: 接收交换包"


def origin_store(persons: list[Person], url: str = "memory://") -> Store:
    """A store with the sample hierarchy and ``persons`` (the sending side)."""
    store = open_store(
        url, clock=FixedClock(datetime(2019, 12, 1, 9, 0, tzinfo=CST), tick=timedelta(seconds=1))
    )
    with store.unit_of_work(ADMIN) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="交换测试数据")
        for person in persons:
            uow.people.add(person, reason="交换测试数据")
        uow.commit()
    return store


def pack(store: Store, signer: Signer | None = None) -> ExchangePackage:
    """A package of every person of the sample district in ``store`` (committed: audited)."""
    with store.unit_of_work(ADMIN, purpose=LEDGER_MANAGEMENT) as uow:
        package = pack_exchange(
            uow,
            unit=_UNIT,
            sender=SENDER,
            recipient=RECIPIENT,
            purpose=LEDGER_MANAGEMENT,
            legal_basis=_BASIS,
            signer=signer or Signer.hmac(EXCHANGE_KEY),
        )
        uow.commit()
    return package


def receive(store: Store, package: ExchangePackage, verifier: Verifier | None = None) -> Any:
    """Receive ``package`` into ``store`` (committed); the :class:`ExchangeReport`."""
    with store.unit_of_work(ADMIN, purpose=package.purpose) as uow:
        report = receive_exchange(
            uow,
            package,
            verifier=verifier or Verifier.hmac(EXCHANGE_KEY),
            unit=_UNIT,
            reason=_WHY,
        )
        uow.commit()
    return report


def store_state(store: Store) -> tuple[Any, int]:
    """What a refused package must not change: every person record (as data) and the audit
    trail's length — read through the storage primitives, so the look leaves no trace."""
    with store.unit_of_work(ADMIN) as uow:
        persons = uow.session.query_persons(PersonQuery(active_only=False))
        last = uow.session.last_audit_entry()
        return unstructure(persons), 0 if last is None else last.seq


def _tampered(package: ExchangePackage, change: Callable[[dict[str, Any]], None]) -> str:
    data = json.loads(package.to_json())
    change(data)
    return json.dumps(data, ensure_ascii=False)


def _resign_after_edit(package: ExchangePackage) -> str:
    """A record changed and the checksum recomputed (the signature cannot be)."""
    data = json.loads(package.to_json())
    data["records"][0]["phone"] = "13900009999"
    edited = parse_package(json.dumps(data))
    data["checksum"] = edited.computed_checksum()
    return json.dumps(data)


def _set_record_phone(data: dict[str, Any]) -> None:
    data["records"][0]["phone"] = "13900009999"


def _set_checksum(data: dict[str, Any]) -> None:
    data["checksum"] = "0" * 64


def _set_version(data: dict[str, Any]) -> None:
    data["format_version"] = FORMAT_VERSION + 1


#: How a package is spoiled, and the code its refusal carries.
_REFUSALS: dict[str, tuple[Callable[[ExchangePackage], str], str]] = {
    "tampered_record": (lambda p: _tampered(p, _set_record_phone), "exchange_checksum"),
    "changed_checksum": (lambda p: _tampered(p, _set_checksum), "exchange_checksum"),
    "edited_and_rehashed": (_resign_after_edit, "exchange_signature"),
    "wrong_key": (lambda p: p.to_json(), "exchange_signature"),
    "truncated": (lambda p: p.to_json()[: len(p.to_json()) // 2], "exchange_malformed"),
    "future_version": (lambda p: _tampered(p, _set_version), "exchange_version"),
}


def _people() -> list[Person]:
    return [
        sample_person(seq=101),
        sample_person(seq=102, unit="360103101001"),
        attrs.evolve(sample_person(seq=103, with_id=False), name="马某某"),
    ]


class ExchangeContract:
    """Contract tests of receiving a partner exchange package."""

    def test_exchange_creates_then_is_idempotent(self, store: Store) -> None:
        people = _people()
        package = pack(origin_store(people))
        report = receive(store, package)
        assert (report.received, report.created, report.rejected) == (3, 3, 0)
        with store.unit_of_work(ADMIN, purpose=LEDGER_MANAGEMENT) as uow:
            for person in people:
                local = uow.people.get(person.id)
                assert compare_records(local, person) == []
                (created,) = uow.people.history(person.id)
                assert package.checksum[:12] in created.reason
                entries = uow.audit.entries(person_id=person.id)
                assert AuditOperation.CREATE in {e.operation for e in entries}
        before = store_state(store)
        again = receive(store, package)
        assert (again.received, again.unchanged, again.created, again.conflicted) == (3, 3, 0, 0)
        assert store_state(store)[0] == before[0]

    def test_exchange_conflicts_are_reported_never_overwritten(self, store: Store) -> None:
        people = _people()
        origin = origin_store(people)
        receive(store, pack(origin))
        first = people[0]
        with origin.unit_of_work(ADMIN) as uow:
            current = uow.people.get(first.id)
            uow.people.save(attrs.evolve(current, phone="13900009999"), reason="换号")
            uow.commit()
        report = receive(store, pack(origin))
        assert (report.conflicted, report.unchanged) == (1, 2)
        assert [(c.person_id, c.field) for c in report.conflicts] == [(first.id, "phone")]
        (conflict,) = report.conflicts
        assert (conflict.local, conflict.received) == (first.phone, "13900009999")
        assert "13900009999" not in repr(report) and "13900009999" not in json.dumps(
            report.to_dict()
        )
        with store.unit_of_work(ADMIN, purpose=LEDGER_MANAGEMENT) as uow:
            local = uow.people.get(first.id)
            assert (local.phone, local.version) == (first.phone, 1)

    def test_exchange_holds_a_likely_duplicate(self, store: Store) -> None:
        people = _people()
        twin = attrs.evolve(people[2], id=uuid.uuid4())
        with store.unit_of_work(ADMIN) as uow:
            uow.people.add(twin, reason="本地已登记")
            uow.commit()
        report = receive(store, pack(origin_store(people)))
        (held,) = [o for o in report.outcomes if o.outcome.value == "held"]
        assert held.candidates == (twin.id,) and report.created == 2
        assert report.received == report.created + report.held

    @pytest.mark.parametrize("spoil", sorted(_REFUSALS))
    def test_exchange_refusals_change_nothing(self, store: Store, spoil: str) -> None:
        make, code = _REFUSALS[spoil]
        package = pack(origin_store(_people()))
        before = store_state(store)
        verifier = Verifier.hmac(bytes(32) if spoil == "wrong_key" else EXCHANGE_KEY)
        with pytest.raises(MinzuError) as caught:
            receive(store, parse_package(make(package)), verifier)
        assert caught.value.code == code
        assert store_state(store) == before
