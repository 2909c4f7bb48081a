"""Database engine settings that depend on the backend."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from flask import Flask
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine

from drip.extensions import db
from drip.models.types import utcnow


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Web and worker write at the same time: WAL lets readers go on while one writes,
    # and the busy timeout makes a writer wait for the lock instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def is_sqlite() -> bool:
    """True when the bound database is SQLite (no SKIP LOCKED, one writer at a time)."""
    return db.engine.dialect.name == "sqlite"


def database_clock():
    """Now, as the database sees it: PostgreSQL's now() in SQL, the local clock on SQLite (one machine)."""
    # Workers on many machines decide what is due and how old a claim is: one clock, the database's,
    # keeps a worker whose clock runs ahead from sending early or expiring another's lease.
    return utcnow() if is_sqlite() else func.now()


def database_now() -> datetime:
    """Now by the database's clock, as an aware UTC datetime (one round trip on PostgreSQL)."""
    if is_sqlite():
        return utcnow()
    return db.session.scalar(select(func.now())).astimezone(timezone.utc)


def ping() -> None:
    """One round trip to the database; raises whatever the driver raises when it does not answer."""
    db.session.execute(text("SELECT 1"))


def own_pool(engine: Engine) -> None:
    """Record that this process owns the engine's pooled connections (it opened them, it closes them)."""
    engine._drip_pool_pid = os.getpid()  # type: ignore[attr-defined]


def pool_inherited(engine: Engine) -> bool:
    """True in a forked child whose engine's pooled connections are the parent's (drip.jobs)."""
    return getattr(engine, "_drip_pool_pid", None) != os.getpid()


def init_app(app: Flask) -> None:
    """Mark the engine as this process's; install per-connection settings for SQLite."""
    with app.app_context():
        engine: Engine = db.engine
        # The process creating the app owns its pool. A send job run in it (`rq` in-process, a test)
        # must not take the pool for a fork's inheritance and drop its open connections unclosed.
        own_pool(engine)
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and not getattr(engine, "_drip_pragmas", False):
            event.listen(engine, "connect", _sqlite_pragmas)
            engine._drip_pragmas = True  # type: ignore[attr-defined]
