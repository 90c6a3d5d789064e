"""The public fuzz suite's strategies without a store (the quick loop), and the raw exceptions it
found in reads and writes (issue 18), each pinned as the typed error that replaced it, on the
memory store and SQLite."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given

from minzu_core.errors import MinzuError, ValidationError
from minzu_core.indicators.engine import compute
from minzu_core.store.factory import Store
from minzu_core.store.uow import UnitOfWork
from minzu_core.testing.fuzz import CONSTRUCTORS, Refs, constructor_calls
from minzu_core.testing.samples import ADMIN, COMMUNITY_A


@given(constructor_calls())
def test_constructors_refuse_garbage_only_with_typed_errors(
    call: tuple[str, Callable[..., Any], dict[str, Any]],
) -> None:
    _, constructor, kwargs = call
    with contextlib.suppress(MinzuError):  # anything else fails the test
        constructor(**kwargs)


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_the_valid_arguments_are_valid(name: str) -> None:
    constructor, valid = CONSTRUCTORS[name]
    constructor(**valid(Refs()))


#: A call the fuzz suite found raising a raw exception, and the (code, field) it now raises.
REFUSED: list[tuple[str, Callable[[UnitOfWork], Any], tuple[str, str]]] = [
    # a value that is not a record, where a record belongs (AttributeError, KeyError before)
    ("add a text", lambda u: u.people.add("x", reason="r"), ("invalid_type", "person")),
    ("save None", lambda u: u.units.save(None, reason="r"), ("invalid_type", "unit")),
    ("act on a float", lambda u: u.services.act(1.5, "accept"), ("invalid_type", "request")),
    ("org history of a date", lambda u: u.org.history(5), ("invalid_type", "record")),
    ("coverage policy", lambda u: u.org.coverage(policy="p"), ("invalid_type", "policy")),
    ("duplicates of None", lambda u: u.people.likely_duplicates(None), ("invalid_type", "person")),
    # filters of the wrong type (TypeError in the stores, SQLAlchemy errors on SQL, before)
    ("limit text", lambda u: u.people.list(limit="x"), ("invalid_count", "limit")),
    ("negative offset", lambda u: u.people.list(offset=-1), ("negative_count", "offset")),
    ("states int", lambda u: u.services.list(states=5), ("invalid_type", "states")),
    (
        "received_from date",
        lambda u: u.services.count(received_from=5),
        ("invalid_type", "received_from"),
    ),
    (
        "naive as_of",
        lambda u: u.services.overdue(datetime(2019, 1, 1)),
        ("naive_datetime", "as_of"),
    ),
    ("unknown filter", lambda u: u.disputes.list(bogus=1), ("unknown_filter", "bogus")),
    (
        "states of open_disputes",
        lambda u: u.disputes.open_disputes(states={"x"}),
        ("fixed_filter", "states"),
    ),
    ("mass text", lambda u: u.disputes.count(mass="yes"), ("invalid_type", "mass")),
    (
        "valid_from text",
        lambda u: u.units.history(COMMUNITY_A, "x"),
        ("invalid_date", "valid_from"),
    ),
    ("role list", lambda u: u.org.appointments(role=["x"]), ("invalid_type", "role")),
    ("open_on text", lambda u: u.services.windows(open_on="soon"), ("invalid_date", "open_on")),
    ("activity type", lambda u: u.activities.count(type=3), ("invalid_type", "type")),
]


@pytest.mark.parametrize(
    ("call", "expected"), [(c, e) for _, c, e in REFUSED], ids=[n for n, _, _ in REFUSED]
)
def test_what_the_fuzz_suite_found_is_a_typed_error(
    sample_store: Store, call: Callable[[UnitOfWork], Any], expected: tuple[str, str]
) -> None:
    with sample_store.unit_of_work(ADMIN) as uow, pytest.raises(ValidationError) as err:
        call(uow)
    assert (err.value.code, err.value.field) == expected


def test_year_one_is_a_period_on_every_store(sample_store: Store) -> None:
    # SQL stores raised StatementError(OverflowError): 0001-01-01 00:00 CST is before the
    # earliest UTC datetime.
    with sample_store.unit_of_work(ADMIN) as uow:
        table = compute(uow, period="0001", unit="360103", by="township")
    assert table.rows


@pytest.mark.parametrize(
    ("data", "field"),
    [({"x": b"1"}, "data.x"), ({"x": [1, {2: 3}]}, "data.x[1]"), ({"x": float("nan")}, "data.x")],
)
def test_action_data_no_store_keeps_as_json_is_refused(data: dict[str, Any], field: str) -> None:
    # SQLite raised StatementError(TypeError: bytes is not JSON serializable); memory kept it.
    from minzu_core.clock import CST
    from minzu_core.lifecycle import Event

    with pytest.raises(ValidationError) as err:
        Event("accept", datetime(2019, 6, 3, tzinfo=CST), "a", data=data)
    assert (err.value.code, err.value.field) == ("invalid_data", field)
