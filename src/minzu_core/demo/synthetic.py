"""Reproducible synthetic data (合成数据) for demos, tests and benchmarks.

Everything here is generated from a seed with :class:`random.Random`, so the same seed gives the
same units and persons (including their UUIDs) on every machine. The data is synthetic: names are
drawn from small pools, ID numbers are valid by construction (check character correct) but belong
to nobody.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from minzu_core.codes.divisions import DivisionCode, UnitKind
from minzu_core.codes.resident_id import make_resident_id, parse_resident_id
from minzu_core.hierarchy.model import Unit
from minzu_core.ledger.model import (
    HouseholdRegistration,
    LanguageProficiency,
    MigrationReason,
    Person,
    Residence,
    ResidenceStatus,
)

__all__ = [
    "OCCUPATIONS",
    "ORIGINS",
    "RESIDENT_ETHNICITIES",
    "synthetic_communities",
    "synthetic_name",
    "synthetic_people",
]

_NAMESPACE = uuid.UUID("6f1c2a52-5d1e-4f7e-9a43-2f0b6d1c7e11")

#: Origin areas (流出地) of floating persons: county code, ethnicities common there, weight.
ORIGINS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("653101", ("05",), 30),  # 喀什市: 维吾尔族
    ("650102", ("05", "17"), 10),  # 乌鲁木齐市天山区: 维吾尔族, 哈萨克族
    ("640104", ("03",), 15),  # 银川市兴庆区: 回族
    ("622901", ("03", "26"), 10),  # 临夏市: 回族, 东乡族
    ("520102", ("06", "09"), 8),  # 贵阳市南明区: 苗族, 布依族
    ("450102", ("08",), 8),  # 南宁市兴宁区: 壮族
    ("433101", ("15", "06"), 8),  # 吉首市: 土家族, 苗族
    ("522601", ("06", "12"), 6),  # 凯里市: 苗族, 侗族
    ("350981", ("22",), 5),  # 福安市: 畲族
)

#: Ethnicities of synthetic resident (常住) minority persons.
RESIDENT_ETHNICITIES = ("03", "11", "15", "06", "08", "22", "02", "12", "13", "05")
_NAMES: dict[str, tuple[str, ...]] = {
    "05": ("阿卜杜拉", "阿依古丽", "买买提", "古丽娜尔", "艾尔肯", "热依拉", "阿布拉江", "努尔"),
    "17": ("叶尔兰", "阿依达娜", "别克", "加娜尔"),
    "03": ("马", "白", "丁", "海", "沙", "穆"),
    "26": ("马", "汪", "妥"),
}
_SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "龙", "石", "蓝", "雷")
_GIVEN = ("明", "华", "芳", "丽", "军", "勇", "静", "磊", "燕", "强", "婷", "杰", "琴", "斌")
#: Occupations of synthetic persons.
OCCUPATIONS = ("餐饮", "商贩", "务工", "个体经营", "运输", "学生", "家政", "建筑")


def synthetic_name(rng: random.Random, ethnicity: str) -> str:
    """A synthetic personal name fitting ``ethnicity`` (drawn from small pools)."""
    pool = _NAMES.get(ethnicity)
    if ethnicity in ("05", "17") and pool:
        return rng.choice(pool) + "·" + rng.choice(pool)
    surname = rng.choice(pool) if pool else rng.choice(_SURNAMES)
    return surname + rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.6 else "")


def synthetic_communities(
    townships: Sequence[Unit], *, seed: int = 0, per_township: tuple[int, int] = (3, 5)
) -> list[Unit]:
    """A few synthetic communities (居委会) under each township; towns also get villages (村委会).

    Codes are the township's 9 digits followed by 001… (communities) or 200… (villages); the
    names are synthetic. The same seed gives the same units.
    """
    rng = random.Random(seed)
    units = []
    for township in townships:
        stem = township.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        count = rng.randint(*per_township)
        for n in range(1, count + 1):
            code = DivisionCode.parse(township.code.short + f"{n:03d}")
            units.append(Unit.create(code, f"{stem}第{n}社区"))
        if township.kind in (UnitKind.TOWN, UnitKind.TOWNSHIP):
            for n in range(1, 3):
                code = DivisionCode.parse(township.code.short + f"{199 + n:03d}")
                units.append(Unit.create(code, f"{stem}第{n}村委会"))
    return units


def synthetic_people(
    communities: Sequence[Unit],
    count: int,
    *,
    seed: int = 0,
    as_of: date = date(2019, 12, 16),
    local_county: str = "360103",
) -> Iterator[Person]:
    """Stream ``count`` reproducible ledger persons living in ``communities``.

    About 40% are resident (常住, registered locally), 60% floating (流动) from the
    :data:`ORIGINS`; about 10% of floating persons have already left by ``as_of``; about 4% are
    汉族 family members. Person ids are UUIDv5 of the seed and the index, so regenerating gives
    the same ids (which makes loading idempotent).
    """
    rng = random.Random(seed)
    origin_weights = [w for _, _, w in ORIGINS]
    for index in range(count):
        community = communities[rng.randrange(len(communities))]
        floating = rng.random() < 0.6
        if floating:
            origin, ethnicities, _ = rng.choices(ORIGINS, weights=origin_weights)[0]
            ethnicity = rng.choice(ethnicities)
        else:
            origin = local_county
            ethnicity = rng.choice(RESIDENT_ETHNICITIES)
        if rng.random() < 0.04:
            ethnicity = "01"
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
        arrival = as_of - timedelta(days=rng.randrange(30, 365 * 9))
        if arrival < birth:
            arrival = birth
        departure = None
        if floating and rng.random() < 0.1:
            departure = min(as_of, arrival + timedelta(days=rng.randrange(30, 700)))
        id_number = make_resident_id(origin, birth, rng.randrange(1, 1000))
        gender = parse_resident_id(id_number).gender
        status = ResidenceStatus.FLOATING if floating else ResidenceStatus.RESIDENT
        yield Person(
            id=uuid.uuid5(_NAMESPACE, f"{seed}:{index}"),
            name=synthetic_name(rng, ethnicity),
            ethnicity=ethnicity,
            id_number=id_number if rng.random() < 0.95 else None,
            birth_date=birth,
            gender=gender,
            phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
            if rng.random() < 0.9
            else None,
            household=HouseholdRegistration(division_code=origin, address=None),
            language=rng.choice(list(LanguageProficiency)),
            residences=(
                Residence(
                    id=uuid.uuid5(_NAMESPACE, f"{seed}:{index}:r0"),
                    unit_code=community.code,
                    status=status,
                    arrival=arrival,
                    departure=departure,
                    address=f"{community.name}{rng.randint(1, 60)}栋{rng.randint(1, 30)}号",
                    origin=origin if floating else None,
                    reason=rng.choice(list(MigrationReason)) if floating else None,
                    occupation=rng.choice(OCCUPATIONS),
                ),
            ),
        )
