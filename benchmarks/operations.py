"""The operations benchmark (issue 16, part 3): the per-request operations of a web application,
timed at several ledger sizes, each expected to stay within 2× of its figure at 10,000 persons.

    .venv/bin/python benchmarks/operations.py [--sizes 10000 100000] [--ops 100] [--warmup 10]
        [--store URL] [--seed 2019] [--explain] [--plot PATH] [--json]

For each size the store holds a synthetic province (:func:`minzu_core.demo.province.
generate_province`: that many persons and service requests, a fifth as many disputes), generated
once and cached:

* SQLite (the default): the files ``/tmp/minzu-operations-<persons>-<seed>.db``;
* PostgreSQL (``--store postgresql+psycopg://user@host/db``): one schema per size,
  ``minzu_ops_<persons>_<seed>``, created and filled on first use (drop it to start afresh).

The benchmark writes (it accepts service requests and adds persons), so its stores are its own:
do not point it at the indicator benchmark's files. Each operation runs ``--ops`` times (after
``--warmup`` untimed runs) on inputs drawn at random from the store, each in its own unit of work
as a web request would, the sizes taking turns in rounds of :data:`ROUND` so that a slow spell
of a shared machine hits them alike; the median counts:

* **lookup** — ``uow.people.find_by_id_number(number)``;
* **get** — ``uow.people.get(id)``;
* **page** — ``uow.people.list(within=community, limit=20)``;
* **count** — ``uow.people.count(within=community)`` (both over the communities whose number of
  current residents is closest to a page, the same population at every size);
* **subtree** — ``uow.units.subtree(township)``;
* **action** — ``uow.services.act(request, "accept")`` and ``uow.commit()``;
* **new person** — ``uow.people.add(person)`` and ``uow.commit()``.

The table gives the median in milliseconds at each size and its ratio to the smallest size
(target: at most 2). ``--explain`` prints the database's plan of the page and count statements;
``--plot PATH`` saves a log-log plot (needs matplotlib); ``--json`` prints the figures as one JSON
object on stdout (the readable lines then go to stderr). Nothing here is part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from minzu_core import Actor, Store, open_store
from minzu_core.codes.divisions import Level
from minzu_core.codes.resident_id import make_resident_id
from minzu_core.errors import DuplicateError
from minzu_core.ledger.model import Person, Residence, ResidenceStatus
from minzu_core.services.model import ServiceRequest
from minzu_core.store.uow import UnitOfWork

ACTOR = Actor.system("benchmark")
PAGE = 20
#: The operations, in the order of the table.
OPERATIONS = ("lookup", "get", "page", "count", "subtree", "action", "new person")
#: Timed operations per size in one round (the sizes take turns).
ROUND = 10
#: The largest ratio to the smallest size an operation may show.
FLAT = 2.0

Operation = Callable[[UnitOfWork], object]


# -- stores ------------------------------------------------------------------------------------
def _sqlite_path(persons: int, seed: int) -> str:
    return f"/tmp/minzu-operations-{persons}-{seed}.db"


def _schema_name(persons: int, seed: int) -> str:
    return f"minzu_ops_{persons}_{seed}"


def _persons_in(store: Store) -> int:
    with store.unit_of_work(ACTOR) as uow:
        return uow.people.count()


def _generate(
    target: str, persons: int, seed: int, say: Callable[[str], None], **options: Any
) -> None:
    from minzu_core.demo.province import generate_province

    say(f"generating {persons:,} persons into {target} (cached for later runs) …")
    began = time.perf_counter()
    generate_province(
        target,
        persons=persons,
        requests=persons,
        disputes=persons // 5,
        seed=seed,
        **options,
    )
    say(f"  generated in {time.perf_counter() - began:.0f} s")


def open_sized(url: str | None, persons: int, seed: int, say: Callable[[str], None]) -> Store:
    """The store of ``persons`` synthetic persons (generated on first use)."""
    if url is None:
        path = _sqlite_path(persons, seed)
        if not Path(path).exists():
            _generate(path, persons, seed, say)
        return open_store(f"sqlite:///{path}")
    schema = _schema_name(persons, seed)
    engine = sa.create_engine(url, hide_parameters=True)
    try:
        exists = schema in sa.inspect(engine).get_schema_names()
    finally:
        engine.dispose()
    if not exists:
        _generate(url, persons, seed, say, schema=schema)
    return open_store(url, schema=schema)


def machine(store: Store) -> str:
    """The machine and database the figures come from."""
    backend = store.backend
    engine = getattr(backend, "engine", None)
    database = "SQLite " + sqlite3.sqlite_version
    if engine is not None and engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version()")).scalar()
        database = str(version).split(" on ")[0].split(",")[0]
    return (
        f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · {database}"
    )


# -- inputs ------------------------------------------------------------------------------------
class Inputs:
    """Random inputs of the operations, drawn from the store (``n`` of each)."""

    def __init__(self, store: Store, n: int, seed: int) -> None:
        rng = random.Random(seed)
        self.rng = rng
        with store.unit_of_work(ACTOR) as uow:
            townships = [u.code for u in uow.units.list(level=Level.TOWNSHIP)]
            persons: list[Person] = []
            while len(persons) < n:
                found = uow.people.list(within=rng.choice(townships), limit=3)
                persons.extend(found[: rng.randint(1, 3)])
            self.persons = persons[:n]
            self.townships = rng.sample(townships, min(n, len(townships)))
        self.id_numbers = [p.id_number for p in self.persons if p.id_number is not None]
        communities = self._communities(store, n, rng)
        self.communities = [code for code, _ in communities]
        #: The mean number of current residents of the communities listed and counted.
        self.residents = statistics.mean(count for _, count in communities)
        self.requests = self._submitted(store, n)

    @staticmethod
    def _communities(store: Store, n: int, rng: random.Random) -> list[tuple[str, int]]:
        """``n`` communities (code, current residents) in random order: those whose number of
        current residents is closest to a page, so that every size lists and counts
        communities of about the same population and the figures show how the cost follows
        the size of the ledger (a community's own population is the work of its count). Read
        with plain SQL: no operation of the library ranks communities by population."""
        r = store.backend.tables.residences  # type: ignore[attr-defined]
        residents = sa.func.count().label("residents")
        stmt = (
            sa.select(r.c.unit_code, residents)
            .where(r.c.departure.is_(None))
            .group_by(r.c.unit_code)
            .order_by(sa.func.abs(residents - PAGE), r.c.unit_code)
            .limit(n)
        )
        with store.backend.engine.connect() as conn:  # type: ignore[attr-defined]
            found = [(code, int(count)) for code, count in conn.execute(stmt)]
        rng.shuffle(found)
        return [found[i % len(found)] for i in range(n)]

    @staticmethod
    def _submitted(store: Store, n: int) -> list[uuid.UUID]:
        """``n`` requests just submitted (for ``accept``): copies of stored requests' window,
        applicant, category and time of receipt, so that the store never runs out of them."""
        with store.unit_of_work(ACTOR) as uow:
            models = uow.services.list(limit=n)
            submitted = []
            for model in models * (n // max(len(models), 1) + 1):
                request = ServiceRequest.submit(
                    uow.services.get_window(model.window_id),
                    applicant_id=model.applicant_id,
                    category=model.category,
                    received_at=model.received_at,
                    actor_id=ACTOR.id,
                )
                submitted.append(uow.services.submit(request).id)
                if len(submitted) == n:
                    break
            uow.commit()
        return submitted

    def new_person(self) -> Person:
        """A person not in the store (a fresh random ID number)."""
        rng = self.rng
        birth = date(1960, 1, 1) + (date(2005, 1, 1) - date(1960, 1, 1)) * rng.random()
        community = rng.choice(self.persons).residences[-1].unit_code
        return Person(
            name="基准测试",
            ethnicity="03",
            id_number=make_resident_id("522601", birth, rng.randrange(1000)),
            residences=(
                Residence(
                    unit_code=community, status=ResidenceStatus.FLOATING, arrival=date(2019, 6, 1)
                ),
            ),
        )


def _cycle(values: list[Any]) -> Iterator[Any]:
    while True:
        yield from values


def operations(inputs: Inputs) -> dict[str, Operation]:
    """The operations, each drawing its next input on every call."""
    numbers, ids = _cycle(inputs.id_numbers), _cycle([p.id for p in inputs.persons])
    communities, townships = _cycle(inputs.communities), _cycle(inputs.townships)
    requests = iter(inputs.requests)

    def action(uow: UnitOfWork) -> object:
        done = uow.services.act(next(requests), "accept")
        uow.commit()
        return done

    def new_person(uow: UnitOfWork) -> object:
        while True:
            try:
                added = uow.people.add(inputs.new_person(), reason="基准测试登记")
            except DuplicateError:
                continue  # the random ID number is taken: draw another
            uow.commit()
            return added

    return {
        "lookup": lambda uow: uow.people.find_by_id_number(next(numbers)),
        "get": lambda uow: uow.people.get(next(ids)),
        "page": lambda uow: uow.people.list(within=next(communities), limit=PAGE),
        "count": lambda uow: uow.people.count(within=next(communities)),
        "subtree": lambda uow: uow.units.subtree(next(townships)),
        "action": action,
        "new person": new_person,
    }


def _timed(store: Store, operation: Operation) -> float:
    """The time of one operation in its own unit of work, as a web request runs it."""
    began = time.perf_counter()
    with store.unit_of_work(ACTOR) as uow:
        operation(uow)
    return time.perf_counter() - began


def medians_ms(
    stores: dict[int, Store], chosen: dict[int, Operation], ops: int, warmup: int
) -> dict[int, float]:
    """The median time of one operation at each size, in milliseconds: ``warmup`` untimed runs
    on each store, then the ``ops`` timed ones interleaved in rounds of :data:`ROUND` per size,
    so that a slow spell of a shared machine hits every size alike."""
    times: dict[int, list[float]] = {size: [] for size in stores}
    for size, store in stores.items():
        for _ in range(warmup):
            _timed(store, chosen[size])
    for start in range(0, ops, ROUND):
        for size, store in stores.items():
            times[size].extend(_timed(store, chosen[size]) for _ in range(min(ROUND, ops - start)))
    return {size: statistics.median(values) * 1000 for size, values in times.items()}


# -- plans -------------------------------------------------------------------------------------
@contextmanager
def captured(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and parameters) the store's engine runs inside the block."""
    statements: list[tuple[str, Any]] = []
    engine = store.backend.engine  # type: ignore[attr-defined]

    def listen(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def explain(store: Store, community: str) -> dict[str, list[str]]:
    """The database's plan of the page and count statements of ``community``."""
    engine = store.backend.engine  # type: ignore[attr-defined]
    sqlite = engine.dialect.name == "sqlite"
    plans: dict[str, list[str]] = {}
    calls: dict[str, Operation] = {
        "page": lambda uow: uow.people.list(within=community, limit=PAGE),
        "count": lambda uow: uow.people.count(within=community),
    }
    for name, call in calls.items():
        with store.unit_of_work(ACTOR) as uow:
            uow.units.find("360000")  # open the transaction (search_path etc.) first
            with captured(store) as statements:
                call(uow)
        statement, parameters = statements[-1]
        with engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()
            if sqlite:
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                plans[name] = [row[3] for row in cursor.fetchall()]
            else:
                schema = store.backend.schema  # type: ignore[attr-defined]
                if schema:
                    cursor.execute(f'SET search_path TO "{schema}"')
                cursor.execute("EXPLAIN ANALYZE " + statement, parameters)
                plans[name] = [row[0] for row in cursor.fetchall()]
    return plans


# -- report ------------------------------------------------------------------------------------
def _short(persons: int) -> str:
    """``10000`` → ``10k``, ``1000000`` → ``1M``."""
    for unit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if persons >= unit and persons % unit == 0:
            return f"{persons // unit}{suffix}"
    return f"{persons:,}"


def table(figures: dict[int, dict[str, float]], residents: dict[int, float]) -> list[str]:
    """The printed table: median ms per operation at each size, and the ratio to the smallest;
    last, the mean population of the communities listed and counted."""
    sizes = sorted(figures)
    base = sizes[0]
    head = f"{'persons':<12}" + "".join(f"{_short(s):>10}" for s in sizes)
    head += "".join(f"{_short(s) + '÷' + _short(base):>12}" for s in sizes[1:])
    lines = [head + "   (median ms per operation)"]
    for name in OPERATIONS:
        row = f"{name:<12}" + "".join(f"{figures[s][name]:10.2f}" for s in sizes)
        row += "".join(f"{figures[s][name] / figures[base][name]:12.2f}" for s in sizes[1:])
        lines.append(row)
    lines.append(f"{'residents':<12}" + "".join(f"{residents[s]:10.1f}" for s in sizes))
    return lines


def not_flat(figures: dict[int, dict[str, float]]) -> list[str]:
    """The operations more than :data:`FLAT` times slower at some size than at the smallest."""
    base = figures[min(figures)]
    return [
        name for name in OPERATIONS if any(f[name] > FLAT * base[name] for f in figures.values())
    ]


def plot(figures: dict[int, dict[str, float]], path: str, title: str) -> None:
    """A log-log plot of the medians against the number of persons."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(figures)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name in OPERATIONS:
        ax.plot(sizes, [figures[s][name] for s in sizes], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("persons in the ledger")
    ax.set_ylabel("median ms per operation")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 if an operation is not flat, 2 on bad arguments."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--ops", type=int, default=100, help="timed operations of each kind")
    parser.add_argument("--warmup", type=int, default=10, help="untimed operations before")
    parser.add_argument("--store", default=None, help="a PostgreSQL URL (default: SQLite files)")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--explain", action="store_true", help="print the page/count plans")
    parser.add_argument("--plot", default=None, help="save a log-log plot here (matplotlib)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.ops < 1 or args.warmup < 0 or min(args.sizes) < 1:
        parser.error("--ops and --sizes must be positive, --warmup not negative")
    out = sys.stderr if args.json else sys.stdout

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    sizes = sorted(set(args.sizes))
    stores: dict[int, Store] = {}
    figures: dict[int, dict[str, float]] = {size: {} for size in sizes}
    plans: dict[int, dict[str, list[str]]] = {}
    residents: dict[int, float] = {}
    where = ""
    try:
        chosen: dict[int, dict[str, Operation]] = {}
        for size in sizes:
            stores[size] = store = open_sized(args.store, size, args.seed, say)
            held = _persons_in(store)
            if held < size * 0.99:
                say(f"the store of {size:,} holds {held:,} active persons: regenerate it")
                return 2
            where = machine(store)
            say(f"{size:,} persons (the store holds {held:,} active) · {where}")
            inputs = Inputs(store, args.ops + args.warmup, args.seed)
            residents[size] = inputs.residents
            say(f"  communities of {inputs.residents:.1f} current residents on average")
            chosen[size] = operations(inputs)
            if args.explain:
                plans[size] = explain(store, inputs.communities[0])
                for name, lines in plans[size].items():
                    say(f"  plan of {name} (community {inputs.communities[0]}):")
                    for line in lines:
                        say(f"    {line}")
        for name in OPERATIONS:
            by_size = {size: chosen[size][name] for size in sizes}
            for size, ms in medians_ms(stores, by_size, args.ops, args.warmup).items():
                figures[size][name] = ms
            say(f"  {name:<12}" + "".join(f"{figures[s][name]:10.2f} ms" for s in sizes))
    finally:
        for store in stores.values():
            store.close()
    for line in table(figures, residents):
        say(line)
    slow = not_flat(figures)
    say(
        f"flat (each within {FLAT:g}× of {min(figures):,}): "
        + ("yes" if not slow else "NO: " + ", ".join(slow))
    )
    if args.plot:
        try:
            plot(figures, args.plot, where)
            say(f"plot saved to {args.plot}")
        except ImportError:
            say("--plot needs matplotlib (pip install matplotlib)")
    if args.json:
        print(
            json.dumps(
                {"machine": where, "figures": figures, "residents": residents, "plans": plans},
                indent=2,
            )
        )
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(main())
