"""Checks shared by the sections of the storage contract suite (契约测试公用检查).

Each runs one scenario that several sections need for their own records — a stale write
refused, a case taken through its lifecycle and read back — so that a section states only what
differs (which record, which change, which steps).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import pytest

from minzu_core.errors import ConcurrencyError
from minzu_core.repository import CaseRecord
from minzu_core.store.factory import Store
from minzu_core.store.uow import UnitOfWork
from minzu_core.testing.samples import ADMIN

__all__ = ["CaseActions", "act_in_turn", "assert_stale_write_refused"]

R = TypeVar("R")
K = TypeVar("K", bound=CaseRecord)
K_co = TypeVar("K_co", bound=CaseRecord, covariant=True)


def assert_stale_write_refused(
    store: Store,
    read: Callable[[UnitOfWork], R],
    first: Callable[[UnitOfWork, R], object],
    second: Callable[[UnitOfWork, R], object],
) -> None:
    """Two units of work read the same record with ``read``; the first writes its copy
    (``first``) and commits; then the second's write of its now stale copy (``second``, then a
    commit) must raise :class:`~minzu_core.errors.ConcurrencyError`."""
    with store.unit_of_work(ADMIN) as one, store.unit_of_work(ADMIN) as two:
        mine, theirs = read(one), read(two)
        first(one, mine)
        one.commit()
        with pytest.raises(ConcurrencyError):
            second(two, theirs)
            two.commit()


class CaseActions(Protocol[K_co]):
    """A repository of cases with a lifecycle (service requests, disputes)."""

    def act(self, *args: Any, **kwargs: Any) -> K_co:
        """The case after an action: ``act(case, action, *, at, note, **data)``."""
        ...

    def get(self, case_id: uuid.UUID, /) -> K_co:
        """The stored case."""
        ...


def act_in_turn(
    store: Store,
    repository: Callable[[UnitOfWork], CaseActions[K]],
    case: K,
    steps: Sequence[tuple[str, Mapping[str, object]]],
    *,
    start: datetime,
    every: timedelta,
) -> K:
    """Take ``steps`` (action, data) on ``case`` in one unit of work — step *n* at ``start + n ×
    every`` with the note ``第n步`` — and commit; return the case read back in a new unit of
    work, after asserting that it equals the case the last action returned."""
    with store.unit_of_work(ADMIN) as uow:
        for n, (action, data) in enumerate(steps, start=1):
            case = repository(uow).act(case, action, at=start + n * every, note=f"第{n}步", **data)
        uow.commit()
    with store.unit_of_work(ADMIN) as uow:
        loaded = repository(uow).get(case.id)
    assert loaded == case
    return loaded
