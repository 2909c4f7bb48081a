"""The room's questions as every learner of a session sees them, read at most twice a second in each process.

Five hundred phones with the cohort page open refresh the room every five seconds: a hundred reads
a second of the same few hundred questions. Each web process reads them once per half second and
session (and moderation mode, which decides what the room sees), masks them once, and hands the same
rows to every reader; only the learner's own votes are read for each request. A vote, an approval or
a hidden question reaches the pages within half a second more than before (the page refreshes every
five); a vote from this process is seen at once (`forget`). The rows live on the app, so every app
(each test's) starts with none.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app
from sqlalchemy import select

from drip.domain.cohort import masked
from drip.extensions import db
from drip.models import LiveQuestion, TrainingSession
from drip.services.cohort.recent import Recent

MAX_AGE = 0.5  # seconds a read of the room's questions is handed out again
LIMIT = 500  # questions the room shows, most voted first
KEY = "drip_room_rows"


class RoomRows(Recent):
    """One app's recent reads of rooms: (session id, moderation) → (when, rows)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        super().__init__(MAX_AGE, clock)

    def forget(self, session_id: int) -> None:
        """Read the session's rooms afresh next time."""
        self.drop(lambda key: key[0] == session_id)


def _rows() -> RoomRows:
    return current_app.extensions.setdefault(KEY, RoomRows())


def shown_questions(ts: TrainingSession, conditions: tuple) -> tuple[tuple[int, str, int], ...]:
    """(id, masked body, votes) of the questions the room sees, most voted first; `conditions` select them."""

    def read() -> tuple:
        rows = db.session.execute(
            select(LiveQuestion.id, LiveQuestion.body, LiveQuestion.votes)
            .where(*conditions)
            .order_by(LiveQuestion.votes.desc(), LiveQuestion.created_at, LiveQuestion.id)
            .limit(LIMIT)
        ).all()
        return tuple((qid, masked(body), votes) for qid, body, votes in rows if body.strip())

    return _rows().get((ts.id, ts.moderation), read)


def forget(session_id: int) -> None:
    """Read the session's room afresh next time (after a change made in this process)."""
    _rows().forget(session_id)
