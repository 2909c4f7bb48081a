"""The migrations build the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from drip.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, db.metadata)
    assert differences == []
