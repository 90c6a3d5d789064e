"""``minzu ledger``: the 台账 ledger files.

* ``minzu ledger template --format xlsx|csv --output FILE [--force]`` — write the blank template
  (:func:`minzu_core.interchange.template.write_template`): Chinese and English header rows,
  drop-down lists and the 说明 sheet for XLSX, UTF-8 with BOM for CSV. Without ``--format`` the
  format follows the file's suffix (``.csv`` → CSV, otherwise XLSX). An existing file is not
  overwritten without ``--force``.
* ``minzu ledger import FILE --store URL --unit CODE [--dry-run] [--errors FILE] [--reason TEXT]
  [--encoding NAME] [--format text|json]`` — import a ledger file
  (:func:`minzu_core.interchange.importer.import_ledger`) as the system actor
  ``minzu-cli-import`` for the purpose 台账管理, with a progress bar on the terminal; prints the
  summary (``--format json``: one JSON object with the integer keys ``read``, ``created``,
  ``updated``, ``unchanged``, ``rejected``, ``held``).

Errors are one line with a stable code and exit status 2 (:func:`~minzu_core.cli.common.friendly`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from minzu_core.cli.common import StoreOption, err_console, friendly, out_console

__all__ = ["ledger_app"]

ledger_app = typer.Typer(
    help="台账 The ledger (少数民族居民和流动人员台账): the ledger file's template and its import.",
    no_args_is_help=True,
)


@ledger_app.command("template")
@friendly
def template(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file to write (.xlsx or .csv).")
    ],
    format: Annotated[
        str | None,
        typer.Option("--format", help="xlsx or csv (default: from the file's suffix)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the blank ledger template (台账模板) with Chinese and English headers."""
    from minzu_core.interchange.template import write_template

    chosen = format or ("csv" if output.suffix.lower() == ".csv" else "xlsx")
    written = write_template(output, format=chosen.lower(), overwrite=force)
    out_console.print(
        f"已写入台账模板 template written ({chosen.lower()}): {written}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@ledger_app.command("import")
@friendly
def import_(
    file: Annotated[Path, typer.Argument(help="The ledger file (.xlsx or .csv).")],
    store: StoreOption,
    unit: Annotated[str, typer.Option("--unit", help="The unit the file belongs to (code).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report the summary, store nothing.")
    ] = False,
    errors: Annotated[
        Path | None,
        typer.Option("--errors", help="Write the rejected and held rows to this CSV file."),
    ] = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Recorded on every change.")
    ] = "台账导入 ledger import",
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="The CSV's encoding (default: UTF-8, else GB18030)."),
    ] = None,
    format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Import a ledger file (台账导入): every row created, updated, unchanged, rejected or held."""
    from minzu_core.errors import ValidationError
    from minzu_core.interchange.importer import import_ledger
    from minzu_core.privacy.actor import Actor
    from minzu_core.store.factory import open_store

    if format not in ("text", "json"):
        raise ValidationError(
            "--format 须为 text 或 json",
            "--format must be text or json",
            code="invalid_format",
            field="format",
        )
    with (
        open_store(store) as opened,
        Progress(
            SpinnerColumn(),
            TextColumn("台账导入 import: {task.completed} 行 rows"),
            console=err_console,
            transient=True,
            disable=not err_console.is_terminal,
        ) as bar,
    ):
        task = bar.add_task("import", total=None)
        summary = import_ledger(
            opened,
            file,
            actor=Actor.system("minzu-cli-import"),
            unit=unit,
            reason=reason,
            dry_run=dry_run,
            errors_path=errors,
            encoding=encoding,
            progress=lambda done: bar.update(task, completed=done),
        )
    if format == "json":
        out_console.print_json(json.dumps(summary.to_dict()))
        return
    labels = (
        ("read", "读取"),
        ("created", "新增"),
        ("updated", "更新"),
        ("unchanged", "未变"),
        ("rejected", "拒绝"),
        ("held", "待确认"),
    )
    counts = summary.to_dict()
    line = ", ".join(f"{zh} {en} {counts[en]}" for en, zh in labels)
    prefix = "试运行 dry run, nothing stored: " if dry_run else ""
    out_console.print(f"{prefix}{line}", markup=False, highlight=False, soft_wrap=True)
    if errors is not None and (summary.rejected or summary.held):
        out_console.print(
            f"错误文件 error file: {errors}", markup=False, highlight=False, soft_wrap=True
        )
