"""``minzu keys`` (密钥): key rotation of a store that encrypts at rest.

``minzu keys rotate --store URL [--batch N]`` re-encrypts every value that is not under the
current key (and encrypts values stored in the clear before the store had keys), in batches,
each its own transaction, with a progress bar. It is resumable: a rerun only touches what is
still under another key. The keys come from the environment
(:meth:`~minzu_core.privacy.keys.StaticKeyProvider.from_environ`: ``MINZU_FIELD_KEYS`` — the
first key is the current one —, ``MINZU_BLIND_INDEX_KEY``, optionally ``MINZU_AUDIT_KEY``).
Keep the old keys in ``MINZU_FIELD_KEYS`` until the rotation has finished.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from minzu_core.errors import MinzuError, StoreError, ValidationError
from minzu_core.store.factory import Store

__all__ = ["keys_app", "rotate_keys"]

keys_app = typer.Typer(
    help="密钥 Keys: rotation of the field keys of a store that encrypts at rest.",
    no_args_is_help=True,
)

_out = Console()
_err = Console(stderr=True)


@keys_app.callback()
def _keys() -> None:
    """密钥 Keys: rotation of the field keys of a store that encrypts at rest."""


def rotate_keys(
    store: Store, *, batch: int = 1000, progress: Callable[[int, int], None] | None = None
) -> int:
    """Re-encrypt the values of ``store`` that are not under its key provider's current key,
    ``batch`` rows a transaction; returns the rows rewritten. ``progress(done, total)`` is
    called after each batch. Resumable: run it again after an interruption.

    Raises ``StoreError(code="rotation_unsupported")`` if the store's backend does not encrypt
    at rest, ``StoreError(code="keys_required")`` if it was opened without keys.
    """
    if isinstance(batch, bool) or not isinstance(batch, int) or batch <= 0:
        raise ValidationError(
            "批量须为正整数", "the batch size must be a positive integer", field="batch"
        )
    rotate = getattr(store.backend, "rotate_keys", None)
    if not callable(rotate):
        raise StoreError(
            "该存储不支持静态加密",
            "this store does not encrypt at rest",
            code="rotation_unsupported",
        )
    done = rotate(batch=batch, progress=progress)
    assert isinstance(done, int)
    return done


@keys_app.command("rotate")
def rotate(
    store: Annotated[str, typer.Option("--store", help="SQL store URL, e.g. sqlite:///minzu.db")],
    batch: Annotated[int, typer.Option("--batch", min=1, help="Rows per transaction.")] = 1000,
    prefix: Annotated[str, typer.Option("--prefix", help="Table-name prefix.")] = "minzu_",
    schema: Annotated[
        str | None, typer.Option("--schema", help="Database schema (default: the connection's).")
    ] = None,
    encrypt_names: Annotated[
        bool, typer.Option("--encrypt-names", help="The store also encrypts names.")
    ] = False,
) -> None:
    """Re-encrypt every value under the current key (the first of MINZU_FIELD_KEYS)."""
    from minzu_core.privacy.keys import StaticKeyProvider
    from minzu_core.store.factory import open_store

    try:
        keys = StaticKeyProvider.from_environ()
        options: dict[str, Any] = {"prefix": prefix, "encrypt_names": encrypt_names}
        if schema is not None:
            options["schema"] = schema
        with (
            open_store(store, keys=keys, **options) as opened,
            Progress(
                TextColumn("重新加密 re-encrypting"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=_err,
                transient=True,
                disable=not _err.is_terminal,
            ) as bar,
        ):
            task = bar.add_task("rotate", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            rewritten = rotate_keys(opened, batch=batch, progress=advance)
    except MinzuError as exc:
        _err.print(f"错误 error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    _out.print(
        f"{rewritten} rows re-encrypted under key {keys.current_key_id()}",
        markup=False,
        highlight=False,
    )
