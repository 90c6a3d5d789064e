"""``minzu audit``: check the audit chain of a store and list its entries (审计日志).

``minzu audit verify --store URL`` checks the whole chain and exits 1 naming the first entry
altered, removed or inserted (0 when intact); ``minzu audit list --store URL --person ID``
lists who read or changed a person's data (PIPL Art. 45), also by ``--actor`` and period. The
audit key (if the chain is keyed) comes from ``MINZU_AUDIT_KEY`` with the other keys
(:meth:`~minzu_core.privacy.StaticKeyProvider.from_environ`), when ``MINZU_FIELD_KEYS`` is set.
"""

from __future__ import annotations

import os
from datetime import datetime, time
from typing import Annotated, Any

import typer
from rich.table import Table

from minzu_core.cli.common import StoreOption, err_console, friendly, out_console

__all__ = ["audit_app"]

audit_app = typer.Typer(
    help="审计日志 Audit trail: verify the hash chain, list who saw a person's data.",
    no_args_is_help=True,
)


def _open(store: str) -> Any:
    from minzu_core.privacy.keys import StaticKeyProvider
    from minzu_core.store.factory import open_store

    keys = StaticKeyProvider.from_environ() if os.environ.get("MINZU_FIELD_KEYS") else None
    return open_store(store, keys=keys)


@audit_app.command("verify")
@friendly
def audit_verify(
    store: StoreOption,
    head: Annotated[
        str | None,
        typer.Option(help="The hash of the last entry as kept outside the store (optional)."),
    ] = None,
) -> None:
    """Check the whole audit chain; exit 1 naming the first problem, 0 when intact."""
    opened = _open(store)
    try:
        problems = opened.verify_audit(head=head)
        with opened.unit_of_work(_system()) as uow:
            last = uow.audit.last()
    finally:
        opened.close()
    if not problems:
        count = 0 if last is None else last.seq
        out_console.print(f"审计链完整 audit chain intact: {count} entries", markup=False)
        return
    for problem in problems:
        err_console.print(f"{problem.message_zh} | {problem.message_en}", markup=False)
    raise typer.Exit(1)


def _system() -> Any:
    from minzu_core.privacy.actor import Actor

    return Actor.system("minzu-cli-audit")


def _day_start(value: datetime | None) -> datetime | None:
    from minzu_core.clock import CST

    if value is None:
        return None
    return value if value.tzinfo is not None else datetime.combine(value.date(), time(), CST)


@audit_app.command("list")
@friendly
def audit_list(
    store: StoreOption,
    person: Annotated[str | None, typer.Option(help="Entries about this person (id).")] = None,
    actor: Annotated[str | None, typer.Option(help="Entries made by this actor (id).")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="From this day (China Standard Time).")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(help="Before this day (China Standard Time).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries.", min=1)] = 100,
) -> None:
    """List audit entries (no personal data: ids, operations, field groups, purposes)."""
    opened = _open(store)
    try:
        with opened.unit_of_work(_system()) as uow:
            entries = uow.audit.entries(
                person_id=person,
                actor_id=actor,
                start=_day_start(since),
                end=_day_start(until),
                limit=limit,
            )
    finally:
        opened.close()
    table = Table(
        "seq",
        "时间 at",
        "操作人 actor",
        "操作 operation",
        "对象 entity",
        "字段组 groups",
        "目的 purpose",
    )
    for entry in entries:
        table.add_row(
            str(entry.seq),
            entry.at.isoformat(timespec="seconds"),
            entry.actor_id,
            f"{entry.operation.label_zh} {entry.operation.value}",
            f"{entry.entity_type}:{entry.entity_id}",
            ",".join(sorted(g.value for g in entry.field_groups)) or "-",
            entry.purpose or "-",
        )
    out_console.print(table)
    out_console.print(f"{len(entries)} entries", markup=False)
