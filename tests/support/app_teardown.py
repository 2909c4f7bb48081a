"""Closing a test app's database, so that nothing it lent out outlives the test open.

`Engine.dispose()` closes only the connections resting in the pool. One still lent to another thread
(a live server's request thread, the board's redraw thread drawing for this app) comes back later into
the discarded pool, or a redraw after the dispose opens one in the new pool of an engine no one holds;
either way the garbage collector finds a psycopg connection still open, and the warning fails whatever
test is running then.
"""

from __future__ import annotations

import time

from sqlalchemy.engine import Engine

from drip.services.board import redraws

WAIT_SECONDS = 5.0


def close_database(engine: Engine, seconds: float = WAIT_SECONDS) -> None:
    """Let the redraw thread finish what it holds for this app, wait until every connection lent out is
    back, then close them all; fail if one was kept."""
    assert redraws.settle(seconds), "a board redraw still waits after the test"
    deadline = time.monotonic() + seconds
    while engine.pool.checkedout() and time.monotonic() < deadline:
        time.sleep(0.01)
    kept = engine.pool.checkedout()
    engine.dispose()
    assert not kept, f"{kept} database connection(s) still lent to another thread {seconds:.0f} s after the test"
