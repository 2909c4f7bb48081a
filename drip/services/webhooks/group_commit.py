"""Group commit: the webhooks a web process is answering at the same moment share one INSERT and one COMMIT.

A storm of status callbacks is many small requests at once. Each paying for its own pool checkout,
INSERT, COMMIT and Redis wake-up costs the web (and PostgreSQL, on the same cores) more than the
request itself. Here the first request to arrive leads: it writes every row waiting in the process,
its own included, in one statement per table and one transaction, wakes the lanes once, and hands
the lead to the next waiting request. A request answers only after its row is committed, so an
acknowledged webhook is never lost. With one request at a time (a quiet hour, a sync worker) this is
exactly one INSERT and one COMMIT, as before; under load the batches grow by themselves.

While the lead passes from batch to batch without a pause (a storm), the leaders write through one
connection, handed on with the lead: checking a connection out of the pool pings the database first
(pool_pre_ping), a round trip every request of the batch waited for. It goes back to the pool when
the lead is laid down, or at once when a write fails. The lanes are woken after the batch's requests
are released: a request answers once its row is committed, not once the workers have heard.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import Counter
from collections.abc import Callable

from sqlalchemy import UniqueConstraint
from sqlalchemy.dialects import postgresql, sqlite

from drip.extensions import db

BATCH_ROWS = 500  # rows a leader writes at most before handing over
WAIT_SECONDS = 30.0  # a follower gives up (and the webhook fails) if its batch is not written by then


class IntakeFailed(RuntimeError):
    """The batch this webhook's rows were in could not be committed: nothing of it is stored."""


class _Waiting:
    """One request's rows, waiting to be written; `new` counts those not stored before."""

    __slots__ = ("model", "rows", "lane", "done", "new", "error", "leads")

    def __init__(self, model, rows: list[dict], lane: str):
        self.model, self.rows, self.lane = model, rows, lane
        self.done = threading.Event()  # gevent makes this a greenlet's event in gunicorn's gevent workers
        self.new: int | None = None
        self.error: BaseException | None = None
        self.leads = False


_lock = threading.Lock()
_queue: list[_Waiting] = []
_leading = False
_held: tuple[int, object, object] | None = None  # (pid, engine, connection) the leaders write with


def store(model, rows: list[dict], lane: str, wake: Callable[[str], None]) -> int:
    """Write `rows` of `model` (skipping ones whose unique key is stored), committed; how many were new."""
    global _leading
    mine = _Waiting(model, rows, lane)
    with _lock:
        _queue.append(mine)
        mine.leads = not _leading
        _leading = True
    if not mine.leads:
        if not mine.done.wait(WAIT_SECONDS):
            with _lock:
                if not mine.leads:  # not handed the lead meanwhile: leave, so no one hands it to us later
                    if mine in _queue:
                        _queue.remove(mine)
                    raise IntakeFailed("the webhook's batch was not written in time")
        if not mine.leads:  # written by another request's batch
            if mine.error is not None:
                raise IntakeFailed("the webhook's batch could not be stored") from mine.error
            return mine.new or 0
    _lead(wake)
    if mine.error is not None:
        raise mine.error
    return mine.new or 0


def _lead(wake: Callable[[str], None]) -> None:
    """Write one batch (this request's row is in it), then pass the lead on or lay it down."""
    global _leading
    with _lock:
        batch = _queue[:BATCH_ROWS]
        del _queue[: len(batch)]
    lanes: set[str] = set()
    try:
        _write(batch)
        lanes = {item.lane for item in batch if item.new}
    except BaseException as error:  # every request in the batch hears why (its rows were not all stored)
        for item in batch:
            item.error = error
    finally:
        for item in batch:
            item.done.set()
        idle = None
        with _lock:
            if _queue:
                _queue[0].leads = True  # and the connection with it
                _queue[0].done.set()
            else:
                _leading = False
                idle = _release()
        if idle is not None:
            idle.close()
    for lane in sorted(lanes):
        wake(lane)  # one wake-up per lane per batch: the rows are committed, the workers may look


def _write(batch: list[_Waiting]) -> None:
    by_model: dict = {}
    for item in batch:
        by_model.setdefault(item.model, []).append(item)
    # One statement per table, each its own transaction (autocommit): no BEGIN and COMMIT round trips.
    # Every request's rows are in one statement, so each webhook is stored whole or not at all.
    connection = _connection()
    try:
        for model, items in by_model.items():
            _write_table(connection, model, items)
    except BaseException:
        failed = _release()  # perhaps broken: the next leader checks one out afresh (and pings it)
        if failed is not None:
            failed.invalidate()
            failed.close()
        raise


def _connection():
    """The connection the leaders write with (only the leader calls this): the held one, else a fresh one."""
    global _held
    engine = db.engine
    if _held is not None and _held[0] == os.getpid() and _held[1] is engine:
        return _held[2]
    stale = _release()  # another app's engine (tests build several); a forked parent's is left alone
    if stale is not None:
        stale.close()
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    _held = (os.getpid(), engine, connection)
    return connection


def _release():
    """Stop holding the leaders' connection; it, for the caller to close, or None."""
    global _held
    held, _held = _held, None
    return held[2] if held is not None and held[0] == os.getpid() else None


def _write_table(connection, model, items: list[_Waiting]) -> None:
    columns = unique_key(model)
    # Sorted by key, so two processes writing the same keys lock them in the same order (no deadlock).
    rows = sorted((row for item in items for row in item.rows), key=lambda row: tuple(row[c] for c in columns))
    result = connection.execute(_insert(model, columns, connection.dialect.name), rows[0] if len(rows) == 1 else rows)
    returned = Counter(tuple(r) for r in result.all())
    for item in items:
        item.new = 0
        for row in item.rows:
            key = tuple(row[c] for c in columns)
            if returned[key]:
                returned[key] -= 1  # of two equal rows in one batch, the first to ask stored it
                item.new += 1


@functools.cache
def unique_key(model) -> tuple[str, ...]:
    """The columns of the table's idempotency key (its one UniqueConstraint)."""
    (constraint,) = [c for c in model.__table__.constraints if isinstance(c, UniqueConstraint)]
    return tuple(column.name for column in constraint.columns)


@functools.cache
def _insert(model, columns: tuple[str, ...], dialect_name: str):
    # One cached Core statement with the rows as parameters (a VALUES list of literals compiles anew
    # each time); RETURNING names what was new on every driver, also for several rows at once.
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    table = model.__table__
    return dialect.insert(table).on_conflict_do_nothing().returning(*(table.c[name] for name in columns))
