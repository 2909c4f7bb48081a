"""The live question board: questions of a session, the trainer's marks, and their push through Redis pub/sub.

Any web process may receive the webhook and any other may hold the trainer's event stream, so every
change is published on the session's channel after it is committed (see board_stream for the reader).
"""

from __future__ import annotations

import json
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import redis
from sqlalchemy import select

from drip.extensions import db, redis_store
from drip.models import Learner, LiveQuestion, TrainingSession

MARKS = ("answered", "starred", "hidden", "approved")
_logger = logging.getLogger(__name__)


def channel_name(session_id: int) -> str:
    """The Redis pub/sub channel of one session's board.

    Pub/sub ignores the database number, so the channel names it: two deployments (or a test run and
    a benchmark) sharing one Redis server on different databases never see each other's boards."""
    database = redis_store.connection.connection_pool.connection_kwargs.get("db", 0)
    return f"drip:{database}:board:{session_id}"


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def question_data(question: LiveQuestion, training_session: TrainingSession, learner: Learner | None) -> dict:
    """What the board shows of a question (the projector drops `learner_name`)."""
    return {
        "id": question.id,
        "body": question.body,
        "learner_name": learner.name if learner else "Unknown number",
        "answered": question.answered,
        "starred": question.starred,
        "hidden": question.hidden,
        "approved": question.approved,
        "created_at": question.created_at.isoformat(),
        "time": question.created_at.astimezone(_zone(training_session.timezone)).strftime("%H:%M"),
    }


def questions(training_session: TrainingSession) -> list[dict]:
    """Every question of the session, oldest first, as the board shows them."""
    rows = db.session.execute(
        select(LiveQuestion, Learner)
        .outerjoin(Learner, LiveQuestion.learner_id == Learner.id)
        .where(LiveQuestion.session_id == training_session.id)
        .order_by(LiveQuestion.created_at, LiveQuestion.id)
    ).all()
    return [question_data(question, training_session, learner) for question, learner in rows]


def snapshot(training_session: TrainingSession) -> dict:
    """The whole board in one event: questions, poll charts and what the projector shows."""
    from drip.services.board import polls as live_polls

    return {
        "type": "snapshot",
        "questions": questions(training_session),
        "polls": live_polls.charts(training_session),
        "projector_approved_only": training_session.projector_approved_only,
        "projector_poll": training_session.projector_poll_step_id,
    }


def _publish(session_id: int, event: dict) -> None:
    # The question is committed already: if Redis is down, the next (re)connection's snapshot shows it.
    try:
        redis_store.connection.publish(channel_name(session_id), json.dumps(event))
    except redis.RedisError as error:
        _logger.warning("board event for session %s not published: %s", session_id, error)


def question_event(question: LiveQuestion) -> dict:
    """The board event for a question; build it before a commit to spare the reloads after it."""
    training_session = db.session.get(TrainingSession, question.session_id)
    learner = db.session.get(Learner, question.learner_id) if question.learner_id else None
    return {"type": "question", "question": question_data(question, training_session, learner)}


def publish_event(session_id: int, event: dict) -> None:
    """Send a prepared event to every open board of the session (call after commit)."""
    _publish(session_id, event)


def publish_question(question: LiveQuestion) -> None:
    """Tell every open board of the session about a new or changed question (call after commit)."""
    publish_event(question.session_id, question_event(question))


def removal_event(question_id: int) -> dict:
    """The board event for a question that left the board (re-filed as a reply)."""
    return {"type": "question_removed", "id": question_id}


def find_question(training_session: TrainingSession, question_id: int) -> LiveQuestion | None:
    """A question of this session, or None (another session's id is not found)."""
    question = db.session.get(LiveQuestion, question_id)
    return question if question is not None and question.session_id == training_session.id else None


def mark(question: LiveQuestion, what: str, value: bool) -> LiveQuestion:
    """Set answered, starred, hidden or approved on a question, commit and publish it."""
    if what not in MARKS:
        raise ValueError(f"unknown mark {what!r}")
    setattr(question, what, bool(value))
    db.session.commit()
    publish_question(question)
    return question


def update_settings(
    training_session: TrainingSession,
    *,
    projector_approved_only: bool | None = None,
    acknowledgement: str | None = None,
) -> None:
    """Change the projector filter or the SMS acknowledgement; open projectors follow at once."""
    if projector_approved_only is not None:
        training_session.projector_approved_only = bool(projector_approved_only)
    if acknowledgement is not None:
        training_session.acknowledgement = acknowledgement.replace("\x00", "").strip()[:500]
    db.session.commit()
    from drip.services.board.polls import settings_event

    _publish(training_session.id, settings_event(training_session))
