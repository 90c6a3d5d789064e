"""The ledger in ten lines: register a floating resident, move them, correct a mistake, read the
history, and see what a community cadre may see.

Run: python examples/ledger_basics.py [STORE_URL]   (default: sqlite:// — a temporary file)
"""

from __future__ import annotations

import sys
from datetime import date

import attrs

from minzu_core import Actor, open_store
from minzu_core.codes import make_resident_id
from minzu_core.codes.phone import mask_phone
from minzu_core.demo import run_demo
from minzu_core.errors import PermissionDeniedError
from minzu_core.ledger import MigrationReason, Person, Residence, ResidenceStatus
from minzu_core.privacy import COMMUNITY_CADRE


def main(url: str = "sqlite://") -> None:
    """Run the example against the store at ``url``."""
    store = open_store(url)
    admin = Actor.system("district-admin")
    # The units: 西湖区 of the 2019 edition, with synthetic communities under each township.
    run_demo(store, persons=0)
    with store.unit_of_work(admin) as uow:
        person = uow.people.add(
            Person(
                name="阿卜杜拉",
                ethnicity="维吾尔族",
                id_number=make_resident_id("653101", date(1985, 7, 9), 17),
                phone="13812345678",
                residences=[
                    Residence(
                        unit_code="360103009001",
                        status=ResidenceStatus.FLOATING,
                        arrival=date(2016, 5, 1),
                        origin="653101",
                        reason=MigrationReason.BUSINESS,
                        occupation="餐饮",
                    )
                ],
            ),
            reason="台账登记",
        )
        person = uow.people.save(
            attrs.evolve(person, phone="13812345679"), reason="电话登记错误", correction=True
        )
        person = uow.people.save(
            person.move(
                Residence(
                    unit_code="360103010001",
                    status=ResidenceStatus.FLOATING,
                    arrival=date(2019, 9, 1),
                )
            ),
            reason="搬迁至南站街道",
        )
        uow.commit()
    print("stored:", person)
    with store.unit_of_work(admin) as uow:
        for record in uow.people.history(person.id):
            print(
                f"  v{record.version} {record.kind.value:9} by {record.actor_id}: {record.reason}"
            )
    cadre = Actor.for_units("dinggonglu-cadre", "360103009")
    with store.unit_of_work(cadre) as uow:
        present = uow.people.count(as_of=date(2019, 12, 16))
        past = uow.people.count(as_of=date(2018, 1, 1))
        print(f"丁公路街道 cadre sees {past} person(s) on 2018-01-01 and {present} on 2019-12-16")
    # Field permissions (PIPL): a cadre's roles say which field groups they may read in clear,
    # and only for a declared purpose; without one the personal fields come back masked.
    nanzhan = Actor.for_units("nanzhan-cadre", "360103010", roles={COMMUNITY_CADRE})
    with store.unit_of_work(nanzhan) as uow:
        print("南站街道 cadre, no purpose:", uow.people.get(person.id).phone)
    with store.unit_of_work(nanzhan, purpose="台账管理", reason="核对台账") as uow:
        seen = uow.people.get(person.id)
        print("南站街道 cadre, 台账管理:", mask_phone(seen.phone or ""), seen.current_residence)
    with store.unit_of_work(admin) as uow:  # every clear read is in the audit trail
        for entry in uow.audit.who_saw(person.id):
            print(f"  audit #{entry.seq} {entry.operation.value} by {entry.actor_id}")
    print("audit chain problems:", store.verify_audit())
    with store.unit_of_work(Actor.for_units("other-cadre", "360103001")) as uow:
        try:
            uow.people.get(person.id)
        except PermissionDeniedError as err:
            print("南浦街道 cadre is refused:", err.code)
    store.close()


if __name__ == "__main__":
    main(*sys.argv[1:2])
