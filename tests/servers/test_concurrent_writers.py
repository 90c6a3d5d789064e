"""Concurrent writers on the real servers (issue 16 part 4, the integrity half; the speed is in
benchmarks/concurrency.py): 8 threads acting on the same few requests and disputes lose no
update and duplicate no event, and every refusal is a typed error."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import load_benchmark

concurrency = load_benchmark("concurrency")


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_eight_writers_lose_nothing(kind: str, fresh_database: Any) -> None:
    db = fresh_database(kind)
    result = concurrency.run(db.url, writers=8, seconds=2.0, cases=4, **db.options)
    assert result["other_errors"] == []
    assert result["committed"] > 0
    assert result["applied"] == result["committed"]
    # the cases are few, so the writers do collide, and the losers are told so
    assert result["stale_version"] + result["transition_refused"] > 0
