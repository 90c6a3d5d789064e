"""The PII scanner (:mod:`minzu_core.testing.pii`): it finds raw ID numbers, phones and full
names in each channel (log records, exception messages, reprs), never reports masked forms,
and the library's SQL engines leak nothing with SQLAlchemy at DEBUG.

The session-wide scan of ``tests/conftest.py`` watches these tests too: the two that put a raw
value in a log record or an error message on purpose are marked ``pii_allowed``."""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from minzu_core.codes.resident_id import make_resident_id
from minzu_core.errors import ValidationError
from minzu_core.fields import masked_id_number, masked_name, masked_phone
from minzu_core.hierarchy.model import Unit
from minzu_core.ledger.model import Person
from minzu_core.privacy.actor import Actor
from minzu_core.store.factory import open_store
from minzu_core.testing.pii import SCAN_LEVEL, PiiScanner
from minzu_core.testing.samples import SAMPLE_UNITS, sample_person

ROOT = Path(__file__).resolve().parents[2]
ID_NUMBER = make_resident_id("360103", date(1990, 1, 1), 1)
PHONE = "13812341234"
NAME = "阿依古丽·买买提"


@pytest.fixture
def scanner() -> Iterator[PiiScanner]:
    """A scanner of its own, installed for the test."""
    own = PiiScanner()
    own.install()
    yield own
    own.uninstall()


@pytest.mark.pii_allowed
def test_a_raw_id_number_in_a_log_record_is_found(scanner: PiiScanner) -> None:
    with scanner.window() as result:
        logging.getLogger("minzu.selftest").warning("looked up %s", ID_NUMBER)
    assert (result.log_records, result.occurrences) == (1, 1)
    finding = result.findings[0]
    assert finding.kind == "resident_id"
    assert finding.masked == masked_id_number(ID_NUMBER)
    assert "minzu.selftest" in finding.where
    assert ID_NUMBER not in result.describe()  # the report is masked too


@pytest.mark.pii_allowed
def test_a_phone_in_an_exception_message_is_found(scanner: PiiScanner) -> None:
    with scanner.window() as result, pytest.raises(ValidationError):
        raise ValidationError(f"电话 {PHONE} 已存在", f"phone {PHONE} exists", code="x")
    assert result.exception_messages >= 1
    assert result.occurrences >= 1
    assert {f.kind for f in result.findings} == {"phone"}
    assert result.findings[0].masked == masked_phone(PHONE) == "'138****1234'"
    assert "ValidationError(x)" in result.findings[0].where
    assert PHONE not in result.describe()


def test_a_full_name_in_a_repr_is_found(
    scanner: PiiScanner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A regression of the masked repr (the fixture undoes it before the session scan looks).
    monkeypatch.setattr(Person, "__repr__", lambda self: f"Person(name={self.name!r})")
    with scanner.window() as result:
        Person(name=NAME, ethnicity="05")
    assert result.reprs == 1
    assert result.occurrences == 1
    assert result.findings[0].kind == "name"
    assert result.findings[0].masked == masked_name(NAME)
    assert result.findings[0].where == "repr of Person"


def test_the_masked_repr_is_not_a_finding(scanner: PiiScanner) -> None:
    with scanner.window() as result:
        person = Person(name=NAME, ethnicity="05", id_number=ID_NUMBER, phone=PHONE)
        logging.getLogger("minzu.selftest").info("saved %r", person)
    assert result.reprs == 1 and result.log_records == 1
    assert result.occurrences == 0, result.describe()
    assert NAME in scanner.names and ID_NUMBER in scanner.id_numbers and PHONE in scanner.phones


def test_masked_forms_are_not_findings_raw_ones_are(scanner: PiiScanner) -> None:
    Person(name="张三", ethnicity="01", phone="0791-86123456")
    assert scanner.find("3601**********0014 138****1234 张* 0791-****3456") == []
    assert scanner.find(f"{ID_NUMBER} 张三 x") == [("resident_id", ID_NUMBER), ("name", "张三")]
    assert scanner.find("tel 0791-86123456.") == [("phone", "0791-86123456")]
    assert scanner.find("call 13812341234") == [("phone", "13812341234")]


def test_pattern_detection_needs_a_valid_number_not_inside_a_longer_run() -> None:
    fresh = PiiScanner()  # learns nothing: pattern detection only
    wrong_check = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
    assert fresh.find(wrong_check) == []  # not a valid ID number
    assert fresh.find("9" + ID_NUMBER) == []  # inside a longer digit run
    assert fresh.find("x138123412345") == []  # 12 digits: not a mobile number
    assert fresh.find("uuid a13812341234") == []  # part of a hex run
    assert fresh.find(f"id={ID_NUMBER.lower()}") == [("resident_id", ID_NUMBER)]


def test_short_or_non_name_texts_are_not_learned(scanner: PiiScanner) -> None:
    scanner.learn(name="ab")  # fuzz text: would match every SQL statement
    scanner.learn(name="00")
    scanner.learn(name="Aisha Khan")
    assert scanner.names == {"Aisha Khan"}
    assert scanner.find("SELECT ab FROM table 00") == []
    assert scanner.find("user Aisha Khan left") == [("name", "Aisha Khan")]
    assert scanner.find("AishaKhanov") == []


def test_uninstall_restores_the_constructors_and_the_loggers() -> None:
    root, sqla = logging.getLogger(), logging.getLogger("sqlalchemy")
    levels = (root.level, sqla.level)
    original = Person.__attrs_post_init__
    own = PiiScanner()
    with own:
        assert Person.__attrs_post_init__ is not original
        with own.window():
            assert (root.level, sqla.level) == (SCAN_LEVEL, SCAN_LEVEL) < (logging.DEBUG,) * 2
        assert (root.level, sqla.level) == levels
    assert Person.__attrs_post_init__ is original
    Person(name="马丽", ethnicity="03")
    assert "马丽" not in own.names  # no longer learning


def test_sqlalchemy_echo_at_debug_leaks_nothing(scanner: PiiScanner, tmp_path: Path) -> None:
    """With echo and every logger at DEBUG, a Person written and read back through the
    library leaks no parameter and no result row."""
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    handlers_before = list(engine_logger.handlers)
    store = open_store(f"sqlite:///{tmp_path / 'p.db'}", hide_parameters=False, echo="debug")
    for added in set(engine_logger.handlers) - set(handlers_before):
        engine_logger.removeHandler(added)  # echo's stdout handler: not wanted in a test run
    assert store.backend.engine.hide_parameters  # type: ignore[attr-defined]
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    with scanner.window() as result:
        logging.getLogger("sqlalchemy").addHandler(handler)  # after the window: not shielded
        try:
            person = sample_person()
            actor = Actor.system("t")
            with store.unit_of_work(actor) as uow:
                uow.units.add_many([Unit.create(c, n) for c, n in SAMPLE_UNITS], reason="r")
                uow.people.add(person, reason="登记")
                uow.commit()
            with store.unit_of_work(actor) as uow:
                found = uow.people.find(person.id)
                assert found is not None and found.phone == person.phone
            store.close()
        finally:
            logging.getLogger("sqlalchemy").removeHandler(handler)
    assert person.name in scanner.names and person.phone in scanner.phones
    assert any(m.startswith("INSERT INTO minzu_persons") for m in seen)  # statements logged …
    assert any(m.startswith("Row <withheld") for m in seen)  # … the result rows withheld
    assert result.log_records >= len(seen) > 50
    assert result.occurrences == 0, result.describe()


# -- every engine the project creates hides its parameters -------------------------------------
def _engine_calls() -> list[tuple[str, int, bool]]:
    """``(file, line, hides)`` for every ``create_engine(...)`` call in the project."""
    calls = []
    for folder in ("src", "adapters", "benchmarks", "examples", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name != "create_engine":
                    continue
                hides = any(
                    k.arg == "hide_parameters"
                    and isinstance(k.value, ast.Constant)
                    and k.value.value is True
                    for k in node.keywords
                )
                if not hides:  # create_store_engine forces it through its options dict
                    hides = path.name == "engine.py" and _forces_hide_parameters(tree)
                calls.append((str(path.relative_to(ROOT)), node.lineno, hides))
    return calls


def _forces_hide_parameters(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Subscript)
        and isinstance(node.targets[0].slice, ast.Constant)
        and node.targets[0].slice.value == "hide_parameters"
        and isinstance(node.value, ast.Constant)
        and node.value.value is True
        for node in ast.walk(tree)
    )


def test_the_engine_calls_are_found() -> None:
    files = {file for file, _, _ in _engine_calls()}
    assert "adapters/minzu_adapters/sql/engine.py" in files
    assert "adapters/minzu_adapters/sql/migrations/env.py" in files


@pytest.mark.parametrize(
    ("file", "line", "hides"),
    [pytest.param(*call, id=f"{call[0]}:{call[1]}") for call in _engine_calls()],
)
def test_every_engine_hides_its_parameters(file: str, line: int, hides: bool) -> None:
    assert hides, f"{file}:{line}: create_engine(...) without hide_parameters=True"


def test_the_store_engine_hides_parameters_whatever_the_caller_asks(tmp_path: Path) -> None:
    from minzu_adapters.sql.engine import create_store_engine

    made = create_store_engine(f"sqlite:///{tmp_path / 'e.db'}", hide_parameters=False)
    try:
        assert made.engine.hide_parameters
    finally:
        made.dispose()
