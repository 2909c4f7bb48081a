"""Database engine settings that depend on the backend."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime, timezone

from flask import Flask
from typing import Any

from sqlalchemy import String, bindparam, event, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from drip import copy_text
from drip.extensions import db
from drip.models import Delivery, Learner, OutboxMessage
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


def any_of(column, keys: list[str]):
    """`column IN keys`, the keys as one array parameter on PostgreSQL (text keys)."""
    if db.engine.dialect.name == "postgresql":
        # psycopg prepares a statement run 5 times, and PostgreSQL's generic plan for `IN ($1, ...,
        # $500)` or `= ANY($1)` then compares every row with the list one value at a time: learner
        # lookups took 84 ms a chunk of 500 in a 10,000-row import. A semi-join on the unnested array
        # hashes the keys whichever plan is chosen (8 ms; bench/README.md).
        return column.in_(select(func.unnest(bindparam(None, keys, type_=ARRAY(String)))))
    return column.in_(keys)


def database_clock():
    """Now, as the database sees it: PostgreSQL's now() in SQL, the local clock on SQLite (one machine)."""
    # Workers on many machines decide what is due and how old a claim is: one clock, the database's,
    # keeps a worker whose clock runs ahead from sending early or expiring another's lease.
    return utcnow() if is_sqlite() else func.now()


def database_now() -> datetime:
    """Now by the database's clock, as an aware UTC datetime (one round trip on PostgreSQL).

    clock_timestamp(), not now(): now() is when the session's transaction began, which may be
    seconds ago in a caller that has already read something."""
    if is_sqlite():
        return utcnow()
    return db.session.scalar(select(func.clock_timestamp())).astimezone(timezone.utc)


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


def next_ids(model, count: int) -> list[int]:
    """`count` new ids from the PostgreSQL sequence of the model's table, in one round trip."""
    table = model.__table__.name
    query = text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)")
    return list(db.session.scalars(query, {"n": count}))


def insert_rows(model, rows: list[dict[str, Any]]) -> int:
    """Insert many rows of a model: COPY on PostgreSQL, one executemany elsewhere."""
    if not rows:
        return 0
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, model.__table__, rows)
    else:
        db.session.execute(insert(model), rows)
    return len(rows)


def insert_shared(model, varying: tuple[str, ...], rows: list[tuple[tuple, dict[str, Any]]]) -> int:
    """Insert rows that each join a few values of their own (the columns `varying`, in order) to a
    dict of values shared with many other rows (every dict with the same keys).

    On PostgreSQL each distinct shared dict is bound and written out once, not once per row: 100,000
    deliveries of 10,000 learners share 10 x (time zones) dicts (bench/README.md, drip/copy_text.py)."""
    if not rows:
        return 0
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(insert(model), [dict(zip(varying, own), **shared) for own, shared in rows])
        return len(rows)
    table = model.__table__
    shared_names = list(rows[0][1])
    columns, makers = columns_with_defaults(table, [*varying, *shared_names])
    dialect = connection.dialect
    split = len(varying) + len(shared_names)
    # A default made per row (the reply token) goes with the row's own values, a constant one with the shared.
    per_row = [(c, m) for c, m in zip(columns[split:], makers) if callable(m)]
    constant = [(c, m) for c, m in zip(columns[split:], makers) if not callable(m)]
    head_columns = columns[: len(varying)] + [c for c, _ in per_row]
    tail_columns = columns[len(varying) : split] + [c for c, _ in constant]
    head_binders, tail_binders = bind_processors(head_columns), bind_processors(tail_columns)
    make = [m for _, m in per_row]
    fixed = [m for _, m in constant]
    plain = not any(head_binders)
    tails: dict[int, str] = {}
    lines: list[str] = []
    with _copy_into(connection, table, head_columns + tail_columns) as copy:
        for own, shared in rows:
            tail = tails.get(id(shared))
            if tail is None:
                values = bound_values(tail_binders, [shared[name] for name in shared_names] + fixed, dialect)
                tail = tails[id(shared)] = "".join("\t" + copy_text.field(v) for v in values) + "\n"
            head = [*own, *[m() for m in make]]
            lines.append(copy_text.fields(head if plain else bound_values(head_binders, head, dialect)) + tail)
            if len(lines) == _COPY_LINES:
                copy.write("".join(lines))
                lines.clear()
        copy.write("".join(lines))
    return len(rows)


_COPY_LINES = 5000  # rows per write: a few hundred kilobytes


def columns_with_defaults(table, names: list[str]) -> tuple[list, list]:
    """The named columns then those with a Python default, and each default's value maker."""
    defaults = [c for c in table.columns if c.key not in names and c.default is not None and not c.primary_key]
    makers = [(c.default.arg if c.default.is_scalar else (lambda f=c.default.arg: f(None))) for c in defaults]
    return [table.c[name] for name in names] + defaults, makers


def bind_processors(columns) -> list:
    """Each column type's bind processing (an enum's value, a UTC instant made naive), or None."""
    return [c.type.process_bind_param if hasattr(c.type, "process_bind_param") else None for c in columns]


def bound_values(binders, values, dialect) -> list:
    """The values as the database takes them, through bind_processors' functions."""
    return [b(v, dialect) if b else v for b, v in zip(binders, values)]


@contextmanager
def _copy_into(connection, table, columns):
    import psycopg

    sql = f"COPY {table.name} ({', '.join(c.name for c in columns)}) FROM STDIN"
    try:
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
            yield copy
    except psycopg.IntegrityError as error:
        # As SQLAlchemy raises it for an INSERT: a caller retrying after a concurrent write catches one kind.
        raise IntegrityError(sql, None, error) from error


def _copy(connection, table, rows: list[dict[str, Any]]) -> None:
    # psycopg sends an executemany as one INSERT per row; COPY streams them (about 3x faster here).
    # COPY skips SQLAlchemy, so the columns' Python defaults and bind processing are applied here.
    names = list(rows[0])
    columns, makers = columns_with_defaults(table, names)
    binders = bind_processors(columns)
    dialect = connection.dialect
    with _copy_into(connection, table, columns) as copy:
        for row in rows:
            values = [row[name] for name in names] + [m() if callable(m) else m for m in makers]
            copy.write_row(bound_values(binders, values, dialect))


def record_outbox(row: dict) -> None:
    """Store one message the outbox channel sent (the channel is given this function); without a trainer, the one whose learner the delivery is for."""
    if row["trainer_id"] is None and row["delivery_id"] is not None:
        row = {
            **row,
            "trainer_id": select(Learner.trainer_id)
            .join(Delivery, Delivery.learner_id == Learner.id)
            .where(Delivery.id == row["delivery_id"])
            .scalar_subquery(),
        }
    # Its own transaction: the caller's session may hold other work that must not commit with it.
    with db.engine.begin() as connection:
        connection.execute(insert(OutboxMessage).values(**row))
