"""Alembic environment: runs migrations on the engine of the current Flask app."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
engine = migrate_ext.db.engine
config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
target_metadata = migrate_ext.db.metadata


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations against the database."""

    def skip_empty(context_, revision, directives):
        # An autogenerate that finds nothing should not write an empty revision file.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(migrate_ext.configure_args)
    conf_args.setdefault("process_revision_directives", skip_empty)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _foreign_keys_off(connection)
        context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                _check_foreign_keys(connection)


def _foreign_keys_off(connection) -> None:
    """SQLite changes a table's constraints by building a new table and dropping the old one; with
    foreign keys on, that DROP deletes (or nulls) every row pointing at the old table: enrolments
    and deliveries with their session, replies' links to their delivery. So migrations run with
    them off, on a connection of their own that is closed afterwards (never handed back to the
    pool without them), and the result is checked before it is committed."""
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction, where SQLite honours it
    still_on = connection.exec_driver_sql("PRAGMA foreign_keys").scalar() != 0
    connection.commit()  # no transaction left open: Alembic begins (and commits) its own
    connection.connection.detach()
    if still_on:
        raise RuntimeError("SQLite kept foreign keys on: migrating now could delete rows")


def _check_foreign_keys(connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left rows pointing at nothing (table, rowid, parent): {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
