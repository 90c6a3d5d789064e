"""``minzu person`` and ``minzu retention``: the rights of the person (PIPL Art. 45, 47).

* ``minzu person export ID --store URL [--output FILE]`` — everything the store holds about
  one person as one JSON document (to standard output, or to ``FILE``); the export is audited;
* ``minzu person erase ID --store URL --reason TEXT`` — anonymise the person in place (see
  :mod:`minzu_core.store.rights`); audited; erasing an erased person changes nothing;
* ``minzu retention apply --store URL [--dry-run] [--years N]`` — list (``--dry-run``) or erase
  the floating persons who left more than ``N`` years ago (default 3), each in its own
  transaction: an interrupted run is finished by running it again.

The commands run as an unrestricted system actor (``minzu-cli-rights``), the one who holds the
store's URL; field keys come from ``MINZU_FIELD_KEYS`` (as for ``minzu audit``). Errors are one
line with a stable code and exit status 2; nothing printed holds personal data except the
export document itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from minzu_core.cli.common import StoreOption, err_console, friendly, out_console

__all__ = ["person_app", "retention_app"]

person_app = typer.Typer(
    help="个人权利 The person's rights: export everything held about a person, erase a person.",
    no_args_is_help=True,
)
retention_app = typer.Typer(
    help="保存期限 Retention: anonymise floating persons who left long ago.",
    no_args_is_help=True,
)

_PURPOSE = "data_subject_request"


def _open(store: str) -> Any:
    from minzu_core.privacy.keys import StaticKeyProvider
    from minzu_core.store.factory import open_store

    keys = StaticKeyProvider.from_environ() if os.environ.get("MINZU_FIELD_KEYS") else None
    return open_store(store, keys=keys)


def _actor() -> Any:
    from minzu_core.privacy.actor import Actor

    return Actor.system("minzu-cli-rights")


@person_app.command("export")
@friendly
def person_export(
    person_id: Annotated[str, typer.Argument(metavar="ID", help="The person's id (UUID).")],
    store: StoreOption,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON document here.")
    ] = None,
) -> None:
    """Export everything held about one person as JSON (PIPL Art. 45; audited)."""
    from minzu_core.store.rights import export_person

    opened = _open(store)
    try:
        with opened.unit_of_work(_actor(), purpose=_PURPOSE, reason="个人信息导出 export") as uow:
            document = export_person(uow, person_id)
    finally:
        opened.close()
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
    if output is None:
        typer.echo(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    err_console.print(f"已导出 exported: {output}", markup=False, highlight=False)


@person_app.command("erase")
@friendly
def person_erase(
    person_id: Annotated[str, typer.Argument(metavar="ID", help="The person's id (UUID).")],
    store: StoreOption,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded; no personal data).")],
) -> None:
    """Erase (anonymise) one person, their history and the free texts about them (Art. 47)."""
    from minzu_core.store.rights import erase_person

    opened = _open(store)
    try:
        with opened.unit_of_work(_actor(), purpose=_PURPOSE) as uow:
            report = erase_person(uow, person_id, reason=reason)
            uow.commit()
    finally:
        opened.close()
    if report.already_erased:
        out_console.print(
            f"已删除过, 未作更改 already erased, nothing changed: {report.person_id}",
            markup=False,
            highlight=False,
        )
        return
    out_console.print(
        f"已删除 erased: {report.person_id} — 记录 records {report.records}, "
        f"历史 history {report.history_records}, 服务事项 requests {report.service_requests}, "
        f"纠纷 disputes {report.disputes}",
        markup=False,
        highlight=False,
    )


@retention_app.command("apply")
@friendly
def retention_apply(
    store: StoreOption,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the persons due; change nothing.")
    ] = False,
    years: Annotated[
        int | None,
        typer.Option("--years", help="Retention of floating persons who left (default 3).", min=1),
    ] = None,
) -> None:
    """Anonymise floating persons whose last residence ended more than N years ago."""
    from minzu_core.store.rights import RetentionPolicy, apply_retention

    policy = RetentionPolicy() if years is None else RetentionPolicy(floating_years=years)
    opened = _open(store)
    try:
        report = apply_retention(opened, policy, _actor(), dry_run=dry_run)
    finally:
        opened.close()
    for candidate in report.candidates:
        out_console.print(
            f"{candidate.person_id}  {candidate.unit_code}  离开 left {candidate.departure}",
            markup=False,
            highlight=False,
        )
    head = f"保存期限 {policy.floating_years} 年, 截止 cutoff {report.cutoff}"
    if report.dry_run:
        out_console.print(
            f"{head}: 到期 due {len(report.candidates)}"
            " (试运行, 未作更改 dry run, nothing changed)",
            markup=False,
            highlight=False,
        )
        return
    out_console.print(
        f"{head}: 已删除 erased {len(report.erased)}, 跳过 skipped {report.skipped}",
        markup=False,
        highlight=False,
    )
