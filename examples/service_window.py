"""A year at the 丁公路街道 ethnic-affairs service window (民族工作服务窗口).

Run: python examples/service_window.py [STORE_URL]      (default: memory://)

Opens a window at 丁公路街道 (Xihu District, Nanchang) offering every category, registers a few
dozen ledger persons as applicants, and plays a reproducible year (2019) of service requests
through their lifecycle: accepted or declined, documents requested (the clock pauses), referred,
resolved, followed up, closed, sometimes withdrawn or reopened. It then prints, per category, the
requests received, resolved, resolved on time, still open and overdue on 2019-12-31 — every
figure computed by the store from the requests' histories.
"""

from __future__ import annotations

import random
import sys
from datetime import date, datetime, timedelta
from typing import Any

from minzu_core import CST, Actor, FixedClock, open_store
from minzu_core.demo import synthetic_people
from minzu_core.hierarchy import Unit
from minzu_core.privacy import WINDOW_CLERK
from minzu_core.services import ServiceCategory, ServiceRequest, ServiceWindow

YEAR_END = datetime(2019, 12, 31, 18, 0, tzinfo=CST)
TOWNSHIP = "360103009"


def main(url: str = "memory://", seed: int = 2019, requests: int = 360) -> None:
    """Run the example against the store at ``url``."""
    rng = random.Random(seed)
    store = open_store(url, clock=FixedClock(YEAR_END))
    clerk = Actor.for_units("dinggonglu-window-clerk", TOWNSHIP, roles={WINDOW_CLERK})
    admin = Actor.system("district-admin")
    communities = [Unit.create(f"{TOWNSHIP}{n:03d}", f"丁公路示例社区{n}") for n in (1, 2, 3)]
    with store.unit_of_work(admin) as uow:
        uow.units.add_many(
            [
                Unit.create("360000", "江西省"),
                Unit.create("360100", "南昌市"),
                Unit.create("360103", "西湖区"),
                Unit.create(TOWNSHIP, "丁公路街道"),
                *communities,
            ],
            reason="建立区划",
        )
        window = uow.services.add_window(
            ServiceWindow(
                unit_code=TOWNSHIP,
                name="丁公路街道民族工作服务窗口",
                opened=date(2019, 1, 1),
                categories=set(ServiceCategory),
                time_limits={ServiceCategory.REGISTRATION: 3, ServiceCategory.LEGAL_AID: 20},
            ),
            reason="设立服务窗口",
        )
        applicants = [
            uow.people.add(p, reason="台账登记")
            for p in synthetic_people(communities, 40, seed=seed, as_of=date(2019, 1, 1))
        ]
        uow.commit()

    categories = list(ServiceCategory)
    weights = [30, 20, 8, 15, 10, 7, 8, 2]
    with store.unit_of_work(clerk) as uow:
        for _ in range(requests):
            received = datetime(2019, 1, 2, 9, tzinfo=CST) + timedelta(
                minutes=rng.randrange(360 * 24 * 60)
            )
            applicant = rng.choice([a for a in applicants if a.residence_on(received.date())])
            request = uow.services.submit(
                ServiceRequest.submit(
                    window,
                    applicant_id=applicant.id,
                    category=rng.choices(categories, weights)[0],
                    received_at=received,
                    actor_id=clerk.id,
                    description="申请事项(合成数据)",
                )
            )
            t = received
            for action, data in _script(rng):
                t += timedelta(hours=rng.randrange(1, 24 * 3))
                if t > YEAR_END:
                    break  # the rest happens next year: still open at year end
                request = uow.services.act(request, action, at=t, **data)
        uow.commit()

    print(f"{window.name} — 2019 (window {window.id.hex[:8]})")
    header = (
        f"{'category':<28}{'received':>9}{'resolved':>9}{'on time':>9}{'open':>6}{'overdue':>8}"
    )
    print(header)
    with store.unit_of_work(clerk) as uow:
        totals = [0, 0, 0, 0, 0]
        for category in categories:
            received_n = uow.services.count(category=category)
            resolved = uow.services.list(
                category=category, states={"resolved", "followed_up", "closed"}
            )
            resolved = [r for r in resolved if r.resolved_at is not None]
            on_time = sum(1 for r in resolved if r.resolved_on_time(uow.calendar))
            open_n = len(uow.services.open_requests(category=category))
            overdue_n = uow.services.count_overdue(YEAR_END, category=category)
            row = [received_n, len(resolved), on_time, open_n, overdue_n]
            totals = [a + b for a, b in zip(totals, row, strict=True)]
            label = f"{category.label_zh} {category.label_en}"
            print(f"{label:<28}{row[0]:>9}{row[1]:>9}{row[2]:>9}{row[3]:>6}{row[4]:>8}")
        label = "合计 total"
        print(f"{label:<28}{totals[0]:>9}{totals[1]:>9}{totals[2]:>9}{totals[3]:>6}{totals[4]:>8}")
    store.close()


def _script(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """A plausible sequence of actions for one request."""
    roll = rng.random()
    if roll < 0.06:
        return [("decline", {"reason": "不属于受理范围"})]
    if roll < 0.10:
        return [("withdraw", {})]
    steps: list[tuple[str, dict[str, Any]]] = [("accept", {}), ("start", {})]
    if rng.random() < 0.25:
        steps += [("request_documents", {"documents": ["身份证明"]}), ("documents_received", {})]
    if rng.random() < 0.15:
        steps += [("refer", {"to": "区人社局"}), ("referral_returned", {})]
    if rng.random() < 0.04:
        return [*steps, ("withdraw", {})]
    satisfaction = rng.choices(["satisfied", "basically_satisfied", "dissatisfied"], [7, 2, 1])[0]
    steps += [("resolve", {"outcome": "已办结"}), ("follow_up", {"satisfaction": satisfaction})]
    if satisfaction == "dissatisfied":
        steps += [
            ("reopen", {"reason": "回访不满意"}),
            ("resolve", {"outcome": "再次办结"}),
            ("follow_up", {"satisfaction": "basically_satisfied"}),
        ]
    return [*steps, ("close", {})]


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "memory://")
