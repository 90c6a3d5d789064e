"""The partner exchange package (流出地/流入地信息互通): ledger records shared between agencies.

An origin area's agency (流出地, e.g. a 新疆驻赣工作组) and a destination area's office (流入地)
exchange the ledger records of the persons they both look after as an :class:`ExchangePackage`:
a versioned JSON document naming the sender and recipient agency, when it was made, the purpose
of processing (from the purpose vocabulary) and its legal basis, the records (the ledger fields
of each person, as the library's cattrs converter writes them), a SHA-256 checksum over its
canonical form and a signature — HMAC-SHA256 under a shared key or Ed25519 (the sender's private
key signs, its public key verifies), both from ``cryptography``.

* :func:`pack_exchange` reads the records (scope, masking and the audit trail as any read; one
  ``export`` entry per person sent, with the purpose) and signs the package; commit the unit
  of work after :func:`write_package` so that the export entries are appended;
* :func:`read_package` / :func:`parse_package` read a package file, :func:`verify_package`
  checks its format version, checksum and signature; a truncated or invalid file
  (``exchange_malformed``), a future version (``exchange_version``), a changed record or
  checksum (``exchange_checksum``) or a wrong key (``exchange_signature``) is refused with a
  typed :class:`ExchangeError` before anything changes;
* :func:`receive_exchange` imports a verified package: a new person is created through the
  repository (scope, validation, history, audit); a record that differs from the local one is
  reported field by field (:class:`Conflict`, values masked in every repr and message) and never
  overwritten; a record without ID number that looks like a local one (same name, birth date
  and ethnicity) is held for a decision, not merged. Every record is accounted for in the
  :class:`ExchangeReport`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import constant_time, hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

import minzu_core.fields as fields
from minzu_core.clock import require_aware
from minzu_core.codes.divisions import DivisionCode
from minzu_core.codes.masking import mask_address, mask_name
from minzu_core.codes.phone import mask_phone
from minzu_core.codes.resident_id import mask_resident_id
from minzu_core.errors import MinzuError, NotFoundError, PermissionDeniedError, ValidationError
from minzu_core.labels import LabelledEnum
from minzu_core.ledger.masking import shown_person
from minzu_core.ledger.model import Person, PersonStatus
from minzu_core.ledger.repository import person_in_scope
from minzu_core.privacy.audit import AuditOperation
from minzu_core.privacy.keys import InvalidKeyError, decode_key
from minzu_core.privacy.purposes import DEFAULT_PURPOSES, Purpose, PurposeVocabulary
from minzu_core.serialization import structure, unstructure
from minzu_core.store.uow import UnitOfWork

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "LEDGER_FIELDS",
    "Agency",
    "Conflict",
    "ExchangeError",
    "ExchangePackage",
    "ExchangeReport",
    "Outcome",
    "RecordOutcome",
    "Signature",
    "Signer",
    "Verifier",
    "compare_records",
    "pack_exchange",
    "parse_package",
    "read_package",
    "receive_exchange",
    "verify_package",
    "write_package",
]

#: The format marker of a package file.
FORMAT_NAME = "minzu-exchange"
#: The format version this library writes (and the highest it reads).
FORMAT_VERSION = 1
#: The fields of a person a package carries: the ledger's (no guardian link, extension values,
#: record status or version).
LEDGER_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "gender",
    "ethnicity",
    "id_number",
    "birth_date",
    "phone",
    "household",
    "language",
    "residences",
)
HMAC_SHA256 = "hmac-sha256"
ED25519 = "ed25519"
_MIN_HMAC_KEY = 16
_SIGNATURE_FIELDS = ("checksum", "signature")


class ExchangeError(ValidationError):
    """A package that cannot be accepted (交换包无效): ``exchange_malformed``,
    ``exchange_version``, ``exchange_checksum``, ``exchange_signature``."""

    default_code = "exchange_error"


def _malformed(zh: str, en: str, **details: Any) -> ExchangeError:
    return ExchangeError(
        f"交换包格式无效: {zh}",
        f"malformed exchange package: {en}",
        code="exchange_malformed",
        field="package",
        details=details,
    )


# -- the package --------------------------------------------------------------------------------
def _agency_text(value: Any, field: str) -> str:
    text = fields.as_text(value, field)
    if "\n" in text or len(text) > 200:
        raise fields.invalid(
            "invalid_agency",
            "机构代码或名称须为一行, 不超过 200 字",
            "an agency code or name is one line of at most 200 characters",
            field,
        )
    return text


def _agency_code(value: Any) -> str:
    return _agency_text(value, "agency.code")


def _agency_name(value: Any) -> str:
    return _agency_text(value, "agency.name")


@attrs.frozen
class Agency:
    """An agency taking part in an exchange (交换机构).

    Attributes:
        code: its code (a division code, an organisation code — any stable text).
        name: its name, e.g. ``"西湖区民族宗教事务局"``.
    """

    code: str = attrs.field(converter=_agency_code)
    name: str = attrs.field(converter=_agency_name)

    @classmethod
    def parse(cls, text: str, *, field: str = "agency") -> Agency:
        """An agency from ``"CODE:NAME"`` (the command line's form)."""
        code, sep, name = str(text).partition(":")
        if not sep or not code.strip() or not name.strip():
            raise ValidationError(
                "机构须写作 代码:名称",
                "an agency is given as CODE:NAME",
                code="invalid_agency",
                field=field,
            )
        return cls(code.strip(), name.strip())


@attrs.frozen
class Signature:
    """The signature of a package: the algorithm (``hmac-sha256`` or ``ed25519``) and the
    signature bytes in base64."""

    algorithm: str
    value: str = attrs.field(repr=False)


def _aware(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise fields.invalid(
            "invalid_datetime", "须为日期时间", "a datetime is required", "created_at"
        )
    return require_aware(value, "created_at")


def _records(values: Any) -> tuple[dict[str, Any], ...]:
    items = fields.as_items(values, "records")
    if not all(isinstance(item, Mapping) for item in items):
        raise _malformed("记录须为对象", "each record is an object")
    return tuple(dict(item) for item in items)


@attrs.frozen
class ExchangePackage:
    """A partner exchange package (交换包). Build one with :func:`pack_exchange`.

    Attributes:
        format_version: the package format's version (:data:`FORMAT_VERSION`).
        sender: the sending agency.
        recipient: the receiving agency.
        created_at: when the package was made (timezone-aware).
        purpose: the purpose of processing's code (from the purpose vocabulary).
        legal_basis: the legal basis of the exchange (text, e.g. an agreement's reference).
        records: the persons, as ``unstructure`` writes them, restricted to
            :data:`LEDGER_FIELDS` (not shown in the repr).
        checksum: SHA-256 (hex) of :meth:`canonical_form`.
        signature: the signature of :meth:`canonical_form`, or ``None`` while unsigned.
        format: the format marker (:data:`FORMAT_NAME`).
    """

    format_version: int
    sender: Agency
    recipient: Agency
    created_at: datetime = attrs.field(converter=_aware)
    purpose: str = attrs.field(converter=fields.to_text)
    legal_basis: str = attrs.field(converter=fields.to_text, repr=False)
    records: tuple[dict[str, Any], ...] = attrs.field(
        converter=_records, hash=False, repr=lambda r: f"<{len(r)} records>"
    )
    checksum: str = ""
    signature: Signature | None = None
    format: str = FORMAT_NAME

    def body(self) -> dict[str, Any]:
        """The package as JSON-ready data without ``checksum`` and ``signature``."""
        data: dict[str, Any] = unstructure(self)
        for name in _SIGNATURE_FIELDS:
            data.pop(name, None)
        return data

    def canonical_form(self) -> bytes:
        """The bytes the checksum and the signature cover: sorted-key compact JSON (UTF-8) of
        everything but ``checksum`` and ``signature``."""
        text = json.dumps(self.body(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8")

    def computed_checksum(self) -> str:
        """SHA-256 (hex) of the canonical form, as the package's content gives it now."""
        return hashlib.sha256(self.canonical_form()).hexdigest()

    def to_json(self) -> str:
        """The package as JSON text (what :func:`write_package` writes)."""
        return json.dumps(unstructure(self), ensure_ascii=False, sort_keys=True, indent=1)


# -- signing --------------------------------------------------------------------------------------
def _hmac_key(value: bytes | str) -> bytes:
    key = decode_key(value, field="key")
    if len(key) < _MIN_HMAC_KEY:
        raise InvalidKeyError(
            "HMAC 密钥至少 16 字节",
            "an HMAC key is at least 16 bytes long",
            field="key",
        )
    return key


def _hmac(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(data)
    return mac.finalize()


def _load_key_file(path: Path | str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        raise ValidationError(
            "无法读取密钥文件", "cannot read the key file", code="key_file_unreadable", field="key"
        ) from None


def _pem_key(data: bytes) -> Ed25519PrivateKey | Ed25519PublicKey:
    loaded: object
    try:
        if b"PRIVATE KEY" in data:
            loaded = serialization.load_pem_private_key(data, password=None)
        else:
            loaded = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise InvalidKeyError(
            "密钥文件不是有效的 PEM 密钥", "the key file is not a valid PEM key", field="key"
        ) from None
    if not isinstance(loaded, Ed25519PrivateKey | Ed25519PublicKey):
        raise InvalidKeyError(
            "PEM 密钥须为 Ed25519 密钥", "a PEM key must be an Ed25519 key", field="key"
        )
    return loaded


class Signer:
    """Signs packages: :meth:`hmac` (a shared key) or :meth:`ed25519` (a private key). The
    key never appears in a repr."""

    def __init__(self, algorithm: str, key: bytes | Ed25519PrivateKey) -> None:
        self.algorithm = algorithm
        self._key = key

    @classmethod
    def hmac(cls, key: bytes | str) -> Signer:
        """An HMAC-SHA256 signer; ``key``: at least 16 bytes (bytes, or base64 text)."""
        return cls(HMAC_SHA256, _hmac_key(key))

    @classmethod
    def ed25519(cls, private_key: Ed25519PrivateKey) -> Signer:
        """An Ed25519 signer with the sender's private key."""
        if not isinstance(private_key, Ed25519PrivateKey):
            raise InvalidKeyError(
                "须为 Ed25519 私钥", "an Ed25519 private key is required", field="key"
            )
        return cls(ED25519, private_key)

    @classmethod
    def from_key_file(cls, path: Path | str) -> Signer:
        """The signer of a key file: a PEM Ed25519 private key, else a base64 HMAC key."""
        data = _load_key_file(path)
        if data.lstrip().startswith(b"-----BEGIN"):
            key = _pem_key(data)
            if not isinstance(key, Ed25519PrivateKey):
                raise InvalidKeyError(
                    "签名须用私钥 (该文件为公钥)",
                    "signing needs the private key (this file holds a public key)",
                    field="key",
                )
            return cls.ed25519(key)
        return cls.hmac(data.decode("ascii", errors="replace").strip())

    def sign(self, data: bytes) -> Signature:
        """The signature of ``data``."""
        if isinstance(self._key, Ed25519PrivateKey):
            raw = self._key.sign(data)
        else:
            raw = _hmac(self._key, data)
        return Signature(self.algorithm, base64.b64encode(raw).decode("ascii"))

    def verifier(self) -> Verifier:
        """The verifier of this signer's signatures (the same HMAC key, or the public key)."""
        if isinstance(self._key, Ed25519PrivateKey):
            return Verifier(ED25519, self._key.public_key())
        return Verifier(HMAC_SHA256, self._key)

    def __repr__(self) -> str:
        return f"Signer({self.algorithm!r})"


class Verifier:
    """Verifies package signatures: :meth:`hmac` (the shared key) or :meth:`ed25519` (the
    sender's public key). The key never appears in a repr."""

    def __init__(self, algorithm: str, key: bytes | Ed25519PublicKey) -> None:
        self.algorithm = algorithm
        self._key = key

    @classmethod
    def hmac(cls, key: bytes | str) -> Verifier:
        """An HMAC-SHA256 verifier with the shared key (bytes, or base64 text)."""
        return cls(HMAC_SHA256, _hmac_key(key))

    @classmethod
    def ed25519(cls, public_key: Ed25519PublicKey) -> Verifier:
        """An Ed25519 verifier with the sender's public key."""
        if not isinstance(public_key, Ed25519PublicKey):
            raise InvalidKeyError(
                "须为 Ed25519 公钥", "an Ed25519 public key is required", field="key"
            )
        return cls(ED25519, public_key)

    @classmethod
    def from_key_file(cls, path: Path | str) -> Verifier:
        """The verifier of a key file: a PEM Ed25519 public key (or private key: its public
        half), else a base64 HMAC key."""
        data = _load_key_file(path)
        if data.lstrip().startswith(b"-----BEGIN"):
            key = _pem_key(data)
            if isinstance(key, Ed25519PrivateKey):
                key = key.public_key()
            return cls.ed25519(key)
        return cls.hmac(data.decode("ascii", errors="replace").strip())

    def verify(self, data: bytes, signature: Signature | None) -> None:
        """Raise ``ExchangeError(code="exchange_signature")`` unless ``signature`` is this
        verifier's algorithm and a valid signature of ``data``."""
        if signature is None or signature.algorithm != self.algorithm:
            raise _bad_signature("algorithm")
        try:
            raw = base64.b64decode(signature.value, validate=True)
        except (binascii.Error, ValueError):
            raise _bad_signature("encoding") from None
        if isinstance(self._key, Ed25519PublicKey):
            try:
                self._key.verify(raw, data)
            except InvalidSignature:
                raise _bad_signature("invalid") from None
        elif not constant_time.bytes_eq(_hmac(self._key, data), raw):
            raise _bad_signature("invalid")

    def __repr__(self) -> str:
        return f"Verifier({self.algorithm!r})"


def _bad_signature(reason: str) -> ExchangeError:
    return ExchangeError(
        "交换包签名无效 (密钥不符或内容被改动)",
        "the exchange package's signature is not valid (wrong key, or the content was changed)",
        code="exchange_signature",
        field="signature",
        details={"reason": reason},
    )


# -- reading and writing ----------------------------------------------------------------------
def write_package(package: ExchangePackage, path: Path | str) -> Path:
    """Write ``package`` to ``path`` as UTF-8 JSON; returns the path."""
    target = Path(path)
    target.write_text(package.to_json() + "\n", encoding="utf-8")
    return target


def _first_minzu_error(exc: BaseException) -> MinzuError | None:
    if isinstance(exc, MinzuError):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _first_minzu_error(inner)
        if found is not None:
            return found
    return None


def parse_package(text: str | bytes) -> ExchangePackage:
    """A package from its JSON text. Refuses (``ExchangeError``) a text that is not a whole
    package (``exchange_malformed``) or of a newer format version (``exchange_version``). The
    checksum and signature are checked by :func:`verify_package`."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise _malformed(
            "不是完整的 JSON 文本 (文件被截断?)", "not whole JSON text (truncated?)"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise _malformed("不是交换包", "not an exchange package")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _malformed("格式版本无效", "invalid format version")
    if version > FORMAT_VERSION:
        raise ExchangeError(
            f"交换包格式版本 {version} 高于本程序支持的 {FORMAT_VERSION}, 请升级",
            f"exchange package format version {version} is newer than the supported"
            f" {FORMAT_VERSION}; upgrade",
            code="exchange_version",
            field="format_version",
            details={"version": version, "supported": FORMAT_VERSION},
        )
    missing = sorted({"sender", "recipient", "created_at", "purpose", "records"} - set(data))
    if missing:
        raise _malformed("缺少字段", "fields missing", missing=missing)
    try:
        return structure(data, ExchangePackage)
    except ExchangeError:
        raise
    except (cattrs.BaseValidationError, MinzuError, ValueError, TypeError, KeyError) as exc:
        cause = _first_minzu_error(exc)
        raise _malformed(
            "字段值无效", "a field is invalid", field=None if cause is None else cause.field
        ) from None


def read_package(path: Path | str) -> ExchangePackage:
    """The package in the file at ``path`` (see :func:`parse_package`)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        raise ExchangeError(
            "无法读取交换包文件",
            "cannot read the exchange package file",
            code="exchange_unreadable",
            field="package",
        ) from None
    return parse_package(data)


def verify_package(package: ExchangePackage, verifier: Verifier) -> None:
    """Check a package before anything is done with it: its format version, its checksum
    (``exchange_checksum``) and its signature (``exchange_signature``)."""
    if package.format_version != FORMAT_VERSION:
        raise ExchangeError(
            f"不支持的交换包格式版本 {package.format_version}",
            f"unsupported exchange package format version {package.format_version}",
            code="exchange_version",
            field="format_version",
        )
    computed = package.computed_checksum()
    if not constant_time.bytes_eq(computed.encode(), package.checksum.encode("utf-8", "replace")):
        raise ExchangeError(
            "交换包校验和不符 (内容或校验和被改动)",
            "the exchange package's checksum does not match (content or checksum changed)",
            code="exchange_checksum",
            field="checksum",
        )
    verifier.verify(package.canonical_form(), package.signature)


# -- packing -------------------------------------------------------------------------------------
def _ledger_record(person: Person) -> dict[str, Any]:
    data: dict[str, Any] = unstructure(person)
    return {key: data[key] for key in LEDGER_FIELDS}


def _withheld_anywhere(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_withheld_anywhere(v) for v in value.values())
    if isinstance(value, list):
        return any(_withheld_anywhere(v) for v in value)
    return fields.is_withheld(value)


def _persons_to_send(
    uow: UnitOfWork,
    person_ids: Iterable[uuid.UUID | str] | None,
    unit: DivisionCode | str | None,
    as_of: date | None,
) -> list[Person]:
    if (person_ids is None) == (unit is None):
        raise ValidationError(
            "须给出人员标识或单位 (二选一)",
            "give either person_ids or unit",
            code="exchange_selection",
            field="person_ids",
        )
    if unit is not None:
        return list(uow.people.list(within=unit, as_of=as_of))
    chosen = []
    for pid in dict.fromkeys(person_ids or ()):
        person = uow.people.get(pid)
        if person.status is not PersonStatus.ACTIVE:
            raise NotFoundError(
                "人员记录已合并", "the person record was merged", code="person_merged", field="id"
            )
        chosen.append(person)
    return chosen


def pack_exchange(
    uow: UnitOfWork,
    *,
    person_ids: Iterable[uuid.UUID | str] | None = None,
    unit: DivisionCode | str | None = None,
    as_of: date | None = None,
    sender: Agency,
    recipient: Agency,
    purpose: Purpose | str,
    legal_basis: str,
    signer: Signer,
    vocabulary: PurposeVocabulary = DEFAULT_PURPOSES,
) -> ExchangePackage:
    """A signed package of the persons ``person_ids`` or of every active person with a
    residence in ``unit``'s subtree (present on ``as_of`` if given).

    The records are read as any read (the actor's scope; masking; the audit trail). The unit
    of work must have declared ``purpose`` (so the reads are judged and recorded under it), and
    every record must come back in clear: a masked field is refused
    (``PermissionDeniedError(code="exchange_masked")``), never sent. Each person sent gets an
    ``export`` audit entry (purpose, the recipient and legal basis as its reason), appended
    when the unit of work commits: commit it once the package is written.
    """
    chosen = vocabulary.get(purpose)
    declared = uow.access.purpose
    if declared is None or declared.code != chosen.code:
        raise ValidationError(
            "工作单元须声明交换包的处理目的",
            "the unit of work must declare the package's purpose of processing",
            code="exchange_purpose_mismatch",
            field="purpose",
            details={"purpose": chosen.code},
        )
    basis = fields.as_text(legal_basis, "legal_basis")
    if not isinstance(sender, Agency) or not isinstance(recipient, Agency):
        raise ValidationError(
            "须提供发送与接收机构",
            "a sender and a recipient Agency are required",
            code="agency_required",
            field="recipient",
        )
    persons = _persons_to_send(uow, person_ids, unit, as_of)
    records = []
    today = uow.today()
    for person in persons:
        record = _ledger_record(person)
        if _withheld_anywhere(record):
            raise PermissionDeniedError(
                "交换包只能包含明文记录: 操作人无权以该目的查看部分字段",
                "an exchange package holds records in clear only: the actor may not read some "
                "fields in clear for this purpose",
                code="exchange_masked",
                field="person",
            )
        records.append(record)
        _, groups = shown_person(person, uow.access, today, uow.extensions)
        uow.trail.wrote(
            AuditOperation.EXPORT,
            "person",
            str(person.id),
            groups=groups,
            reason=f"交换包 exchange → {recipient.code}: {basis}",
        )
    package = ExchangePackage(
        format_version=FORMAT_VERSION,
        sender=sender,
        recipient=recipient,
        created_at=uow.clock(),
        purpose=chosen.code,
        legal_basis=basis,
        records=tuple(records),
    )
    package = attrs.evolve(package, checksum=package.computed_checksum())
    return attrs.evolve(package, signature=signer.sign(package.canonical_form()))


# -- receiving ------------------------------------------------------------------------------------
def _mask(field: str, value: Any) -> Any:
    """A masked form of a compared value (for reprs, messages and reports)."""
    if value is None:
        return None
    text = str(value)
    leaf = field.rsplit(".", 1)[-1]
    if leaf == "name":
        return mask_name(text)
    if leaf == "id_number":
        return mask_resident_id(text)
    if leaf == "phone":
        return mask_phone(text)
    if leaf in ("address", "employer"):
        return mask_address(text)
    return "*" * min(len(text), 8) or "*"


@attrs.frozen
class Conflict:
    """A field whose received value differs from the local record's (冲突), never overwritten.

    Attributes:
        person_id: the local record.
        field: the field's path, e.g. ``"phone"``, ``"residences[0].address"``.
        local: the local value (as the unit of work may see it: masked without the
            permission). Not shown in the repr.
        received: the value in the package. Not shown in the repr.
    """

    person_id: uuid.UUID
    field: str
    local: Any = attrs.field(repr=lambda v: "None" if v is None else "'***'")
    received: Any = attrs.field(repr=lambda v: "None" if v is None else "'***'")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with both values masked."""
        return {
            "person_id": str(self.person_id),
            "field": self.field,
            "local": _mask(self.field, self.local),
            "received": _mask(self.field, self.received),
        }


class Outcome(LabelledEnum):
    """What became of one received record."""

    CREATED = "created", "新增", "created"
    UNCHANGED = "unchanged", "未变", "unchanged"
    CONFLICT = "conflict", "有冲突", "conflict"
    HELD = "held", "待确认", "held for a duplicate decision"
    REJECTED = "rejected", "拒绝", "rejected"


@attrs.frozen
class RecordOutcome:
    """One received record's outcome (ids and codes only).

    Attributes:
        index: the record's 0-based position in the package.
        outcome: created / unchanged / conflict / held / rejected.
        person_id: the local record (created, unchanged, conflict), else ``None``.
        code: the error code of a rejected record.
        candidates: the local records a held record may be the same person as.
    """

    index: int
    outcome: Outcome
    person_id: uuid.UUID | None = None
    code: str | None = None
    candidates: tuple[uuid.UUID, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "index": self.index,
            "outcome": self.outcome.value,
            "person_id": None if self.person_id is None else str(self.person_id),
            "code": self.code,
            "candidates": [str(c) for c in self.candidates],
        }


@attrs.frozen
class ExchangeReport:
    """What :func:`receive_exchange` did: every record accounted for
    (``received == created + unchanged + conflicted + held + rejected``).

    Attributes:
        checksum: the package's checksum.
        sender: the sending agency's code.
        outcomes: one per record, in package order.
        conflicts: the fields that differ, record by record (values masked in the repr).
    """

    checksum: str
    sender: str
    outcomes: tuple[RecordOutcome, ...]
    conflicts: tuple[Conflict, ...] = ()

    def _count(self, outcome: Outcome) -> int:
        return sum(1 for o in self.outcomes if o.outcome is outcome)

    @property
    def received(self) -> int:
        """The records in the package."""
        return len(self.outcomes)

    @property
    def created(self) -> int:
        """New local records."""
        return self._count(Outcome.CREATED)

    @property
    def unchanged(self) -> int:
        """Records equal to the local one."""
        return self._count(Outcome.UNCHANGED)

    @property
    def conflicted(self) -> int:
        """Records that differ from the local one (reported in :attr:`conflicts`)."""
        return self._count(Outcome.CONFLICT)

    @property
    def held(self) -> int:
        """Records held for a duplicate decision."""
        return self._count(Outcome.HELD)

    @property
    def rejected(self) -> int:
        """Records that could not be stored."""
        return self._count(Outcome.REJECTED)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the integer counts, the outcomes and the (masked) conflicts."""
        return {
            "checksum": self.checksum,
            "sender": self.sender,
            "received": self.received,
            "created": self.created,
            "unchanged": self.unchanged,
            "conflicted": self.conflicted,
            "held": self.held,
            "rejected": self.rejected,
            "outcomes": [o.to_dict() for o in self.outcomes],
            "conflicts": [c.to_dict() for c in self.conflicts],
        }


def _flat(person: Person) -> dict[str, Any]:
    """The compared fields of a person: path → unstructured value (residences in date
    order, their ids left out)."""
    data = _ledger_record(person)
    flat: dict[str, Any] = {}
    for key in LEDGER_FIELDS:
        if key in ("id", "household", "residences"):
            continue
        flat[key] = data[key]
    household = data["household"] or {}
    for key in ("division_code", "address"):
        flat[f"household.{key}"] = household.get(key)
    for index, episode in enumerate(data["residences"]):
        for key, value in episode.items():
            if key != "id":
                flat[f"residences[{index}].{key}"] = value
    return flat


def compare_records(local: Person, received: Person) -> list[tuple[str, Any, Any]]:
    """The ledger fields where ``received`` differs from ``local``: (path, local value,
    received value), values as the converter writes them."""
    mine, theirs = _flat(local), _flat(received)
    return [
        (path, mine.get(path), theirs.get(path))
        for path in [*mine, *(p for p in theirs if p not in mine)]
        if mine.get(path) != theirs.get(path)
    ]


def _value_at(person: Person, path: str) -> Any:
    return _flat(person).get(path)


class _Receiver:
    def __init__(self, uow: UnitOfWork, unit: DivisionCode, reason: str) -> None:
        self.uow = uow
        self.unit = unit
        self.reason = reason
        self.conflicts: list[Conflict] = []

    def person_of(self, record: Mapping[str, Any]) -> Person:
        data = {key: record.get(key) for key in LEDGER_FIELDS if key in record}
        if set(record) - set(LEDGER_FIELDS):
            raise _malformed("记录含有未知字段", "a record holds an unknown field")
        try:
            person = structure(data, Person)
        except (cattrs.BaseValidationError, MinzuError, ValueError, TypeError, KeyError) as exc:
            cause = _first_minzu_error(exc)
            if cause is not None:
                raise cause from None
            raise _malformed("记录无效", "a record is invalid") from None
        return attrs.evolve(person, version=0)

    def local_match(self, person: Person) -> Person | None:
        session = self.uow.session
        if person.id_number is not None:
            found = session.find_active_by_id_number(person.id_number)
            if found is not None:
                return found
        same = session.get_person(person.id)
        if same is None:
            return None
        if same.status is not PersonStatus.ACTIVE:
            raise ValidationError(
                "该记录在本地已合并到另一记录",
                "the record was merged into another one locally",
                code="exchange_merged",
                field="id",
            )
        return same

    def receive(self, index: int, record: Mapping[str, Any]) -> RecordOutcome:
        uow = self.uow
        try:
            person = self.person_of(record)
            latest = person.latest_residence
            if latest is None or not self.unit.contains(latest.unit_code):
                raise ValidationError(
                    "记录的现居住地不在接收单位内",
                    "the record's current residence is not within the receiving unit",
                    code="exchange_outside_unit",
                    field="residences",
                )
            local = self.local_match(person)
            if local is not None:
                return self.compare(index, local, person)
            if person.id_number is None:
                candidates = tuple(c.id for c in uow.people.likely_duplicates(person))
                if candidates:
                    return RecordOutcome(index, Outcome.HELD, candidates=candidates)
            stored = uow.people.add(person, reason=self.reason)
        except MinzuError as exc:
            return RecordOutcome(index, Outcome.REJECTED, code=exc.code)
        return RecordOutcome(index, Outcome.CREATED, person_id=stored.id)

    def compare(self, index: int, local: Person, received: Person) -> RecordOutcome:
        uow = self.uow
        if not person_in_scope(uow.actor, local):
            return RecordOutcome(index, Outcome.REJECTED, code="outside_scope")
        differences = compare_records(local, received)
        # what the actor may see of the local record (and the read recorded for the audit)
        shown = uow.people.get(local.id)
        if not differences:
            return RecordOutcome(index, Outcome.UNCHANGED, person_id=local.id)
        for path, _, theirs in differences:
            self.conflicts.append(Conflict(local.id, path, _value_at(shown, path), theirs))
        return RecordOutcome(index, Outcome.CONFLICT, person_id=local.id)


def receive_exchange(
    uow: UnitOfWork,
    package: ExchangePackage,
    *,
    verifier: Verifier,
    unit: DivisionCode | str,
    reason: str,
) -> ExchangeReport:
    """Verify ``package`` (:func:`verify_package`: nothing changes if it is refused) and import
    its records into the unit ``unit``'s subtree; commit the unit of work afterwards.

    Each record is matched with a local one by ID number, else by its id (the same record
    received before): equal → unchanged; different → a :class:`Conflict` per field, the local
    record left as it is. An unmatched record without an ID number that has likely duplicates
    (same name, birth date and ethnicity) is held for a decision. Any other record is created
    through the repository (the actor's scope, validation against the stored hierarchy,
    history and audit, ``reason`` with the package's checksum); one that breaks a rule is
    rejected with the error's code. A record whose current residence is not within ``unit`` is
    rejected (``exchange_outside_unit``).
    """
    verify_package(package, verifier)
    code = fields.as_code(unit, "unit")
    uow.actor.require(code, field="unit")
    why = fields.as_text(reason, "reason")
    receiver = _Receiver(
        uow, code, f"{why} (交换包 exchange {package.checksum[:12]} from {package.sender.code})"
    )
    outcomes = [receiver.receive(i, record) for i, record in enumerate(package.records)]
    return ExchangeReport(
        checksum=package.checksum,
        sender=package.sender.code,
        outcomes=tuple(outcomes),
        conflicts=tuple(receiver.conflicts),
    )
