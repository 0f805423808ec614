"""Alembic environment: azby runs migrations in-process on the store's own connection.

``storage.open_store`` passes a synchronous connection in ``config.attributes["connection"]``
(from ``AsyncConnection.run_sync``); there is no alembic.ini and no logging configuration here,
so the application's logging stays as it is.
"""

from alembic import context

from storage._search import include_name
from storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("azby migrations run through storage.open_store or `azby db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
