"""Encryption at rest in the SQL store (issue 13), on SQLite (a file), PostgreSQL and MariaDB.

* a store opened with keys (``open_store(url, keys=…, encrypt_names=True)``) stores tokens:
  persons added one by one and through ``uow.bulk()`` (the COPY path on PostgreSQL), changed
  (history), found by ID number, a second active record with an ID number refused (by the
  repository and by the database's UNIQUE constraint on the blind index), likely duplicates
  found by name; then the SQLite file bytes and a ``pg_dump`` / ``mysqldump`` of the test
  database are scanned for every raw ID number, phone and name used: 0 occurrences, while a
  value stored in the clear (an address) is found (the scan is live);
* a wrong key raises :class:`WrongKeyError`, no key :class:`KeysRequiredError`;
* rotation to a second key, interrupted after one batch and resumed; the old key removed, every
  value still reads; clear rows of a store that had no keys are encrypted by the rotation;
* without keys: clear values as before and ONE warning (no personal data);
* ``minzu keys rotate``.
"""

from __future__ import annotations

import base64
import glob
import logging
import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
import sqlalchemy as sa
import typer
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from minzu_adapters.sql import SqlBackend, build_metadata
from minzu_adapters.sql.crypto import KeysRequiredError
from minzu_core import errors, open_store
from minzu_core.cli.keys import keys_app
from minzu_core.cli.keys import rotate_keys as rotate_store_keys
from minzu_core.codes.resident_id import make_resident_id
from minzu_core.hierarchy import Unit
from minzu_core.ledger import Person, PersonQuery
from minzu_core.privacy import Actor
from minzu_core.privacy.keys import FieldCipher, StaticKeyProvider, WrongKeyError
from minzu_core.store import Store
from minzu_core.testing.samples import SAMPLE_UNITS, sample_person

if TYPE_CHECKING:
    from conftest import FreshDatabase

ADMIN = Actor.system("encryption-tests")
KINDS = ["sqlite", "postgresql", "mysql"]
#: Distinct names, so that a name found in a dump can only come from its person.
NAMES = [
    "阿依努尔·吐尔逊",
    "热依汗古丽·艾买提",
    "帕丽达·阿不都",
    "古再丽努尔·买买提",
    "迪丽拜尔·司马义",
    "米热古丽·阿西木",
    "努尔比亚·托乎提",
    "阿依加马丽·卡德尔",
    "祖丽皮亚·赛买提",
    "布威再乃甫·肉孜",
]
CLEAR_ADDRESS = "南昌市西湖区某路 1 号"  # a residence address: stored in the clear (scan control)


def _key(n: int = 32) -> str:
    return base64.b64encode(os.urandom(n)).decode()


def provider(*ids: str, keys: dict[str, str] | None = None, index: str) -> StaticKeyProvider:
    """Keys ``ids`` (the first current), material from ``keys`` or fresh."""
    material = {i: (keys or {}).get(i) or _key() for i in ids}
    return StaticKeyProvider(keys=material, current=ids[0], index_key=index)


@attrs.frozen
class Target:
    """Where a test opens its store: a SQLite file or a fresh schema/database on a server."""

    kind: str
    url: str
    options: dict[str, Any]
    name: str

    def open(self, keys: StaticKeyProvider | None = None, **extra: Any) -> Store:
        return open_store(self.url, keys=keys, **{**self.options, **extra})


@pytest.fixture(params=KINDS)
def target(
    request: pytest.FixtureRequest,
    fresh_database: Callable[[str], FreshDatabase],
    tmp_path: Path,
) -> Target:
    kind: str = request.param
    if kind == "sqlite":
        return Target("sqlite", f"sqlite:///{tmp_path / 'store.db'}", {}, "store.db")
    db = fresh_database(kind)
    return Target(kind, db.url, dict(db.options), db.name)


def same_number(i: int, other: Person) -> Person:
    """Person ``i`` with the ID number (and so the birth date and gender) of ``other``."""
    return attrs.evolve(
        person(i), id_number=other.id_number, birth_date=other.birth_date, gender=other.gender
    )


def person(i: int, *, name: str | None = None, birth: date | None = None) -> Person:
    """A person with its own ID number, phone and name."""
    born = birth or date(1980, 1, 1).replace(year=1980 + i)
    return attrs.evolve(
        sample_person(seq=i),
        name=name or NAMES[i % len(NAMES)],
        id_number=make_resident_id("653101", born, 100 + i),
        birth_date=born,
        phone=f"139{i:08d}",
        gender=None,
    )


def _load_units(store: Store) -> None:
    with store.unit_of_work(ADMIN) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="建立")
        uow.commit()


def _fill(store: Store) -> list[Person]:
    """Units; 3 persons added one by one, 5 through ``uow.bulk()``; two changed (history).
    Returns the stored persons."""
    _load_units(store)
    with store.unit_of_work(ADMIN) as uow:
        single = [uow.people.add(person(i), reason="登记") for i in range(3)]
        uow.commit()
    with store.unit_of_work(ADMIN) as uow:
        with uow.bulk():
            for i in range(3, 8):
                uow.people.add(person(i), reason="批量登记")
        uow.commit()
    with store.unit_of_work(ADMIN) as uow:
        changed = uow.people.save(attrs.evolve(single[0], phone="13912345678"), reason="换号")
        uow.people.save(attrs.evolve(changed, phone="13987654321"), reason="又换号")
        uow.commit()
    with store.unit_of_work(ADMIN) as uow:
        return uow.people.list()


def _secret_kinds(people: list[Person], *, names: bool) -> dict[str, set[str]]:
    """The raw values a dump must not hold, by kind (the phones of the history included)."""
    kinds = {
        "ID numbers": {p.id_number for p in people if p.id_number},
        "phones": {p.phone for p in people if p.phone} | {"13900000000", "13912345678"},
    }
    if names:
        kinds["names"] = {p.name for p in people}
    return kinds


def _secrets(people: list[Person], *, names: bool) -> list[str]:
    return sorted(set().union(*_secret_kinds(people, names=names).values()))


# -- scanning the stored bytes -----------------------------------------------------------------
def _dump(target: Target) -> bytes:
    """The bytes of the whole test database: the SQLite file (with its WAL), else a
    ``pg_dump`` of the schema / a ``mysqldump`` of the database."""
    if target.kind == "sqlite":
        path = make_url(target.url).database
        assert path
        return b"".join(Path(f).read_bytes() for f in sorted(glob.glob(f"{path}*")))
    url = make_url(target.url)
    env = {**os.environ, "PGPASSWORD": url.password or "", "MYSQL_PWD": url.password or ""}
    if target.kind == "postgresql":
        # The server's major version's pg_dump (pg_dump refuses a newer server).
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump")) or [
            shutil.which("pg_dump") or "pg_dump"
        ]
        version = _server_major(target)
        exe = next((b for b in binaries if f"/{version}/" in b), binaries[-1])
        command = [exe, "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
        command += ["-U", url.username or "postgres", "-n", target.name, url.database or ""]
    else:
        dump = shutil.which("mariadb-dump") or shutil.which("mysqldump")
        assert dump, "mysqldump / mariadb-dump is not installed"
        command = [dump, "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306)]
        command += ["-u", url.username or "root", "--default-character-set=utf8mb4"]
        command += ["--skip-extended-insert", target.name]
    done = subprocess.run(command, env=env, capture_output=True, check=True, timeout=120)
    assert len(done.stdout) > 1000
    return done.stdout


def _server_major(target: Target) -> str:
    engine = sa.create_engine(target.url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(sa.text("SHOW server_version")).scalar()).split(".")[0]
    finally:
        engine.dispose()


def _occurrences(data: bytes, values: list[str]) -> dict[str, int]:
    return {v: data.count(v.encode("utf-8")) for v in values}


# -- the tests ---------------------------------------------------------------------------------
def test_encrypted_store_works_and_stores_no_clear_values(target: Target) -> None:
    keys = provider("k1", index=_key())
    with target.open(keys, encrypt_names=True) as store:
        people = _fill(store)
        assert len(people) == 8
        with store.unit_of_work(ADMIN) as uow:
            # Lookup by ID number (blind index), history decrypted, a person read back whole.
            first = next(p for p in people if p.phone == "13987654321")
            assert uow.people.find_by_id_number(first.id_number or "") == first
            assert [r.snapshot["phone"] for r in uow.people.history(first.id)] == [
                "13900000000",
                "13912345678",
                "13987654321",
            ]
            # A second active record with the number: refused by the repository …
            clash = same_number(9, people[4])
            with pytest.raises(errors.DuplicateError) as caught:
                uow.people.add(clash, reason="重复")
            assert caught.value.code == "duplicate_id_number"
            # … and by the database (UNIQUE on the blind index), bypassing the repository.
            session = store.backend.begin()
            try:
                with pytest.raises(errors.DuplicateError):
                    session.insert_person(clash)
            finally:
                session.close()
            # Likely duplicates: same name, birth date and ethnicity (name_bidx).
            twin = attrs.evolve(
                person(9), name=people[2].name, birth_date=people[2].birth_date, id_number=None
            )
            assert [p.id for p in uow.people.likely_duplicates(twin)] == [people[2].id]
            query = PersonQuery(name=people[2].name, birth_date=people[2].birth_date)
            session = store.backend.begin()
            try:
                assert session.count_persons(query) == 1
            finally:
                session.close()
    assert isinstance(store.backend, SqlBackend) and store.backend.encrypted
    secrets = _secrets(people, names=True)
    data = _dump(target)
    found = _occurrences(data, secrets)
    control = data.count(CLEAR_ADDRESS.encode("utf-8"))
    kinds = ", ".join(f"{len(v)} {k}" for k, v in _secret_kinds(people, names=True).items())
    print(
        f"\n[{target.kind}] scanned {len(data)} bytes for {len(secrets)} values ({kinds}): "
        f"{sum(found.values())} occurrences; clear control address: {control}"
    )
    assert sum(found.values()) == 0, [k for k, v in found.items() if v]
    assert control >= 8  # the scan sees clear text: the addresses of the residences


def test_wrong_or_missing_key_is_a_typed_error(target: Target) -> None:
    index = _key()
    with target.open(provider("k1", index=index), encrypt_names=True) as store:
        people = _fill(store)
    with target.open(provider("k1", index=index)) as wrong:  # same id, other key
        session = wrong.backend.begin()
        try:
            with pytest.raises(WrongKeyError) as caught:
                session.get_person(people[0].id)
            assert (people[0].id_number or "-") not in str(caught.value)
            with pytest.raises(WrongKeyError):
                session.list_history("person", str(people[0].id))
        finally:
            session.close()
    with target.open() as clear:  # no key at all
        session = clear.backend.begin()
        try:
            with pytest.raises(KeysRequiredError):
                session.get_person(people[0].id)
        finally:
            session.close()


def _tokens(target: Target) -> list[str]:
    """Every token stored in the persons' columns and history snapshots."""
    engine = sa.create_engine(target.url)
    _, t = build_metadata("minzu_", target.options.get("schema"))
    try:
        with engine.connect() as conn:
            p, h = t.persons, t.history
            found = [
                v
                for row in conn.execute(sa.select(p.c.id_number, p.c.phone, p.c.name))
                for v in row
                if v is not None
            ]
            found += [str(s) for (s,) in conn.execute(sa.select(h.c.snapshot))]
            return found
    finally:
        engine.dispose()


def _history_count(target: Target) -> int:
    engine = sa.create_engine(target.url)
    _, t = build_metadata("minzu_", target.options.get("schema"))
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t.history)).scalar_one())
    finally:
        engine.dispose()


def _key_ids(tokens: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for token in tokens:
        key = FieldCipher.key_id_of(token.strip('"')) if "v1:" in token else "clear"
        counts[key] = counts.get(key, 0) + 1
    return counts


class _Stop(Exception):
    pass


def test_rotation_interrupted_resumed_and_old_key_removed(target: Target) -> None:
    index, k1 = _key(), _key()
    with target.open(provider("k1", keys={"k1": k1}, index=index), encrypt_names=True) as store:
        people = _fill(store)
    before = _key_ids(_tokens(target))
    assert set(before) == {"k1"}
    total_values = before["k1"]
    history = _history_count(target)
    assert total_values == 8 * 3 + history  # 8 persons' 3 values, and every snapshot
    both = provider("k2", "k1", keys={"k1": k1}, index=index)
    with target.open(both, encrypt_names=True) as store:
        backend = store.backend
        assert isinstance(backend, SqlBackend)
        calls: list[tuple[int, int]] = []

        def stop_after_first_batch(done: int, total: int) -> None:
            calls.append((done, total))
            if len(calls) == 2:
                raise _Stop

        with pytest.raises(_Stop):
            backend.rotate_keys(batch=3, progress=stop_after_first_batch)
        assert calls == [(0, 8 + history), (3, 8 + history)]
        mixed = _key_ids(_tokens(target))
        assert mixed["k2"] == 3 * 3 and mixed["k1"] == total_values - 9  # 3 rows x 3 values
        seen: list[tuple[int, int]] = []
        left = 8 + history - 3
        assert rotate_store_keys(store, batch=3, progress=lambda d, t: seen.append((d, t))) == left
        assert seen[0] == (0, left) and seen[-1] == (left, left)
        assert rotate_store_keys(store, batch=3) == 0  # nothing left
    assert _key_ids(_tokens(target)) == {"k2": total_values}
    only_new = StaticKeyProvider(keys={"k2": both.keys["k2"]}, current="k2", index_key=index)
    with target.open(only_new, encrypt_names=True) as store, store.unit_of_work(ADMIN) as uow:
        assert uow.people.list() == people
        assert uow.people.find_by_id_number(people[5].id_number or "") == people[5]
        changed = next(p for p in people if p.phone == "13987654321")
        assert [r.snapshot["phone"] for r in uow.people.history(changed.id)][-1] == changed.phone
    with target.open(provider("k1", keys={"k1": k1}, index=index)) as store:
        session = store.backend.begin()
        with pytest.raises(errors.MinzuError):  # k2 unknown to the old provider
            session.get_person(people[0].id)
        session.close()


def test_rotation_encrypts_a_store_written_without_keys(target: Target) -> None:
    with target.open() as store:
        people = _fill(store)
    history = _history_count(target)
    assert _key_ids(_tokens(target)) == {"clear": 8 * 3 + history}
    keys = provider("k1", index=_key())
    with target.open(keys) as store:
        with store.unit_of_work(ADMIN) as uow:  # clear rows are read and found by number
            assert uow.people.list() == people
            assert uow.people.find_by_id_number(people[1].id_number or "") == people[1]
            clash = same_number(9, people[1])
            with pytest.raises(errors.DuplicateError):
                uow.people.add(clash, reason="重复")
        assert rotate_store_keys(store, batch=5) == 8 + history
    counts = _key_ids(_tokens(target))
    assert counts == {"k1": 8 * 2 + history, "clear": 8}  # names stay clear without encrypt_names
    data = _dump(target)
    secrets = _secrets(people, names=False)
    assert sum(_occurrences(data, secrets).values()) == 0
    with target.open(keys) as store, store.unit_of_work(ADMIN) as uow:
        assert uow.people.list() == people


def test_without_keys_clear_values_and_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'clear.db'}"
    caplog.set_level(logging.WARNING, logger="minzu_adapters.sql")
    with open_store(url) as store:
        people = _fill(store)
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.find_by_id_number(people[0].id_number or "") == people[0]
    warnings = [r for r in caplog.records if r.name == "minzu_adapters.sql"]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert "明文" in text and "plaintext" in text
    assert not any(v in text for v in _secrets(people, names=True))
    target = Target("sqlite", url, {}, "clear.db")
    found = _occurrences(_dump(target), _secrets(people, names=False))
    assert all(count > 0 for count in found.values())  # the scan does see clear values
    with open_store(url, keys=provider("k1", index=_key())) as store:
        caplog.clear()
        with store.unit_of_work(ADMIN) as uow:
            uow.people.list()
        assert not [r for r in caplog.records if r.name == "minzu_adapters.sql"]


def test_clear_lengths_are_still_checked(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'len.db'}", keys=provider("k1", index=_key())) as s:
        session = s.backend.begin()
        try:
            with pytest.raises(errors.DataTooLongError) as caught:
                session.insert_person(attrs.evolve(person(1), name="名" * 101))
            assert caught.value.field == "name"
        finally:
            session.close()


def test_keys_rotate_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    index, k1, k2 = _key(), _key(), _key()
    with open_store(url, keys=provider("k1", keys={"k1": k1}, index=index)) as store:
        people = _fill(store)
    monkeypatch.setenv("MINZU_BLIND_INDEX_KEY", index)
    monkeypatch.setenv("MINZU_FIELD_KEYS", f"k2:{k2},k1:{k1}")
    target = Target("sqlite", url, {}, "cli.db")
    history = _history_count(target)
    runner = CliRunner()
    cli = typer.Typer()
    cli.add_typer(keys_app, name="keys")  # as cli/app.py registers it
    result = runner.invoke(cli, ["keys", "rotate", "--store", url, "--batch", "4"])
    assert result.exit_code == 0, result.output
    assert f"{8 + history} rows re-encrypted under key k2" in result.output
    again = runner.invoke(cli, ["keys", "rotate", "--store", url])
    assert again.exit_code == 0 and "0 rows re-encrypted" in again.output
    assert _key_ids(_tokens(target)) == {"k2": 8 * 2 + history, "clear": 8}
    monkeypatch.setenv("MINZU_FIELD_KEYS", f"k2:{k2}")
    keys = StaticKeyProvider.from_environ()
    with open_store(url, keys=keys) as store, store.unit_of_work(ADMIN) as uow:
        assert uow.people.list() == people
    monkeypatch.delenv("MINZU_BLIND_INDEX_KEY")
    missing = runner.invoke(cli, ["keys", "rotate", "--store", url])
    assert missing.exit_code == 2 and "MINZU_BLIND_INDEX_KEY" in missing.output


def test_rotation_needs_keys(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'none.db'}") as store:
        with pytest.raises(errors.StoreError) as caught:
            rotate_store_keys(store)
        assert caught.value.code == "keys_required"
    with open_store("memory://", keys=provider("k1", index=_key())) as store:
        with pytest.raises(errors.StoreError) as caught:
            rotate_store_keys(store)
        assert caught.value.code == "rotation_unsupported"
