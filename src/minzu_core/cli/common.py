"""What every command module of the ``minzu`` command shares: the consoles, the common options
and :func:`friendly` (a library error becomes one line and exit status 2)."""

from __future__ import annotations

from functools import wraps
from typing import Annotated, Any

import typer
from rich.console import Console

from minzu_core.errors import MinzuError, ValidationError

__all__ = [
    "PrefixOption",
    "ReportFormatOption",
    "SchemaOption",
    "SqlStoreOption",
    "StoreOption",
    "check_report_format",
    "err_console",
    "friendly",
    "out_console",
]

out_console = Console()
if not out_console.is_terminal:  # files and pipes: wide enough for the report tables
    out_console = Console(width=160)
err_console = Console(stderr=True)

StoreOption = Annotated[str, typer.Option("--store", help="Store URL, e.g. sqlite:///minzu.db")]
SqlStoreOption = Annotated[
    str, typer.Option("--store", help="SQL store URL, e.g. postgresql+psycopg://host/db")
]
PrefixOption = Annotated[str, typer.Option("--prefix", help="Table-name prefix.")]
SchemaOption = Annotated[
    str | None, typer.Option("--schema", help="Database schema (default: the connection's).")
]


def friendly(func: Any) -> Any:
    """Turn a MinzuError into a one-line message and exit status 2 (no traceback)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MinzuError as exc:
            err_console.print(f"错误 error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


ReportFormatOption = Annotated[str, typer.Option("--format", help="text or json.")]


def check_report_format(value: str) -> None:
    """``ValidationError(code="invalid_format")`` unless a summary's ``--format`` is ``text``
    or ``json``."""
    if value not in ("text", "json"):
        raise ValidationError(
            "--format 须为 text 或 json",
            "--format must be text or json",
            code="invalid_format",
            field="format",
        )
