"""``minzu exchange``: the partner exchange package (流出地/流入地信息互通).

* ``minzu exchange pack --store URL --unit CODE --recipient CODE:NAME --purpose P
  --legal-basis TEXT --key-file F --output FILE [--sender CODE:NAME] [--force]`` — pack the
  ledger records of the unit's subtree (:func:`minzu_core.interchange.exchange.pack_exchange`)
  as the system actor ``minzu-cli-exchange`` for purpose ``P``, signed with the key file (a
  PEM Ed25519 private key, or a base64 HMAC key shared with the recipient), and write it; each
  person sent gets an ``export`` audit entry. The sender defaults to the unit (its code and
  stored name).
* ``minzu exchange receive FILE --store URL --unit CODE --key-file F [--reason TEXT]
  [--format text|json]`` — verify the package (format version, checksum, signature: the key
  file is the sender's PEM public key or the shared HMAC key) and import it into the unit's
  subtree (:func:`~minzu_core.interchange.exchange.receive_exchange`) under the package's
  purpose; prints the report (``--format json``: one JSON object with the integer keys
  ``received``, ``created``, ``unchanged``, ``conflicted``, ``held``, ``rejected`` and the
  conflicts, values masked).

Errors (a refused package, a wrong key …) are one line with a stable code and exit status 2
(:func:`~minzu_core.cli.common.friendly`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from minzu_core.cli.common import (
    ReportFormatOption,
    StoreOption,
    check_report_format,
    friendly,
    out_console,
)

__all__ = ["exchange_app"]

exchange_app = typer.Typer(
    help="交换 Partner exchange (流出地/流入地信息互通): signed packages of ledger records.",
    no_args_is_help=True,
)

_ACTOR = "minzu-cli-exchange"

UnitOption = Annotated[str, typer.Option("--unit", help="The unit (code) sending or receiving.")]
KeyFileOption = Annotated[
    Path,
    typer.Option(
        "--key-file",
        help="PEM Ed25519 key (private to pack, public to receive) or a base64 HMAC key.",
    ),
]


def _print(text: str) -> None:
    out_console.print(text, markup=False, highlight=False, soft_wrap=True)


@exchange_app.command("pack")
@friendly
def pack(
    store: StoreOption,
    unit: UnitOption,
    recipient: Annotated[str, typer.Option("--recipient", help="The receiving agency, CODE:NAME.")],
    purpose: Annotated[
        str, typer.Option("--purpose", help="The purpose of processing (code or label).")
    ],
    legal_basis: Annotated[
        str, typer.Option("--legal-basis", help="The legal basis of the exchange.")
    ],
    key_file: KeyFileOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="The package file to write.")],
    sender: Annotated[
        str | None,
        typer.Option("--sender", help="The sending agency, CODE:NAME (default: the unit)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Pack the unit's ledger records into a signed exchange package (打包交换包)."""
    from minzu_core.errors import ValidationError
    from minzu_core.interchange.exchange import Agency, Signer, pack_exchange, write_package
    from minzu_core.privacy.actor import Actor
    from minzu_core.store.factory import open_store

    if output.exists() and not force:
        raise ValidationError(
            "输出文件已存在 (用 --force 覆盖)",
            "the output file exists (use --force to overwrite)",
            code="output_exists",
            field="output",
        )
    signer = Signer.from_key_file(key_file)
    to = Agency.parse(recipient, field="recipient")
    with (
        open_store(store) as opened,
        opened.unit_of_work(Actor.system(_ACTOR), purpose=purpose) as uow,
    ):
        if sender is None:
            home = uow.units.get(unit)
            origin = Agency(home.code.short, home.name)
        else:
            origin = Agency.parse(sender, field="sender")
        package = pack_exchange(
            uow,
            unit=unit,
            sender=origin,
            recipient=to,
            purpose=purpose,
            legal_basis=legal_basis,
            signer=signer,
            vocabulary=opened.purposes,
        )
        write_package(package, output)
        uow.commit()
    algorithm = package.signature.algorithm if package.signature else "-"
    _print(
        f"已打包 packed {len(package.records)} 条记录 records → {output} "
        f"(sha256 {package.checksum[:16]}…, {algorithm})"
    )


@exchange_app.command("receive")
@friendly
def receive(
    file: Annotated[Path, typer.Argument(help="The exchange package (.json).")],
    store: StoreOption,
    unit: UnitOption,
    key_file: KeyFileOption,
    reason: Annotated[
        str, typer.Option("--reason", help="Recorded on every record created.")
    ] = "接收交换包 exchange receive",
    format: ReportFormatOption = "text",
) -> None:
    """Verify and import an exchange package (接收交换包): conflicts reported, never overwritten."""
    from minzu_core.interchange.exchange import Verifier, read_package, receive_exchange
    from minzu_core.privacy.actor import Actor
    from minzu_core.store.factory import open_store

    check_report_format(format)
    verifier = Verifier.from_key_file(key_file)
    package = read_package(file)
    with (
        open_store(store) as opened,
        opened.unit_of_work(Actor.system(_ACTOR), purpose=package.purpose) as uow,
    ):
        report = receive_exchange(uow, package, verifier=verifier, unit=unit, reason=reason)
        uow.commit()
    if format == "json":
        out_console.print_json(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    counts = report.to_dict()
    labels = (
        ("received", "收到"),
        ("created", "新增"),
        ("unchanged", "未变"),
        ("conflicted", "有冲突"),
        ("held", "待确认"),
        ("rejected", "拒绝"),
    )
    _print(", ".join(f"{zh} {en} {counts[en]}" for en, zh in labels))
    for conflict in counts["conflicts"]:
        _print(
            f"冲突 conflict {conflict['person_id']} {conflict['field']}: "
            f"本地 local {conflict['local']} / 收到 received {conflict['received']}"
        )
    for outcome in counts["outcomes"]:
        if outcome["outcome"] == "rejected":
            _print(f"拒绝 rejected record {outcome['index']}: {outcome['code']}")
        elif outcome["outcome"] == "held":
            _print(
                f"待确认 held record {outcome['index']}: "
                f"{len(outcome['candidates'])} 条疑似重复 likely duplicates"
            )
