"""Encryption at rest in the SQL store (字段加密): the column codec and key rotation.

With a :class:`~minzu_core.privacy.keys.KeyProvider` (``open_store(url, keys=…)``, which calls
:meth:`SqlBackend.use_keys <minzu_adapters.sql.store.SqlBackend.use_keys>`), a person row holds:

* ``id_number``, ``phone`` (and ``name`` when the store was opened with ``encrypt_names=True``):
  AES-GCM tokens (:class:`~minzu_core.privacy.keys.FieldCipher`), whose associated data is the
  column and the person's id, so a token copied to another row or column does not decrypt;
* ``active_id_number`` and ``id_number_bidx``: the keyed blind index of the ID number
  (:func:`~minzu_core.privacy.keys.blind_index`, field ``person.id_number``), so the UNIQUE
  constraint on ``active_id_number`` still enforces one active record per ID number and
  :meth:`find_active_by_id_number` is one indexed lookup;
* ``name_bidx``: the blind index of the name (field ``person.name``) when names are encrypted,
  for the likely-duplicates query (name, birth date, ethnicity). The blind index is taken over
  the normalised value (:func:`~minzu_core.privacy.keys.normalise_for_index`), so a name query
  on an encrypting store also matches a name that differs only in spaces, hyphens or case.

A ``history`` row's whole ``snapshot`` is encrypted (a JSON string holding the token, associated
data ``history.snapshot@<entity type>/<entity id>/<version>``): a snapshot holds far more
personal data than the three columns (household and residence addresses, the employer, a
guardian), for every kind of entity, and nothing queries inside it in SQL, so encrypting it
whole covers every field, present and future, at no cost to any query.

Without keys (:data:`PLAINTEXT`) the values are stored in the clear, as before 0007, with the
``*_bidx`` columns NULL and ``active_id_number`` holding the clear number. An encrypting store
also reads clear values (rows written before it had keys) and finds them by ID number and name;
``minzu keys rotate`` (:func:`rotate_keys`) encrypts them. A token read without keys raises
:class:`KeysRequiredError`; a wrong key :class:`~minzu_core.privacy.keys.WrongKeyError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from sqlalchemy import ColumnElement, Engine, Text, and_, func, or_, select, type_coerce, update

from minzu_adapters.sql.errors import translate_errors
from minzu_adapters.sql.schema import (
    ID_NUMBER_LENGTH,
    NAME_LENGTH,
    PHONE_LENGTH,
    Tables,
)
from minzu_adapters.sql.session import SqlContext
from minzu_core.errors import DataTooLongError, StoreError
from minzu_core.privacy.keys import TOKEN_VERSION, CipherError, FieldCipher, KeyProvider

__all__ = [
    "PLAINTEXT",
    "ColumnCodec",
    "KeysRequiredError",
    "Progress",
    "codec_of",
    "make_codec",
    "rotate_keys",
    "with_codec",
]

#: The clear-value lengths the store accepts (the widened columns hold their tokens).
_CLEAR_LENGTHS = {"name": NAME_LENGTH, "id_number": ID_NUMBER_LENGTH, "phone": PHONE_LENGTH}

#: ``progress(done, total)``: called after each batch of a rotation.
Progress = Callable[[int, int], None]


class KeysRequiredError(CipherError):
    """The store holds encrypted values but was opened without keys (须提供密钥)."""

    default_code = "keys_required"


def _keys_required(field: str) -> KeysRequiredError:
    return KeysRequiredError(
        "存储中的数据已加密, 打开存储时须提供密钥",
        "the store holds encrypted values: open it with a key provider",
        field=field,
    )


def _check_length(name: str, value: Any) -> None:
    limit = _CLEAR_LENGTHS[name]
    if isinstance(value, str) and len(value) > limit:
        # The message of bind_values, for the clear value's own limit.
        raise DataTooLongError(
            f"{name} 超过 {limit} 个字符",
            f"{name} is longer than {limit} characters",
            field=name,
            details={"max_length": limit},
        )


@attrs.frozen
class ColumnCodec:
    """How a store writes and reads its personal columns: clear (``cipher=None``) or encrypted.

    Attributes:
        cipher: the field cipher of the store's key provider, or ``None`` (clear values).
        encrypt_names: also encrypt names (with a blind index for name queries).
    """

    cipher: FieldCipher | None = None
    encrypt_names: bool = False

    @property
    def encrypted(self) -> bool:
        """True if the store encrypts (has keys)."""
        return self.cipher is not None

    def _columns(self) -> tuple[str, ...]:
        return ("id_number", "phone", "name") if self.encrypt_names else ("id_number", "phone")

    # -- persons -------------------------------------------------------------------------------
    def encode_person(self, data: dict[str, Any]) -> dict[str, Any]:
        """Turn the JSON-ready data of a person row (with ``active_id_number`` holding the clear
        number while active) into what is stored; clear lengths are checked first."""
        for name in _CLEAR_LENGTHS:
            _check_length(name, data.get(name))
        cipher = self.cipher
        if cipher is None:
            data["id_number_bidx"] = data["name_bidx"] = None
            return data
        pid = str(data["id"])
        number = data.get("id_number")
        index = None if number is None else cipher.blind_index(number, field="person.id_number")
        data["id_number_bidx"] = index
        if data.get("active_id_number") is not None:
            data["active_id_number"] = index
        data["name_bidx"] = (
            cipher.blind_index(data["name"], field="person.name") if self.encrypt_names else None
        )
        for name in self._columns():
            if data.get(name) is not None:
                data[name] = cipher.encrypt(data[name], field=f"person.{name}@{pid}")
        return data

    def decode_value(self, name: str, value: Any, person_id: str) -> Any:
        """The clear value of the column ``name`` of a person row as stored."""
        if not FieldCipher.is_token(value):
            return value
        if self.cipher is None:
            raise _keys_required(f"person.{name}")
        return self.cipher.decrypt(value, field=f"person.{name}@{person_id}")

    def decode_person(self, data: dict[str, Any]) -> dict[str, Any]:
        """Decrypt the person data read from a row (in place); clear values pass."""
        pid = str(data["id"])
        for name in ("id_number", "phone", "name"):
            data[name] = self.decode_value(name, data.get(name), pid)
        return data

    def active_keys(self, id_number: str) -> list[str]:
        """The ``active_id_number`` values that mean ``id_number``: its blind index, and the
        clear number of a row written before the store had keys."""
        if self.cipher is None:
            return [id_number]
        return [self.cipher.blind_index(id_number, field="person.id_number"), id_number]

    def name_condition(self, persons: Any, name: str) -> ColumnElement[bool]:
        """The condition "the person's name is ``name``"."""
        if self.cipher is None:
            result: ColumnElement[bool] = persons.c.name == name
            return result
        index = self.cipher.blind_index(name, field="person.name")
        return or_(persons.c.name == name, persons.c.name_bidx == index)

    # -- history -------------------------------------------------------------------------------
    @staticmethod
    def _snapshot_field(data: Mapping[str, Any]) -> str:
        return f"history.snapshot@{data['entity_type']}/{data['entity_id']}/{data['version']}"

    def encode_history(self, data: dict[str, Any]) -> dict[str, Any]:
        """Encrypt the snapshot of a history record's JSON-ready data (in place)."""
        if self.cipher is not None:
            text = json.dumps(data["snapshot"], ensure_ascii=False, separators=(",", ":"))
            data["snapshot"] = self.cipher.encrypt(text, field=self._snapshot_field(data))
        return data

    def decode_history(self, data: dict[str, Any]) -> dict[str, Any]:
        """Decrypt the snapshot of history data read from a row (in place)."""
        snapshot = data["snapshot"]
        if isinstance(snapshot, str) and FieldCipher.is_token(snapshot):
            if self.cipher is None:
                raise _keys_required("history.snapshot")
            text = self.cipher.decrypt(snapshot, field=self._snapshot_field(data))
            data["snapshot"] = json.loads(text)
        return data


#: The codec of a store without keys.
PLAINTEXT = ColumnCodec()


@attrs.frozen
class _CodecContext(SqlContext):
    """A :class:`~minzu_adapters.sql.session.SqlContext` with the store's column codec."""

    codec: ColumnCodec = PLAINTEXT


def with_codec(context: SqlContext, codec: ColumnCodec) -> SqlContext:
    """``context`` carrying ``codec`` (for the sessions begun afterwards)."""
    fields = {f.name: getattr(context, f.name) for f in attrs.fields(SqlContext)}
    return _CodecContext(**fields, codec=codec)


def codec_of(context: SqlContext) -> ColumnCodec:
    """The column codec of a session's context (:data:`PLAINTEXT` without keys)."""
    return context.codec if isinstance(context, _CodecContext) else PLAINTEXT


def make_codec(provider: KeyProvider, *, encrypt_names: bool) -> ColumnCodec:
    """The codec encrypting under ``provider``'s keys. The current key is tried at once, so a
    provider without it, or with an invalid key id or key, fails here (``InvalidKeyError``,
    ``UnknownKeyIdError``), not at the first write."""
    cipher = FieldCipher(provider)
    cipher.decrypt(cipher.encrypt("", field="key check"), field="key check")
    cipher.blind_index("", field="key check")
    return ColumnCodec(cipher, encrypt_names)


# -- rotation ----------------------------------------------------------------------------------
def _starts(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, compared exactly (``LIKE`` ignores case on SQLite)."""
    result: ColumnElement[bool] = func.substr(column, 1, len(prefix)) == prefix
    return result


def _stale(column: Any, key_id: str, *, clear_too: bool, quote: str = "") -> ColumnElement[bool]:
    """``column`` holds a token under another key than ``key_id`` (``clear_too``: or a clear
    value). ``quote``: the text before the token (``"`` in a JSON column)."""
    current = ~_starts(column, f"{quote}{TOKEN_VERSION}:{key_id}:")
    if clear_too:
        return and_(column.is_not(None), current)
    return and_(_starts(column, f"{quote}{TOKEN_VERSION}:"), current)


def _pending_persons(t: Tables, codec: ColumnCodec, key_id: str) -> ColumnElement[bool]:
    p = t.persons
    conds = [
        _stale(p.c[name], key_id, clear_too=name in codec._columns())
        for name in ("id_number", "phone", "name")
    ]
    conds.append(and_(p.c.id_number.is_not(None), p.c.id_number_bidx.is_(None)))
    if codec.encrypt_names:
        conds.append(p.c.name_bidx.is_(None))
    return or_(*conds)


def _rotated_person(codec: ColumnCodec, row: Any) -> dict[str, Any]:
    """The new values of a person row: every value decrypted, then encoded under the current
    key (a token already under it is kept; a clear value of a column the store does not
    encrypt stays clear)."""
    cipher = codec.cipher
    assert cipher is not None
    pid = str(row["id"])
    values: dict[str, Any] = {}
    for name in ("id_number", "phone", "name"):
        stored = row[name]
        if stored is None:
            continue
        clear = codec.decode_value(name, stored, pid)
        if name == "id_number":
            index = cipher.blind_index(clear, field="person.id_number")
            values["id_number_bidx"] = index
            if row["active_id_number"] is not None:
                values["active_id_number"] = index
        if name == "name" and codec.encrypt_names:
            values["name_bidx"] = cipher.blind_index(clear, field="person.name")
        if FieldCipher.is_token(stored):
            if cipher.needs_rotation(stored):
                values[name] = cipher.encrypt(clear, field=f"person.{name}@{pid}")
        elif name in codec._columns():
            values[name] = cipher.encrypt(clear, field=f"person.{name}@{pid}")
    return values


def rotate_keys(
    engine: Engine,
    tables: Tables,
    codec: ColumnCodec,
    *,
    batch: int = 1000,
    progress: Progress | None = None,
    max_batches: int | None = None,
) -> int:
    """Re-encrypt every stored value that is not a token under the current key (clear values
    too) and fill in missing blind indexes: persons, then history snapshots, ``batch`` rows at
    a time, each batch its own transaction. Returns the number of rows rewritten.

    Resumable: only rows still holding a value under another key (or none) are read, so a run
    that stopped (``max_batches``, an interrupt, a lost connection) continues where it stopped
    when run again. A person row is rewritten only if its version is still the one read (a
    concurrent save wrote it under the current key anyway; the next run picks up what was
    skipped); the person's ``version`` is not changed (no domain change). ``progress(done,
    total)`` is called after each batch.
    """
    cipher = codec.cipher
    if cipher is None:
        raise StoreError(
            "未配置密钥, 无法轮换", "no key provider: nothing to rotate to", code="keys_required"
        )
    if batch <= 0:
        raise StoreError("批量须为正整数", "the batch size must be positive", code="invalid_batch")
    key_id = cipher.provider.current_key_id()
    p, h = tables.persons, tables.history
    pending_p = _pending_persons(tables, codec, key_id)
    pending_h = _stale(type_coerce(h.c.snapshot, Text), key_id, clear_too=True, quote='"')
    with translate_errors(connecting=True):
        conn = engine.connect()
    done = seen = batches = 0
    with conn, translate_errors():
        total = int(conn.execute(select(func.count()).select_from(p).where(pending_p)).scalar_one())
        total += int(
            conn.execute(select(func.count()).select_from(h).where(pending_h)).scalar_one()
        )
        conn.rollback()
        if progress is not None:
            progress(0, total)
        for table, pending in ((p, pending_p), (h, pending_h)):
            after = ""
            while max_batches is None or batches < max_batches:
                with conn.begin():
                    rows = conn.execute(
                        select(table)
                        .where(pending, table.c.id > after)
                        .order_by(table.c.id)
                        .limit(batch)
                    ).all()
                    for row in rows:
                        m = row._mapping
                        if table is p:
                            stmt = (
                                update(p)
                                .where(p.c.id == m["id"], p.c.version == m["version"])
                                .values(_rotated_person(codec, m))
                            )
                        else:
                            record = codec.decode_history(dict(m))
                            stmt = (
                                update(h)
                                .where(h.c.id == m["id"])
                                .values(snapshot=codec.encode_history(record)["snapshot"])
                            )
                        done += conn.execute(stmt).rowcount
                if not rows:
                    break
                after = rows[-1]._mapping["id"]
                batches += 1
                seen += len(rows)
                if progress is not None:
                    progress(min(seen, total), total)
    return done
