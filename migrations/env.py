"""Alembic environment: the database comes from CRM_DATABASE_URL (or the caller's config)."""

from alembic import context
from sqlalchemy import create_engine, pool

from app.config import get_settings
from app.models import metadata
from app.persistence.db import normalize_url

config = context.config


def _url() -> str:
    return normalize_url(config.attributes.get("database_url") or get_settings().database_url)


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


# PostgreSQL-only columns no model declares (migration 0026, docs/architecture.md#the-outbox)
_UNMODELLED = {("outbox_event", "xact_id")}


def _include(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
    return not (type_ == "column" and (obj.table.name, name) in _UNMODELLED)


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
