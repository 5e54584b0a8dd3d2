"""Alembic environment: the project's metadata and an engine built like the app's."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import referral_service.domain.models  # noqa: F401  (registers every table)
from referral_service.db import build_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    url = config.attributes.get("database_url")
    if url is None:
        from config import load_config

        url = load_config().DATABASE_URL
    # SQLite migrations rebuild tables (batch mode); foreign keys are checked again by the app.
    engine = build_engine(url, foreign_keys=False)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
