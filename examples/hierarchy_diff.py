"""Diff the shipped Jiangxi 2019 and 2023 NBS editions for Xihu District and apply the changes.

Run: python examples/hierarchy_diff.py

Prints the proposed unit changes (abolished, recoded, created …), applies them to a store, and
shows that a fact recorded against 桃花镇's 2019 code maps to 桃花街道 today.
"""

from __future__ import annotations

from datetime import date

from minzu_core import Actor, open_store
from minzu_core.hierarchy import diff_editions, load_edition


def main() -> None:
    """Run the example."""
    old, new = load_edition("jiangxi-2019"), load_edition("jiangxi-2023")
    effective = date(2023, 10, 31)
    changes = diff_editions(old, new, effective=effective, within="360103")
    print("西湖区 2019 → 2023 proposed changes:")
    for change in changes:
        successors = ", ".join(c.short for c in change.successors) or "-"
        print(
            f"  {change.kind.value:10} {change.code.short}  {change.old_name or '':8} → "
            f"{change.new_name or '':8} successors: {successors}"
        )

    store = open_store("memory://")
    admin = Actor.system("example")
    xihu_2019 = [
        u
        for u in old
        if u.code.value[:6] in ("360000", "360100", "360103")
        and (u.code.value.startswith("360103") or u.level.depth <= 2)
    ]
    with store.unit_of_work(admin) as uow:
        uow.units.add_many(xihu_2019, reason="2019 版区划")
        for change in changes:
            uow.units.apply_change(change, reason="2023 版区划变更")
        uow.commit()
    with store.unit_of_work(admin) as uow:
        before = uow.units.children("360103", as_of=date(2020, 1, 1))
        after = uow.units.children("360103", as_of=effective)
        print(f"townships of 西湖区: {len(before)} in 2020, {len(after)} in 2023")
        mapped = uow.units.hierarchy().successors("360103101", effective)
        names = [uow.units.get(c, as_of=effective).name for c in mapped]
        print(
            f"桃花镇 (360103101) maps to {', '.join(names)} ({', '.join(c.short for c in mapped)})"
        )


if __name__ == "__main__":
    main()
