"""Keys, field encryption and the blind index (issue 13, part 4)."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minzu_core.codes.resident_id import make_resident_id
from minzu_core.errors import MinzuError
from minzu_core.privacy import keys

K1 = bytes(range(32))
K2 = bytes(range(1, 33))
INDEX = b"i" * 32
ID_NUMBER = make_resident_id("360102", date(1990, 3, 7), 1)
FIELD = "person.id_number"


def provider(current: str = "k1", **material: bytes) -> keys.StaticKeyProvider:
    return keys.StaticKeyProvider(keys=material or {"k1": K1}, current=current, index_key=INDEX)


def test_round_trip_and_token_shape() -> None:
    cipher = keys.FieldCipher(provider())
    token = cipher.encrypt(ID_NUMBER, field=FIELD)
    version, key_id, payload = token.split(":")
    assert (version, key_id) == ("v1", "k1")
    base64.b64decode(payload, validate=True)
    assert ID_NUMBER not in token and ID_NUMBER[-4:] not in token
    assert cipher.decrypt(token, field=FIELD) == ID_NUMBER
    assert keys.FieldCipher.is_token(token) and not keys.FieldCipher.is_token(ID_NUMBER)
    assert len(token) <= keys.token_length(len(ID_NUMBER.encode()), key_id_length=2)
    assert keys.token_length(18) <= 128  # fits a VARCHAR(128)
    # A fresh nonce each time: equal values give different tokens.
    assert cipher.encrypt(ID_NUMBER, field=FIELD) != token
    assert cipher.decrypt(cipher.encrypt("张三丰", field="person.name"), field="person.name") == (
        "张三丰"
    )


@settings(max_examples=60, deadline=None)
@given(value=st.text(max_size=60))
def test_any_text_round_trips(value: str) -> None:
    cipher = keys.FieldCipher(provider())
    token = cipher.encrypt(value, field="person.phone")
    assert cipher.decrypt(token, field="person.phone") == value
    assert len(token) <= keys.token_length(len(value.encode("utf-8")), key_id_length=2)


def test_rotation() -> None:
    old = keys.FieldCipher(provider())
    token = old.encrypt(ID_NUMBER, field=FIELD)
    rotated = keys.FieldCipher(provider("k2", k1=K1, k2=K2))
    assert rotated.decrypt(token, field=FIELD) == ID_NUMBER  # old tokens still decrypt
    assert rotated.needs_rotation(token)
    new_token = rotated.rotate(token, field=FIELD)
    assert keys.FieldCipher.key_id_of(new_token) == "k2" and not rotated.needs_rotation(new_token)
    assert rotated.rotate(new_token, field=FIELD) == new_token
    assert rotated.decrypt(new_token, field=FIELD) == ID_NUMBER
    # Once k1 is retired, only the re-encrypted token decrypts.
    retired = keys.FieldCipher(provider("k2", k2=K2))
    assert retired.decrypt(new_token, field=FIELD) == ID_NUMBER
    with pytest.raises(keys.UnknownKeyIdError) as info:
        retired.decrypt(token, field=FIELD)
    assert info.value.code == "unknown_key_id"


def test_a_wrong_key_is_a_typed_error() -> None:
    token = keys.FieldCipher(provider()).encrypt(ID_NUMBER, field=FIELD)
    wrong = keys.FieldCipher(provider(k1=K2))
    with pytest.raises(keys.WrongKeyError) as info:
        wrong.decrypt(token, field=FIELD)
    assert info.value.code == "wrong_key" and info.value.field == FIELD
    assert ID_NUMBER not in str(info.value)


def test_tampering_is_detected() -> None:
    cipher = keys.FieldCipher(provider())
    token = cipher.encrypt(ID_NUMBER, field=FIELD)
    prefix, payload = token.rsplit(":", 1)
    raw = bytearray(base64.b64decode(payload))
    for index in range(4, len(raw)):  # every byte after the key check value
        flipped = bytearray(raw)
        flipped[index] ^= 0x01
        bad = f"{prefix}:{base64.b64encode(bytes(flipped)).decode()}"
        with pytest.raises(keys.CorruptedCiphertextError) as info:
            cipher.decrypt(bad, field=FIELD)
        assert info.value.code == "corrupted_ciphertext"
    # The field name is associated data: a token moved to another column does not decrypt.
    with pytest.raises(keys.CorruptedCiphertextError):
        cipher.decrypt(token, field="person.phone")
    for bad in ("", ID_NUMBER, "v1:k1:!!!", "v1:k1:AAAA", "v2:k1:" + payload, "v1::" + payload):
        with pytest.raises(keys.CorruptedCiphertextError):
            cipher.decrypt(bad, field=FIELD)
    # The key id is no secret, but changing it never yields a value.
    two = keys.FieldCipher(provider("k1", k1=K1, k2=K2))
    with pytest.raises(MinzuError) as moved:
        two.decrypt(token.replace("v1:k1:", "v1:k2:"), field=FIELD)
    assert moved.value.code in ("wrong_key", "corrupted_ciphertext")


def test_blind_index() -> None:
    first = keys.blind_index(ID_NUMBER, INDEX, field=FIELD)
    assert len(first) == 64 and int(first, 16) >= 0
    assert keys.blind_index(ID_NUMBER, INDEX, field=FIELD) == first  # deterministic
    assert keys.blind_index(f" {ID_NUMBER.lower()} ", INDEX, field=FIELD) == first  # normalised
    assert keys.normalise_for_index("３６０１０２-19900307 001x") == "360102199003070 01X".replace(
        " ", ""
    )
    assert keys.blind_index(ID_NUMBER, b"j" * 32, field=FIELD) != first
    assert keys.blind_index(ID_NUMBER, INDEX, field="person.phone") != first
    assert ID_NUMBER not in first
    # Independent of the field keys: rotating them changes nothing.
    a = keys.FieldCipher(provider()).blind_index(ID_NUMBER, field=FIELD)
    b = keys.FieldCipher(provider("k2", k1=K1, k2=K2)).blind_index(ID_NUMBER, field=FIELD)
    assert a == b == first


def test_static_provider_from_environment_and_validation() -> None:
    k1, k2 = base64.urlsafe_b64encode(K1).decode(), base64.b64encode(K2).decode()
    env = {
        "MINZU_FIELD_KEYS": f"k2:{k2}, k1:{k1}",
        "MINZU_BLIND_INDEX_KEY": base64.b64encode(INDEX).decode(),
    }
    loaded = keys.StaticKeyProvider.from_environ(env)
    assert isinstance(loaded, keys.KeyProvider)
    assert loaded.current_key_id() == "k2" and loaded.key("k1") == K1
    assert loaded.blind_index_key() == INDEX and loaded.audit_key() is None
    assert "k1" in repr(loaded)
    for secret in (K1, K2, INDEX):
        assert base64.b64encode(secret).decode() not in repr(loaded)
        assert repr(secret) not in repr(loaded)
    with_audit = keys.StaticKeyProvider.from_environ(
        {**env, "MINZU_AUDIT_KEY": base64.b64encode(b"a" * 32).decode()}
    )
    assert with_audit.audit_key() == b"a" * 32
    with pytest.raises(keys.InvalidKeyError) as missing:
        keys.StaticKeyProvider.from_environ({})
    assert missing.value.code == "invalid_key"
    cases = [
        {"keys": {"k1": b"short"}, "current": "k1", "index_key": INDEX},
        {"keys": {"k1": K1}, "current": "k9", "index_key": INDEX},
        {"keys": {"k:1": K1}, "current": "k:1", "index_key": INDEX},
        {"keys": {"k1": K1}, "current": "k1", "index_key": b"tiny"},
        {"keys": {"k1": K1}, "current": "k1", "index_key": K1},  # the index key must differ
        {"keys": {"k1": "not base64!"}, "current": "k1", "index_key": INDEX},
    ]
    for case in cases:
        with pytest.raises(keys.InvalidKeyError):
            keys.StaticKeyProvider(**case)  # type: ignore[arg-type]
    with pytest.raises(keys.UnknownKeyIdError):
        provider().key("k7")
