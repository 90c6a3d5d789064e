"""The audit trail: canonical form, the hash chain and its verification (issue 13, part 3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minzu_core.clock import CST
from minzu_core.errors import ValidationError
from minzu_core.privacy import audit
from minzu_core.privacy.permissions import FieldGroup

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=CST)
KEY = b"k" * 32


def draft(n: int, **changes: object) -> audit.AuditEntry:
    values: dict[str, object] = {
        "at": T0 + timedelta(minutes=n),
        "actor_id": f"officer-{n % 3}",
        "operation": audit.AuditOperation.READ if n % 2 else audit.AuditOperation.UPDATE,
        "entity_type": "person",
        "entity_id": f"p{n % 4}",
        "field_groups": {FieldGroup.IDENTITY},
        "purpose": "service_handling",
        "reason": f"办理第 {n} 号",
    }
    values.update(changes)
    return audit.AuditEntry(**values)  # type: ignore[arg-type]


def chain(n: int, key: bytes | None = None) -> list[audit.AuditEntry]:
    return audit.chain_entries([draft(i) for i in range(n)], key=key)


#: A chain of entries and the audit key it was made with (``None``: made without one).
Chained = tuple[bytes | None, list[audit.AuditEntry]]


@st.composite
def chains(draw: st.DrawFn) -> Chained:
    """A chain of 1 to 8 entries, made with the audit key or without."""
    key = KEY if draw(st.booleans()) else None
    return key, chain(draw(st.integers(1, 8)), key)


def test_chaining_numbers_and_links_the_entries() -> None:
    entries = chain(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert all(len(e.hash) == 64 for e in entries)
    more = audit.chain_entries([draft(9)], entries[-1])
    assert more[0].seq == 4 and more[0].prev_hash == entries[-1].hash
    assert audit.verify_chain([*entries, *more]) == []
    assert audit.verify_chain(more, after=entries[-1]) == []
    assert audit.verify_chain([]) == []


def test_canonical_form_is_sorted_json_without_the_hash() -> None:
    entry = chain(1)[0]
    data = json.loads(audit.canonical_form(entry))
    assert list(data) == sorted(data)
    assert "hash" not in data and data["prev_hash"] == audit.GENESIS_HASH
    assert data["at"] == "2026-03-01T01:30:00.000000+00:00"
    assert data["field_groups"] == ["identity"]
    # The same instant in another zone is the same entry.
    same = attrs.evolve(entry, at=entry.at.astimezone(UTC))
    assert same.at.tzinfo == CST and audit.entry_hash(same) == entry.hash


def test_keyed_chains_need_the_key() -> None:
    entries = chain(3, key=KEY)
    assert audit.verify_chain(entries, key=KEY) == []
    assert audit.verify_chain(entries)[0].kind is audit.AuditProblemKind.ALTERED
    assert entries[0].hash != chain(1)[0].hash


def test_entries_hold_no_personal_data_in_their_repr() -> None:
    entry = draft(1, reason="张三的身份证号 360102199003070014")
    assert "张三" not in repr(entry) and "3601" not in repr(entry)
    with pytest.raises(ValidationError) as info:
        draft(1, actor_id=" ")
    assert info.value.code == "required"
    with pytest.raises(ValidationError):
        draft(1, at=datetime(2026, 3, 1))  # naive


def test_problems_carry_codes_and_bilingual_messages() -> None:
    entries = chain(4)
    problems = audit.verify_chain([entries[0], entries[2], entries[3]])
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.kind, problem.position, problem.seq, problem.count) == (
        audit.AuditProblemKind.MISSING,
        1,
        2,
        1,
    )
    assert problem.code == "audit_entry_missing"
    assert "第 2 条" in problem.message_zh and "entry 2" in problem.message_en
    assert problem.to_dict()["code"] == "audit_entry_missing"


def test_a_removed_tail_needs_the_head() -> None:
    entries = chain(4)
    assert audit.verify_chain(entries[:3]) == []  # nothing says the last one existed
    problems = audit.verify_chain(entries[:3], head=entries[-1].hash)
    assert [(p.code, p.position) for p in problems] == [("audit_head_mismatch", 3)]
    assert audit.verify_chain(entries, head=entries[-1].hash) == []
    assert audit.verify_chain([], head=audit.GENESIS_HASH) == []


def test_rewriting_an_entry_and_its_hash_breaks_the_link() -> None:
    entries = chain(4)
    forged = attrs.evolve(entries[1], actor_id="someone-else", hash="")
    forged = attrs.evolve(forged, hash=audit.entry_hash(forged))
    problems = audit.verify_chain([entries[0], forged, entries[2], entries[3]])
    assert [(p.kind, p.seq) for p in problems] == [(audit.AuditProblemKind.LINK_BROKEN, 3)]
    # With a key the forger cannot compute the hash: the entry itself is flagged.
    keyed = chain(4, key=KEY)
    forged = attrs.evolve(keyed[1], actor_id="someone-else", hash="")
    forged = attrs.evolve(forged, hash=audit.entry_hash(forged))
    problems = audit.verify_chain([keyed[0], forged, keyed[2], keyed[3]], key=KEY)
    assert [(p.kind, p.position) for p in problems] == [(audit.AuditProblemKind.ALTERED, 1)]


# -- the property: any single alteration, deletion or insertion is detected and located ----------

_TEXT_FIELDS = ("actor_id", "entity_type", "entity_id", "reason", "prev_hash", "hash")


def _altered(entry: audit.AuditEntry, field: str, data: st.DataObject) -> audit.AuditEntry:
    if field == "seq":
        return attrs.evolve(entry, seq=entry.seq + data.draw(st.integers(1, 5)))
    if field == "at":
        return attrs.evolve(entry, at=entry.at + timedelta(microseconds=1))
    if field == "operation":
        other = [o for o in audit.AuditOperation if o is not entry.operation]
        return attrs.evolve(entry, operation=data.draw(st.sampled_from(other)))
    if field == "field_groups":
        return attrs.evolve(entry, field_groups=entry.field_groups ^ {FieldGroup.MINORS})
    if field == "purpose":
        return attrs.evolve(entry, purpose=None if entry.purpose else "mediation")
    if field == "subject_ids":
        return attrs.evolve(entry, subject_ids=entry.subject_ids | {"extra"})
    value = getattr(entry, field)
    return attrs.evolve(entry, **{field: value + "x"})


@settings(max_examples=150, deadline=None)
@given(trail=chains(), data=st.data())
def test_any_single_alteration_is_detected_and_located(trail: Chained, data: st.DataObject) -> None:
    key, entries = trail
    i = data.draw(st.integers(0, len(entries) - 1))
    field = data.draw(
        st.sampled_from(
            (*_TEXT_FIELDS, "seq", "at", "operation", "field_groups", "purpose", "subject_ids")
        )
    )
    tampered = list(entries)
    tampered[i] = _altered(entries[i], field, data)
    problems = audit.verify_chain(tampered, key=key)
    assert problems, (i, field)
    assert problems[0].position == i
    assert problems[0].kind is audit.AuditProblemKind.ALTERED
    assert len(problems) == 1  # no cascade


@settings(max_examples=150, deadline=None)
@given(trail=chains(), data=st.data())
def test_any_single_deletion_is_detected_and_located(trail: Chained, data: st.DataObject) -> None:
    key, entries = trail
    i = data.draw(st.integers(0, len(entries) - 1))
    tampered = entries[:i] + entries[i + 1 :]
    problems = audit.verify_chain(tampered, key=key, head=entries[-1].hash)
    assert len(problems) == 1
    if i == len(entries) - 1:
        assert (problems[0].kind, problems[0].position) == (audit.AuditProblemKind.HEAD_MISMATCH, i)
    else:
        problem = problems[0]
        assert (problem.kind, problem.position, problem.seq) == (
            audit.AuditProblemKind.MISSING,
            i,
            i + 1,
        )


@settings(max_examples=200, deadline=None)
@given(trail=chains(), data=st.data())
def test_any_single_insertion_is_detected_and_located(trail: Chained, data: st.DataObject) -> None:
    key, entries = trail
    size = len(entries)
    p = data.draw(st.integers(0, size))
    how = data.draw(st.sampled_from(["copy", "forged", "rehashed"]))
    if how == "copy":  # a replay of an existing entry
        extra = entries[data.draw(st.integers(0, size - 1))]
    else:
        base = attrs.evolve(
            draft(100 + p),
            seq=data.draw(st.integers(0, size + 2)),
            prev_hash=data.draw(st.sampled_from([audit.GENESIS_HASH, *(e.hash for e in entries)])),
        )
        # The forger hashes without the audit key (they do not have it).
        extra = attrs.evolve(base, hash=audit.entry_hash(base) if how == "rehashed" else "f" * 64)
    tampered = [*entries[:p], extra, *entries[p:]]
    problems = audit.verify_chain(tampered, key=key, head=entries[-1].hash)
    assert problems
    first = problems[0]
    if p == size:  # appended after the last entry: found through the head (or the key)
        assert first.position == size
        return
    assert first.kind is audit.AuditProblemKind.INSERTED
    if extra == entries[p] or _fits(extra, p, key, entries):
        # Fully consistent at its place (a valid hash linking to the entry before): the forged
        # entry and the one it displaced cannot be told apart, either may be named.
        assert first.position in (p, p + 1)
    else:
        assert first.position == p


def _fits(
    extra: audit.AuditEntry, p: int, key: bytes | None, entries: list[audit.AuditEntry]
) -> bool:
    previous = entries[p - 1] if p else None
    return (
        audit.entry_hash(extra, key) == extra.hash
        and extra.seq == p + 1
        and extra.prev_hash == (previous.hash if previous else audit.GENESIS_HASH)
    )


# -- queries and the port ------------------------------------------------------------------------


class _MemoryAudit:
    """A minimal AuditPort, enough to exercise iter_chain and the reference query semantics."""

    def __init__(self) -> None:
        self.entries: list[audit.AuditEntry] = []

    def append_audit(
        self, drafts: list[audit.AuditEntry], *, key: bytes | None = None
    ) -> list[audit.AuditEntry]:
        chained = audit.chain_entries(drafts, self.last_audit_entry(), key=key)
        self.entries.extend(chained)
        return chained

    def last_audit_entry(self) -> audit.AuditEntry | None:
        return self.entries[-1] if self.entries else None

    def query_audit_entries(self, query: audit.AuditQuery) -> list[audit.AuditEntry]:
        found = [e for e in self.entries if query.matches(e)]
        return found if query.limit is None else found[: query.limit]


def test_queries_by_person_actor_and_period() -> None:
    store = _MemoryAudit()
    assert isinstance(store, audit.AuditPort)
    drafts = [draft(i) for i in range(10)]
    drafts.append(draft(10, entity_type="dispute", entity_id="d1", subject_ids={"p1", "p2"}))
    store.append_audit(drafts)
    about_p1 = store.query_audit_entries(audit.AuditQuery(person_id="p1"))
    assert [e.seq for e in about_p1] == [2, 6, 10, 11]
    by_actor = store.query_audit_entries(audit.AuditQuery(actor_id="officer-0"))
    assert {e.actor_id for e in by_actor} == {"officer-0"} and len(by_actor) == 4
    period = audit.AuditQuery(start=T0 + timedelta(minutes=2), end=T0 + timedelta(minutes=4))
    assert [e.seq for e in store.query_audit_entries(period)] == [3, 4]
    with pytest.raises(ValidationError):
        audit.AuditQuery(start=datetime(2026, 1, 1))
    assert [e.seq for e in audit.iter_chain(store, batch=3)] == list(range(1, 12))
    assert audit.verify_chain(audit.iter_chain(store, batch=4)) == []
