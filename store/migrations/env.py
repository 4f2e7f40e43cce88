"""Alembic environment: runs on the connection ``store.database.Store.migrate`` hands over (no alembic.ini)."""

from alembic import context

from store.tables import Base

connection = context.config.attributes["connection"]
# Batch mode lets later revisions alter tables on SQLite too (it rebuilds them).
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
