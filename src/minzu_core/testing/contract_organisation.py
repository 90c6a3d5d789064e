"""Organisation tests of the storage contract suite (mixed into :class:`StoreContract`).

Bodies, officials and technicians with their dated histories and the talent queries,
appointments under the responsibility policy, the coverage report and the chain of
responsibility, activities and their totals, training with enrollments and completions,
demonstration sites, honours, volunteers and their hours: round trips, rules (nothing is stored
on a refused write), scope, versions and history, on every adapter.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import attrs
import pytest

from minzu_core.activities import model as activities
from minzu_core.codes.divisions import Level
from minzu_core.codes.uscc import make_uscc
from minzu_core.errors import (
    ConcurrencyError,
    DuplicateError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from minzu_core.history import ChangeKind
from minzu_core.ledger.model import Person
from minzu_core.organisation import responsibility as roles
from minzu_core.organisation.bodies import Body
from minzu_core.organisation.cadres import Official, RankEntry, Technician, TitleEntry
from minzu_core.organisation.responsibility import (
    DEFAULT_POLICY,
    DESIGNATED_CADRE,
    ETHNIC_AFFAIRS_OFFICER,
    FIRST_RESPONSIBLE,
    Appointment,
    ResponsibilityPolicy,
    Role,
    RoleRule,
    ViolationKind,
)
from minzu_core.privacy.actor import Actor
from minzu_core.services.model import ServiceCategory, ServiceWindow
from minzu_core.store.factory import Store
from minzu_core.testing.contract_support import assert_stale_write_refused
from minzu_core.testing.samples import sample_person

__all__ = ["OrganisationContract"]

_ADMIN = Actor.system("contract-admin")
DISTRICT = "360103"
NANPU = "360103001"
TAOHUA = "360103101"
COMMUNITY_A = "360103001001"
COMMUNITY_B = "360103001002"
TAOHUA_COMMUNITY = "360103101001"
TAOHUA_VILLAGE = "360103101200"
D = date(2019, 12, 16)  # the contract clock's day


def _official(unit: str = NANPU, ethnicity: str = "03", *ranks: tuple[str, date]) -> Official:
    return Official(
        unit_code=unit,
        name="马某",
        ethnicity=ethnicity,
        ranks=[RankEntry(rank, since) for rank, since in ranks],
        position="党工委书记",
    )


class OrganisationContract:
    """The organisation section on every adapter."""

    def _person(self, store: Store, seq: int = 81, unit: str = COMMUNITY_A) -> Person:

        with store.unit_of_work(_ADMIN) as uow:
            person = uow.people.add(sample_person(seq=seq, unit=unit), reason="登记")
            uow.commit()
        return person

    def _add_officials(self, store: Store, *officials: Official) -> list[Official]:
        with store.unit_of_work(_ADMIN) as uow:
            stored = [uow.org.add_official(o, reason="干部登记") for o in officials]
            uow.commit()
        return stored

    def _appoint(self, store: Store, *appointments: Appointment) -> list[Appointment]:
        with store.unit_of_work(_ADMIN) as uow:
            stored = [uow.org.appoint(a, reason="任命") for a in appointments]
            uow.commit()
        return stored

    # -- bodies --------------------------------------------------------------------------------
    def test_org_body_round_trip(self, store: Store) -> None:
        with store.unit_of_work(_ADMIN) as uow:
            window = uow.services.add_window(
                ServiceWindow(
                    unit_code=NANPU,
                    name="南浦街道民族工作服务窗口",
                    opened=date(2019, 1, 1),
                    categories={ServiceCategory.LEGAL_AID},
                ),
                reason="设立窗口",
            )
            bodies = [
                Body(DISTRICT, "民族工作领导小组", "西湖区民族工作领导小组", date(2019, 3, 1)),
                Body(NANPU, "united_front_office", "南浦街道统战工作办公室", date(2019, 3, 1)),
                Body(NANPU, "service_window", "服务窗口", date(2019, 1, 1), window_id=window.id),
                Body(
                    DISTRICT,
                    "partner_agency",
                    "新疆驻赣工作组",
                    date(2018, 1, 1),
                    origin_code="650000",
                ),
                Body(COMMUNITY_A, "volunteer_team", "阿卜杜拉文明志愿队", date(2019, 5, 1)),
                Body(TAOHUA, "mediation_committee", "桃花镇人民调解委员会", date(2015, 1, 1)),
            ]
            stored = [uow.org.add_body(b, reason="设立机构") for b in bodies]
            uow.commit()
        assert [b.version for b in stored] == [1] * len(bodies)
        with store.unit_of_work(_ADMIN) as uow:
            assert [uow.org.get_body(b.id) for b in bodies] == stored
            in_nanpu = uow.org.bodies(within=NANPU)
            assert [b.unit_code.short for b in in_nanpu] == [NANPU, NANPU, COMMUNITY_A]
            assert {b.name for b in in_nanpu} == {
                "南浦街道统战工作办公室",
                "服务窗口",
                "阿卜杜拉文明志愿队",
            }
            assert len(uow.org.bodies(kind="partner_agency")) == 1
            assert uow.org.bodies(kind="partner_agency")[0].origin_code is not None
            assert len(uow.org.bodies(open_on=date(2019, 2, 1))) == 3
            closed = uow.org.save_body(
                attrs.evolve(stored[1], closed=date(2020, 1, 1)), reason="机构改革"
            )
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.org.get_body(closed.id) == closed and closed.version == 2
            assert uow.org.bodies(kind="united_front_office", open_on=date(2020, 1, 1)) == []
            history = uow.org.history(closed)
            assert [(h.version, h.kind, h.reason) for h in history] == [
                (1, ChangeKind.CREATED, "设立机构"),
                (2, ChangeKind.UPDATED, "机构改革"),
            ]
            assert history[0].actor_id == _ADMIN.id
            with pytest.raises(ValidationError) as err:
                uow.org.add_body(
                    Body(TAOHUA, "service_window", "x", date(2019, 1, 1), window_id=window.id),
                    reason="r",
                )
            assert err.value.code == "window_not_found" and err.value.field == "window_id"
            with pytest.raises(ValidationError) as err:
                uow.org.add_body(Body("360103002", "liaison_station", "x", D), reason="r")
            assert err.value.code == "unit_not_found"
            with pytest.raises(ValidationError) as err:
                uow.org.save_body(attrs.evolve(closed, kind="liaison_station"), reason="r")
            assert err.value.code == "immutable_field"
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert len(uow.org.bodies()) == len(bodies)

    # -- officials and technicians -------------------------------------------------------------
    def test_org_talent_round_trip_and_queries(self, store: Store) -> None:
        deputy = _official(NANPU, "03", ("科员级", date(2010, 1, 1)), ("副科级", date(2016, 7, 1)))
        section = _official(
            TAOHUA, "05", ("副科级", date(2012, 1, 1)), ("正科级", date(2019, 1, 1))
        )
        han = _official(NANPU, "01", ("正科级", date(2015, 1, 1)))
        retired = attrs.evolve(
            _official(COMMUNITY_A, "08", ("正处级", date(2005, 1, 1))), left_on=date(2019, 6, 1)
        )
        demoted = _official(NANPU, "06", ("副科级", date(2014, 1, 1)), ("科员级", date(2019, 3, 1)))
        cadre = _official(COMMUNITY_B, "05")  # a community cadre: no rank
        stored = self._add_officials(store, deputy, section, han, retired, demoted, cadre)
        techs = [
            Technician(NANPU, "古丽", "05", titles=[TitleEntry("中级", date(2017, 1, 1))]),
            Technician(
                TAOHUA,
                "白某",
                "03",
                titles=[
                    TitleEntry("初级", date(2016, 1, 1)),
                    TitleEntry("副高级", date(2019, 9, 1)),
                ],
                specialty="临床医学",
            ),
            Technician(NANPU, "王某", "01", titles=[TitleEntry("正高级", date(2010, 1, 1))]),
            Technician(NANPU, "蓝某", "22", titles=[TitleEntry("初级", date(2018, 1, 1))]),
        ]
        with store.unit_of_work(_ADMIN) as uow:
            stored_techs = [uow.org.add_technician(t, reason="人才登记") for t in techs]
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert [uow.org.get_official(o.id) for o in stored] == stored
            assert [uow.org.get_technician(t.id) for t in stored_techs] == stored_techs

            def ids(found: list[Official] | list[Technician]) -> set[uuid.UUID]:
                return {o.id for o in found}

            def minority_deputy_plus(day: date, within: str | None = None) -> list[Official]:
                return uow.org.officials(within=within, minority=True, min_rank="副科级", as_of=day)

            assert ids(minority_deputy_plus(D)) == {deputy.id, section.id}
            assert ids(minority_deputy_plus(date(2019, 1, 1))) == {
                deputy.id,
                section.id,
                retired.id,
                demoted.id,
            }
            assert len(minority_deputy_plus(date(2016, 6, 30))) == 3
            assert uow.org.count_officials(minority=True, min_rank="正科级", as_of=D) == 1
            assert len(minority_deputy_plus(D, TAOHUA)) == 1
            assert uow.org.count_officials(minority=True, min_rank="副科级", as_of=D) == 2
            assert uow.org.count_officials(min_rank="副科级") == 3  # current rank, any ethnicity
            assert uow.org.count_officials() == 6
            assert uow.org.count_officials(minority=False) == 1
            assert uow.org.count_officials(as_of=date(2013, 1, 1)) == 3  # in service then
            page = uow.org.officials(limit=2, offset=1)
            assert [o.id for o in page] == [o.id for o in uow.org.officials()][1:3]
            assert uow.org.count_technicians(minority=True, min_title="中级", as_of=D) == 2
            assert (
                uow.org.count_technicians(minority=True, min_title="中级", as_of=date(2019, 1, 1))
                == 1
            )
            assert uow.org.count_technicians(min_title="副高级", as_of=D) == 2
            promoted = uow.org.save_official(
                stored[0].with_rank("正科级", date(2019, 12, 1), basis="西组任〔2019〕12号"),
                reason="晋升",
            )
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.org.get_official(deputy.id) == promoted
            assert uow.org.count_officials(minority=True, min_rank="正科级", as_of=D) == 2
            with pytest.raises(ValidationError) as err:
                uow.org.add_official(
                    _official(NANPU, "03", ("副科级", D + timedelta(days=1))), reason="r"
                )
            assert (err.value.code, err.value.field) == ("date_in_future", "ranks[0].since")
            with pytest.raises(ValidationError) as err:
                uow.org.save_official(
                    promoted.with_rank("副处级", D + timedelta(days=3)), reason="r"
                )
            assert err.value.field == "ranks[3].since"
            with pytest.raises(ConcurrencyError):
                uow.org.save_official(stored[0], reason="旧版本")
            with pytest.raises(NotFoundError):
                uow.org.get_official(uuid.uuid4())
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.org.count_officials() == 6
            assert uow.org.get_official(deputy.id).version == 2

    # -- appointments and the policy -----------------------------------------------------------
    def test_org_appointments_and_policy(self, store: Store) -> None:
        secretary, officer, cadre = self._add_officials(
            store, _official(NANPU), _official(NANPU), _official(COMMUNITY_A)
        )
        first = Appointment(
            secretary.id, FIRST_RESPONSIBLE, NANPU, date(2018, 1, 1), basis="西组〔2018〕1号"
        )
        (stored,) = self._appoint(store, first)
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.org.get_appointment(first.id) == stored
            for bad, code, field in (
                (Appointment(officer.id, DESIGNATED_CADRE, NANPU, D), "role_not_allowed", "role"),
                (
                    Appointment(cadre.id, ETHNIC_AFFAIRS_OFFICER, COMMUNITY_A, D),
                    "role_not_allowed",
                    "role",
                ),
                (
                    Appointment(uuid.uuid4(), FIRST_RESPONSIBLE, COMMUNITY_A, D),
                    "official_not_found",
                    "official_id",
                ),
                (
                    Appointment(cadre.id, FIRST_RESPONSIBLE, "360103001003", D),
                    "unit_not_found",
                    "unit_code",
                ),
                (
                    Appointment(cadre.id, FIRST_RESPONSIBLE, COMMUNITY_A, D, body_id=uuid.uuid4()),
                    "body_not_found",
                    "body_id",
                ),
            ):
                with pytest.raises(ValidationError) as err:
                    uow.org.appoint(bad, reason="任命")
                assert (err.value.code, err.value.field) == (code, field)
            with pytest.raises(ValidationError) as err:
                Appointment(officer.id, ETHNIC_AFFAIRS_OFFICER, NANPU, D, end=D)
            assert (err.value.code, err.value.field) == ("end_before_start", "end")
            ended = uow.org.end_appointment(stored, date(2019, 11, 1), reason="调任")
            with pytest.raises(ValidationError) as err:
                uow.org.save_appointment(
                    attrs.evolve(ended, role=ETHNIC_AFFAIRS_OFFICER), reason="r"
                )
            assert err.value.code == "immutable_field"
            with pytest.raises(ValidationError) as err:
                uow.org.end_appointment(ended, date(2017, 1, 1), reason="r")
            assert err.value.code == "end_before_start"
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.org.appointments() == [ended]
            assert uow.org.appointments(active_on=date(2019, 10, 31)) == [ended]
            assert uow.org.appointments(active_on=date(2019, 11, 1)) == []
            assert uow.org.appointments(official_id=secretary.id, role=FIRST_RESPONSIBLE) == [ended]
            assert [h.reason for h in uow.org.history(ended)] == ["任命", "调任"]
            assert uow.org.policy() == DEFAULT_POLICY
            custom = ResponsibilityPolicy(
                roles=(*DEFAULT_POLICY.roles, Role("liaison", "联络员", "liaison officer")),
                rules=(*DEFAULT_POLICY.rules, RoleRule(Level.VILLAGE, "liaison", 0, None)),
                name="本地规则",
            )
            saved = uow.org.set_policy(custom, reason="本区细则")
            assert saved.version == 1
            uow.org.appoint(Appointment(cadre.id, "liaison", COMMUNITY_A, D), reason="任命")
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.org.policy() == saved
            with pytest.raises(ConcurrencyError):
                uow.org.set_policy(custom, reason="旧版本")
            again = uow.org.set_policy(attrs.evolve(saved, name="v2"), reason="修订")
            assert again.version == 2
        nanpu = Actor.for_units("nanpu", NANPU)
        with store.unit_of_work(nanpu) as uow, pytest.raises(PermissionDeniedError):
            uow.org.set_policy(DEFAULT_POLICY, reason="r")

    # -- coverage ------------------------------------------------------------------------------
    def test_org_coverage_report(self, store: Store) -> None:
        people = self._add_officials(store, *(_official(DISTRICT) for _ in range(12)))
        o = iter(people)
        y = date(2019, 1, 1)
        self._appoint(
            store,
            Appointment(next(o).id, roles.LEADING_GROUP_LEADER, DISTRICT, y),
            Appointment(next(o).id, roles.LEADING_GROUP_MEMBER, DISTRICT, y),
            Appointment(next(o).id, roles.LEADING_GROUP_MEMBER, DISTRICT, y),
            # 南浦街道: a handover gap for the first responsible, a complete officer
            Appointment(next(o).id, FIRST_RESPONSIBLE, NANPU, y, end=date(2019, 6, 1)),
            Appointment(next(o).id, FIRST_RESPONSIBLE, NANPU, date(2019, 6, 15)),
            Appointment(next(o).id, ETHNIC_AFFAIRS_OFFICER, NANPU, y),
            # 桃花镇: an overlap, still ongoing (excess), and no officer at all
            Appointment(next(o).id, FIRST_RESPONSIBLE, TAOHUA, y),
            Appointment(next(o).id, FIRST_RESPONSIBLE, TAOHUA, date(2019, 12, 1)),
            # 南浦第一社区: complete; a past overlap in the cadre's handover
            Appointment(next(o).id, FIRST_RESPONSIBLE, COMMUNITY_A, y),
            Appointment(next(o).id, DESIGNATED_CADRE, COMMUNITY_A, y, end=date(2019, 3, 10)),
            Appointment(next(o).id, DESIGNATED_CADRE, COMMUNITY_A, date(2019, 3, 1)),
        )
        with store.unit_of_work(_ADMIN) as uow:
            report = uow.org.coverage()
        assert report.as_of == D
        assert [c.value for c in report.checked] == [
            "360103000000",
            "360103001000",
            "360103001001",
            "360103001002",
            "360103101000",
            "360103101001",
            "360103101200",
        ]
        found = {
            (v.kind, v.unit_code.short, v.role, v.start, v.end, v.count) for v in report.violations
        }
        missing = ViolationKind.MISSING
        assert found == {
            (ViolationKind.GAP, NANPU, FIRST_RESPONSIBLE, date(2019, 6, 1), date(2019, 6, 15), 0),
            (ViolationKind.EXCESS, TAOHUA, FIRST_RESPONSIBLE, date(2019, 12, 1), None, 2),
            (missing, TAOHUA, ETHNIC_AFFAIRS_OFFICER, None, None, 0),
            (
                ViolationKind.OVERLAP,
                COMMUNITY_A,
                DESIGNATED_CADRE,
                date(2019, 3, 1),
                date(2019, 3, 10),
                2,
            ),
            (missing, COMMUNITY_B, FIRST_RESPONSIBLE, None, None, 0),
            (missing, COMMUNITY_B, DESIGNATED_CADRE, None, None, 0),
            (missing, TAOHUA_COMMUNITY, FIRST_RESPONSIBLE, None, None, 0),
            (missing, TAOHUA_COMMUNITY, DESIGNATED_CADRE, None, None, 0),
            (missing, TAOHUA_VILLAGE, FIRST_RESPONSIBLE, None, None, 0),
            (missing, TAOHUA_VILLAGE, DESIGNATED_CADRE, None, None, 0),
        }
        assert [c.short for c in report.fully_covered] == [DISTRICT, NANPU, COMMUNITY_A]
        gap = report.of_kind(ViolationKind.GAP)[0]
        assert len(gap.appointment_ids) == 2 and gap.unit_name == "南浦街道"
        with store.unit_of_work(_ADMIN) as uow:
            earlier = uow.org.coverage(date(2019, 6, 10), since=date(2019, 1, 1))
            later = uow.org.coverage(since=date(2019, 7, 1), within=NANPU)
            cadre = Actor.for_units("nanpu", NANPU)
        assert (ViolationKind.MISSING, date(2019, 6, 1)) in {
            (v.kind, v.start) for v in earlier.for_unit(NANPU)
        }
        assert later.of_kind(ViolationKind.GAP, ViolationKind.OVERLAP) == ()
        assert [c.short for c in later.checked] == [NANPU, COMMUNITY_A, COMMUNITY_B]
        with store.unit_of_work(cadre) as uow:
            scoped = uow.org.coverage()
        assert {v.unit_code.short for v in scoped.violations} == {NANPU, COMMUNITY_A, COMMUNITY_B}
        assert report.lines(DEFAULT_POLICY)[0].startswith("责任落实情况")

    def test_org_responsible_for(self, store: Store) -> None:
        leader, secretary, branch, cadre = self._add_officials(
            store,
            _official(DISTRICT),
            _official(NANPU),
            _official(COMMUNITY_A),
            _official(COMMUNITY_A),
        )
        with store.unit_of_work(_ADMIN) as uow:
            group = uow.org.add_body(
                Body(DISTRICT, "leading_group", "西湖区民族工作领导小组", date(2019, 1, 1)),
                reason="成立",
            )
            uow.commit()
        appointed = self._appoint(
            store,
            Appointment(
                leader.id, roles.LEADING_GROUP_LEADER, DISTRICT, date(2019, 1, 1), body_id=group.id
            ),
            Appointment(secretary.id, FIRST_RESPONSIBLE, NANPU, date(2018, 1, 1)),
            Appointment(
                branch.id, FIRST_RESPONSIBLE, COMMUNITY_A, date(2017, 1, 1), end=date(2019, 12, 1)
            ),
            Appointment(cadre.id, DESIGNATED_CADRE, COMMUNITY_A, date(2017, 1, 1)),
        )
        with store.unit_of_work(Actor.for_units("community", COMMUNITY_A)) as uow:
            chain = uow.org.responsible_for(COMMUNITY_A)
            old = uow.org.responsible_for(COMMUNITY_A, date(2019, 6, 1))
            with pytest.raises(PermissionDeniedError):
                uow.org.responsible_for(COMMUNITY_B)
        assert [link.unit.code.short for link in chain.links] == [COMMUNITY_A, NANPU, DISTRICT]
        assert [h.appointment for h in chain.links[0].holders] == [appointed[3]]
        assert [h.official for h in chain.first_responsible()] == [secretary]
        assert [h.appointment.id for h in old.first_responsible()] == [
            appointed[2].id,
            appointed[1].id,
        ]
        assert chain.links[2].of_role(roles.LEADING_GROUP_LEADER)[0].official == leader
        assert chain.lines(DEFAULT_POLICY)[1] == "360103001 南浦街道: 第一责任人"

    # -- scope, atomicity, versions ------------------------------------------------------------
    def test_org_scope_and_atomicity(self, store: Store) -> None:
        (outside,) = self._add_officials(store, _official(TAOHUA))
        nanpu = Actor.for_units("nanpu", NANPU)
        with store.unit_of_work(nanpu) as uow:
            inside = uow.org.add_official(_official(COMMUNITY_A), reason="登记")
            with pytest.raises(PermissionDeniedError):
                uow.org.add_official(_official(TAOHUA), reason="登记")
            with pytest.raises(PermissionDeniedError):
                uow.org.get_official(outside.id)
            with pytest.raises(PermissionDeniedError):
                uow.org.appoint(
                    Appointment(inside.id, FIRST_RESPONSIBLE, TAOHUA_COMMUNITY, D), reason="r"
                )
            with pytest.raises(PermissionDeniedError):
                uow.activities.add(activities.Activity("gala", TAOHUA, "联欢会", D), reason="r")
            assert [o.id for o in uow.org.officials()] == [inside.id]
            assert uow.org.count_officials(within=TAOHUA) == 0
            assert uow.org.officials(within=DISTRICT) == [inside]
            uow.org.appoint(Appointment(inside.id, FIRST_RESPONSIBLE, COMMUNITY_A, D), reason="r")
            # leaving without commit rolls everything back
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.org.count_officials() == 1
            assert uow.org.appointments() == []
            with pytest.raises(ValidationError):
                uow.activities.add(
                    activities.Activity("gala", NANPU, "联欢会", D, participants=-1), reason="r"
                )
            with pytest.raises(ValidationError) as err:
                activities.Activity(
                    "gala", NANPU, "联欢会", D, participants=5, minority_participants=6
                )
            assert (err.value.code, err.value.field) == (
                "minority_exceeds_total",
                "minority_participants",
            )
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.activities.count() == 0

    def test_org_stale_versions(self, store: Store) -> None:
        with store.unit_of_work(_ADMIN) as uow:
            body = uow.org.add_body(Body(NANPU, "liaison_station", "联系服务站", D), reason="设立")
            uow.commit()
        assert_stale_write_refused(
            store,
            lambda uow: uow.org.get_body(body.id),
            lambda uow, b: uow.org.save_body(attrs.evolve(b, note="更名"), reason="r"),
            lambda uow, b: uow.org.save_body(attrs.evolve(b, closed=date(2020, 1, 1)), reason="r"),
        )
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.org.get_body(body.id).note == "更名"
            assert uow.org.get_body(body.id).closed is None

    # -- activities ----------------------------------------------------------------------------
    def test_activities_round_trip_and_totals(self, store: Store) -> None:
        attendee = self._person(store, 82)
        outsider = self._person(store, 83, TAOHUA_VILLAGE)
        with store.unit_of_work(_ADMIN) as uow:
            custom = uow.activities.add_type(
                activities.ActivityType("noodle_day", "国庆同吃面", "National Day noodles"),
                reason="本地活动",
            )
            added = [
                uow.activities.add(a, reason="活动登记")
                for a in (
                    activities.Activity(
                        "民族团结宣传月/周",
                        DISTRICT,
                        "民族团结宣传月",
                        date(2019, 9, 1),
                        end=date(2019, 10, 1),
                        participants=800,
                        minority_participants=300,
                        materials=2000,
                    ),
                    activities.Activity(
                        "safety_education",
                        NANPU,
                        "安全宣传教育",
                        date(2019, 5, 10),
                        participants=60,
                        minority_participants=55,
                        materials=120,
                        attendee_ids={attendee.id},
                    ),
                    activities.Activity(
                        "safety_education",
                        TAOHUA,
                        "安全宣传教育",
                        date(2019, 11, 2),
                        participants=40,
                        minority_participants=38,
                    ),
                    activities.Activity(
                        "noodle_day",
                        COMMUNITY_A,
                        "小面大爱",
                        date(2019, 10, 1),
                        participants=120,
                        minority_participants=70,
                    ),
                )
            ]
            with pytest.raises(ValidationError) as err:
                uow.activities.add(activities.Activity("ramadan", NANPU, "x", D), reason="r")
            assert (err.value.code, err.value.field) == ("unknown_activity_type", "type")
            with pytest.raises(ValidationError) as err:
                uow.activities.add(
                    activities.Activity(
                        "gala", NANPU, "x", D, participants=3, attendee_ids={uuid.uuid4()}
                    ),
                    reason="r",
                )
            assert err.value.field == "attendee_ids"
            with pytest.raises(DuplicateError):
                uow.activities.add_type(
                    activities.ActivityType("gala", "联欢会", "gala"), reason="r"
                )
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert [uow.activities.get(a.id) for a in added] == added
            assert custom in uow.activities.types() and len(uow.activities.types()) == 15
            assert [a.id for a in uow.activities.list()] == [added[i].id for i in (1, 0, 3, 2)]
            assert uow.activities.count(type="safety_education") == 2
            assert (
                uow.activities.count(start_from=date(2019, 9, 1), start_to=date(2019, 11, 1)) == 2
            )
            totals = uow.activities.totals(within=NANPU)
            assert (totals.activities, totals.participants) == (2, 180)
            assert (totals.minority_participants, totals.materials) == (125, 120)
            assert uow.activities.totals(within="360103101001").activities == 0
            assert [a.id for a in uow.activities.list(attendee_id=attendee.id)] == [added[1].id]
            changed = uow.activities.save(
                attrs.evolve(added[1], participants=65), reason="更正人数", correction=True
            )
            assert [h.kind for h in uow.activities.history(changed)] == [
                ChangeKind.CREATED,
                ChangeKind.CORRECTED,
            ]
            uow.commit()
        nanpu = Actor.for_units("nanpu", NANPU)
        with store.unit_of_work(nanpu) as uow:
            assert uow.activities.totals().participants == 185
            with pytest.raises(PermissionDeniedError):
                uow.activities.get(added[2].id)
            with pytest.raises(PermissionDeniedError):
                uow.activities.add(
                    activities.Activity(
                        "gala", NANPU, "x", D, participants=2, attendee_ids={outsider.id}
                    ),
                    reason="r",
                )

    def test_training_enrollment_and_completion(self, store: Store) -> None:
        merchant = self._person(store, 84)
        (cadre,) = self._add_officials(store, _official(COMMUNITY_A))
        with store.unit_of_work(_ADMIN) as uow:
            course = uow.activities.add_course(
                activities.TrainingCourse(
                    NANPU, "国家通用语言培训班", date(2019, 4, 1), end=date(2019, 7, 1)
                ),
                reason="开班",
            )
            other = uow.activities.add_course(
                activities.TrainingCourse(TAOHUA, "电商技能", date(2019, 4, 1), type="other"),
                reason="开班",
            )
            uow.activities.enroll(
                activities.Enrollment(course.id, date(2019, 3, 20), person_id=merchant.id),
                reason="报名",
            )
            uow.activities.enroll(
                activities.Enrollment(course.id, date(2019, 3, 21), official_id=cadre.id),
                reason="报名",
            )
            uow.activities.enroll(
                activities.Enrollment(other.id, date(2019, 3, 21), person_id=merchant.id),
                reason="报名",
            )
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            with pytest.raises(DuplicateError) as dup:
                uow.activities.enroll(
                    activities.Enrollment(course.id, D, person_id=merchant.id), reason="r"
                )
            assert dup.value.code == "duplicate_enrollment"
            with pytest.raises(ValidationError) as err:
                uow.activities.complete(course.id, uuid.uuid4(), date(2019, 7, 1), reason="结业")
            assert (err.value.code, err.value.field) == ("not_enrolled", "trainee_id")
            with pytest.raises(ValidationError) as err:
                uow.activities.complete(course.id, merchant.id, D + timedelta(days=2), reason="r")
            assert err.value.code == "date_in_future"
            done = uow.activities.complete(course.id, merchant.id, date(2019, 6, 30), reason="结业")
            uow.activities.complete(course.id, cadre.id, date(2019, 7, 2), reason="结业")
            uow.activities.complete(other.id, merchant.id, date(2019, 6, 1), reason="结业")
            with pytest.raises(ValidationError) as err:
                uow.activities.complete(course.id, merchant.id, date(2019, 7, 1), reason="r")
            assert err.value.code == "already_completed"
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.activities.find_enrollment(course.id, merchant.id) == done
            assert done.version == 2 and done.completed_on == date(2019, 6, 30)
            assert uow.activities.count_completions() == 3
            assert uow.activities.count_completions(type="language_training") == 2
            assert (
                uow.activities.count_completions(
                    type="language_training",
                    completed_from=date(2019, 7, 1),
                    completed_to=date(2019, 8, 1),
                )
                == 1
            )
            assert uow.activities.count_completions(within=TAOHUA) == 1
            assert len(uow.activities.enrollments(course_id=course.id)) == 2
            assert uow.activities.enrollments(completed=False) == []
            assert [c.id for c in uow.activities.courses(within=NANPU)] == [course.id]
            assert [h.reason for h in uow.activities.history(done)] == ["报名", "结业"]

    # -- recognition and volunteers ------------------------------------------------------------
    def test_demonstration_sites(self, store: Store) -> None:
        site = activities.DemonstrationSite(
            COMMUNITY_A,
            "民族团结一家亲示范点",
            [activities.SiteStatusEntry("创建中", "区级", date(2018, 3, 1))],
        )
        with store.unit_of_work(_ADMIN) as uow:
            stored = uow.activities.add_site(site, reason="申报")
            named = uow.activities.set_site_status(
                stored, "已命名", date(2019, 5, 1), level="市级", reason="命名", basis="洪民宗字5号"
            )
            other = uow.activities.add_site(
                activities.DemonstrationSite(
                    TAOHUA,
                    "桃花镇示范点",
                    [
                        activities.SiteStatusEntry("named", "district", date(2017, 1, 1)),
                        activities.SiteStatusEntry("revoked", "district", date(2019, 1, 1)),
                    ],
                ),
                reason="申报",
            )
            with pytest.raises(ValidationError) as err:
                uow.activities.set_site_status(named, "revoked", D + timedelta(days=1), reason="r")
            assert (err.value.code, err.value.field) == ("date_in_future", "statuses[2].since")
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.activities.get_site(site.id) == named
            assert [s.id for s in uow.activities.sites(status="named")] == [site.id]
            assert [s.id for s in uow.activities.sites(status="named", as_of=date(2018, 1, 1))] == [
                other.id
            ]
            assert (
                uow.activities.sites(status="named", min_level="市级", as_of=date(2019, 4, 1)) == []
            )
            assert len(uow.activities.sites(min_level="市级")) == 1
            assert len(uow.activities.sites(as_of=date(2017, 6, 1))) == 1
            assert len(uow.activities.sites()) == 2

    def test_honours(self, store: Store) -> None:
        person = self._person(store, 85)
        uscc = make_uscc("360103", 1234, individual=True)
        with store.unit_of_work(_ADMIN) as uow:
            ceremony = uow.activities.add(
                activities.Activity(
                    "plaque_ceremony",
                    DISTRICT,
                    "文明诚信经营户授牌仪式",
                    date(2019, 10, 20),
                    participants=50,
                    minority_participants=30,
                ),
                reason="活动登记",
            )
            title = "“阿布拉江”式文明诚信经营户"
            awards = [
                uow.activities.award(
                    activities.Honour(
                        title,
                        DISTRICT,
                        date(2019, 10, 20),
                        person_id=person.id,
                        business_name="某拉面馆",
                        business_uscc=uscc,
                        ceremony_id=ceremony.id,
                    ),
                    reason="授牌",
                ),
                uow.activities.award(
                    activities.Honour("优秀志愿者", NANPU, date(2019, 12, 5), person_id=person.id),
                    reason="表彰",
                ),
            ]
            broken = uscc[:-1] + ("1" if uscc[-1] == "0" else "0")
            with pytest.raises(ValidationError) as err:
                activities.Honour(title, DISTRICT, D, business_uscc=broken)
            assert (err.value.code, err.value.field) == ("invalid_uscc", "business_uscc")
            with pytest.raises(ValidationError) as err:
                uow.activities.award(
                    activities.Honour(
                        title,
                        DISTRICT,
                        date(2019, 10, 21),
                        business_uscc=uscc,
                        ceremony_id=ceremony.id,
                    ),
                    reason="r",
                )
            assert err.value.code == "ceremony_date"
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert [uow.activities.get_honour(h.id) for h in awards] == awards
            assert uow.activities.count_honours() == 2
            assert uow.activities.count_honours(awarded_from=date(2019, 12, 1)) == 1
            assert uow.activities.honours(ceremony_id=ceremony.id) == awards[:1]
            assert uow.activities.honours(within=NANPU) == awards[1:]
            assert uscc not in repr(awards[0])
        with store.unit_of_work(Actor.for_units("taohua", TAOHUA)) as uow:
            assert uow.activities.count_honours() == 0

    def test_volunteers(self, store: Store) -> None:
        member = self._person(store, 86)
        other = self._person(store, 87)
        with store.unit_of_work(_ADMIN) as uow:
            team = uow.org.add_body(
                Body(NANPU, "volunteer_team", "阿卜杜拉文明志愿队", date(2019, 3, 1)), reason="成立"
            )
            station = uow.org.add_body(
                Body(NANPU, "liaison_station", "服务站", date(2019, 1, 1)), reason="设立"
            )
            joined = uow.activities.add_member(
                activities.VolunteerMembership(team.id, member.id, date(2019, 3, 1), duty="队长"),
                reason="入队",
            )
            uow.activities.add_member(
                activities.VolunteerMembership(
                    team.id, other.id, date(2019, 4, 1), end=date(2019, 8, 1)
                ),
                reason="入队",
            )
            with pytest.raises(DuplicateError) as dup:
                uow.activities.add_member(
                    activities.VolunteerMembership(team.id, member.id, date(2019, 5, 1)), reason="r"
                )
            assert dup.value.code == "membership_overlap"
            with pytest.raises(ValidationError) as err:
                uow.activities.add_member(
                    activities.VolunteerMembership(station.id, member.id, D), reason="r"
                )
            assert err.value.code == "not_a_team"
            with pytest.raises(ValidationError) as err:
                uow.activities.add_member(
                    activities.VolunteerMembership(
                        team.id, other.id, date(2019, 1, 1), end=date(2019, 2, 1)
                    ),
                    reason="r",
                )
            assert err.value.code == "team_closed"
            for kind, day, hours, who in (
                ("交通协勤", date(2019, 6, 1), 12.5, None),
                ("文明城市创建", date(2019, 7, 1), 8, member.id),
                ("宣传", date(2019, 9, 1), 20.25, None),
                ("traffic", date(2019, 10, 1), 3, member.id),
            ):
                uow.activities.log_hours(
                    activities.ServiceHours(team.id, kind, day, hours, member_id=who),
                    reason="登记时长",
                )
            with pytest.raises(ValidationError) as err:
                uow.activities.log_hours(
                    activities.ServiceHours(
                        team.id, "宣传", date(2019, 9, 1), 2, member_id=other.id
                    ),
                    reason="r",
                )
            assert (err.value.code, err.value.field) == ("not_a_member", "member_id")
            with pytest.raises(ValidationError) as err:
                activities.ServiceHours(team.id, "宣传", D, 0)
            assert err.value.field == "hours"
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            sums = uow.activities.hours_by_kind()
            assert {k.value: v for k, v in sums.items()} == {
                "traffic": 15.5,
                "civilised_city": 8.0,
                "publicity": 20.25,
            }
            assert sum(uow.activities.hours_by_kind(served_from=date(2019, 7, 1)).values()) == 31.25
            assert uow.activities.hours_by_kind(within=TAOHUA) == {}
            assert len(uow.activities.service_hours(member_id=member.id)) == 2
            assert [m.id for m in uow.activities.members(team_id=team.id, on=D)] == [joined.id]
            assert len(uow.activities.members(within=NANPU)) == 2
            left = uow.activities.end_membership(joined, date(2019, 12, 1), reason="离队")
            uow.commit()
        with store.unit_of_work(_ADMIN) as uow:
            assert uow.activities.members(team_id=team.id, on=D) == []
            assert uow.activities.members(person_id=member.id) == [left]
