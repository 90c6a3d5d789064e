"""The ``minzu`` command (命令行).

``minzu_core.cli:main`` is the console-script entry point; :data:`app` is the Typer
application (for ``typer.testing.CliRunner``).
"""

from __future__ import annotations

from minzu_core.cli.app import app, main

__all__ = ["app", "main"]
