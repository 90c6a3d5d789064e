"""The shipped Alembic migrations of the SQL store, on SQLite, PostgreSQL and MariaDB.

* no drift: upgrading an empty database gives exactly the tables of ``build_metadata`` (Alembic's
  ``compare_metadata`` finds nothing, and a normalised reflection equals that of ``create_all``);
* prefix and schema reach the revisions and the version table (``<prefix>alembic_version``);
* ``ensure_schema`` (what ``open_sql_store`` does): create, accept head, adopt pre-migration
  tables, refuse an outdated or unknown revision;
* the ``minzu schema`` commands.
"""

from __future__ import annotations

import io
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import main as alembic_main
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from minzu_adapters.sql import build_metadata, open_sql_store
from minzu_adapters.sql.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    create_schema,
    current_revision,
    ensure_schema,
    head_revision,
    schema_differences,
    upgrade_schema,
)
from minzu_core.cli.app import app
from minzu_core.errors import StoreError
from minzu_core.store import open_store
from minzu_core.testing.samples import sample_person

if TYPE_CHECKING:
    from conftest import FreshDatabase

KINDS = ["sqlite", "postgresql", "mysql"]
HOST_PREFIX = "host_mz_"


@attrs.frozen
class Place:
    """Where a store's tables go: a URL and (PostgreSQL) a schema."""

    kind: str
    url: str
    schema: str | None

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url)

    def options(self, prefix: str = "minzu_") -> dict[str, Any]:
        return {"prefix": prefix, "schema": self.schema}


@pytest.fixture
def new_place(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[str], Place]]:
    """Factory: an empty database of the given kind (SQLite file, fresh PG schema, fresh
    MariaDB database)."""

    def make(kind: str) -> Place:
        if kind == "sqlite":
            return Place(kind, f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}", None)
        fresh: FreshDatabase = request.getfixturevalue("fresh_database")(kind)
        schema = fresh.options.get("schema")
        assert schema is None or isinstance(schema, str)
        return Place(kind, fresh.url, schema)

    yield make


@pytest.fixture(params=KINDS)
def place(request: pytest.FixtureRequest, new_place: Callable[[str], Place]) -> Place:
    """An empty database of each kind (see ``new_place``)."""
    return new_place(request.param)


def _tables(place: Place) -> set[str]:
    engine = place.engine()
    try:
        return set(sa.inspect(engine).get_table_names(schema=place.schema))
    finally:
        engine.dispose()


def _our_comparison(
    conn: sa.Connection, metadata: sa.MetaData, prefix: str, schema: str | None
) -> Any:
    """``compare_metadata`` written out here (independently of migrate.py): only our tables,
    types and server defaults compared, the version table filtered out."""
    ours = {t.name for t in metadata.tables.values()}
    version_table = f"{prefix}alembic_version"

    def include_name(name: str | None, type_: str, parent: Any) -> bool:
        if type_ == "schema":
            return name == schema
        return not (type_ == "table" and name == version_table)

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        return not (type_ == "table" and (name == version_table or name not in ours))

    ctx = MigrationContext.configure(
        conn,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_schemas": schema is not None,
            "include_name": include_name,
            "include_object": include_object,
        },
    )
    return compare_metadata(ctx, metadata)


# -- (a) no drift: compare_metadata ------------------------------------------------------------
def test_upgraded_database_has_no_drift(place: Place) -> None:
    assert upgrade_schema(place.url, schema=place.schema) == head_revision()
    metadata, _ = build_metadata("minzu_", place.schema)
    engine = place.engine()
    try:
        with engine.connect() as conn:
            assert _our_comparison(conn, metadata, "minzu_", place.schema) == []
            # The comparison is live: a column, an index and a type changed in the MetaData
            # are all reported.
            changed, tables = build_metadata("minzu_", place.schema)
            tables.persons.append_column(sa.Column("nickname", sa.String(20), nullable=True))
            sa.Index("ix_minzu_persons_phone", tables.persons.c.phone)
            tables.units.c.name.type = sa.String(150)
            kinds = {
                d[0][0] if isinstance(d, list) else d[0]
                for d in _our_comparison(conn, changed, "minzu_", place.schema)
            }
            assert {"add_column", "add_index", "modify_type"} <= kinds
    finally:
        engine.dispose()
    assert schema_differences(place.url, schema=place.schema) == []


# -- (b) no drift: migrations and create_all give the same reflected tables --------------------
#: The collation of every column, where the dialect has them (PostgreSQL: in schema ``:s``).
_COLLATIONS = {
    "postgresql": (
        "SELECT table_name, column_name, collation_name FROM information_schema.columns "
        "WHERE table_schema = :s AND collation_name IS NOT NULL"
    ),
    "mysql": (
        "SELECT table_name, column_name, column_type, collation_name "
        "FROM information_schema.columns WHERE table_schema = DATABASE()"
    ),
}


def _normalised(place: Place, exclude: set[str]) -> dict[str, Any]:
    """Every table's reflection (columns with types, nullability and defaults, pk, fks,
    uniques, indexes, table options), the schema's name replaced by ``<schema>``."""
    engine = place.engine()
    s = place.schema

    def norm(value: Any) -> Any:
        text = repr(value)
        return text.replace(s, "<schema>") if s else text

    try:
        insp = sa.inspect(engine)
        dump: dict[str, Any] = {}
        for table in sorted(set(insp.get_table_names(schema=s)) - exclude):
            dump[table] = {
                "columns": [
                    (c["name"], repr(c["type"]), c["nullable"], norm(c.get("default")))
                    for c in insp.get_columns(table, schema=s)
                ],
                "pk": insp.get_pk_constraint(table, schema=s),
                "fks": sorted(
                    (
                        fk["name"],
                        fk["constrained_columns"],
                        norm(fk["referred_schema"]),
                        fk["referred_table"],
                        fk["referred_columns"],
                        sorted(fk["options"].items()),
                    )
                    for fk in insp.get_foreign_keys(table, schema=s)
                ),
                "uniques": sorted(
                    (u["name"], u["column_names"])
                    for u in insp.get_unique_constraints(table, schema=s)
                ),
                "indexes": sorted(
                    (i["name"], i["column_names"], bool(i["unique"]))
                    for i in insp.get_indexes(table, schema=s)
                ),
                "options": sorted(insp.get_table_options(table, schema=s).items()),
            }
        if place.kind in _COLLATIONS:
            params = {"s": s} if place.kind == "postgresql" else {}
            with engine.connect() as conn:
                rows = conn.execute(sa.text(_COLLATIONS[place.kind]), params)
                dump["collations"] = sorted(row for row in rows if row[0] not in exclude)
        return dump
    finally:
        engine.dispose()


def _create_all(place: Place, prefix: str = "minzu_") -> None:
    """The tables of ``build_metadata`` made by ``create_all``, with no version table (as
    minzu-core 0.1 made them)."""
    metadata, _ = build_metadata(prefix, place.schema)
    engine = place.engine()
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
    finally:
        engine.dispose()


def test_migrations_and_metadata_create_the_same_tables(
    place: Place, new_place: Callable[[str], Place]
) -> None:
    migrated, created = place, new_place(place.kind)
    upgrade_schema(migrated.url, schema=migrated.schema)
    _create_all(created)
    _, tables = build_metadata("minzu_", created.schema)
    from_migrations = _normalised(migrated, exclude={"minzu_alembic_version"})
    from_metadata = _normalised(created, exclude=set())
    assert set(from_metadata) >= {t.name for t in tables.all()}
    assert from_migrations == from_metadata


# -- (c) prefix and schema, end to end ---------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_prefix_and_schema_end_to_end(kind: str, new_place: Callable[[str], Place]) -> None:
    place = new_place(kind)
    schema = place.schema
    if kind == "mysql":  # a second database as the "schema", next to the connection's own
        schema = new_place(kind).url.rsplit("/", 1)[1]
    target = Place(kind, place.url, schema)
    engine = place.engine()
    qualified = f"{schema}.alembic_version" if schema else "alembic_version"
    try:  # the host's own Alembic history, which must stay untouched
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE TABLE {qualified} (version_num VARCHAR(32) NOT NULL)"))
            conn.execute(sa.text(f"INSERT INTO {qualified} VALUES ('host_rev_1')"))
    finally:
        engine.dispose()

    assert upgrade_schema(place.url, prefix=HOST_PREFIX, schema=schema) == head_revision()
    names = _tables(target)
    assert names == {f"{HOST_PREFIX}{t}" for t in _TABLES} | {
        f"{HOST_PREFIX}alembic_version",
        "alembic_version",
    }
    assert current_revision(place.url, prefix=HOST_PREFIX, schema=schema) == head_revision()
    assert current_revision(place.url, schema=schema) is None  # the default prefix: nothing
    assert schema_differences(place.url, prefix=HOST_PREFIX, schema=schema) == []
    engine = place.engine()
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text(f"SELECT version_num FROM {qualified}")).all() == [
                ("host_rev_1",)
            ]
    finally:
        engine.dispose()

    person = sample_person()
    with open_store(place.url, prefix=HOST_PREFIX, schema=schema) as store:
        session = store.backend.begin()
        try:
            session.insert_person(person)
            session.commit()
            assert session.get_person(person.id) == person
        finally:
            session.close()
    with open_store(place.url, prefix=HOST_PREFIX, schema=schema) as store:
        session = store.backend.begin()
        try:
            assert session.get_person(person.id) == person
        finally:
            session.close()


# Every table of the store, from the live MetaData (so a new table is covered automatically).
_TABLES = tuple(t.name.removeprefix("minzu_") for t in build_metadata()[1].all())


def test_missing_postgres_schema_is_created(new_place: Callable[[str], Place]) -> None:
    place = new_place("postgresql")
    assert place.schema is not None
    schema = f"{place.schema}_new"
    try:
        assert upgrade_schema(place.url, schema=schema) == head_revision()
        assert "minzu_alembic_version" in _tables(Place("postgresql", place.url, schema))
    finally:
        engine = place.engine()
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def test_offline_sql_uses_prefix_and_schema() -> None:
    cfg = alembic_config(prefix=HOST_PREFIX, schema="minzu_app", url="postgresql+psycopg://")
    cfg.output_buffer = buffer = io.StringIO()
    command.upgrade(cfg, "head", sql=True)
    sql = buffer.getvalue()
    assert f"CREATE TABLE minzu_app.{HOST_PREFIX}units" in sql
    assert f"CREATE TABLE minzu_app.{HOST_PREFIX}alembic_version" in sql
    assert "CREATE TABLE minzu_app.minzu_units" not in sql


def test_alembic_command_line_with_x_arguments(tmp_path: Path) -> None:
    """A host can run the shipped revisions with its own ``alembic`` command."""
    db = tmp_path / "cli.db"
    ini = tmp_path / "alembic.ini"
    ini.write_text(
        textwrap.dedent(f"""\
            [alembic]
            script_location = {MIGRATIONS_DIR}
            sqlalchemy.url = sqlite:///{db}
            path_separator = os
            """),
        encoding="utf-8",
    )
    alembic_main(["-c", str(ini), "-x", f"prefix={HOST_PREFIX}", "upgrade", "head"])
    url = f"sqlite:///{db}"
    assert current_revision(url, prefix=HOST_PREFIX) == head_revision()
    assert schema_differences(url, prefix=HOST_PREFIX) == []
    alembic_main(["-c", str(ini), "-x", f"prefix={HOST_PREFIX}", "downgrade", "base"])
    assert _tables(Place("sqlite", url, None)) == {f"{HOST_PREFIX}alembic_version"}


def test_downgrade_to_base_with_a_config(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'down.db'}"
    upgrade_schema(url)
    command.downgrade(alembic_config(url=url), "base")
    assert _tables(Place("sqlite", url, None)) == {"minzu_alembic_version"}
    assert current_revision(url) is None
    assert upgrade_schema(url) == head_revision()  # and up again


# -- (d) ensure_schema -------------------------------------------------------------------------
def test_ensure_creates_then_accepts_head(place: Place) -> None:
    engine = place.engine()
    try:
        assert ensure_schema(engine, schema=place.schema) == "created"
        assert ensure_schema(engine, schema=place.schema) == "up_to_date"
        assert current_revision(engine, schema=place.schema) == head_revision()
        assert schema_differences(engine, schema=place.schema) == []
    finally:
        engine.dispose()
    backend = open_sql_store(place.url, schema=place.schema)  # at head: nothing to do
    backend.close()


def test_ensure_adopts_tables_made_before_migrations(place: Place) -> None:
    _create_all(place)
    person = sample_person()
    backend = open_sql_store(place.url, schema=place.schema, create_tables=False)
    session = backend.begin()
    session.insert_person(person)
    session.commit()
    session.close()
    backend.close()
    assert current_revision(place.url, schema=place.schema) is None

    backend = open_sql_store(place.url, schema=place.schema)  # adopts: verify and stamp
    try:
        assert current_revision(backend.engine, schema=place.schema) == head_revision()
        session = backend.begin()
        assert session.get_person(person.id) == person
        session.close()
    finally:
        backend.close()
    assert ensure_schema(place.url, schema=place.schema) == "up_to_date"


def test_upgrade_adopts_tables_made_before_migrations(place: Place) -> None:
    _create_all(place, HOST_PREFIX)
    assert upgrade_schema(place.url, prefix=HOST_PREFIX, schema=place.schema) == head_revision()
    assert ensure_schema(place.url, prefix=HOST_PREFIX, schema=place.schema) == "up_to_date"


def test_ensure_refuses_unversioned_tables_that_differ(place: Place) -> None:
    _create_all(place)
    engine = place.engine()
    try:
        _, tables = build_metadata("minzu_", place.schema)
        index = next(i for i in tables.persons.indexes if i.name == "ix_minzu_persons_id_number")
        with engine.begin() as conn:
            index.drop(conn)
        with pytest.raises(StoreError) as caught:
            ensure_schema(engine, schema=place.schema)
        assert caught.value.code == "schema_mismatch"
        assert any("ix_minzu_persons_id_number" in d for d in caught.value.details["differences"])
        assert current_revision(engine, schema=place.schema) is None  # nothing stamped
        with pytest.raises(StoreError) as caught:
            upgrade_schema(engine, schema=place.schema)
        assert caught.value.code == "schema_mismatch"
    finally:
        engine.dispose()


def test_outdated_database_is_refused_until_upgraded(place: Place) -> None:
    """A database at 0001 (before the service tables of 0002) is refused until upgraded."""
    assert (
        upgrade_schema(place.url, prefix=HOST_PREFIX, schema=place.schema, revision="0001")
        == "0001"
    )
    assert head_revision() not in (None, "0001")
    with pytest.raises(StoreError) as caught:
        ensure_schema(place.url, prefix=HOST_PREFIX, schema=place.schema)
    error = caught.value
    assert error.code == "schema_outdated"
    assert error.details == {"current": "0001", "head": head_revision()}
    assert "minzu schema upgrade" in error.message_zh
    assert "minzu schema upgrade" in error.message_en
    with pytest.raises(StoreError) as caught:
        open_sql_store(place.url, prefix=HOST_PREFIX, schema=place.schema)
    assert caught.value.code == "schema_outdated"

    assert upgrade_schema(place.url, prefix=HOST_PREFIX, schema=place.schema) == head_revision()
    assert f"{HOST_PREFIX}service_requests" in _tables(place)
    assert ensure_schema(place.url, prefix=HOST_PREFIX, schema=place.schema) == "up_to_date"


def test_unknown_revision_is_refused(place: Place) -> None:
    upgrade_schema(place.url, schema=place.schema)
    table = f"{place.schema}.minzu_alembic_version" if place.schema else "minzu_alembic_version"
    engine = place.engine()
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE {table} SET version_num = 'from_the_future'"))
    finally:
        engine.dispose()
    for attempt in (ensure_schema, upgrade_schema):
        with pytest.raises(StoreError) as caught:
            attempt(place.url, schema=place.schema)
        assert caught.value.code == "schema_unknown_revision"


def test_create_schema_refuses_a_database_with_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert create_schema(url) == head_revision()
    with pytest.raises(StoreError) as caught:
        create_schema(url)
    assert caught.value.code == "schema_exists"
    assert create_schema(url, prefix=HOST_PREFIX) == head_revision()  # another prefix: fine


def test_unknown_target_revision(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        upgrade_schema(f"sqlite:///{tmp_path / 'r.db'}", revision="nope")
    assert caught.value.code == "unknown_revision"


def test_connection_inside_the_callers_transaction(tmp_path: Path) -> None:
    """A host can run the migrations inside its own deployment transaction."""
    backend = open_sql_store(f"sqlite:///{tmp_path / 't.db'}", create_tables=False)
    engine = backend.engine  # SQLite configured for transactional DDL
    try:
        with engine.connect() as conn:
            conn.begin()
            upgrade_schema(conn)
            assert current_revision(conn) == head_revision()
            conn.rollback()
        assert current_revision(engine) is None
        assert "minzu_persons" not in sa.inspect(engine).get_table_names()
        with engine.begin() as conn:
            upgrade_schema(conn)
        assert current_revision(engine) == head_revision()
    finally:
        backend.close()


# -- (e) the command -------------------------------------------------------------------------
runner = CliRunner()


def test_cli_create_then_upgrade(place: Place) -> None:
    extra = ["--schema", place.schema] if place.schema else []
    created = runner.invoke(app, ["schema", "create", "--store", place.url, *extra])
    assert created.exit_code == 0, created.output
    assert f"revision {head_revision()}" in created.output
    upgraded = runner.invoke(app, ["schema", "upgrade", "--store", place.url, *extra])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"already at revision {head_revision()}" in upgraded.output
    current = runner.invoke(app, ["schema", "current", "--store", place.url, *extra])
    assert current.exit_code == 0, current.output
    assert f"current {head_revision()}, head {head_revision()}" in current.output
    again = runner.invoke(app, ["schema", "create", "--store", place.url, *extra])
    assert again.exit_code == 2 and "schema_exists" in again.output


def test_cli_upgrade_with_prefix_on_an_empty_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    result = runner.invoke(app, ["schema", "upgrade", "--store", url, "--prefix", HOST_PREFIX])
    assert result.exit_code == 0, result.output
    assert f"upgraded from none to {head_revision()}" in result.output
    assert current_revision(url, prefix=HOST_PREFIX) == head_revision()


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("nosuch://somewhere/db", "unknown_store"),
        ("memory://", "schema_not_managed"),
        ("not a url", "malformed_store_url"),
    ],
)
@pytest.mark.parametrize("command_name", ["create", "upgrade", "current"])
def test_cli_unknown_store_exits_2_with_one_line(url: str, code: str, command_name: str) -> None:
    result = runner.invoke(app, ["schema", command_name, "--store", url])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and code in lines[0], result.output


def test_cli_bad_prefix_exits_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    result = runner.invoke(app, ["schema", "create", "--store", url, "--prefix", "Bad-Prefix"])
    assert result.exit_code == 2
    assert "invalid_table_prefix" in result.output
