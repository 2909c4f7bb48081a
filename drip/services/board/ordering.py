"""How a session's board and projector order live questions: newest first, or most voted first."""

from __future__ import annotations

from drip.domain import catalog
from drip.extensions import db
from drip.models import TrainingSession
from drip.services.board import board
from drip.services.board.polls import settings_event


def set_order(training_session: TrainingSession, order: str) -> None:
    """Order the session's questions by "time" or "votes"; commits, and open boards and projectors follow at once."""
    if order not in catalog.QUESTION_ORDERS:
        raise ValueError(f"unknown question order {order!r}")
    training_session.question_order = order
    db.session.commit()
    board.publish_event(training_session.id, settings_event(training_session))
