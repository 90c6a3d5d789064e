"""Sample data shared by the contract suite (契约测试样例): a small hierarchy and a person.

Public, so that a third-party adapter's own tests can build on the same fixtures.
"""

from __future__ import annotations

from datetime import date, timedelta

from minzu_core.codes.resident_id import make_resident_id
from minzu_core.ledger import model as ledger
from minzu_core.privacy.actor import Actor

__all__ = [
    "ADMIN",
    "COMMUNITY_A",
    "COMMUNITY_B",
    "SAMPLE_UNITS",
    "TOWN_COMMUNITY",
    "TOWN_VILLAGE",
    "sample_person",
]

ADMIN = Actor.system("contract-admin")

#: A small hierarchy: Jiangxi > Nanchang > Xihu > two townships > communities and a village.
SAMPLE_UNITS: tuple[tuple[str, str], ...] = (
    ("360000000000", "江西省"),
    ("360100000000", "南昌市"),
    ("360103000000", "西湖区"),
    ("360103001000", "南浦街道"),
    ("360103101000", "桃花镇"),
    ("360103001001", "南浦第一社区"),
    ("360103001002", "南浦第二社区"),
    ("360103101001", "桃花社区"),
    ("360103101200", "桃花村委会"),
)

COMMUNITY_A = "360103001001"
COMMUNITY_B = "360103001002"
TOWN_COMMUNITY = "360103101001"
TOWN_VILLAGE = "360103101200"


def sample_person(
    *,
    unit: str = COMMUNITY_A,
    status: ledger.ResidenceStatus = ledger.ResidenceStatus.FLOATING,
    ethnicity: str = "05",
    seq: int = 1,
    arrival: date = date(2018, 3, 1),
    with_id: bool = True,
) -> ledger.Person:
    """A valid person living in ``unit`` (ID number derived from ``seq``)."""
    number = make_resident_id("653101", date(1990, 1, 1) + timedelta(days=seq), seq % 1000)
    return ledger.Person(
        name="阿依古丽",
        ethnicity=ethnicity,
        id_number=number if with_id else None,
        birth_date=None if with_id else date(1990, 1, 1),
        phone="13800001234",
        household=ledger.HouseholdRegistration(division_code="653101", address="喀什市某街道"),
        language=ledger.LanguageProficiency.BASIC,
        residences=(
            ledger.Residence(
                unit_code=unit,
                status=status,
                arrival=arrival,
                address="南昌市西湖区某路 1 号",
                origin="653101",
                reason=ledger.MigrationReason.BUSINESS,
                occupation="餐饮",
                employer="某拉面馆",
            ),
        ),
    )
