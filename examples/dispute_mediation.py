"""Two disputes in 丁公路街道 mediated under the People's Mediation Law (人民调解法).

Run: python examples/dispute_mediation.py [STORE_URL]      (default: memory://)

1. A tenancy dispute between a minority merchant (a ledger person) and his landlord, registered
   by the community, escalated once to the subdistrict, mediated to a written agreement, applied
   for judicial confirmation within 30 days, performed, followed up and archived.
2. A neighbours' dispute whose mediation fails: it is terminated with the parties told of the
   arbitration, administrative and judicial channels (Art. 26), then archived.

Both histories are printed, as recorded by the store.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from typing import Any

from minzu_core import CST, Actor, FixedClock, open_store
from minzu_core.demo import run_demo
from minzu_core.disputes import Dispute, Party
from minzu_core.ledger import Person, Residence
from minzu_core.privacy import ETHNIC_AFFAIRS_OFFICER, MEDIATOR

T0 = datetime(2019, 9, 2, 9, 30, tzinfo=CST)
TOWNSHIP = "360103009"
COMMUNITY = "360103009001"


def _print_history(title: str, dispute: Dispute) -> None:
    print(f"== {title}")
    print(
        f"   state {dispute.state}; handled by {dispute.handling_unit.short}; "
        f"escalations {dispute.escalations}; outcome {dispute.outcome}; "
        f"days to conclusion {dispute.days_to_conclusion()}; "
        f"within target {dispute.concluded_within_target()}"
    )
    for event in dispute.events:
        data = ", ".join(f"{k}={v}" for k, v in sorted(event.data.items()))
        print(f"   {event.at:%Y-%m-%d %H:%M}  {event.action:<19} by {event.actor_id:<16} {data}")


def main(url: str = "memory://") -> None:
    """Run the example against the store at ``url``."""
    store = open_store(url, clock=FixedClock(datetime(2019, 12, 31, tzinfo=CST)))
    run_demo(store, persons=0)  # the units: 西湖区 of the 2019 edition, synthetic communities
    with store.unit_of_work(Actor.system("district-admin")) as uow:
        merchant = uow.people.add(
            Person(
                name="艾尔肯",
                ethnicity="05",
                residences=[
                    Residence(
                        unit_code=COMMUNITY,
                        status="流动",
                        arrival=date(2016, 4, 1),
                        origin="653101",
                        reason="经商",
                        occupation="餐饮",
                    )
                ],
            ),
            reason="台账登记",
        )
        uow.commit()

    community = Actor.for_units("community-mediator", COMMUNITY, roles={MEDIATOR})
    township = Actor.for_units("township-officer", TOWNSHIP, roles={ETHNIC_AFFAIRS_OFFICER})
    with store.unit_of_work(community) as uow:
        tenancy = uow.disputes.register(
            Dispute.register(
                origin_unit=COMMUNITY,
                parties=[
                    Party(person_id=merchant.id, role="申请人 merchant"),
                    Party(name="房东", role="被申请人 landlord"),
                ],
                category="经营/租赁",
                severity="一般",
                source="当事人申请",
                ethnic_factor=True,
                registered_at=T0,
                actor_id=community.id,
                narrative="店铺租金上涨引发的纠纷",
            )
        )
        tenancy = uow.disputes.act(tenancy, "accept", at=T0 + timedelta(hours=2))
        tenancy = uow.disputes.act(tenancy, "notify_rights", at=T0 + timedelta(hours=2))
        tenancy = uow.disputes.act(
            tenancy,
            "session",
            at=T0 + timedelta(days=1),
            mediators=["社区调解员"],
            summary="双方分歧较大",
        )
        tenancy = uow.disputes.act(
            tenancy,
            "escalate",
            at=T0 + timedelta(days=2),
            to=TOWNSHIP,
            note="涉及民族因素, 提请街道调处",
        )
        uow.commit()
    with store.unit_of_work(township) as uow:
        tenancy = uow.disputes.act(
            tenancy,
            "session",
            at=T0 + timedelta(days=5),
            mediators=["街道人民调解委员会", "统战民宗专干"],
            summary="街道联合调解",
        )
        tenancy = uow.disputes.act(
            tenancy,
            "agree",
            at=T0 + timedelta(days=6),
            form="written",
            terms="租金维持原价一年, 店主按时缴纳",
            performance_deadline="2019-10-31",
        )
        tenancy = uow.disputes.act(
            tenancy, "apply_confirmation", at=T0 + timedelta(days=20), court="西湖区人民法院"
        )
        tenancy = uow.disputes.act(tenancy, "performed", at=T0 + timedelta(days=50))
        tenancy = uow.disputes.act(
            tenancy, "follow_up", at=T0 + timedelta(days=60), summary="回访: 双方履行良好"
        )
        tenancy = uow.disputes.act(tenancy, "archive", at=T0 + timedelta(days=61))
        uow.commit()

    with store.unit_of_work(township) as uow:
        neighbours = uow.disputes.register(
            Dispute.register(
                origin_unit=COMMUNITY,
                parties=[Party(name="住户甲"), Party(name="住户乙")],
                category="邻里",
                severity="一般",
                source="排查",
                registered_at=T0 + timedelta(days=10),
                actor_id=township.id,
            )
        )
        steps: list[tuple[str, int, dict[str, Any]]] = [
            ("accept", 10, {}),
            ("notify_rights", 10, {}),
            ("session", 12, {"mediators": ["街道人民调解委员会"], "summary": "未达成一致"}),
            (
                "terminate",
                25,
                {
                    "reason": "一方坚持诉讼",
                    "channels_notified": ["arbitration", "administrative", "judicial"],
                },
            ),
            ("archive", 26, {}),
        ]
        for action, days, data in steps:
            neighbours = uow.disputes.act(neighbours, action, at=T0 + timedelta(days=days), **data)
        uow.commit()

    with store.unit_of_work(township) as uow:
        _print_history(
            "租赁纠纷 tenancy dispute (escalated, agreement)", uow.disputes.get(tenancy.id)
        )
        _print_history("邻里纠纷 neighbours' dispute (terminated)", uow.disputes.get(neighbours.id))
        print(
            f"archived in 丁公路街道: {uow.disputes.count(states={'archived'})}, "
            f"with ethnic factor: {uow.disputes.count(ethnic_factor=True)}"
        )
    store.close()


if __name__ == "__main__":
    main(*sys.argv[1:2])
