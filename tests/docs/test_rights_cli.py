"""``minzu person export|erase`` and ``minzu retention apply`` (PIPL Art. 45, 47) on a SQLite
file store: the export is the JSON document, the erasure removes the identifying data and says
when there was nothing left to do, a dry run changes nothing, a run erases and a rerun is a
no-op; bad input is one line with a stable code and exit status 2."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import attrs
import pytest
import typer
from typer.testing import CliRunner

from minzu_core import Actor, open_store
from minzu_core.cli.rights import person_app, retention_app
from minzu_core.hierarchy import Unit
from minzu_core.ledger.model import Person, ResidenceStatus
from minzu_core.store.rights import ERASED_NAME, is_erased
from minzu_core.testing.samples import SAMPLE_UNITS, sample_person

ADMIN = Actor.system("test-rights-cli")
NAME = "古丽米拉·测试"


def _cli() -> typer.Typer:
    cli = typer.Typer()
    cli.add_typer(person_app, name="person")  # as cli/app.py registers them
    cli.add_typer(retention_app, name="retention")
    return cli


def _fill(url: str) -> tuple[Person, Person]:
    """A person present now and a floating person who left in 2015."""
    with open_store(url) as store, store.unit_of_work(ADMIN) as uow:
        uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="r")
        present = uow.people.add(attrs.evolve(sample_person(seq=801), name=NAME), reason="登记")
        person = sample_person(seq=802, status=ResidenceStatus.FLOATING, arrival=date(2012, 1, 1))
        episode = attrs.evolve(person.residences[0], departure=date(2015, 6, 1))
        left = uow.people.add(attrs.evolve(person, residences=(episode,)), reason="登记")
        uow.commit()
    return present, left


def _get(url: str, person_id: uuid.UUID) -> Person:
    with open_store(url) as store, store.unit_of_work(ADMIN) as uow:
        return uow.people.get(person_id)


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("MINZU_FIELD_KEYS", raising=False)
    return f"sqlite:///{tmp_path / 'rights.db'}"


def test_person_export_and_erase(url: str, tmp_path: Path) -> None:
    present, _ = _fill(url)
    runner, cli, pid = CliRunner(), _cli(), str(present.id)
    shown = runner.invoke(cli, ["person", "export", pid, "--store", url])
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.stdout)
    assert document["person_id"] == pid and document["person"]["name"] == NAME
    assert [h["version"] for h in document["history"]] == [1]
    target = tmp_path / "export.json"
    written = runner.invoke(cli, ["person", "export", pid, "--store", url, "--output", str(target)])
    assert written.exit_code == 0 and NAME not in written.output
    assert json.loads(target.read_text(encoding="utf-8"))["person_id"] == pid

    erased = runner.invoke(cli, ["person", "erase", pid, "--store", url, "--reason", "本人申请"])
    assert erased.exit_code == 0, erased.output
    assert "erased" in erased.output and "history 1" in erased.output
    after = _get(url, present.id)
    assert is_erased(after) and after.name == ERASED_NAME and after.ethnicity == present.ethnicity
    again = runner.invoke(cli, ["person", "erase", pid, "--store", url, "--reason", "本人申请"])
    assert again.exit_code == 0 and "already erased" in again.output
    exported = runner.invoke(cli, ["person", "export", pid, "--store", url])
    assert present.id_number is not None and present.phone is not None
    assert [v in exported.stdout for v in (NAME, present.id_number, present.phone)] == [False] * 3
    operations = [e["operation"] for e in json.loads(exported.stdout)["audit_entries"]]
    assert operations.count("export") == 2 and operations.count("erase") == 1


def test_bad_input_is_one_line_with_a_code(url: str) -> None:
    present, _ = _fill(url)
    runner, cli = CliRunner(), _cli()
    unknown = runner.invoke(
        cli, ["person", "erase", str(uuid.uuid4()), "--store", url, "--reason", "r"]
    )
    assert unknown.exit_code == 2 and "person_not_found" in unknown.output
    assert "人员记录不存在" in unknown.output and "person not found" in unknown.output
    invalid = runner.invoke(cli, ["person", "export", "not-an-id", "--store", url])
    assert invalid.exit_code == 2 and "invalid_id" in invalid.output
    blank = runner.invoke(
        cli, ["person", "erase", str(present.id), "--store", url, "--reason", " "]
    )
    assert blank.exit_code == 2 and "reason_required" in blank.output
    assert _get(url, present.id) == present  # nothing changed


def test_retention_dry_run_apply_and_rerun(url: str) -> None:
    present, left = _fill(url)
    runner, cli = CliRunner(), _cli()
    dry = runner.invoke(cli, ["retention", "apply", "--store", url, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert str(left.id) in dry.output and str(present.id) not in dry.output
    assert "due 1" in dry.output and "dry run" in dry.output
    assert _get(url, left.id) == left
    longer = runner.invoke(
        cli, ["retention", "apply", "--store", url, "--dry-run", "--years", "50"]
    )
    assert longer.exit_code == 0 and "due 0" in longer.output
    done = runner.invoke(cli, ["retention", "apply", "--store", url])
    assert done.exit_code == 0 and "erased 1" in done.output
    assert is_erased(_get(url, left.id)) and _get(url, present.id) == present
    rerun = runner.invoke(cli, ["retention", "apply", "--store", url])
    assert rerun.exit_code == 0 and "erased 0" in rerun.output
    bad = runner.invoke(cli, ["retention", "apply", "--store", url, "--years", "0"])
    assert bad.exit_code == 2
