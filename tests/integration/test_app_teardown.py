"""A test app's teardown closes every database connection it lent, even to the board's redraw thread.

A redraw the thread still held when a test ended used to run after the app's pool was disposed: its
connection stayed open in a pool no one held, and the garbage collector's ResourceWarning failed a later,
unrelated test (tests/support/app_teardown.py).
"""

from __future__ import annotations

from sqlalchemy import text

from drip import create_app
from drip.extensions import db, redis_store
from drip.services.board import redraws
from tests.support.app_teardown import close_database

KIND = "teardown-probe"


def test_a_redraw_still_waiting_when_the_test_ends_leaves_no_connection_open(app_config, _migrated):
    drawn = []
    redraws.register(KIND, lambda session_id, subject_id: drawn.append(db.session.scalar(text("SELECT 1"))))
    app = create_app(app_config)
    with app.app_context():
        engine = db.engine
        redis_store.connection.set(f"drip:redraw:{KIND}:1:1:window", 1, px=redraws.WINDOW_MS)  # a vote just drew
        redraws.request(KIND, 1, 1)  # the next vote's redraw waits for the thread
        assert not drawn
        close_database(engine)
    assert redraws.settle()
    assert drawn == [1]  # drawn while the app was whole, not after its pool was closed
    assert engine.pool.checkedout() == engine.pool.checkedin() == 0  # nothing left open to the collector
