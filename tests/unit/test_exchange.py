"""The partner exchange package (minzu_core.interchange.exchange): packing on an origin store
and receiving on a destination store (memory:// and sqlite://), conflicts, refusals, HMAC and
Ed25519 signatures, the audit trail of both sides, key files and the ``minzu exchange`` CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from minzu_core.clock import CST, FixedClock
from minzu_core.errors import MinzuError, PermissionDeniedError, ValidationError
from minzu_core.hierarchy.model import Unit
from minzu_core.interchange.exchange import (
    Agency,
    ExchangeError,
    Signer,
    Verifier,
    compare_records,
    pack_exchange,
    parse_package,
    read_package,
    receive_exchange,
    write_package,
)
from minzu_core.privacy.actor import Actor
from minzu_core.privacy.audit import AuditOperation
from minzu_core.privacy.permissions import COMMUNITY_CADRE
from minzu_core.privacy.purposes import LEDGER_MANAGEMENT
from minzu_core.serialization import unstructure
from minzu_core.store.factory import Store, open_store
from minzu_core.testing.contract_exchange import (
    EXCHANGE_KEY,
    RECIPIENT,
    SENDER,
    ExchangeContract,
    origin_store,
    pack,
    receive,
    store_state,
)
from minzu_core.testing.samples import ADMIN, SAMPLE_UNITS, sample_person

URLS = ("memory://", "sqlite://")


def _empty_store(url: str) -> Store:
    store = open_store(
        url, clock=FixedClock(datetime(2019, 12, 16, 9, 0, tzinfo=CST), tick=timedelta(seconds=1))
    )
    with store.unit_of_work(ADMIN) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="测试数据")
        uow.commit()
    return store


class TestExchangeMemory(ExchangeContract):
    """The contract's receive-side checks on the memory store."""

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        store = _empty_store("memory://")
        yield store
        store.close()


class TestExchangeSqlite(ExchangeContract):
    """The contract's receive-side checks on a SQLite file store."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = _empty_store(f"sqlite:///{tmp_path / 'destination.db'}")
        yield store
        store.close()


def _ed25519() -> tuple[Signer, Verifier, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    return Signer.ed25519(key), Verifier.ed25519(key.public_key()), key


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("algorithm", ["hmac", "ed25519"])
def test_round_trip_between_two_stores(url: str, algorithm: str, tmp_path: Path) -> None:
    people = [sample_person(seq=s) for s in (1, 2, 3)]
    origin_url = "memory://" if url == "memory://" else f"sqlite:///{tmp_path / 'origin.db'}"
    dest_url = url if url == "memory://" else f"sqlite:///{tmp_path / 'destination.db'}"
    origin = origin_store(people, origin_url)
    if algorithm == "hmac":
        signer, verifier = Signer.hmac(EXCHANGE_KEY), Verifier.hmac(EXCHANGE_KEY)
    else:
        signer, verifier, _ = _ed25519()
    package = pack(origin, signer)
    assert package.signature is not None and package.signature.algorithm == signer.algorithm
    path = write_package(package, tmp_path / "package.json")
    received = read_package(path)
    assert received == package
    destination = _empty_store(dest_url)
    report = receive(destination, received, verifier)
    assert (report.received, report.created) == (3, 3)
    assert report.received == (
        report.created + report.unchanged + report.conflicted + report.held + report.rejected
    )
    with destination.unit_of_work(ADMIN, purpose=LEDGER_MANAGEMENT) as uow:
        by_id = {r["id"]: r for r in package.records}
        assert len(by_id) == len(package.records) == 3
        for person in people:
            record = by_id[str(person.id)]
            local = uow.people.get(person.id)
            assert compare_records(local, person) == []
            assert {k: v for k, v in unstructure(local).items() if k in record} == record
            assert record["id_number"] == person.id_number
    # the sending side: one export entry per person, with the purpose
    with origin.unit_of_work(ADMIN) as uow:
        for person in people:
            exports = [
                e
                for e in uow.audit.entries(person_id=person.id)
                if e.operation is AuditOperation.EXPORT
            ]
            assert len(exports) == 1
            assert exports[0].purpose == LEDGER_MANAGEMENT
            assert RECIPIENT.code in exports[0].reason
    # the receiving side: the creations, audited under the purpose
    with destination.unit_of_work(ADMIN) as uow:
        for person in people:
            ops = [e.operation for e in uow.audit.entries(person_id=person.id)]
            assert AuditOperation.CREATE in ops
        assert uow.audit.verify() == []
    assert origin.verify_audit() == [] and destination.verify_audit() == []


def test_conflicts_field_by_field_and_masked(tmp_path: Path) -> None:
    first = sample_person(seq=7)
    origin = origin_store([first])
    destination = _empty_store("memory://")
    receive(destination, pack(origin))
    with origin.unit_of_work(ADMIN) as uow:
        current = uow.people.get(first.id)
        (episode,) = current.residences
        changed = attrs.evolve(
            current,
            phone="13900009999",
            residences=(attrs.evolve(episode, address="南昌市西湖区另一路 9 号"),),
        )
        uow.people.save(changed, reason="更正", correction=True)
        uow.commit()
    before = store_state(destination)
    report = receive(destination, pack(origin))
    assert report.conflicted == 1 and report.created == 0
    assert sorted(c.field for c in report.conflicts) == ["phone", "residences[0].address"]
    text = repr(report) + json.dumps(report.to_dict(), ensure_ascii=False)
    for secret in ("13900009999", "另一路", "13800001234", first.id_number or "-"):
        assert secret not in text
    assert store_state(destination)[0] == before[0]  # never overwritten


def test_an_actor_who_cannot_read_in_clear_cannot_pack() -> None:
    origin = origin_store([sample_person(seq=5)])
    cadre = Actor.for_units("cadre", "360103001", roles={COMMUNITY_CADRE})
    with origin.unit_of_work(cadre) as uow, pytest.raises(ValidationError) as caught:
        pack_exchange(
            uow,
            unit="360103001",
            sender=SENDER,
            recipient=RECIPIENT,
            purpose=LEDGER_MANAGEMENT,
            legal_basis="协议",
            signer=Signer.hmac(EXCHANGE_KEY),
        )
    assert caught.value.code == "exchange_purpose_mismatch"
    with origin.unit_of_work(cadre, purpose="statistics") as uow:
        with pytest.raises(PermissionDeniedError) as denied:
            pack_exchange(
                uow,
                unit="360103001",
                sender=SENDER,
                recipient=RECIPIENT,
                purpose="statistics",
                legal_basis="协议",
                signer=Signer.hmac(EXCHANGE_KEY),
            )
        assert denied.value.code == "exchange_masked"


def test_records_outside_the_unit_or_invalid_are_rejected_and_counted() -> None:
    people = [sample_person(seq=11), sample_person(seq=12, unit="360103101001")]
    package = pack(origin_store(people))
    destination = _empty_store("memory://")
    with destination.unit_of_work(ADMIN, purpose=LEDGER_MANAGEMENT) as uow:
        report = receive_exchange(
            uow, package, verifier=Verifier.hmac(EXCHANGE_KEY), unit="360103001", reason="接收"
        )
        uow.commit()
    assert (report.created, report.rejected) == (1, 1)
    (rejected,) = [o for o in report.outcomes if o.outcome.value == "rejected"]
    assert rejected.code == "exchange_outside_unit"


def test_an_ed25519_package_needs_the_senders_public_key() -> None:
    signer, _, _ = _ed25519()
    _, other, _ = _ed25519()
    package = pack(origin_store([sample_person(seq=21)]), signer)
    destination = _empty_store("memory://")
    before = store_state(destination)
    for verifier in (other, Verifier.hmac(EXCHANGE_KEY)):
        with pytest.raises(ExchangeError) as caught:
            receive(destination, package, verifier)
        assert caught.value.code == "exchange_signature"
    assert store_state(destination) == before
    assert receive(destination, package, signer.verifier()).created == 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        '{"format": "other"}',
        '{"format": "minzu-exchange", "format_version": 0}',
        '{"format": "minzu-exchange", "format_version": 1}',
        '{"format": "minzu-exchange", "format_version": 1, "sender": {"code": "1", "name": "a"},'
        ' "recipient": {"code": "2", "name": "b"}, "created_at": "2019-01-01T00:00:00",'
        ' "purpose": "ledger_management", "legal_basis": "x", "records": [1]}',
    ],
)
def test_malformed_texts(text: str) -> None:
    with pytest.raises(ExchangeError) as caught:
        parse_package(text)
    assert caught.value.code == "exchange_malformed"


def test_key_files_and_reprs(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    private = tmp_path / "sender.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = tmp_path / "sender.pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    shared = tmp_path / "shared.key"
    shared.write_text("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n")  # bytes(range(32))
    data = b"payload"
    signature = Signer.from_key_file(private).sign(data)
    Verifier.from_key_file(public).verify(data, signature)
    Verifier.from_key_file(private).verify(data, signature)
    mac = Signer.from_key_file(shared).sign(data)
    Verifier.hmac(EXCHANGE_KEY).verify(data, mac)
    with pytest.raises(MinzuError) as caught:
        Signer.from_key_file(public)
    assert caught.value.code == "invalid_key"
    short = tmp_path / "short.key"
    short.write_text("AAEC")
    with pytest.raises(MinzuError):
        Signer.from_key_file(short)
    assert "AAEC" not in repr(Signer.from_key_file(shared))
    assert repr(Verifier.hmac(EXCHANGE_KEY)) == "Verifier('hmac-sha256')"


def test_agency_parse() -> None:
    assert Agency.parse("653101:喀什市民族宗教事务局") == Agency("653101", "喀什市民族宗教事务局")
    with pytest.raises(ValidationError):
        Agency.parse("653101")


def test_the_cli_packs_and_receives(tmp_path: Path) -> None:
    from minzu_core.cli.exchange import exchange_app

    origin_db, dest_db = tmp_path / "origin.db", tmp_path / "dest.db"
    people = [sample_person(seq=31), attrs.evolve(sample_person(seq=32), name="马某")]
    origin_store(people, f"sqlite:///{origin_db}").close()
    _empty_store(f"sqlite:///{dest_db}").close()
    key = tmp_path / "shared.key"
    key.write_text("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
    package = tmp_path / "package.json"
    runner = CliRunner()
    packed = runner.invoke(
        exchange_app,
        [
            "pack",
            "--store",
            f"sqlite:///{origin_db}",
            "--unit",
            "360103",
            "--recipient",
            "653101:喀什市民族宗教事务局",
            "--purpose",
            "台账管理",
            "--legal-basis",
            "信息互通协议",
            "--key-file",
            str(key),
            "--output",
            str(package),
        ],
    )
    assert packed.exit_code == 0, packed.output
    assert "2" in packed.output and read_package(package).sender.code == "360103"
    args = ["receive", str(package), "--store", f"sqlite:///{dest_db}", "--unit", "360103"]
    first = runner.invoke(exchange_app, [*args, "--key-file", str(key), "--format", "json"])
    assert first.exit_code == 0, first.output
    counts = json.loads(first.output)
    assert (counts["received"], counts["created"], counts["rejected"]) == (2, 2, 0)
    again = runner.invoke(exchange_app, [*args, "--key-file", str(key)])
    assert again.exit_code == 0 and "未变 unchanged 2" in again.output
    wrong = tmp_path / "wrong.key"
    wrong.write_text("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    refused = runner.invoke(exchange_app, [*args, "--key-file", str(wrong)])
    assert refused.exit_code == 2 and "exchange_signature" in refused.output
    assert "Traceback" not in refused.output
    package.write_text(package.read_text()[:100])
    truncated = runner.invoke(exchange_app, [*args, "--key-file", str(key)])
    assert truncated.exit_code == 2 and "exchange_malformed" in truncated.output


def test_pack_by_person_ids() -> None:
    people = [sample_person(seq=41), sample_person(seq=42)]
    origin = origin_store(people)
    with origin.unit_of_work(ADMIN, purpose=LEDGER_MANAGEMENT) as uow:
        package = pack_exchange(
            uow,
            person_ids=[people[1].id],
            sender=SENDER,
            recipient=RECIPIENT,
            purpose=LEDGER_MANAGEMENT,
            legal_basis="协议",
            signer=Signer.hmac(EXCHANGE_KEY),
        )
    assert [r["id"] for r in package.records] == [str(people[1].id)]
    assert set(package.records[0]) == {
        "id", "name", "gender", "ethnicity", "id_number", "birth_date", "phone",
        "household", "language", "residences",
    }  # fmt: skip
