"""The rights of the person in the storage contract (个人权利契约测试): export (PIPL Art. 45),
erasure (Art. 47) and retention, on every store.

* the export holds every part: the record, its residence episodes, the requests the person
  applied for, the disputes they are a party to, the activities they attended, the change
  history and the audit entries of who read their data — and is JSON text;
* an erasure leaves no raw name, ID number or phone anywhere the store returns (the record,
  its history, the requests' texts, the disputes, a new export), keeps ethnicity, units, dates
  and statuses, is audited (``erase`` entries, a chain that still verifies), is an idempotent
  no-op the second time; an unknown person is a typed error, and a unit of work that fails
  half-way leaves the store unchanged;
* retention: a dry run lists without changing, a run erases, a rerun is a no-op, and a run
  interrupted after its first person finishes when run again.

Mixed into :class:`~minzu_core.testing.StoreContract`; it needs the ``store`` fixture.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import attrs
import pytest

from minzu_core.activities.model import Activity
from minzu_core.clock import CST
from minzu_core.disputes.model import Dispute, Party
from minzu_core.errors import NotFoundError, PermissionDeniedError, ValidationError
from minzu_core.ledger.model import Person, ResidenceStatus
from minzu_core.privacy.actor import Actor
from minzu_core.privacy.audit import AuditOperation
from minzu_core.privacy.permissions import COMMUNITY_CADRE, ETHNIC_AFFAIRS_OFFICER, PRIVACY_OFFICER
from minzu_core.services.model import ServiceCategory, ServiceRequest, ServiceWindow
from minzu_core.store.factory import Store
from minzu_core.store.rights import (
    ERASED_NAME,
    ERASED_TEXT,
    RetentionPolicy,
    apply_retention,
    erase_person,
    export_person,
    is_erased,
)
from minzu_core.testing.samples import ADMIN, COMMUNITY_A, sample_person

__all__ = ["RightsContract"]

_PURPOSE = "data_subject_request"
_WHY = "契约测试: 本人申请删除"
_NAME = "热依拉·测试"
_OTHER = "房东某某"
_T0 = datetime(2019, 6, 3, 9, 0, tzinfo=CST)
_OFFICER = Actor.for_units("rights-officer", "360103", roles={ETHNIC_AFFAIRS_OFFICER})
_PRIVACY = Actor.for_units("rights-privacy", "360103", roles={PRIVACY_OFFICER})
_CADRE = Actor.for_units("rights-cadre", "360103001", roles={COMMUNITY_CADRE})


@attrs.frozen
class _World:
    person: Person
    other: Person
    request: ServiceRequest
    dispute: Dispute
    activity: Activity

    @property
    def raw(self) -> tuple[str, ...]:
        """The person's identifying values that must not survive an erasure."""
        p = self.person
        assert p.id_number is not None and p.phone is not None
        return (_NAME, p.id_number, p.phone, "南昌市西湖区某路 1 号", "喀什市某街道", "某拉面馆")


def _absent(text: str, values: Iterable[str]) -> list[int]:
    """The positions (not the values: no personal data in a failure) of ``values`` in
    ``text``."""
    return [i for i, value in enumerate(values) if value in text]


def _dumped(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


class RightsContract:
    """Export, erasure and retention on every store."""

    def _world(self, store: Store, seq: int = 501) -> _World:
        with store.unit_of_work(ADMIN) as uow:
            person = uow.people.add(
                attrs.evolve(sample_person(seq=seq), name=_NAME), reason="契约测试: 登记"
            )
            other = uow.people.add(sample_person(seq=seq + 1), reason="契约测试: 登记")
            window = uow.services.add_window(
                ServiceWindow(
                    unit_code="360103001",
                    name="南浦街道民族工作服务窗口",
                    opened=date(2019, 1, 1),
                    categories={ServiceCategory.LEGAL_AID},
                    time_limits={ServiceCategory.LEGAL_AID: 10},
                ),
                reason="设立窗口",
            )
            request = uow.services.submit(
                ServiceRequest.submit(
                    window,
                    applicant_id=person.id,
                    category=ServiceCategory.LEGAL_AID,
                    received_at=_T0,
                    actor_id=ADMIN.id,
                    description=f"{_NAME} 反映欠薪",
                )
            )
            request = uow.services.act(
                request.id, "accept", at=_T0 + timedelta(hours=1), note=f"联系 {person.phone}"
            )
            dispute = uow.disputes.register(
                Dispute.register(
                    origin_unit=COMMUNITY_A,
                    parties=[
                        Party(person_id=person.id, name=_NAME, role="applicant"),
                        Party(name=_OTHER, role="respondent"),
                        Party(person_id=other.id, role="witness"),
                    ],
                    category="经营/租赁",
                    severity="一般",
                    source="当事人申请",
                    registered_at=_T0,
                    actor_id=ADMIN.id,
                    narrative=f"{_NAME} 与房东的租金纠纷",
                )
            )
            dispute = uow.disputes.act(
                dispute.id, "accept", at=_T0 + timedelta(hours=2), note=f"{_NAME} 到场"
            )
            activity = uow.activities.add(
                Activity(
                    "gala",
                    "360103001",
                    "联欢会",
                    date(2019, 6, 1),
                    participants=5,
                    minority_participants=2,
                    attendee_ids={person.id},
                ),
                reason="契约测试: 活动",
            )
            person = uow.people.save(
                attrs.evolve(person, language="fluent"), reason="契约测试: 更新语言水平"
            )
            uow.commit()
        with store.unit_of_work(_CADRE, purpose="台账管理") as uow:  # a clear read, audited
            uow.people.get(person.id)
        return _World(person, other, request, dispute, activity)

    # -- export --------------------------------------------------------------------------------
    def test_export_holds_every_part(self, store: Store) -> None:
        world = self._world(store)
        pid = str(world.person.id)
        with store.unit_of_work(_OFFICER, purpose=_PURPOSE) as uow:
            doc = export_person(uow, world.person.id)
        assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc  # JSON-ready
        assert doc["person_id"] == pid and doc["person"]["id"] == pid
        assert doc["person"]["name"] == _NAME
        assert [r["id"] for r in doc["residences"]] == [str(r.id) for r in world.person.residences]
        assert [r["id"] for r in doc["service_requests"]] == [str(world.request.id)]
        assert [e["note"] for e in doc["service_requests"][0]["events"]][-1].startswith("联系")
        assert [d["id"] for d in doc["disputes"]] == [str(world.dispute.id)]
        names = [p["name"] for p in doc["disputes"][0]["parties"]]
        assert names[0] == _NAME and names[1] != _OTHER and names[1][0] == _OTHER[0]
        assert [a["id"] for a in doc["activities"]] == [str(world.activity.id)]
        assert [h["version"] for h in doc["history"]] == [1, 2]
        seen = {(e["operation"], e["actor_id"]) for e in doc["audit_entries"]}
        assert ("read", _CADRE.id) in seen and ("create", ADMIN.id) in seen
        # the other person's export does not hold this person's data
        with store.unit_of_work(ADMIN) as uow:
            other = export_person(uow, world.other.id)
        assert other["service_requests"] == [] and other["activities"] == []
        assert [d["id"] for d in other["disputes"]] == [str(world.dispute.id)]
        assert _NAME not in _dumped(other["disputes"][0]["parties"])  # a third party: masked
        # the export is audited; the privacy officer may export, a cadre may not
        with store.unit_of_work(_PRIVACY, purpose=_PURPOSE) as uow:
            export_person(uow, world.person.id)
            exports = [e for e in uow.audit.who_saw(pid) if e.operation is AuditOperation.EXPORT]
        assert [e.actor_id for e in exports] == [_OFFICER.id]
        with store.unit_of_work(ADMIN) as uow:
            exports = [e for e in uow.audit.who_saw(pid) if e.operation is AuditOperation.EXPORT]
        assert [e.actor_id for e in exports] == [_OFFICER.id, _PRIVACY.id]
        with (
            store.unit_of_work(_CADRE, purpose="台账管理") as uow,
            pytest.raises(PermissionDeniedError) as err,
        ):
            export_person(uow, world.person.id)
        assert err.value.code == "rights_denied"
        with store.unit_of_work(_OFFICER) as uow, pytest.raises(PermissionDeniedError):
            export_person(uow, world.person.id)  # no purpose declared

    # -- erasure -------------------------------------------------------------------------------
    def test_erasure_leaves_no_identifying_data(self, store: Store) -> None:
        world = self._world(store)
        before = world.person
        with store.unit_of_work(_OFFICER, purpose=_PURPOSE) as uow:
            report = erase_person(uow, before.id, reason=_WHY)
            uow.commit()
        assert not report.already_erased and report.records == 1
        assert (report.service_requests, report.disputes) == (1, 1)
        assert report.history_records == 2
        with store.unit_of_work(ADMIN) as uow:
            after = uow.people.get(before.id)
            history = uow.people.history(before.id)
            request = uow.services.get(world.request.id)
            dispute = uow.disputes.get(world.dispute.id)
            doc = export_person(uow, before.id)
            other = uow.people.get(world.other.id)
            erasures = [
                e for e in uow.audit.who_saw(before.id) if e.operation is AuditOperation.ERASE
            ]
        # the record: identifying fields gone, what aggregates need kept
        assert is_erased(after) and after.name == ERASED_NAME
        assert (after.id_number, after.phone, after.guardian_id) == (None, None, None)
        assert after.household is not None and after.household.address is None
        assert after.household.division_code == before.household.division_code  # type: ignore[union-attr]
        assert (after.ethnicity, after.gender, after.language) == (
            before.ethnicity,
            before.gender,
            before.language,
        )
        assert after.birth_date is not None and before.birth_date is not None
        assert after.birth_date.year == before.birth_date.year
        assert after.status is before.status and after.version == before.version + 1
        kept = [
            (r.id, r.unit_code, r.status, r.arrival, r.departure, r.origin, r.reason)
            for r in after.residences
        ]
        assert kept == [
            (r.id, r.unit_code, r.status, r.arrival, r.departure, r.origin, r.reason)
            for r in before.residences
        ]
        assert all(r.address is None and r.employer is None for r in after.residences)
        # nowhere the store returns holds a raw value
        assert [h.version for h in history] == [1, 2, 3]
        assert history[-1].kind.value == "corrected"
        for text in (_dumped([h.snapshot for h in history]), _dumped(doc), repr(after)):
            assert _absent(text, world.raw) == []
        assert request.description == ERASED_TEXT
        assert [e.note for e in request.events] == ["", ERASED_TEXT]
        assert (request.state, request.version) == (world.request.state, world.request.version)
        assert dispute.narrative == ERASED_TEXT
        assert [e.note for e in dispute.events] == ["", ERASED_TEXT]
        assert [p.name for p in dispute.parties] == [None, _OTHER, None]
        assert [p.person_id for p in dispute.parties] == [
            p.person_id for p in world.dispute.parties
        ]
        assert (dispute.state, dispute.version) == (world.dispute.state, world.dispute.version)
        # audited; the chain still verifies; the other person is untouched
        assert {e.entity_type for e in erasures} == {"person", "service_request", "dispute"}
        assert all(e.actor_id == _OFFICER.id and e.purpose == _PURPOSE for e in erasures)
        assert store.verify_audit() == []
        assert other == world.other
        # a second erasure is an idempotent no-op
        with store.unit_of_work(ADMIN) as uow:
            again = erase_person(uow, before.id, reason=_WHY)
            uow.commit()
        assert again.already_erased and again.records == 0
        with store.unit_of_work(ADMIN) as uow:
            assert uow.people.get(before.id).version == after.version

    def test_erasure_errors_leave_the_store_unchanged(self, store: Store) -> None:
        world = self._world(store)
        pid = world.person.id

        def snapshot() -> tuple[Any, ...]:
            with store.unit_of_work(ADMIN) as uow:
                return (
                    uow.people.get(pid),
                    uow.people.history(pid),
                    uow.services.get(world.request.id),
                    uow.disputes.get(world.dispute.id),
                    [e for e in uow.audit.entries() if e.operation is not AuditOperation.READ],
                )

        start = snapshot()
        with store.unit_of_work(ADMIN) as uow, pytest.raises(NotFoundError) as missing:
            erase_person(uow, uuid.uuid4(), reason=_WHY)
        assert missing.value.code == "person_not_found"
        assert missing.value.message_zh and missing.value.message_en
        with store.unit_of_work(ADMIN) as uow, pytest.raises(ValidationError) as blank:
            erase_person(uow, pid, reason="  ")
        assert blank.value.code == "reason_required"
        for actor in (_PRIVACY, _CADRE):  # read but no write; neither
            with (
                store.unit_of_work(actor, purpose=_PURPOSE) as uow,
                pytest.raises(PermissionDeniedError) as denied,
            ):
                erase_person(uow, pid, reason=_WHY)
            assert denied.value.code == "rights_denied"
        # a failure half-way (after the record and its history were rewritten): rolled back
        with store.unit_of_work(ADMIN) as uow:
            session: Any = uow.session

            def fail(_dispute: Dispute) -> None:
                raise RuntimeError("interrupted")

            session.redact_dispute = fail
            with pytest.raises(RuntimeError):
                erase_person(uow, pid, reason=_WHY)
        assert snapshot() == start

    # -- retention -----------------------------------------------------------------------------
    def _departed(self, store: Store, seq: int, left: date, status: ResidenceStatus) -> Person:
        person = sample_person(seq=seq, status=status, arrival=date(2008, 3, 1))
        episode = attrs.evolve(person.residences[0], departure=left)
        with store.unit_of_work(ADMIN) as uow:
            stored = uow.people.add(
                attrs.evolve(person, residences=(episode,)), reason="契约测试: 登记"
            )
            uow.commit()
        return stored

    def test_retention_dry_run_apply_rerun_and_interruption(self, store: Store) -> None:
        floating = ResidenceStatus.FLOATING
        due = [self._departed(store, 601, date(2015, 6, 1), floating)]
        due.append(self._departed(store, 602, date(2016, 12, 15), floating))
        kept = [
            self._departed(store, 603, date(2016, 12, 16), floating),  # exactly 3 years ago
            self._departed(store, 604, date(2010, 1, 1), ResidenceStatus.RESIDENT),
            self._add_present(store, 605),
        ]
        policy = RetentionPolicy()
        assert policy.floating_years == 3
        today = date(2019, 12, 16)
        due_ids = sorted(str(p.id) for p in due)

        dry = apply_retention(store, policy, ADMIN, dry_run=True, today=today)
        assert dry.dry_run and dry.erased == () and dry.cutoff == date(2016, 12, 16)
        assert sorted(str(c.person_id) for c in dry.candidates) == due_ids
        with store.unit_of_work(ADMIN) as uow:
            assert [uow.people.get(p.id) for p in due + kept] == due + kept

        done = apply_retention(store, policy, ADMIN, dry_run=False, today=today)
        assert sorted(str(i) for i in done.erased) == due_ids
        with store.unit_of_work(ADMIN) as uow:
            assert all(is_erased(uow.people.get(p.id)) for p in due)
            assert [uow.people.get(p.id) for p in kept] == kept
            assert {
                e.entity_id
                for e in uow.audit.entries(entity_type="person")
                if e.operation is AuditOperation.ERASE
            } == set(due_ids)
        rerun = apply_retention(store, policy, ADMIN, dry_run=False, today=today)
        assert rerun.candidates == () and rerun.erased == ()

        # interrupted after the first person: that one wholly erased, the next untouched
        later = [self._departed(store, 606 + i, date(2014, 1, 1), floating) for i in range(2)]
        seen: list[uuid.UUID] = []

        def stop(person_id: uuid.UUID) -> None:
            seen.append(person_id)
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            apply_retention(store, policy, ADMIN, dry_run=False, today=today, after_each=stop)
        with store.unit_of_work(ADMIN) as uow:
            states = {p.id: uow.people.get(p.id) for p in later}
        assert len(seen) == 1 and is_erased(states[seen[0]])
        (untouched,) = [p for p in later if p.id != seen[0]]
        assert states[untouched.id] == untouched
        finish = apply_retention(store, policy, ADMIN, dry_run=False, today=today)
        assert finish.erased == (untouched.id,)
        with store.unit_of_work(ADMIN) as uow:
            assert all(is_erased(uow.people.get(p.id)) for p in later)
        with pytest.raises(ValidationError):
            RetentionPolicy(floating_years=0)

    def _add_present(self, store: Store, seq: int) -> Person:
        with store.unit_of_work(ADMIN) as uow:
            stored = uow.people.add(sample_person(seq=seq), reason="契约测试: 登记")
            uow.commit()
        return stored
