"""The ledger machine (:class:`minzu_core.testing.stateful.LedgerAgree`): memory and SQLite give
identical results for the same random sequence of operations on persons."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from minzu_core.testing.stateful import LedgerAgree

TestLedgerAgree = LedgerAgree.TestCase
TestLedgerAgree.settings = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
