"""Edition diffs that follow units (DESIGN §4, History): moves, designation changes, merges."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from minzu_core.hierarchy.editions import (
    ProposedChange,
    diff_editions,
    load_edition,
    propose_edition_changes,
)
from minzu_core.hierarchy.model import Hierarchy, Unit, UnitChangeKind

D2023 = date(2023, 10, 31)
K = UnitChangeKind


@pytest.fixture(scope="module")
def jiangxi() -> list[ProposedChange]:
    return propose_edition_changes(
        load_edition("jiangxi-2019"), load_edition("jiangxi-2023"), effective=D2023
    )


def by_code(proposals: list[ProposedChange]) -> dict[str, ProposedChange]:
    return {p.change.code.short: p for p in proposals if p.change.kind is not K.CREATED}


def summary(proposals: list[ProposedChange]) -> list[tuple[K, str, list[str]]]:
    return [
        (p.change.kind, p.change.code.short, [s.short for s in p.change.successors])
        for p in proposals
    ]


class TestJiangxi2019To2023:
    def test_counts(self, jiangxi: list[ProposedChange]) -> None:
        counts = Counter(p.change.kind for p in jiangxi)
        assert counts == {
            K.RECODED: 50,
            K.ABOLISHED: 44,
            K.CREATED: 29,
            K.MERGED: 1,
            K.RENAMED: 11,
        }

    def test_plain_diff_follows_units_unless_told_not_to(
        self, jiangxi: list[ProposedChange]
    ) -> None:
        old, new = load_edition("jiangxi-2019"), load_edition("jiangxi-2023")
        same_parent = diff_editions(old, new, effective=D2023, follow_units=False)
        plain = Counter(c.kind for c in same_parent)
        assert plain == {K.RECODED: 16, K.ABOLISHED: 79, K.CREATED: 63, K.RENAMED: 11}
        following = diff_editions(old, new, effective=D2023)
        assert [(c.kind, c.code, c.successors) for c in following] == [
            (p.change.kind, p.change.code, p.change.successors) for p in jiangxi
        ]

    def test_designation_change_of_a_county(self, jiangxi: list[ProposedChange]) -> None:
        found = by_code(jiangxi)
        longnan = found["360727"]
        assert (longnan.change.kind, [s.short for s in longnan.change.successors]) == (
            K.RECODED,
            ["360783"],
        )
        assert (longnan.change.old_name, longnan.change.new_name) == ("龙南县", "龙南市")
        assert longnan.rule == "recoded_new_designation"
        assert "龙南县 → 龙南市" in longnan.reason_zh
        townships = [p for p in jiangxi if p.change.code.value.startswith("360727")]
        assert len(townships) == 17
        assert all(p.change.kind is K.RECODED for p in townships)
        assert all(p.change.successors[0].short.startswith("360783") for p in townships)
        assert not [p for p in jiangxi if p.change.code.value.startswith("360783")]

    @pytest.mark.parametrize(
        ("old", "new", "rule"),
        [
            ("360105001", "360112001", "moved_same_name"),  # 站前街道
            ("360102050", "360113001", "moved_same_name"),  # 沙井街道
            ("360111180", "360112003", "moved_new_designation"),  # 蛟桥镇 → 蛟桥街道
            ("360112102", "360113003", "moved_new_designation"),  # 生米镇 → 生米街道
            ("360112100", "360112004", "recoded_new_designation"),  # 长堎镇 → 长堎街道
        ],
    )
    def test_moves_within_the_prefecture(
        self, jiangxi: list[ProposedChange], old: str, new: str, rule: str
    ) -> None:
        proposal = by_code(jiangxi)[old]
        assert proposal.change.kind is K.RECODED
        assert [s.short for s in proposal.change.successors] == [new]
        assert proposal.rule == rule
        assert 0 < proposal.confidence < 0.95
        assert proposal.reason_zh and proposal.reason_en

    def test_merge_from_where_the_children_went(self, jiangxi: list[ProposedChange]) -> None:
        wanli = by_code(jiangxi)["360105"]
        assert wanli.change.kind is K.MERGED
        assert [s.short for s in wanli.change.successors] == ["360112"]
        assert wanli.change.old_name == "湾里区"
        assert wanli.rule == "merged"
        assert wanli.confidence == 0.9
        assert wanli.reason_zh == "6个下级中6个并入新建区 360112"
        assert wanli.reason_en == "6 of its 6 child units merged into 新建区 360112"

    def test_applying_gives_the_new_code_set(self, jiangxi: list[ProposedChange]) -> None:
        codes = {u.code for u in load_edition("jiangxi-2019")}
        for p in jiangxi:
            change = p.change
            if change.kind in (K.ABOLISHED, K.RECODED, K.MERGED, K.SPLIT):
                codes.discard(change.code)
            codes.update(change.successors)
            if change.kind is K.CREATED:
                codes.add(change.code)
        assert codes == {u.code for u in load_edition("jiangxi-2023")}

    def test_facts_on_old_codes_follow_the_units(self, jiangxi: list[ProposedChange]) -> None:
        units = [*load_edition("jiangxi-2019"), *load_edition("jiangxi-2023")]
        h = Hierarchy(
            (u for u in units if u.valid_from == D2023), (p.change for p in jiangxi)
        )  # the changes alone decide the successors
        assert [c.short for c in h.successors("360105001", D2023)] == ["360112001"]
        assert [c.short for c in h.successors("360105", D2023)] == ["360112"]
        assert [c.short for c in h.successors("360727104", D2023)] == ["360783104"]

    def test_every_proposal_says_why(self, jiangxi: list[ProposedChange]) -> None:
        for p in jiangxi:
            assert 0 < p.confidence <= 1
            assert p.rule and p.reason_zh and p.reason_en
            assert p.change.effective == D2023

    def test_deterministic(self, jiangxi: list[ProposedChange]) -> None:
        old, new = load_edition("jiangxi-2019"), load_edition("jiangxi-2023")
        again = propose_edition_changes(reversed(old), reversed(new), effective=D2023)
        assert summary(again) == summary(jiangxi)
        assert [p.confidence for p in again] == [p.confidence for p in jiangxi]


def units(*rows: tuple[str, str]) -> list[Unit]:
    return [Unit.create(code, name) for code, name in rows]


PREFECTURE = ("360100", "南昌市")
#: 湾里区 with two townships, next to 新建区 and 红谷滩区.
WANLI = units(
    PREFECTURE,
    ("360105", "湾里区"),
    ("360105001", "站前街道"),
    ("360105002", "幸福街道"),
    ("360112", "新建区"),
    ("360113", "红谷滩区"),
)


class TestRules:
    def test_split_among_several_counties(self) -> None:
        new = units(
            PREFECTURE,
            ("360112", "新建区"),
            ("360112001", "站前街道"),
            ("360113", "红谷滩区"),
            ("360113001", "幸福街道"),
        )
        proposals = propose_edition_changes(WANLI, new, effective=D2023)
        assert summary(proposals) == [
            (K.SPLIT, "360105", ["360112", "360113"]),
            (K.RECODED, "360105001", ["360112001"]),
            (K.RECODED, "360105002", ["360113001"]),
        ]
        assert proposals[0].confidence == 0.8

    def test_partial_merge_has_lower_confidence(self) -> None:
        new = [*WANLI[:1], *WANLI[4:], Unit.create("360112001", "站前街道")]
        first = propose_edition_changes(WANLI, new, effective=D2023)[0]
        assert (first.change.kind, first.confidence) == (K.MERGED, 0.45)

    def test_ambiguous_names_are_not_moved(self) -> None:
        old = units(PREFECTURE, ("360105001", "新村街道"), ("360111001", "新村街道"))
        new = units(PREFECTURE, ("360112001", "新村街道"), ("360113001", "新村街道"))
        kinds = Counter(p.change.kind for p in propose_edition_changes(old, new, effective=D2023))
        assert kinds == {K.ABOLISHED: 2, K.CREATED: 2}

    def test_no_move_across_prefectures(self) -> None:
        old = units(("360103101", "桃花镇"))
        new = units(("360203014", "桃花街道"))
        kinds = [p.change.kind for p in propose_edition_changes(old, new, effective=D2023)]
        assert kinds == [K.ABOLISHED, K.CREATED]

    def test_move_within_the_prefecture(self) -> None:
        old = units(("360103101", "桃花镇"))
        new = units(("360104014", "桃花街道"))
        (proposal,) = propose_edition_changes(old, new, effective=D2023)
        assert summary([proposal]) == [(K.RECODED, "360103101", ["360104014"])]
        assert (proposal.rule, proposal.confidence) == ("moved_new_designation", 0.7)
        # the plain diff follows it too; the same-parent rule alone does not
        assert [c.kind for c in diff_editions(old, new, effective=D2023)] == [K.RECODED]
        assert [c.kind for c in diff_editions(old, new, effective=D2023, follow_units=False)] == [
            K.ABOLISHED,
            K.CREATED,
        ]

    def test_county_designations(self) -> None:
        old = units(("360727", "龙南县"), ("360728", "定南县"))
        new = units(("360783", "龙南市"), ("360729", "定南区"))
        assert summary(propose_edition_changes(old, new, effective=D2023)) == [
            (K.RECODED, "360727", ["360783"]),
            (K.RECODED, "360728", ["360729"]),
        ]

    def test_same_code_proposals(self) -> None:
        old = units(("360103001", "南浦街道"), ("360103002", "朝阳街道"))
        new = units(("360103001", "南浦新街道"), ("360103002", "九洲街道"))
        first, second = propose_edition_changes(old, new, effective=D2023)
        assert (first.change.kind, first.rule, first.confidence) == (K.RENAMED, "renamed", 1.0)
        assert (second.change.kind, second.rule) == (K.RENAMED, "renamed_unrelated")
        assert second.confidence < 1

    def test_within(self) -> None:
        proposals = propose_edition_changes(
            load_edition("jiangxi-2019"),
            load_edition("jiangxi-2023"),
            effective=D2023,
            within="360103",
        )
        assert Counter(p.change.kind for p in proposals) == {
            K.ABOLISHED: 3,
            K.CREATED: 1,
            K.RECODED: 1,
        }
