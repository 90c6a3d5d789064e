"""Alembic environment of the minzu SQL store's migrations.

The table-name prefix and the schema reach the revisions as keyword arguments of their
``upgrade``/``downgrade`` functions. They are read, in this order, from
``config.attributes["minzu_prefix"/"minzu_schema"]`` (set by
:func:`minzu_adapters.sql.migrate.alembic_config`), ``-x prefix=… -x schema=…`` on the
``alembic`` command line, and the main options ``minzu_prefix``/``minzu_schema``; the default is
prefix ``minzu_`` in the connection's default schema. Progress is recorded in
``<prefix>alembic_version`` in that schema, never in the host's ``alembic_version``.

The connection is ``config.attributes["connection"]`` when given (its transaction is the
caller's), else a new one to ``sqlalchemy.url``. Offline (``--sql``) mode is supported.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from minzu_adapters.sql.migrate import (
    _comparison_options,
    _metadata,
    _prepare,
    _version_options,
)

config = context.config


def _parameters() -> tuple[str, str | None]:
    x_args = context.get_x_argument(as_dictionary=True)

    def pick(name: str, default: str | None) -> str | None:
        key = f"minzu_{name}"
        if key in config.attributes:
            value: str | None = config.attributes[key]
            return value
        if name in x_args:
            return x_args[name]
        return config.get_main_option(key, default)

    prefix = pick("prefix", "minzu_")
    return (prefix if prefix is not None else "minzu_"), (pick("schema", None) or None)


def _run_online(connection: Connection, prefix: str, schema: str | None) -> None:
    metadata = _metadata(prefix, schema)
    _prepare(connection, schema)
    options: dict[str, Any] = _comparison_options(connection, metadata, prefix, schema)
    context.configure(
        connection=connection,
        render_as_batch=connection.dialect.name == "sqlite",
        **options,
    )
    with context.begin_transaction():
        context.run_migrations(prefix=prefix, schema=schema)


def _run_offline(prefix: str, schema: str | None) -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=_metadata(prefix, schema),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_version_options(prefix, schema),
    )
    with context.begin_transaction():
        context.run_migrations(prefix=prefix, schema=schema)


def _main() -> None:
    prefix, schema = _parameters()
    if context.is_offline_mode():
        _run_offline(prefix, schema)
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_online(connection, prefix, schema)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url or config.attributes['connection']")
    engine = create_engine(url, poolclass=pool.NullPool, hide_parameters=True)
    try:
        with engine.begin() as conn:
            _run_online(conn, prefix, schema)
    finally:
        engine.dispose()


_main()
