"""The audit trail (审计日志): who wrote or saw which personal data, when, and why.

An :class:`AuditEntry` is appended for every write and every clear read of a sensitive field
group (PIPL Art. 51, 54, 55): the actor, the time, the operation, the entity kind and id, the
field groups, the purpose and the reason — and never the personal data itself. Entries are
append-only and form a hash chain: each carries the hash of the one before (``prev_hash``) and its
own ``hash`` over its :func:`canonical_form`. The hash is SHA-256, or HMAC-SHA256 when the host
supplies an audit key — then nobody without the key can rewrite the chain consistently.

* :func:`chain_entries` turns drafts (entries with ``seq=0`` and no hashes) into chained entries
  after the last stored one;
* :func:`verify_chain` checks a whole chain and names the first entry that was altered, removed
  (a gap in ``seq``) or inserted, as :class:`AuditProblem` s with stable codes;
* :class:`AuditPort` is what a store implements (append, the last entry, queries by person, actor
  and period); :func:`iter_chain` pages through a whole chain for :func:`verify_chain`.

Without a key, an unkeyed chain detects any edit that is not followed by recomputing every later
hash, and nothing after the last entry: pass ``head`` (the last hash, kept elsewhere) to
:func:`verify_chain` to detect a removed tail, or use an audit key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import attrs
from cryptography.hazmat.primitives import hashes, hmac

import minzu_core.fields as fields
from minzu_core.clock import CST, require_aware
from minzu_core.labels import LabelledEnum
from minzu_core.privacy.permissions import FieldGroup, to_field_groups

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditOperation",
    "AuditPort",
    "AuditProblem",
    "AuditProblemKind",
    "AuditQuery",
    "canonical_form",
    "chain_after",
    "chain_entries",
    "entry_hash",
    "iter_chain",
    "verify_chain",
]

#: The ``prev_hash`` of the first entry of a chain.
GENESIS_HASH = "0" * 64


class AuditOperation(LabelledEnum):
    """What was done to personal data."""

    READ = "read", "明文查看", "read in clear"
    CREATE = "create", "新增", "create"
    UPDATE = "update", "修改", "update"
    ERASE = "erase", "删除", "erase"
    EXPORT = "export", "导出", "export"


def _in_cst(value: datetime) -> datetime:
    return require_aware(value, "at").astimezone(CST)


def _texts(values: Any) -> frozenset[str]:
    return frozenset(str(v) for v in fields.as_items(values, "subject_ids"))


@attrs.frozen
class AuditEntry:
    """One entry of the audit trail (no personal data: ids, codes and labels only).

    A *draft* (what a unit of work records) has ``seq=0`` and empty hashes;
    :func:`chain_entries` numbers and hashes it.

    Attributes:
        at: when (timezone-aware; kept in China Standard Time).
        actor_id: who (``Actor.id``).
        operation: read / create / update / erase / export.
        entity_type: ``"person"``, ``"dispute"``, ``"service_request"`` …
        entity_id: the entity's id as text.
        field_groups: the sensitive groups read in clear or written.
        purpose: the declared purpose code, if any.
        reason: why (the reason of the unit of work; free text, not shown in the repr).
        subject_ids: ids of the persons whose data this touches besides the entity itself (the
            parties of a dispute, the applicant of a request), for "who saw this person's data".
        seq: the position in the chain, 1, 2, 3 … (0 for a draft).
        prev_hash: the hash of the entry before (:data:`GENESIS_HASH` for the first).
        hash: this entry's hash over its :func:`canonical_form`.
    """

    at: datetime = attrs.field(converter=_in_cst)
    actor_id: str = attrs.field(converter=fields.to_text)
    operation: AuditOperation = attrs.field(converter=fields.to_choice)
    entity_type: str = attrs.field(converter=fields.to_text)
    entity_id: str = attrs.field(converter=fields.to_text)
    field_groups: frozenset[FieldGroup] = attrs.field(
        default=frozenset(), converter=to_field_groups
    )
    purpose: str | None = attrs.field(default=None, converter=fields.to_text_or_none)
    reason: str = attrs.field(default="", repr=False)
    subject_ids: frozenset[str] = attrs.field(default=frozenset(), converter=_texts)
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""

    def concerns(self, person_id: str) -> bool:
        """True if the entry is about the person ``person_id`` (as entity or subject)."""
        return (self.entity_type == "person" and self.entity_id == person_id) or (
            person_id in self.subject_ids
        )


def canonical_form(entry: AuditEntry) -> bytes:
    """The bytes an entry's hash covers: sorted-key compact JSON (through the library's cattrs
    converter) of every field but ``hash``, the time in UTC with microseconds."""
    from minzu_core.serialization import unstructure

    data: dict[str, Any] = unstructure(entry)
    del data["hash"]
    data["at"] = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def entry_hash(entry: AuditEntry, key: bytes | None = None) -> str:
    """The hash of ``entry`` (hex): SHA-256 of its canonical form, or HMAC-SHA256 under ``key``."""
    body = canonical_form(entry)
    if key is None:
        return hashlib.sha256(body).hexdigest()
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(body)
    return mac.finalize().hex()


def chain_entries(
    drafts: Iterable[AuditEntry], previous: AuditEntry | None = None, *, key: bytes | None = None
) -> list[AuditEntry]:
    """Number and hash ``drafts`` to follow ``previous`` (the last stored entry; ``None`` for a
    new chain). Any ``seq``/``prev_hash``/``hash`` the drafts carry is replaced."""
    if previous is None:
        return chain_after(drafts, 0, GENESIS_HASH, key=key)
    return chain_after(drafts, previous.seq, previous.hash, key=key)


def chain_after(
    drafts: Iterable[AuditEntry], seq: int, prev_hash: str, *, key: bytes | None = None
) -> list[AuditEntry]:
    """Number and hash ``drafts`` to follow the entry ``seq`` whose hash is ``prev_hash`` (a
    store's recorded head: ``0`` and :data:`GENESIS_HASH` for an empty trail)."""
    chained: list[AuditEntry] = []
    for draft in drafts:
        seq += 1
        entry = attrs.evolve(draft, seq=seq, prev_hash=prev_hash, hash="")
        entry = attrs.evolve(entry, hash=entry_hash(entry, key))
        chained.append(entry)
        prev_hash = entry.hash
    return chained


class AuditProblemKind(LabelledEnum):
    """What is wrong at a place of the chain."""

    ALTERED = "altered", "审计记录被篡改", "audit entry altered"
    MISSING = "missing", "审计记录缺失", "audit entry removed"
    INSERTED = "inserted", "审计记录被插入", "audit entry inserted"
    LINK_BROKEN = "link_broken", "审计链断裂", "audit chain broken"
    HEAD_MISMATCH = "head_mismatch", "审计链末端不符", "audit chain head mismatch"


_MESSAGES: dict[AuditProblemKind, tuple[str, str]] = {
    AuditProblemKind.ALTERED: (
        "第 {seq} 条审计记录的内容与其哈希不符 (被篡改)",
        "audit entry {seq} does not match its hash (altered)",
    ),
    AuditProblemKind.MISSING: (
        "第 {seq} 条起缺少 {count} 条审计记录 (被删除)",
        "audit entries missing from entry {seq} on ({count} removed)",
    ),
    AuditProblemKind.INSERTED: (
        "位置 {position} 的审计记录 (序号 {seq}) 不属于审计链 (被插入)",
        "the audit entry at position {position} (seq {seq}) does not belong to the chain"
        " (inserted)",
    ),
    AuditProblemKind.LINK_BROKEN: (
        "第 {seq} 条审计记录未链接到前一条 (前一条被改写或本条被替换)",
        "audit entry {seq} does not link to the one before (that one rewritten or this replaced)",
    ),
    AuditProblemKind.HEAD_MISMATCH: (
        "审计链末端与记录的末端哈希不符 (末尾记录被删除或改写)",
        "the chain's last hash is not the recorded head (entries at the end removed or rewritten)",
    ),
}


@attrs.frozen
class AuditProblem:
    """A problem found by :func:`verify_chain`.

    Attributes:
        kind: altered / missing / inserted / link_broken / head_mismatch.
        position: the 0-based index, in the entries verified, of the entry concerned (for a
            missing entry: of the entry after the gap; for a head mismatch: one past the end).
        seq: the ``seq`` concerned (for a missing entry: the first missing seq).
        count: how many entries are missing (``missing`` only; else 1).
    """

    kind: AuditProblemKind
    position: int
    seq: int
    count: int = 1

    @property
    def code(self) -> str:
        """The stable machine code, e.g. ``"audit_entry_altered"``."""
        if self.kind in (AuditProblemKind.LINK_BROKEN, AuditProblemKind.HEAD_MISMATCH):
            return f"audit_{self.kind.value}"
        return f"audit_entry_{self.kind.value}"

    def _format(self, template: str) -> str:
        return template.format(seq=self.seq, position=self.position, count=self.count)

    @property
    def message_zh(self) -> str:
        """The problem in Chinese."""
        return self._format(_MESSAGES[self.kind][0])

    @property
    def message_en(self) -> str:
        """The problem in English."""
        return self._format(_MESSAGES[self.kind][1])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (code, kind, position, seq, count, messages)."""
        return {
            "code": self.code,
            "kind": self.kind.value,
            "position": self.position,
            "seq": self.seq,
            "count": self.count,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


def _with_next(items: Iterable[AuditEntry]) -> Iterator[tuple[AuditEntry, AuditEntry | None]]:
    iterator = iter(items)
    current = next(iterator, None)
    while current is not None:
        following = next(iterator, None)
        yield current, following
        current = following


def verify_chain(
    entries: Iterable[AuditEntry],
    *,
    key: bytes | None = None,
    after: AuditEntry | None = None,
    head: str | None = None,
) -> list[AuditProblem]:
    """Check a chain (in ``seq`` order); the problems found, empty when it is intact.

    The first problem locates the first entry altered, removed or inserted; later ones are
    reported after resynchronising on the stored entries. ``entries`` is read once, in order, so
    a store can stream it (:func:`iter_chain`). ``key`` is the audit key the chain was made
    with; ``after`` the trusted entry before the first one (verifying a tail); ``head`` the
    expected hash of the last entry, kept outside the store (detects a removed tail, and
    entries appended after it).
    """
    problems: list[AuditProblem] = []
    expected = (after.seq if after is not None else 0) + 1
    # The hashes the next entry may link to; None after an altered entry, whose successor's
    # link cannot be checked (the alteration is already reported).
    links: set[str] | None = {after.hash if after is not None else GENESIS_HASH}
    last_hash = after.hash if after is not None else GENESIS_HASH
    position = -1
    # Where the entry after the recorded head is (position, seq), once the head was seen.
    head_end = (0, expected) if head == last_hash else None
    for position, (entry, following) in enumerate(_with_next(entries)):
        computed = entry_hash(entry, key)
        hash_ok = computed == entry.hash
        if hash_ok and entry.seq == expected and (links is None or entry.prev_hash in links):
            expected, links, last_hash = expected + 1, {entry.hash}, entry.hash
            head_end = (position + 1, expected) if entry.hash == head else head_end
            continue
        next_links = (
            following is not None
            and links is not None
            and following.seq == expected
            and following.prev_hash in links
        )
        if next_links or (hash_ok and entry.seq < expected):
            problems.append(AuditProblem(AuditProblemKind.INSERTED, position, entry.seq))
            continue  # the chain goes on from the entry before
        if not hash_ok:
            problems.append(AuditProblem(AuditProblemKind.ALTERED, position, entry.seq))
            links = None
            expected += 1
        elif entry.seq > expected:
            gap = entry.seq - expected
            problems.append(AuditProblem(AuditProblemKind.MISSING, position, expected, gap))
            links, expected = {entry.hash}, entry.seq + 1
        else:
            problems.append(AuditProblem(AuditProblemKind.LINK_BROKEN, position, entry.seq))
            links, expected = {entry.hash}, expected + 1
        last_hash = entry.hash
    if head is not None and head != last_hash:
        if head_end is not None:  # entries were appended after the recorded head
            problems.append(AuditProblem(AuditProblemKind.INSERTED, *head_end))
        else:  # the tail after the last entry was removed, or the last entry rewritten
            problems.append(AuditProblem(AuditProblemKind.HEAD_MISMATCH, position + 1, expected))
    return problems


def _aware_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else require_aware(value, "period")


@attrs.frozen
class AuditQuery:
    """Which audit entries to list (every condition set must hold), ordered by ``seq``.

    Attributes:
        person_id: entries about this person (PIPL Art. 45: who saw my data) — as the entity
            (``entity_type == "person"``) or as a subject (:attr:`AuditEntry.subject_ids`).
        actor_id: entries made by this actor.
        start, end: the period, half-open ``start <= at < end`` (aware datetimes).
        entity_type, entity_id: entries about this entity.
        after_seq: only entries with ``seq > after_seq`` (paging through a whole chain).
        limit: at most this many entries.
    """

    person_id: str | None = None
    actor_id: str | None = None
    start: datetime | None = attrs.field(default=None, converter=_aware_or_none)
    end: datetime | None = attrs.field(default=None, converter=_aware_or_none)
    entity_type: str | None = None
    entity_id: str | None = None
    after_seq: int = 0
    limit: int | None = None

    def matches(self, entry: AuditEntry) -> bool:
        """True if ``entry`` satisfies every condition (``limit`` aside): the reference
        semantics stores implement."""
        return (
            (self.person_id is None or entry.concerns(self.person_id))
            and (self.actor_id is None or entry.actor_id == self.actor_id)
            and (self.start is None or entry.at >= self.start)
            and (self.end is None or entry.at < self.end)
            and (self.entity_type is None or entry.entity_type == self.entity_type)
            and (self.entity_id is None or entry.entity_id == self.entity_id)
            and entry.seq > self.after_seq
        )


@runtime_checkable
class AuditPort(Protocol):
    """Storage primitives of the audit trail (append-only; no update, no delete)."""

    def append_audit(
        self, drafts: Sequence[AuditEntry], *, key: bytes | None = None
    ) -> list[AuditEntry]:
        """Chain ``drafts`` after the last stored entry (:func:`chain_entries`, hashed under
        ``key``) and store them as part of the session's transaction; return the chained
        entries. Concurrent sessions must append one after the other so that the store holds one
        chain: an adapter locks the chain's head until its transaction ends (SQL:
        ``SELECT … FOR UPDATE`` of the head row) or chains at commit under its own lock. Call it
        last, just before ``commit``."""
        ...

    def last_audit_entry(self) -> AuditEntry | None:
        """The entry with the highest ``seq``, or ``None`` for an empty trail."""
        ...

    def query_audit_entries(self, query: AuditQuery) -> list[AuditEntry]:
        """The entries matching ``query`` (see :meth:`AuditQuery.matches`), by ``seq``."""
        ...


def iter_chain(port: AuditPort, *, batch: int = 1000) -> Iterator[AuditEntry]:
    """Every entry of the store's trail, in ``seq`` order, fetched ``batch`` at a time."""
    after = 0
    while True:
        page = port.query_audit_entries(AuditQuery(after_seq=after, limit=batch))
        yield from page
        if len(page) < batch:
            return
        after = page[-1].seq
