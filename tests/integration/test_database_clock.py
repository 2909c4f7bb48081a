"""database_now: the database's clock as it is now, not when the caller's transaction began."""

from __future__ import annotations

import time

from sqlalchemy import select

from drip.database import database_now
from drip.extensions import db
from drip.models import Trainer


def test_database_now_moves_on_inside_an_open_transaction(app):
    db.session.scalar(select(Trainer.id))  # a transaction is open from here
    first = database_now()
    time.sleep(0.2)  # the time that should show, not a wait for something to happen
    second = database_now()
    assert (second - first).total_seconds() >= 0.19
    db.session.rollback()
