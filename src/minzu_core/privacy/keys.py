"""Keys and field encryption (密钥与字段加密): encryption at rest of ID numbers and phones.

* :class:`KeyProvider` — how the host supplies keys: the id of the current field key, a key by
  id (old keys stay available so tokens made under them still decrypt: rotation), the key of
  the blind index, and an optional audit-chain key;
* :class:`StaticKeyProvider` — keys given as bytes or base64 text, e.g. from environment
  variables (:meth:`StaticKeyProvider.from_environ`);
* :class:`FieldCipher` — AES-GCM (the ``cryptography`` package; 96-bit random nonce, the field
  name as associated data) producing a versioned text token ``v1:<key id>:<base64>`` that fits
  a VARCHAR (:func:`token_length` sizes the column);
* :func:`blind_index` — HMAC-SHA256 over the normalised value (hex), so lookups by ID number,
  the one-active-record-per-ID rule and duplicate checks keep working on encrypted columns.

A wrong key, an unknown key id or a tampered token raises a typed error
(:class:`WrongKeyError`, :class:`UnknownKeyIdError`, :class:`CorruptedCiphertextError`); it never
returns garbage. The token carries a 4-byte key check value (an HMAC of a constant under the
key, which reveals nothing of the key) so that a wrong key is told apart from a tampered token.
Keys never appear in a repr or an error.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import unicodedata
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import attrs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import constant_time, hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from minzu_core.errors import MinzuError, ValidationError

__all__ = [
    "TOKEN_VERSION",
    "CipherError",
    "CorruptedCiphertextError",
    "FieldCipher",
    "InvalidKeyError",
    "KeyProvider",
    "StaticKeyProvider",
    "UnknownKeyIdError",
    "WrongKeyError",
    "blind_index",
    "decode_key",
    "normalise_for_index",
    "token_length",
]

#: The version prefix of the tokens :class:`FieldCipher` makes.
TOKEN_VERSION = "v1"

_KEY_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_NONCE_BYTES = 12
_CHECK_BYTES = 4
_TAG_BYTES = 16
_AES_KEY_SIZES = (16, 24, 32)
_MIN_INDEX_KEY = 16
_CHECK_LABEL = b"minzu-core field key check"


class CipherError(MinzuError):
    """A token could not be decrypted (解密失败)."""

    default_code = "cipher_error"


class WrongKeyError(CipherError):
    """The key supplied for a token's key id is not the key it was made with (密钥错误)."""

    default_code = "wrong_key"


class UnknownKeyIdError(CipherError):
    """The key provider has no key of this id (未知密钥编号)."""

    default_code = "unknown_key_id"


class CorruptedCiphertextError(CipherError):
    """A token is malformed or was altered, or belongs to another field (密文损坏)."""

    default_code = "corrupted_ciphertext"


class InvalidKeyError(ValidationError):
    """Key material or a key id that cannot be used (密钥无效)."""

    default_code = "invalid_key"


def _corrupted(field: str, reason: str) -> CorruptedCiphertextError:
    return CorruptedCiphertextError(
        "密文已损坏、被篡改或不属于该字段",
        "the ciphertext is corrupted, was tampered with, or belongs to another field",
        field=field,
        details={"reason": reason},
    )


def _check_key_id(key_id: str, field: str = "key_id") -> str:
    if not isinstance(key_id, str) or not _KEY_ID_RE.fullmatch(key_id):
        raise InvalidKeyError(
            "密钥编号须为 1-32 位字母、数字、下划线或连字符",
            "a key id is 1-32 letters, digits, underscores or hyphens",
            field=field,
        )
    return key_id


def decode_key(value: bytes | str, *, field: str = "key") -> bytes:
    """Key material as bytes: ``bytes`` as given, text as base64 (standard or URL-safe)."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    text = value.strip() if isinstance(value, str) else ""
    try:
        return base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKeyError(
            "密钥不是有效的 base64 文本", "a key is not valid base64 text", field=field
        ) from None


def _aes_key(value: bytes | str, field: str) -> bytes:
    key = decode_key(value, field=field)
    if len(key) not in _AES_KEY_SIZES:
        raise InvalidKeyError(
            "AES 密钥长度须为 16、24 或 32 字节",
            "an AES key is 16, 24 or 32 bytes long",
            field=field,
            details={"length": len(key)},
        )
    return key


def _mac(key: bytes, *parts: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SHA256())
    for part in parts:
        mac.update(part)
    return mac.finalize()


@runtime_checkable
class KeyProvider(Protocol):
    """Where the keys come from: implemented by the host (a KMS, a vault, environment)."""

    def current_key_id(self) -> str:
        """The id of the key new tokens are made with."""
        ...

    def key(self, key_id: str) -> bytes:
        """The AES key (16, 24 or 32 bytes) of ``key_id``; :class:`UnknownKeyIdError` if the
        provider has none."""
        ...

    def blind_index_key(self) -> bytes:
        """The HMAC key of the blind index (independent of every field key)."""
        ...

    def audit_key(self) -> bytes | None:
        """The HMAC key of the audit chain, or ``None`` for a plain SHA-256 chain."""
        ...


def _field_keys(values: Mapping[str, bytes | str]) -> dict[str, bytes]:
    return {_check_key_id(k): _aes_key(v, f"keys.{k}") for k, v in dict(values).items()}


def _hmac_key(value: bytes | str, field: str) -> bytes:
    key = decode_key(value, field=field)
    if len(key) < _MIN_INDEX_KEY:
        raise InvalidKeyError(
            "HMAC 密钥 (盲索引、审计) 至少 16 字节",
            "an HMAC key (blind index, audit) is at least 16 bytes long",
            field=field,
        )
    return key


def _index_key(value: bytes | str) -> bytes:
    return _hmac_key(value, "blind_index_key")


def _audit_key(value: bytes | str | None) -> bytes | None:
    return None if value is None else _hmac_key(value, "audit_key")


@attrs.frozen
class StaticKeyProvider:
    """Keys held in memory, given as bytes or base64 text.

    Attributes:
        keys: the field keys by key id (old ones kept for decryption).
        current: the id of the key new tokens are made with.
        index_key: the blind-index key (must differ from every field key).
        audit: the audit-chain key, or ``None``.

    The repr shows the key ids only.
    """

    keys: dict[str, bytes] = attrs.field(converter=_field_keys, repr=lambda k: repr(sorted(k)))
    current: str = attrs.field(converter=_check_key_id)
    index_key: bytes = attrs.field(converter=_index_key, repr=False)
    audit: bytes | None = attrs.field(default=None, converter=_audit_key, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.current not in self.keys:
            raise InvalidKeyError(
                "当前密钥编号不在密钥表中",
                "the current key id is not among the keys",
                field="current",
                details={"key_id": self.current},
            )
        if any(constant_time.bytes_eq(self.index_key, k) for k in self.keys.values()):
            raise InvalidKeyError(
                "盲索引密钥不得与字段密钥相同",
                "the blind-index key must not be a field key",
                field="blind_index_key",
            )

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str] | None = None, *, prefix: str = "MINZU_"
    ) -> StaticKeyProvider:
        """Keys from environment variables (``os.environ`` by default):

        * ``MINZU_FIELD_KEYS`` — ``id:base64,id:base64,…``; the first is the current key;
        * ``MINZU_BLIND_INDEX_KEY`` — base64;
        * ``MINZU_AUDIT_KEY`` — base64, optional.
        """
        env = os.environ if environ is None else environ
        missing = [n for n in ("FIELD_KEYS", "BLIND_INDEX_KEY") if not env.get(prefix + n)]
        if missing:
            raise InvalidKeyError(
                f"缺少密钥环境变量: {', '.join(prefix + n for n in missing)}",
                f"missing key environment variables: {', '.join(prefix + n for n in missing)}",
                field=prefix + missing[0],
            )
        keys: dict[str, str] = {}
        for item in env[prefix + "FIELD_KEYS"].split(","):
            key_id, sep, material = item.strip().partition(":")
            if not sep:
                raise InvalidKeyError(
                    "密钥表的每一项须为 编号:base64",
                    "each item of the key list is id:base64",
                    field=prefix + "FIELD_KEYS",
                )
            keys[key_id] = material
        return cls(
            keys=keys,
            current=next(iter(keys)),
            index_key=env[prefix + "BLIND_INDEX_KEY"],
            audit=env.get(prefix + "AUDIT_KEY") or None,
        )

    def current_key_id(self) -> str:
        """The id of the key new tokens are made with."""
        return self.current

    def key(self, key_id: str) -> bytes:
        """The key of ``key_id`` (:class:`UnknownKeyIdError` if there is none)."""
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownKeyIdError(
                "没有该编号的密钥",
                "no key of this id",
                field="key_id",
                details={"key_id": key_id if _KEY_ID_RE.fullmatch(key_id) else "?"},
            ) from None

    def blind_index_key(self) -> bytes:
        """The blind-index key."""
        return self.index_key

    def audit_key(self) -> bytes | None:
        """The audit-chain key, or ``None``."""
        return self.audit


def normalise_for_index(value: str) -> str:
    """The form a value is indexed in: NFKC, no spaces or hyphens, upper case (``x`` of an ID
    number and full-width digits fold to the same index)."""
    text = unicodedata.normalize("NFKC", value)
    return re.sub(r"[\s\-]", "", text).upper()


def blind_index(value: str, key: bytes, *, field: str = "") -> str:
    """HMAC-SHA256 (hex) over the normalised ``value``, with ``field`` as domain separator.

    Deterministic for a key, so an equality lookup or a unique constraint works on it; without
    the key it reveals nothing of the value, and it does not depend on the field keys.
    """
    return _mac(
        key, field.encode("utf-8"), b"\x00", normalise_for_index(value).encode("utf-8")
    ).hex()


def token_length(plaintext_bytes: int, *, key_id_length: int = 32) -> int:
    """The length of the token of a value of ``plaintext_bytes`` UTF-8 bytes (for sizing the
    column: e.g. 18 bytes of an ID number give at most 103 characters)."""
    payload = _CHECK_BYTES + _NONCE_BYTES + plaintext_bytes + _TAG_BYTES
    return len(TOKEN_VERSION) + 1 + key_id_length + 1 + 4 * ((payload + 2) // 3)


@attrs.frozen
class FieldCipher:
    """Encrypts and decrypts field values with the keys of a :class:`KeyProvider`."""

    provider: KeyProvider

    def _key(self, key_id: str) -> bytes:
        return _aes_key(self.provider.key(key_id), f"keys.{key_id}")

    def encrypt(self, value: str, *, field: str) -> str:
        """The token of ``value`` for the column ``field`` (e.g. ``"person.id_number"``), made
        under the current key with a fresh random nonce."""
        key_id = _check_key_id(self.provider.current_key_id(), "current_key_id")
        key = self._key(key_id)
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, value.encode("utf-8"), field.encode("utf-8"))
        payload = _mac(key, _CHECK_LABEL)[:_CHECK_BYTES] + nonce + sealed
        return f"{TOKEN_VERSION}:{key_id}:{base64.b64encode(payload).decode('ascii')}"

    @staticmethod
    def is_token(value: object) -> bool:
        """True if ``value`` has the shape of a token (``v1:<key id>:<base64>``)."""
        if not isinstance(value, str):
            return False
        parts = value.split(":")
        return (
            len(parts) == 3 and parts[0] == TOKEN_VERSION and bool(_KEY_ID_RE.fullmatch(parts[1]))
        )

    @staticmethod
    def key_id_of(token: str, *, field: str = "token") -> str:
        """The key id a token was made under (:class:`CorruptedCiphertextError` if it is not a
        token)."""
        if not FieldCipher.is_token(token):
            raise _corrupted(field, "not_a_token")
        return token.split(":")[1]

    def decrypt(self, token: str, *, field: str) -> str:
        """The value of ``token`` made for ``field``.

        Raises :class:`UnknownKeyIdError` (no such key), :class:`WrongKeyError` (the provider's
        key for the id is not the one used) or :class:`CorruptedCiphertextError` (malformed,
        tampered, or made for another field).
        """
        key_id = self.key_id_of(token, field=field)
        key = self._key(key_id)
        try:
            payload = base64.b64decode(token.split(":")[2], validate=True)
        except (binascii.Error, ValueError):
            raise _corrupted(field, "bad_base64") from None
        if len(payload) < _CHECK_BYTES + _NONCE_BYTES + _TAG_BYTES:
            raise _corrupted(field, "too_short")
        check, nonce = payload[:_CHECK_BYTES], payload[_CHECK_BYTES : _CHECK_BYTES + _NONCE_BYTES]
        if not constant_time.bytes_eq(check, _mac(key, _CHECK_LABEL)[:_CHECK_BYTES]):
            raise WrongKeyError(
                "密钥与加密时所用的不符",
                "the key is not the one the value was encrypted with",
                field=field,
                details={"key_id": key_id},
            )
        sealed = payload[_CHECK_BYTES + _NONCE_BYTES :]
        try:
            plain = AESGCM(key).decrypt(nonce, sealed, field.encode("utf-8"))
        except InvalidTag:
            raise _corrupted(field, "authentication_failed") from None
        return plain.decode("utf-8")

    def needs_rotation(self, token: str) -> bool:
        """True if ``token`` was made under another key than the current one."""
        return self.key_id_of(token) != self.provider.current_key_id()

    def rotate(self, token: str, *, field: str) -> str:
        """``token`` re-encrypted under the current key (unchanged if it already is)."""
        if not self.needs_rotation(token):
            return token
        return self.encrypt(self.decrypt(token, field=field), field=field)

    def blind_index(self, value: str, *, field: str) -> str:
        """:func:`blind_index` of ``value`` under the provider's blind-index key."""
        return blind_index(value, self.provider.blind_index_key(), field=field)
