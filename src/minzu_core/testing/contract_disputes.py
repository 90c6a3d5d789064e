"""Dispute tests of the storage contract suite (mixed into :class:`StoreContract`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from minzu_core.clock import CST
from minzu_core.disputes.model import Dispute, Party
from minzu_core.errors import (
    PermissionDeniedError,
    TransitionError,
    ValidationError,
)
from minzu_core.ledger.model import Person
from minzu_core.privacy.actor import Actor
from minzu_core.privacy.permissions import MASKED_TEXT, MEDIATOR
from minzu_core.store.factory import Store
from minzu_core.testing.contract_support import act_in_turn, assert_stale_write_refused
from minzu_core.testing.samples import sample_person

__all__ = ["DisputeContract"]

_ADMIN = Actor.system("contract-admin")
T0 = datetime(2019, 10, 8, 9, 0, tzinfo=CST)
COMMUNITY = "360103001001"


class DisputeContract:
    """Disputes: round trips, the whole lifecycle, its rules, scope and queries."""

    def _people(self, store: Store) -> tuple[Person, Person]:

        with store.unit_of_work(_ADMIN) as uow:
            a = uow.people.add(sample_person(seq=71), reason="登记")
            b = uow.people.add(sample_person(seq=72, ethnicity="01"), reason="登记")
            uow.commit()
        return a, b

    def _register(self, store: Store, at: datetime = T0, **kw: object) -> Dispute:
        if "parties" not in kw:
            applicant, _ = self._people(store)
            kw["parties"] = [
                Party(person_id=applicant.id, role="applicant"),
                Party(name="房东某某", role="respondent"),
            ]
        args: dict[str, object] = {
            "origin_unit": COMMUNITY,
            "category": "经营/租赁",
            "severity": "一般",
            "source": "当事人申请",
            "registered_at": at,
            "actor_id": _ADMIN.id,
            "ethnic_factor": True,
            "narrative": "商铺租金纠纷, 双方情绪激动",
        }
        args.update(kw)
        with store.unit_of_work(_ADMIN) as uow:
            dispute = uow.disputes.register(Dispute.register(**args))  # type: ignore[arg-type]
            uow.commit()
        return dispute

    def test_dispute_round_trip_and_lifecycle(self, store: Store) -> None:
        dispute = self._register(store)
        assert dispute.state == "registered" and dispute.version == 1
        steps: list[tuple[str, dict[str, object]]] = [
            ("accept", {}),
            ("notify_rights", {}),
            ("session", {"mediators": ["调解员甲"], "summary": "首次调解"}),
            ("escalate", {"to": "360103001"}),
            ("escalate", {"to": "360103"}),
            ("session", {"mediators": ["调解员乙", "民宗专干"], "summary": "区级调解"}),
            (
                "agree",
                {
                    "form": "written",
                    "terms": "减免一个月租金",
                    "performance_deadline": "2019-11-30",
                },
            ),
            ("apply_confirmation", {"court": "西湖区人民法院"}),
            ("performed", {}),
            ("follow_up", {"summary": "双方满意"}),
            ("archive", {}),
        ]
        loaded = act_in_turn(
            store, lambda uow: uow.disputes, dispute, steps, start=T0, every=timedelta(days=1)
        )
        assert loaded.state == "archived"
        assert loaded.handling_unit.short == "360103"
        assert loaded.escalations == 2
        assert loaded.outcome == "agreement" and loaded.days_to_conclusion() == 6
        assert loaded.concluded_within_target() is True
        assert loaded.parties[1].name == "房东某某"
        assert loaded.narrative == "商铺租金纠纷, 双方情绪激动"

    def test_dispute_rules_change_nothing(self, store: Store) -> None:
        dispute = self._register(store)
        refused: list[tuple[str, dict[str, Any], str]] = [
            ("session", {"mediators": ["x"], "summary": "y"}, "transition_not_allowed"),
            ("escalate", {"to": "360103002"}, "unit_not_found"),
            ("escalate", {"to": "360103101"}, "escalation_not_upwards"),
            ("escalate", {"to": "360000"}, "escalation_not_upwards"),
            ("redirect", {"channel": "somewhere"}, "invalid_channel"),
            ("refuse", {"party": 5}, "invalid_party"),
        ]
        with store.unit_of_work(_ADMIN) as uow:
            for action, data, code in refused:
                with pytest.raises((TransitionError, ValidationError)) as err:
                    uow.disputes.act(dispute.id, action, at=T0 + timedelta(hours=1), **data)
                assert err.value.code == code, action
            d = uow.disputes.act(dispute.id, "accept", at=T0 + timedelta(hours=1))
            d = uow.disputes.act(
                d, "session", at=T0 + timedelta(hours=2), mediators=["m"], summary="s"
            )
            with pytest.raises(ValidationError) as verr:
                uow.disputes.act(d, "agree", at=T0 + timedelta(hours=3), form="oral")
            assert verr.value.field == "terms"
            with pytest.raises(TransitionError) as terr:
                uow.disputes.act(
                    d,
                    "terminate",
                    at=T0 + timedelta(hours=3),
                    reason="r",
                    channels_notified=["judicial"],
                )
            assert terr.value.code == "channels_not_notified"
            d = uow.disputes.act(d, "agree", at=T0 + timedelta(hours=3), form="written", terms="t")
            with pytest.raises(TransitionError) as terr:
                uow.disputes.act(d, "apply_confirmation", at=T0 + timedelta(days=31), court="c")
            assert terr.value.code == "confirmation_window_passed"
            with pytest.raises(TransitionError) as terr:
                uow.disputes.act(d, "archive", at=T0 + timedelta(days=2))
            assert terr.value.code == "transition_not_allowed"
            d = uow.disputes.act(d, "performed", at=T0 + timedelta(days=2))
            with pytest.raises(TransitionError) as terr:
                uow.disputes.act(d, "archive", at=T0 + timedelta(days=3))
            assert terr.value.code == "archive_incomplete"  # no notice of rights on file
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.disputes.get(dispute.id) == d

    def test_dispute_needs_two_parties_and_known_persons(self, store: Store) -> None:
        with pytest.raises(ValidationError) as err:
            Dispute.register(
                origin_unit=COMMUNITY,
                parties=[Party(name="甲")],
                category="邻里",
                severity="一般",
                source="排查",
                registered_at=T0,
                actor_id="a",
            )
        assert err.value.code == "too_few_parties"
        import uuid

        with pytest.raises(ValidationError) as err:
            self._register(store, parties=[Party(person_id=uuid.uuid4()), Party(name="乙")])
        assert err.value.field == "parties[0]", err.value
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.disputes.count() == 0

    def test_dispute_termination_and_channels(self, store: Store) -> None:
        dispute = self._register(store)
        with store.unit_of_work(_ADMIN) as uow:
            d = uow.disputes.act(dispute, "accept", at=T0 + timedelta(days=1))
            d = uow.disputes.act(d, "notify_rights", at=T0 + timedelta(days=1))
            d = uow.disputes.act(
                d, "session", at=T0 + timedelta(days=2), mediators=["m"], summary="s"
            )
            d = uow.disputes.act(
                d,
                "terminate",
                at=T0 + timedelta(days=40),
                reason="调解不成",
                channels_notified=["arbitration", "administrative", "judicial"],
            )
            d = uow.disputes.act(d, "archive", at=T0 + timedelta(days=41))
            uow.commit()
        assert d.state == "archived" and d.outcome == "terminated"
        assert d.concluded_within_target() is False

    def test_dispute_scope_and_confidential_narrative(self, store: Store) -> None:
        dispute = self._register(store)
        with store.unit_of_work(_ADMIN) as uow:
            uow.disputes.act(dispute.id, "accept", at=T0 + timedelta(hours=1))
            uow.disputes.act(dispute.id, "escalate", at=T0 + timedelta(hours=2), to="360103001")
            uow.commit()
        community = Actor.for_units("community", COMMUNITY)
        with store.unit_of_work(community) as uow:
            seen = uow.disputes.get(dispute.id)
            assert seen.narrative is None  # no longer the handling unit
            assert [d.id for d in uow.disputes.list()] == [dispute.id]
            with pytest.raises(PermissionDeniedError):
                uow.disputes.act(dispute.id, "notify_rights", at=T0 + timedelta(hours=3))
        township = Actor.for_units("township", "360103001", roles={MEDIATOR})
        with store.unit_of_work(township, purpose="矛盾调解") as uow:
            assert uow.disputes.get(dispute.id).narrative == "商铺租金纠纷, 双方情绪激动"
            uow.disputes.act(dispute.id, "notify_rights", at=T0 + timedelta(hours=3))
            uow.commit()
        with store.unit_of_work(township) as uow:  # without the purpose: masked, never blank
            seen = uow.disputes.get(dispute.id)
            assert seen.narrative == MASKED_TEXT
            uow.disputes.act(
                seen,
                "session",
                at=T0 + timedelta(hours=4),
                note="第一次调解",
                mediators=["调解员甲"],
                summary="首次调解",
            )
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:  # the mask was never stored
            stored = uow.disputes.get(dispute.id)
            assert stored.narrative == "商铺租金纠纷, 双方情绪激动"
            assert stored.events[-1].note == "第一次调解"
        with store.unit_of_work(township) as uow:
            assert uow.disputes.get(dispute.id).events[-1].note == MASKED_TEXT
            with pytest.raises(ValidationError) as err:  # a mask is never stored
                uow.disputes.register(
                    Dispute.register(
                        origin_unit=COMMUNITY,
                        category="经营/租赁",
                        severity="一般",
                        source="当事人申请",
                        registered_at=T0,
                        actor_id=township.id,
                        parties=[Party(name="甲"), Party(name="乙")],
                        narrative=MASKED_TEXT,
                    )
                )
            assert err.value.code == "masked_value"
        with store.unit_of_work(Actor.for_units("other", "360103101")) as uow:
            with pytest.raises(PermissionDeniedError):
                uow.disputes.get(dispute.id)
            assert uow.disputes.count() == 0

    def test_dispute_stale_version(self, store: Store) -> None:
        dispute = self._register(store)
        assert_stale_write_refused(
            store,
            lambda uow: uow.disputes.get(dispute.id),
            lambda uow, d: uow.disputes.act(d, "accept", at=T0 + timedelta(hours=1)),
            lambda uow, d: uow.disputes.act(
                d, "redirect", at=T0 + timedelta(hours=1), channel="judicial"
            ),
        )

    def test_dispute_queries(self, store: Store) -> None:
        # One dispute an hour: the first with _register's defaults, the others with changes.
        changes: list[dict[str, object]] = [
            {},
            {
                "ethnic_factor": False,
                "mass": True,
                "category": "邻里",
                "severity": "较大",
                "parties": [Party(name="甲"), Party(name="乙")],
            },
            {
                "ethnic_factor": True,
                "mass": True,
                "origin_unit": "360103101200",
                "parties": [Party(name="丙"), Party(name="丁")],
            },
        ]
        first, second, third = (
            self._register(store, at=T0 + timedelta(hours=hours), **kw)
            for hours, kw in enumerate(changes)
        )
        with store.unit_of_work(_ADMIN) as uow:
            for d in (first, second):
                uow.disputes.act(d.id, "accept", at=T0 + timedelta(days=1))
            uow.disputes.act(first.id, "escalate", at=T0 + timedelta(days=2), to="360103")
            uow.disputes.act(
                second.id, "session", at=T0 + timedelta(days=3), mediators=["m"], summary="s"
            )
            uow.disputes.act(second.id, "agree", at=T0 + timedelta(days=4), form="oral", terms="t")
            uow.commit()

        def ids(found: list[Dispute]) -> list[object]:
            return [d.id for d in found]

        with store.unit_of_work(_ADMIN) as uow:
            assert ids(uow.disputes.open_disputes()) == [first.id, third.id]
            assert ids(uow.disputes.open_disputes(handled_within="360103001")) == []
            assert ids(uow.disputes.open_disputes(handled_within="360103")) == [first.id, third.id]
            assert ids(uow.disputes.list(within="360103001")) == [first.id, second.id]
            assert ids(uow.disputes.overdue(T0 + timedelta(days=32))) == [first.id]
            assert uow.disputes.count(escalated=True) == 1
            assert uow.disputes.count(ethnic_factor=True) == 2
            assert uow.disputes.count(ethnic_factor=True, mass=True) == 1
            assert uow.disputes.count(category="邻里") == 1
            assert uow.disputes.count(severity="较大") == 1
            assert uow.disputes.count(concluded_from=T0, concluded_to=T0 + timedelta(days=5)) == 1
            assert uow.disputes.count(registered_from=T0 + timedelta(minutes=30)) == 2
            assert ids(uow.disputes.list(limit=1, offset=1)) == [second.id]
