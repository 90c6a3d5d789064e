"""The lifecycle mechanism and the service-request domain (pure, no store)."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minzu_core.clock import CST
from minzu_core.errors import TransitionError, ValidationError
from minzu_core.lifecycle import Event
from minzu_core.services import (
    OPEN_STATES,
    SERVICE_LIFECYCLE,
    CalendarDays,
    Satisfaction,
    ServiceCategory,
    ServiceRequest,
    ServiceWindow,
    WorkingDays,
)

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2019, 3, 4, 9, 0, tzinfo=CST)  # a Monday
WINDOW = ServiceWindow(
    unit_code="360103009",
    name="丁公路街道民族工作服务窗口",
    opened=date(2019, 1, 1),
    categories={ServiceCategory.LEGAL_AID, ServiceCategory.REGISTRATION},
    time_limits={"legal_aid": 10},
)


def new_request() -> ServiceRequest:
    return ServiceRequest.submit(
        WINDOW,
        applicant_id=uuid.uuid4(),
        category="法律援助",
        received_at=T0,
        actor_id="clerk",
        description="欠薪纠纷, 当事人电话 13800001234",
    )


def accepted(limit: int = 10) -> ServiceRequest:
    r = new_request().act(
        "accept", at=T0 + timedelta(hours=1), actor_id="clerk", time_limit_days=limit
    )
    return r.act("start", at=T0 + timedelta(hours=2), actor_id="clerk")


def test_mermaid_docs_do_not_drift() -> None:
    spec = importlib.util.spec_from_file_location("render", ROOT / "scripts/render_lifecycles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "docs/lifecycles.md").read_text(encoding="utf-8")
    assert module.render(text) == text, "run: python scripts/render_lifecycles.py"


def test_window_rules() -> None:
    assert WINDOW.time_limit(ServiceCategory.LEGAL_AID) == 10
    assert WINDOW.time_limit(ServiceCategory.REGISTRATION) == 5
    assert WINDOW.open_on(date(2019, 1, 1)) and not WINDOW.open_on(date(2018, 12, 31))
    with pytest.raises(ValidationError) as err:
        ServiceWindow(
            unit_code="360103009001", name="x", opened=date(2019, 1, 1), categories={"other"}
        )
    assert err.value.code == "window_level"
    with pytest.raises(ValidationError) as err:
        ServiceWindow(unit_code="360103009", name="x", opened=date(2019, 1, 1), categories=())
    assert err.value.field == "categories"
    with pytest.raises(ValidationError):
        ServiceWindow(
            unit_code="360103009",
            name="x",
            opened=date(2019, 1, 1),
            categories={"other"},
            time_limits={"other": 0},
        )


def test_happy_path_and_derived_times() -> None:
    r = accepted()
    r = r.act(
        "request_documents", at=T0 + timedelta(days=2), actor_id="clerk", documents=["劳动合同"]
    )
    assert r.state == "awaiting_documents" and r.paused_since == T0 + timedelta(days=2)
    assert r.due_at(T0 + timedelta(days=5)) == T0 + timedelta(hours=1, days=13)
    r = r.act("documents_received", at=T0 + timedelta(days=5), actor_id="clerk")
    assert r.paused() == timedelta(days=3)
    assert r.due_at() == T0 + timedelta(hours=1, days=13)
    assert r.due_base() == r.due_at()
    r = r.act("resolve", at=T0 + timedelta(days=12), actor_id="clerk", outcome="已追回工资")
    assert r.resolved_on_time() is True
    assert r.time_to_resolve() == timedelta(days=12) - timedelta(hours=1) - timedelta(days=3)
    r = r.act(
        "follow_up",
        at=T0 + timedelta(days=14),
        actor_id="clerk",
        satisfaction="basically_satisfied",
    )
    assert r.satisfaction is Satisfaction.BASICALLY_SATISFIED
    r = r.act("close", at=T0 + timedelta(days=15), actor_id="clerk")
    assert r.state == "closed" and SERVICE_LIFECYCLE.allowed("closed") == ()
    assert SERVICE_LIFECYCLE.replay(r.events) == "closed"


def test_overdue() -> None:
    r = accepted(limit=3)
    due = T0 + timedelta(hours=1, days=3)
    assert not r.is_overdue(due)
    assert r.is_overdue(due + timedelta(seconds=1))
    # a pause that starts after the due date does not cure the delay
    late = r.act("request_documents", at=due + timedelta(days=1), actor_id="c", documents=["x"])
    assert late.is_overdue(due + timedelta(days=5))
    # a pause that starts in time moves the due date for as long as it lasts
    early = r.act("request_documents", at=T0 + timedelta(days=1), actor_id="c", documents=["x"])
    assert not early.is_overdue(due + timedelta(days=30))
    resolved = r.act("resolve", at=due + timedelta(days=1), actor_id="c", outcome="ok")
    assert resolved.resolved_on_time() is False
    assert not resolved.is_overdue(due + timedelta(days=2))  # no longer open


def test_working_days_calendar() -> None:
    cal = WorkingDays(holidays={date(2019, 3, 8)}, workdays={date(2019, 3, 9)})
    # Mon 4th + 5 working days: Tue5 Wed6 Thu7 (Fri8 holiday) Sat9 (make-up) Mon11
    assert cal.add_days(T0, 5) == datetime(2019, 3, 11, 9, 0, tzinfo=CST)
    assert CalendarDays().add_days(T0, 5) == T0 + timedelta(days=5)
    r = accepted(limit=5)
    assert r.due_at(calendar=cal) == datetime(2019, 3, 11, 10, 0, tzinfo=CST)


@pytest.mark.parametrize(
    ("action", "data", "code"),
    [
        ("close", {}, "transition_not_allowed"),
        ("fly", {}, "unknown_action"),
        ("resolve", {}, "required"),
        ("resolve", {"outcome": "  "}, "required"),
        ("refer", {}, "required"),
        ("request_documents", {}, "required"),
    ],
)
def test_refused_actions_change_nothing(action: str, data: dict[str, object], code: str) -> None:
    r = accepted()
    with pytest.raises((TransitionError, ValidationError)) as err:
        r.act(action, at=T0 + timedelta(days=1), actor_id="c", **data)
    assert err.value.code == code
    assert r.state == "in_progress" and len(r.events) == 3


def test_decline_needs_reason_and_time_order() -> None:
    r = new_request()
    with pytest.raises(ValidationError) as err:
        r.act("decline", at=T0 + timedelta(hours=1), actor_id="c")
    assert err.value.field == "reason"
    with pytest.raises(ValidationError) as err:
        r.act("accept", at=T0 - timedelta(seconds=1), actor_id="c", time_limit_days=5)
    assert err.value.code == "event_before_previous"
    with pytest.raises(TransitionError) as terr:
        r.act("accept", at=T0, actor_id="c", time_limit_days=0)
    assert terr.value.code == "invalid_time_limit"
    assert r.act("decline", at=T0, actor_id="c", reason="不属于受理范围").state == "declined"


def test_reopen_only_after_dissatisfied_follow_up() -> None:
    r = accepted().act("resolve", at=T0 + timedelta(days=1), actor_id="c", outcome="ok")
    happy = r.act("follow_up", at=T0 + timedelta(days=2), actor_id="c", satisfaction="satisfied")
    with pytest.raises(TransitionError) as err:
        happy.act("reopen", at=T0 + timedelta(days=3), actor_id="c", reason="x")
    assert err.value.code == "reopen_needs_dissatisfied"
    with pytest.raises(TransitionError) as err:
        r.act("follow_up", at=T0 + timedelta(days=2), actor_id="c", satisfaction="meh")
    assert err.value.code == "invalid_satisfaction"
    sad = r.act("follow_up", at=T0 + timedelta(days=2), actor_id="c", satisfaction="dissatisfied")
    again = sad.act("reopen", at=T0 + timedelta(days=3), actor_id="c", reason="申请人不满意")
    assert again.state == "in_progress"


def test_withdraw_only_before_resolution() -> None:
    for state_request in (new_request(), accepted()):
        assert state_request.act("withdraw", at=T0 + timedelta(days=1), actor_id="a").state == (
            "withdrawn"
        )
    r = accepted().act("resolve", at=T0 + timedelta(days=1), actor_id="c", outcome="ok")
    with pytest.raises(TransitionError):
        r.act("withdraw", at=T0 + timedelta(days=2), actor_id="a")


def test_history_must_be_valid() -> None:
    r = accepted()
    bad = (*r.events, Event("close", T0 + timedelta(days=1), "c"))
    with pytest.raises(TransitionError):
        ServiceRequest(
            window_id=r.window_id,
            unit_code=r.unit_code,
            applicant_id=r.applicant_id,
            category=r.category,
            received_at=r.received_at,
            events=bad,
        )


def test_description_is_masked() -> None:
    r = new_request()
    assert "13800001234" not in repr(r) and "欠薪" not in repr(r)


@given(st.lists(st.sampled_from([t.action for t in SERVICE_LIFECYCLE.transitions]), max_size=25))
def test_random_action_sequences(actions: list[str]) -> None:
    """Only allowed transitions succeed; a refusal changes nothing; history replays."""
    data = {
        "time_limit_days": 5,
        "reason": "r",
        "documents": ["d"],
        "to": "某局",
        "outcome": "o",
        "satisfaction": "dissatisfied",
    }
    r = new_request()
    for step, action in enumerate(actions, start=1):
        at = T0 + timedelta(hours=step)
        allowed = action in SERVICE_LIFECYCLE.allowed(r.state)
        try:
            nxt = r.act(action, at=at, actor_id="c", **data)
        except (TransitionError, ValidationError):
            assert not allowed
            continue
        assert allowed
        assert SERVICE_LIFECYCLE.replay(nxt.events) == nxt.state
        r = nxt
    assert (r.state in OPEN_STATES) == (
        r.state in {"submitted", "accepted", "in_progress", "awaiting_documents", "referred"}
    )
