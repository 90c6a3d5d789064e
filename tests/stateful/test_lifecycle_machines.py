"""The lifecycle machines of :mod:`minzu_core.testing.stateful` — service requests
(:class:`~minzu_core.testing.stateful.ServiceRequestsAgree`) and disputes
(:class:`~minzu_core.testing.stateful.DisputesAgree`) — on the memory store against SQLite,
PostgreSQL and MariaDB (a fresh schema/database per example).

``MINZU_STATEFUL_EXAMPLES`` sets the examples per machine on SQLite (default 25); the server
machines run a third of them (at least 5).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine

from conftest import ServerCandidate
from minzu_core.testing.stateful import DisputesAgree, ServiceRequestsAgree

_SETTINGS = settings(
    max_examples=int(os.environ.get("MINZU_STATEFUL_EXAMPLES", "25")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_SERVER_SETTINGS = settings(_SETTINGS, max_examples=max(_SETTINGS.max_examples // 3, 5))


def _test_cases(machine: type[RuleBasedStateMachine]) -> tuple[Any, Any, Any]:
    """The machine's TestCase on SQLite, PostgreSQL and MariaDB."""
    cases = []
    for backend, label, chosen in (
        (None, "", _SETTINGS),
        ("postgresql", "Postgres", _SERVER_SETTINGS),
        ("mysql", "MariaDb", _SERVER_SETTINGS),
    ):
        cls = machine
        if backend is not None:
            cls = type(
                f"{machine.__name__}{label}", (ServerCandidate, machine), {"BACKEND": backend}
            )
        case = cls.TestCase
        case.settings = chosen
        cases.append(case)
    return cases[0], cases[1], cases[2]


TestServiceRequestsAgree, TestServiceRequestsAgreePostgres, TestServiceRequestsAgreeMariaDb = (
    _test_cases(ServiceRequestsAgree)
)
TestDisputesAgree, TestDisputesAgreePostgres, TestDisputesAgreeMariaDb = _test_cases(DisputesAgree)


def test_report_steps() -> None:
    """Runs after the machines (file order) and prints how many steps they executed."""
    for machine in (ServiceRequestsAgree, DisputesAgree):
        steps = sum(n for name, n in machine.steps.items() if name.startswith(machine.__name__))
        print(f"\n{machine.__name__} stateful steps executed: {steps}")
