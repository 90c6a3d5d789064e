"""``minzu ledger``: the 台账 ledger files.

* ``minzu ledger template --format xlsx|csv --output FILE [--force]`` — write the blank template
  (:func:`minzu_core.interchange.template.write_template`): Chinese and English header rows,
  drop-down lists and the 说明 sheet for XLSX, UTF-8 with BOM for CSV. Without ``--format`` the
  format follows the file's suffix (``.csv`` → CSV, otherwise XLSX). An existing file is not
  overwritten without ``--force``.

Errors are one line with a stable code and exit status 2 (:func:`~minzu_core.cli.common.friendly`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from minzu_core.cli.common import friendly, out_console

__all__ = ["ledger_app"]

ledger_app = typer.Typer(
    help="台账 The ledger (少数民族居民和流动人员台账): the template of the ledger file.",
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
