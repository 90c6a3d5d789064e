"""scripts/sync_reference_data.py refuses names that lost a character (? or U+FFFD)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "sync_reference_data.py"
PACKAGE_DATA = Path(__file__).resolve().parents[2] / "src" / "minzu_core" / "data"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sync_reference_data", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _source(tmp_path: Path) -> Path:
    """A source tree made from the packaged copy (which must itself be clean)."""
    source = tmp_path / "reference"
    (source / "divisions").mkdir(parents=True)
    shutil.copyfile(PACKAGE_DATA / "ethnic-groups.csv", source / "ethnic-groups.csv")
    for path in (PACKAGE_DATA / "divisions").glob("*.csv"):
        shutil.copyfile(path, source / "divisions" / path.name)
    return source


def test_packaged_names_have_no_lost_character() -> None:
    sync = _script()
    for path in [PACKAGE_DATA / "ethnic-groups.csv", *(PACKAGE_DATA / "divisions").glob("*.csv")]:
        assert sync.damaged_names(path) == [], path


def test_packaged_2019_edition_has_mai_yan_town() -> None:
    text = (PACKAGE_DATA / "divisions" / "jiangxi-2019.csv").read_text(encoding="utf-8")
    assert "360824104000,麦\u3666镇," in text


@pytest.mark.parametrize("mark", ["?", "\ufffd"])
def test_sync_refuses_a_lost_character(
    tmp_path: Path, mark: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sync = _script()
    source = _source(tmp_path)
    edition = source / "divisions" / "jiangxi-2019.csv"
    edition.write_text(
        edition.read_text(encoding="utf-8").replace("麦\u3666镇", f"麦{mark}镇"), encoding="utf-8"
    )
    dest = tmp_path / "data"
    assert sync.sync(source, dest) == 2
    assert not dest.exists()  # nothing copied
    err = capsys.readouterr().err
    assert "360824104000" in err and "jiangxi-2019.csv" in err


def test_sync_copies_clean_data_and_is_idempotent(tmp_path: Path) -> None:
    sync = _script()
    source = _source(tmp_path)
    dest = tmp_path / "data"
    assert sync.sync(source, dest) == 0
    assert sync.sync(source, dest, check=True) == 0
    manifest = (dest / "SOURCES.json").read_bytes()
    assert sync.sync(source, dest) == 0
    assert (dest / "SOURCES.json").read_bytes() == manifest
