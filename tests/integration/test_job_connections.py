"""A send job keeps the database connections of the process it runs in: only a forked horse drops them."""

from __future__ import annotations

import gc
import os
import warnings

from sqlalchemy import event, text

from drip import jobs
from drip.extensions import db


def test_a_job_performed_in_process_keeps_and_later_closes_its_pooled_connections(app):
    db.session.execute(text("SELECT 1"))  # a connection this process opened, checked out by the session
    raw = db.session.connection().connection.dbapi_connection
    pool, closed_by_pool = db.engine.pool, []

    def on_close(connection, _record):
        closed_by_pool.append(connection)

    event.listen(db.engine, "close", on_close)

    assert jobs.send_batch([], "drip-send-in-process") == {"not_ours": 0}  # as `Job.perform()` runs it
    db.session.remove()
    kept = db.engine.pool is pool
    db.engine.dispose()
    event.remove(db.engine, "close", on_close)
    closed = any(connection is raw for connection in closed_by_pool)
    del raw
    closed_by_pool.clear()  # no reference left: the collector would find the connection, open or closed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()  # a connection left open would warn here ("... was deleted while still open")

    assert kept, "the job replaced this process's pool, leaving its connections to the garbage collector"
    assert closed, "the connection was not closed with the pool"
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [str(w.message) for w in caught]


def test_a_forked_horse_forgets_the_parents_pool(app):
    db.engine.dispose()  # nothing pooled: the stand-in parent's connections are not this test's to leak
    pool = db.engine.pool
    db.engine._drip_pool_pid = os.getpid() + 1  # as a horse sees the engine its parent created

    jobs._forget_inherited_connections()

    assert db.engine.pool is not pool  # a fresh pool: the parent's sockets are never used here
    pool = db.engine.pool
    jobs._forget_inherited_connections()
    assert db.engine.pool is pool  # once per process
