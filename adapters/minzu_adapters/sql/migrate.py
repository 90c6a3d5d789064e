"""Schema migrations of the SQL store (Alembic) — 表结构迁移.

The revisions ship with the adapter (``minzu_adapters/sql/migrations``) and are parameterised by
the same table-name ``prefix`` and ``schema`` as :func:`~minzu_adapters.sql.schema.build_metadata`.
They record their progress in their own version table, ``<prefix>alembic_version`` in that schema,
so a host application's Alembic history (``alembic_version``) is never touched.

* :func:`create_schema` — a new database: create the tables from the ``MetaData`` and stamp head;
* :func:`upgrade_schema` — run the revisions up to ``revision`` (``"head"``); also adopts the
  tables of a store created before migrations existed (verified, then stamped);
* :func:`ensure_schema` — what ``open_sql_store(create_tables=True)`` does: create and stamp an
  empty database, accept one at head, adopt unversioned tables that match, and refuse a database
  behind head with ``StoreError(code="schema_outdated")`` (run ``minzu schema upgrade``);
* :func:`current_revision`, :func:`head_revision`, :func:`schema_differences`,
  :func:`alembic_config` (a programmatic Alembic ``Config`` for any other Alembic command).

Each function takes an :class:`~sqlalchemy.Engine`, a :class:`~sqlalchemy.Connection` (used
inside its transaction, which the caller commits) or a store URL, and works in one transaction.

Writing a new revision (maintainers): bring a scratch database to head, then
``command.revision(alembic_config(url=...), message=..., autogenerate=True)`` and rewrite the
draft with ``prefix``/``schema`` as ``script.py.mako`` explains.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeAlias

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, MetaData, inspect
from sqlalchemy.exc import ArgumentError
from sqlalchemy.schema import CreateSchema

from minzu_adapters.sql.engine import create_store_engine
from minzu_adapters.sql.errors import translate_errors
from minzu_adapters.sql.schema import build_metadata
from minzu_core.errors import StoreError, UnknownStoreError, ValidationError

__all__ = [
    "MIGRATIONS_DIR",
    "Bind",
    "EnsureOutcome",
    "alembic_config",
    "create_schema",
    "current_revision",
    "ensure_schema",
    "head_revision",
    "schema_differences",
    "upgrade_schema",
    "version_table_name",
]

#: The Alembic script directory shipped with the adapter (``env.py``, ``versions/``).
MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")

#: What the functions accept: an engine, a connection (its transaction) or a store URL.
Bind: TypeAlias = Engine | Connection | str

#: What :func:`ensure_schema` did.
EnsureOutcome = Literal["created", "adopted", "up_to_date"]

_MAX_REPORTED_DIFFERENCES = 20


def version_table_name(prefix: str = "minzu_") -> str:
    """The name of the store's Alembic version table: ``<prefix>alembic_version``."""
    return f"{prefix}alembic_version"


def _ini(value: str) -> str:
    """Escape a value for Alembic's ``ConfigParser`` (``%`` starts an interpolation)."""
    return value.replace("%", "%%")


def alembic_config(
    *,
    prefix: str = "minzu_",
    schema: str | None = None,
    url: str | None = None,
    connection: Connection | None = None,
) -> Config:
    """A programmatic Alembic :class:`~alembic.config.Config` for the shipped migrations (no
    ``alembic.ini`` needed), for running any Alembic command (``history``, ``downgrade`` …).

    Args:
        prefix: table-name prefix handed to the revisions (and the version table's name).
        schema: database schema of the tables and of the version table.
        url: ``sqlalchemy.url`` for commands run without ``connection``.
        connection: a connection for ``env.py`` to run on (inside its transaction).
    """
    cfg = Config()
    cfg.set_main_option("script_location", _ini(str(MIGRATIONS_DIR)))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", _ini(url))
    cfg.attributes["minzu_prefix"] = prefix
    cfg.attributes["minzu_schema"] = schema
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision shipped with this version of minzu-core."""
    head = _scripts().get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise StoreError("没有可用的迁移脚本", "no migration revisions found", code="schema_error")
    return head


# -- errors ------------------------------------------------------------------------------------
def _outdated(current: str, head: str) -> StoreError:
    return StoreError(
        f"数据库表结构版本过旧 (当前 {current}, 需要 {head}), "
        "请先运行 `minzu schema upgrade --store URL` 升级",
        f"the database schema is outdated (at revision {current}, this minzu-core needs {head}); "
        "run `minzu schema upgrade --store URL` (or minzu_adapters.sql.migrate.upgrade_schema)",
        code="schema_outdated",
        details={"current": current, "head": head},
    )


def _unknown_revision(current: str) -> StoreError:
    return StoreError(
        f"数据库表结构版本 {current} 未知 (可能由更新版本的 minzu-core 创建)",
        f"the database schema is at unknown revision {current} (created by a newer minzu-core?)",
        code="schema_unknown_revision",
        details={"current": current},
    )


def _mismatch(differences: list[Any]) -> StoreError:
    shown = [str(d) for d in differences[:_MAX_REPORTED_DIFFERENCES]]
    return StoreError(
        f"已有的 minzu 表与本版本的表结构不一致 ({len(differences)} 处差异), 无法登记版本",
        f"the existing minzu tables differ from the expected schema ({len(differences)} "
        "differences); they cannot be stamped",
        code="schema_mismatch",
        details={"differences": shown},
    )


def _exists(current: str | None) -> StoreError:
    return StoreError(
        "数据库中已有 minzu 表, 请改用 `minzu schema upgrade`",
        "the database already has minzu tables; use `minzu schema upgrade` instead",
        code="schema_exists",
        details={"current": current},
    )


# -- connections -------------------------------------------------------------------------------
def _metadata(prefix: str, schema: str | None) -> MetaData:
    try:
        return build_metadata(prefix, schema)[0]
    except ValueError as err:
        raise ValidationError(
            "表名前缀不合法 (小写字母、数字、下划线, 最多 20 个字符)",
            str(err),
            code="invalid_table_prefix",
            field="prefix",
        ) from err


def _open_url(url: str) -> tuple[Engine, Callable[[], None]]:
    """An engine for a store URL, configured like the store's own (SQLite pragmas etc.)."""
    try:
        opened = create_store_engine(url)
    except ArgumentError as err:  # includes NoSuchModuleError: no SQLAlchemy dialect
        raise UnknownStoreError(
            "不是 SQL 存储的 URL (支持 sqlite, postgresql+psycopg, mysql+pymysql)",
            "not a SQL store URL (sqlite, postgresql+psycopg, mysql+pymysql are supported)",
            code="unknown_store",
            field="url",
        ) from err
    except ImportError as err:
        raise StoreError(
            "未安装此数据库的驱动", "the database driver is not installed", code="driver_missing"
        ) from err
    return opened.engine, opened.dispose


@contextmanager
def _begin(bind: Bind) -> Iterator[Connection]:
    """A connection in a transaction: the caller's own (``Connection``), else a new one that
    commits when the block succeeds. Driver errors become minzu errors."""
    if isinstance(bind, Connection):
        with translate_errors():
            if bind.in_transaction():
                yield bind
            else:
                with bind.begin():
                    yield bind
        return
    engine, close = _open_url(bind) if isinstance(bind, str) else (bind, None)
    try:
        with translate_errors(connecting=True):
            conn = engine.connect()
        with conn, translate_errors(), conn.begin():
            yield conn
    finally:
        if close is not None:
            close()


def _prepare(conn: Connection, schema: str | None) -> None:
    """Create a missing PostgreSQL schema (MySQL databases and SQLite attachments are the
    host's)."""
    if schema and conn.dialect.name == "postgresql" and not inspect(conn).has_schema(schema):
        conn.execute(CreateSchema(schema, if_not_exists=True))


def _version_options(prefix: str, schema: str | None) -> dict[str, Any]:
    return {"version_table": version_table_name(prefix), "version_table_schema": schema}


def _comparison_options(
    conn: Connection, metadata: MetaData, prefix: str, schema: str | None
) -> dict[str, Any]:
    """Autogenerate options comparing only the store's tables (not the host's, not the
    version table) in its schema, types and server defaults included."""
    ours = frozenset(t.name for t in metadata.tables.values())
    target = None if schema in (None, conn.dialect.default_schema_name) else schema

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name == target
        if type_ == "table":
            return name in ours
        return True

    def include_object(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        return name in ours if type_ == "table" else True

    return {
        **_version_options(prefix, schema),
        "target_metadata": metadata,
        "compare_type": True,
        "compare_server_default": True,
        "include_schemas": target is not None,
        "include_name": include_name,
        "include_object": include_object,
    }


def _differences(
    conn: Connection, metadata: MetaData, prefix: str, schema: str | None
) -> list[Any]:
    ctx = MigrationContext.configure(conn, opts=_comparison_options(conn, metadata, prefix, schema))
    return list(compare_metadata(ctx, metadata))


def _context(conn: Connection, prefix: str, schema: str | None) -> MigrationContext:
    return MigrationContext.configure(conn, opts=_version_options(prefix, schema))


def _current(ctx: MigrationContext) -> str | None:
    heads = ctx.get_current_heads()
    if len(heads) > 1:
        raise StoreError(
            "数据库记录了多个表结构版本",
            "the database records several schema revisions",
            code="schema_branched",
            details={"current": list(heads)},
        )
    return heads[0] if heads else None


def _known(current: str) -> bool:
    try:
        return _scripts().get_revision(current) is not None
    except CommandError:
        return False


def _present(conn: Connection, metadata: MetaData, schema: str | None) -> list[str]:
    existing = set(inspect(conn).get_table_names(schema=schema))
    return sorted(t.name for t in metadata.tables.values() if t.name in existing)


def _adopt(
    conn: Connection, ctx: MigrationContext, metadata: MetaData, prefix: str, schema: str | None
) -> None:
    """Stamp head on tables created before migrations existed, if they match the MetaData.

    The tables of such stores were made by ``metadata.create_all`` of minzu-core 0.1, i.e.
    revision 0001; while head is 0001 the live MetaData is that snapshot. (Once a later
    revision exists, a pre-migration store no longer matches and is refused, never stamped.)
    """
    differences = _differences(conn, metadata, prefix, schema)
    if differences:
        raise _mismatch(differences)
    ctx.stamp(_scripts(), "head")


# -- the API -----------------------------------------------------------------------------------
def current_revision(
    bind: Bind, *, prefix: str = "minzu_", schema: str | None = None
) -> str | None:
    """The revision the database is at (``None``: not versioned — empty, or created before
    migrations existed)."""
    _metadata(prefix, schema)
    with _begin(bind) as conn:
        return _current(_context(conn, prefix, schema))


def schema_differences(
    bind: Bind, *, prefix: str = "minzu_", schema: str | None = None
) -> list[Any]:
    """Alembic's ``compare_metadata`` diff between the database and ``build_metadata(prefix,
    schema)``, limited to the store's tables (empty: no drift)."""
    metadata = _metadata(prefix, schema)
    with _begin(bind) as conn:
        return _differences(conn, metadata, prefix, schema)


def create_schema(bind: Bind, *, prefix: str = "minzu_", schema: str | None = None) -> str:
    """Create the tables of a new database from the ``MetaData`` and stamp head.

    Returns the revision stamped. Raises ``StoreError(code="schema_exists")`` when any of the
    store's tables or its version table exists already (use :func:`upgrade_schema`).
    """
    metadata = _metadata(prefix, schema)
    with _begin(bind) as conn:
        _prepare(conn, schema)
        ctx = _context(conn, prefix, schema)
        current = _current(ctx)
        if current is not None or _present(conn, metadata, schema):
            raise _exists(current)
        metadata.create_all(conn)
        ctx.stamp(_scripts(), "head")
        return head_revision()


def upgrade_schema(
    bind: Bind, *, prefix: str = "minzu_", schema: str | None = None, revision: str = "head"
) -> str | None:
    """Run the shipped revisions up to ``revision`` (an empty database gets every table).

    Tables of a store created before migrations existed (no version table) are verified
    against the ``MetaData`` and stamped instead (``StoreError(code="schema_mismatch")`` if they
    differ). Returns the revision the database is at afterwards.
    """
    metadata = _metadata(prefix, schema)
    with _begin(bind) as conn:
        _prepare(conn, schema)
        ctx = _context(conn, prefix, schema)
        current = _current(ctx)
        if current is not None and not _known(current):
            raise _unknown_revision(current)
        if current is None and _present(conn, metadata, schema):
            _adopt(conn, ctx, metadata, prefix, schema)
            if revision in ("head", head_revision()):
                return head_revision()
        try:
            command.upgrade(alembic_config(prefix=prefix, schema=schema, connection=conn), revision)
        except CommandError as err:
            raise StoreError(
                f"未知的表结构版本 {revision}",
                f"unknown schema revision {revision}",
                code="unknown_revision",
                field="revision",
            ) from err
        return _current(_context(conn, prefix, schema))


def ensure_schema(
    bind: Bind, *, prefix: str = "minzu_", schema: str | None = None
) -> EnsureOutcome:
    """Make sure the database can be used by this version of minzu-core (what
    ``open_sql_store(create_tables=True)`` calls).

    * no tables and no version table → create from the ``MetaData`` and stamp head (``"created"``);
    * at head → nothing (``"up_to_date"``);
    * the store's tables without a version table (stores created before migrations) → verified
      against the ``MetaData`` and stamped (``"adopted"``; ``StoreError(code="schema_mismatch")``
      if they differ);
    * behind head → ``StoreError(code="schema_outdated")``: run ``minzu schema upgrade``;
    * at a revision this version does not know → ``StoreError(code="schema_unknown_revision")``.
    """
    metadata = _metadata(prefix, schema)
    head = head_revision()
    with _begin(bind) as conn:
        _prepare(conn, schema)
        ctx = _context(conn, prefix, schema)
        current = _current(ctx)
        if current == head:
            return "up_to_date"
        if current is not None:
            raise _outdated(current, head) if _known(current) else _unknown_revision(current)
        if not _present(conn, metadata, schema):
            metadata.create_all(conn)
            ctx.stamp(_scripts(), "head")
            return "created"
        _adopt(conn, ctx, metadata, prefix, schema)
        return "adopted"
