"""The ``mapped`` hierarchy mode follows the edition diff and shows its rules (issue 15 part 3):
facts on a recoded county's townships land on the new codes; a split unit's facts go to its first
successor or stay under its own code (``split``); an abolished unit without a successor keeps its
facts under its code; every one of these is named in the result's notes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from minzu_core.errors import ValidationError
from minzu_core.hierarchy.editions import load_edition, propose_edition_changes
from minzu_core.hierarchy.model import Unit, UnitChange, UnitChangeKind
from minzu_core.indicators import SplitRule, compute
from minzu_core.ledger.model import ResidenceStatus
from minzu_core.store.factory import Store, open_store
from minzu_core.testing.samples import ADMIN, sample_person

D2023 = date(2023, 10, 31)
GANZHOU = "3607"


@pytest.fixture(params=["memory://", "sqlite://"])
def ganzhou(request: pytest.FixtureRequest) -> Iterator[Store]:
    """Ganzhou of the 2019 edition, a village under 龙南县's first township with one resident,
    and the 2019 → 2023 changes of 龙南县 (county and townships) applied."""
    store = open_store(request.param)
    units = [u for u in load_edition("jiangxi-2019") if u.code.value.startswith(("36", GANZHOU))]
    units = [u for u in units if len(u.code.short) <= 2 or u.code.short.startswith(GANZHOU)]
    with store.unit_of_work(ADMIN) as uow:
        uow.units.add_many(units, reason="2019 区划")
        uow.units.add(Unit.create("360727100001", "示例村委会"), reason="示例村")
        uow.people.add(
            sample_person(unit="360727100001", status=ResidenceStatus.RESIDENT, seq=11),
            reason="登记",
        )
        uow.commit()
    proposals = propose_edition_changes(
        load_edition("jiangxi-2019"), load_edition("jiangxi-2023"), effective=D2023, within=GANZHOU
    )
    longnan = [p for p in proposals if p.change.code.value.startswith("360727")]
    assert {p.change.kind for p in longnan} == {UnitChangeKind.RECODED}
    with store.unit_of_work(ADMIN) as uow:
        for proposal in longnan:
            uow.units.apply_change(proposal.change, reason="区划调整 2023")
        uow.commit()
    yield store
    store.close()


def _rows(store: Store, **kwargs: Any) -> tuple[dict[str, Any], list[str]]:
    with store.unit_of_work(ADMIN) as uow:
        table = compute(uow, indicators=["minority_residents"], **kwargs)
    rows = {r.unit_code: r.value for r in table.rows if r.breakdown is None}
    return rows, list(table.metadata.notes)


def test_facts_on_a_recoded_county_land_on_its_new_codes(ganzhou: Store) -> None:
    args = {"period": "2023", "unit": GANZHOU, "by": "township"}
    recorded, _ = _rows(ganzhou, **args)
    assert recorded["360727100000"] == 1  # listed: it has data, though it no longer exists
    assert "360783100000" not in recorded or recorded["360783100000"] == 0
    mapped, notes = _rows(ganzhou, **args, mode="mapped")
    assert mapped["360783100000"] == 1
    assert "360727100000" not in mapped
    assert any("forward" in note and "2023-12-31" in note for note in notes)


@pytest.fixture(params=["memory://", "sqlite://"])
def split_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """桃花镇 360103101 split on 2020-01-01 into 360103014 and 360103015; 南浦街道 360103001
    abolished without a successor; one resident in each of their villages."""
    store = open_store(request.param)
    with store.unit_of_work(ADMIN) as uow:
        for code, name in [
            ("360000", "江西省"),
            ("360100", "南昌市"),
            ("360103", "西湖区"),
            ("360103101", "桃花镇"),
            ("360103101001", "桃花村委会"),
            ("360103001", "南浦街道"),
            ("360103001001", "南浦社区"),
        ]:
            uow.units.add(Unit.create(code, name), reason="建立")
        for seq, unit in ((21, "360103101001"), (22, "360103001001")):
            uow.people.add(
                sample_person(unit=unit, status=ResidenceStatus.RESIDENT, seq=seq),
                reason="登记",
            )
        day = date(2020, 1, 1)
        for code, name in (("360103014", "桃花街道"), ("360103015", "桃源街道")):
            change = UnitChange(kind="created", effective=day, code=code, new_name=name)
            uow.units.apply_change(change, reason="新设")
        uow.units.apply_change(
            UnitChange(
                kind=UnitChangeKind.SPLIT,
                effective=day,
                code="360103101",
                successors=("360103014", "360103015"),
            ),
            reason="拆分",
        )
        uow.units.apply_change(
            UnitChange(kind=UnitChangeKind.ABOLISHED, effective=day, code="360103001"),
            reason="撤销",
        )
        uow.commit()
    yield store
    store.close()


@pytest.mark.parametrize("split", [SplitRule.FIRST, "keep", "保留在原单位"])
def test_a_split_follows_the_rule_and_is_named(split_store: Store, split: Any) -> None:
    rows, notes = _rows(
        split_store, period="2020", unit="360103", by="township", mode="mapped", split=split
    )
    rule = SplitRule.parse(split, field="split")
    if rule is SplitRule.FIRST:
        assert rows["360103014000"] == 1 and "360103101000" not in rows
    else:
        assert rows["360103101000"] == 1 and rows["360103014000"] == 0
    assert rows["360103015000"] == 0
    assert any("360103101 → 360103014, 360103015" in n and rule.label_en in n for n in notes)
    # the abolished unit keeps its facts, in a visible row, and the note says so
    assert rows["360103001000"] == 1
    assert any("abolished without a successor" in n and "360103001" in n for n in notes)
    assert rows["360103000000"] == 2  # nothing lost


def test_as_recorded_has_no_mapping_notes(split_store: Store) -> None:
    _, notes = _rows(split_store, period="2020", unit="360103", by="township")
    assert not any("forward" in n or "split" in n for n in notes)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"indicators": 5}, "indicators"),
        ({"indicators": [5]}, "indicators[0]"),
        ({"extra": ["x"]}, "extra[0]"),
        ({"comparisons": "yes"}, "comparisons"),
        ({"split": "half"}, "split"),
    ],
)
def test_wrong_request_arguments_are_typed_errors(
    split_store: Store, kwargs: dict[str, Any], field: str
) -> None:
    with split_store.unit_of_work(ADMIN) as uow, pytest.raises(ValidationError) as err:
        compute(uow, period="2020", unit="360103", **kwargs)
    assert err.value.field == field
