"""Xihu District's responsibility network (三级网络两级责任制) and its coverage report.

Run: python examples/responsibility_network.py [STORE_URL]      (default: memory://)

Builds the network the seed describes on the district and its 12 townships of the 2019 NBS
edition plus a few synthetic communities: the district's 民族工作领导小组 (a leader and members);
in every township a 统战工作办公室, a first responsible person (the 党(工)委书记) and a
统战民宗专干; in every community or village a first responsible person (the 支部书记) and a
designated cadre. Two gaps are left on purpose — a township whose 统战民宗专干 left in August
and whose successor only started in October (a handover gap), and a community whose designated
cadre left in November with nobody appointed since (a vacancy) — and the coverage report as of
2019-12-16 finds exactly those. It then answers "who is responsible for this community" and
counts the seed's cadre figures (少数民族副科级以上干部, 中级以上职称专业技术人员) as of that day.
"""

from __future__ import annotations

import sys
from datetime import date, datetime

import attrs

from minzu_core import CST, Actor, FixedClock, open_store
from minzu_core.codes.divisions import Level
from minzu_core.demo import synthetic_communities
from minzu_core.hierarchy import Unit, load_edition
from minzu_core.organisation import Appointment, Body, Official, RankEntry, Technician, TitleEntry
from minzu_core.organisation import responsibility as roles

AS_OF = date(2019, 12, 16)
DISTRICT = "360103"
START = date(2019, 3, 1)  # the network after the 2019 institutional reform
GAP_TOWNSHIP = "360103010"  # 南站街道: the 专干's handover left a gap
VACANT_COMMUNITY = "360103009002"  # a 丁公路街道 community: the designated cadre left


def main(url: str = "memory://") -> None:
    """Build the network on the store at ``url`` and print its coverage report."""
    store = open_store(url, clock=FixedClock(datetime(2019, 12, 16, 9, 0, tzinfo=CST)))
    admin = Actor.system("xihu-united-front-department")
    edition = [u for u in load_edition("jiangxi-2019") if u.code.value.startswith(DISTRICT)]
    district = [u for u in edition if u.level <= Level.TOWNSHIP]
    townships = [u for u in district if u.level is Level.TOWNSHIP]
    communities = synthetic_communities(townships, seed=2019, per_township=(1, 2))
    above = [Unit.create("360000", "江西省"), Unit.create("360100", "南昌市")]
    units = [attrs.evolve(u, valid_from=None) for u in (*above, *district, *communities)]

    serial = iter(range(1, 10_000))

    def official(unit: Unit, position: str, ethnicity: str = "01", rank: str = "") -> Official:
        """An official with a synthetic placeholder name (officials' names are personal data)."""
        ranks = [RankEntry(rank, date(2015, 1, 1))] if rank else []
        return Official(unit.code, f"示例干部{next(serial)}", ethnicity, ranks, position=position)

    with store.unit_of_work(admin) as uow:
        uow.units.add_many(units, reason="建立区划 (2019 年统计用区划代码)")
        seat = next(u for u in district if u.level is Level.COUNTY)
        group = uow.org.add_body(
            Body(
                seat.code,
                "leading_group",
                "西湖区民族工作领导小组",
                START,
                note="以区委统战部名义成立",
            ),
            reason="机构改革后成立",
        )
        count = 0

        def appoint(
            person: Official,
            role: str,
            unit: Unit,
            start: date = START,
            end: date | None = None,
        ) -> None:
            nonlocal count
            stored = uow.org.add_official(person, reason="干部登记")
            body = group.id if unit.level is Level.COUNTY else None
            uow.org.appoint(
                Appointment(stored.id, role, unit.code, start, end, "西统字〔2019〕3号", body),
                reason="明确责任人",
            )
            count += 1

        appoint(
            official(seat, "区委常委、统战部部长", "03", "副处级"), roles.LEADING_GROUP_LEADER, seat
        )
        for ethnicity, rank in (
            ("01", "正科级"),
            ("05", "副科级"),
            ("01", "副科级"),
            ("22", "正科级"),
        ):
            appoint(
                official(seat, "成员单位负责人", ethnicity, rank), roles.LEADING_GROUP_MEMBER, seat
            )
        for township in townships:
            uow.org.add_body(
                Body(township.code, "united_front_office", f"{township.name}统战工作办公室", START),
                reason="设立统战工作办公室",
            )
            code = township.code.short
            ethnicity = {"360103001": "03", "360103009": "05", "360103101": "06"}.get(code, "01")
            secretary = official(township, "党(工)委书记", ethnicity, "正科级")
            appoint(secretary, roles.FIRST_RESPONSIBLE, township)
            officer = official(township, "统战民宗专干")
            if code == GAP_TOWNSHIP:  # left on 2019-09-01, the successor came on 2019-10-15
                appoint(officer, roles.ETHNIC_AFFAIRS_OFFICER, township, end=date(2019, 9, 1))
                successor = official(township, "统战民宗专干", "03")
                appoint(successor, roles.ETHNIC_AFFAIRS_OFFICER, township, start=date(2019, 10, 15))
            else:
                appoint(officer, roles.ETHNIC_AFFAIRS_OFFICER, township)
        for community in communities:
            appoint(official(community, "党支部书记"), roles.FIRST_RESPONSIBLE, community)
            left = date(2019, 11, 20) if community.code.short == VACANT_COMMUNITY else None
            appoint(
                official(community, "社区干部", "05"), roles.DESIGNATED_CADRE, community, end=left
            )
        for ethnicity, title in (("05", "中级"), ("03", "副高级"), ("06", "中级"), ("08", "初级")):
            uow.org.add_technician(
                Technician(
                    seat.code,
                    f"示例人才{next(serial)}",
                    ethnicity,
                    [TitleEntry(title, date(2017, 7, 1))],
                ),
                reason="人才登记",
            )
        uow.commit()

    with store.unit_of_work(admin) as uow:
        policy = uow.org.policy()
        report = uow.org.coverage(AS_OF, within=DISTRICT)
        print(
            f"西湖区 Xihu District: {len(townships)} townships, "
            f"{len(communities)} communities and villages"
        )
        print(f"appointments: {count}; policy: {policy.name}")
        for line in report.lines(policy):
            print(line)
        community = next(u for u in communities if u.code.short == VACANT_COMMUNITY)
        chain = uow.org.responsible_for(community.code, AS_OF)
        print(f"谁负责 who is responsible for {community.code.short} on {AS_OF}:")
        for line in chain.lines(policy):
            print(f"  {line}")
        cadres = uow.org.count_officials(minority=True, min_rank="副科级", as_of=AS_OF)
        talent = uow.org.count_technicians(minority=True, min_title="中级", as_of=AS_OF)
        print(
            f"少数民族副科级以上干部 minority officials of deputy-section rank and above: {cadres}"
        )
        print(f"中级以上职称少数民族专业技术人员 minority technicians, intermediate+: {talent}")
    store.close()


if __name__ == "__main__":
    main(*sys.argv[1:2])
