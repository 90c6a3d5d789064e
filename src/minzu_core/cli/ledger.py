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
* ``minzu ledger export --store URL --unit CODE --output FILE [--format xlsx|csv]
  [--as-of DATE] [--purpose TEXT] [--masked] [--reason TEXT] [--force]`` — export the ledger of
  a unit in the template's columns (:func:`minzu_core.interchange.exporter.export_ledger`). The
  operator is the system actor ``minzu-cli-export`` and the purpose 台账管理 unless
  ``--purpose`` says otherwise, so a plain export is in clear and its reads are audited;
  ``--masked`` exports as a roleless actor scoped to the unit sees it (every personal field
  masked). Without ``--format`` the format follows the file's suffix; an existing file is not
  overwritten without ``--force``.

Errors are one line with a stable code and exit status 2 (:func:`~minzu_core.cli.common.friendly`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from minzu_core.cli.common import (
    ReportFormatOption,
    StoreOption,
    check_report_format,
    err_console,
    friendly,
    out_console,
)

__all__ = ["ledger_app"]

ledger_app = typer.Typer(
    help="台账 The ledger (少数民族居民和流动人员台账): the ledger file's template, import, "
    "export.",
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
    format: ReportFormatOption = "text",
) -> None:
    """Import a ledger file (台账导入): every row created, updated, unchanged, rejected or held."""
    from minzu_core.interchange.importer import import_ledger
    from minzu_core.privacy.actor import Actor
    from minzu_core.store.factory import open_store

    check_report_format(format)
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


@ledger_app.command("export")
@friendly
def export(
    store: StoreOption,
    unit: Annotated[str, typer.Option("--unit", help="The unit to export (code).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file to write (.xlsx or .csv).")
    ],
    format: Annotated[
        str | None,
        typer.Option("--format", help="xlsx or csv (default: from the file's suffix)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The persons present on this day (YYYY-MM-DD)."),
    ] = None,
    purpose: Annotated[
        str, typer.Option("--purpose", help="The purpose of processing declared.")
    ] = "台账管理",
    masked: Annotated[
        bool,
        typer.Option("--masked", help="Export as a roleless actor of the unit sees it (masked)."),
    ] = False,
    reason: Annotated[
        str, typer.Option("--reason", help="Recorded on the audit entries of the reads.")
    ] = "台账导出 ledger export",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Export the ledger of a unit (台账导出) in the template's columns, audited."""
    from minzu_core.fields import as_date
    from minzu_core.interchange.exporter import export_ledger
    from minzu_core.privacy.actor import Actor
    from minzu_core.store.factory import open_store

    chosen = (format or ("csv" if output.suffix.lower() == ".csv" else "xlsx")).lower()
    day = None if as_of is None else as_date(as_of, "as_of")
    with open_store(store) as opened:
        code = _unit_code(unit)
        actor = (
            Actor.for_units("minzu-cli-export", code)
            if masked
            else Actor.system("minzu-cli-export")
        )
        with opened.unit_of_work(actor, purpose=purpose, reason=reason) as uow:
            summary = export_ledger(
                uow, output, unit=code, as_of=day, format=chosen, overwrite=force
            )
            uow.commit()
    kind = "脱敏 masked" if summary.masked_rows else "明文 in clear"
    out_console.print(
        f"已导出台账 ledger exported ({chosen}, {kind}): {summary.rows} 行 rows → {summary.path}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _unit_code(text: str) -> str:
    """The unit's code as given (checked: ``ValidationError`` for a malformed code)."""
    from minzu_core.codes.divisions import DivisionCode

    return DivisionCode.parse(text, field="unit").value
