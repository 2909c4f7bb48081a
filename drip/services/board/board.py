"""The live question board: questions of a session, the trainer's marks, and their push through Redis pub/sub.

Any web process may receive the webhook and any other may hold the trainer's event stream, so every
change is published on the session's channel after it is committed (see board_stream for the reader).
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from drip.domain import catalog
from drip.extensions import db
from drip.models import Learner, LiveQuestion, TrainingSession
from drip.services.board.publish import channel_name, publish_event  # noqa: F401 (the channel, as callers name it)
from drip.services.cohort import room_rows
from drip.services.media import shown

MARKS = ("answered", "starred", "hidden", "approved")
_logger = logging.getLogger(__name__)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def question_data(
    question: LiveQuestion, training_session: TrainingSession, learner: Learner | None, pictures: list | None = None
) -> dict:
    """What the board shows of a question (the projector drops `learner_name`); its pictures read unless given."""
    if pictures is None:
        pictures = shown.pictures_for([question.inbound_message_id]).get(question.inbound_message_id)
    return {
        "id": question.id,
        "body": question.body,
        "learner_name": learner.name if learner else "Unknown number",
        "answered": question.answered,
        "starred": question.starred,
        "hidden": question.hidden,
        "approved": question.approved,
        "votes": question.votes or 0,  # learners who seconded it on the cohort page
        # Approve-first sessions keep a question off the projector (its text too) until the trainer approves it.
        "on_projector": not question.hidden and (question.approved or training_session.moderation == "open"),
        "created_at": question.created_at.isoformat(),
        "time": question.created_at.astimezone(_zone(training_session.timezone)).strftime("%H:%M %Z"),
        "pictures": shown.board_pictures(pictures),
    }


def questions(training_session: TrainingSession) -> list[dict]:
    """Every question of the session, oldest first, as the board shows them."""
    rows = db.session.execute(
        select(LiveQuestion, Learner)
        .outerjoin(Learner, LiveQuestion.learner_id == Learner.id)
        .where(LiveQuestion.session_id == training_session.id)
        .order_by(LiveQuestion.created_at, LiveQuestion.id)
    ).all()
    pictures = shown.pictures_for([question.inbound_message_id for question, _ in rows])
    return [
        question_data(question, training_session, learner, pictures.get(question.inbound_message_id, []))
        for question, learner in rows
    ]


def snapshot(training_session: TrainingSession) -> dict:
    """The whole board in one event: questions, poll charts and what the projector shows."""
    from drip.services.board import polls as live_polls

    return {
        "type": "snapshot",
        "questions": questions(training_session),
        "polls": live_polls.charts(training_session),
        "moderation": training_session.moderation,
        "projector_poll": training_session.projector_poll_step_id,
        "order": training_session.question_order,
    }


def question_event(question: LiveQuestion, pictures: list | None = None) -> dict:
    """The board event for a question; build it before a commit to spare the reloads after it."""
    training_session = db.session.get(TrainingSession, question.session_id)
    learner = db.session.get(Learner, question.learner_id) if question.learner_id else None
    return {"type": "question", "question": question_data(question, training_session, learner, pictures)}


def publish_question(question: LiveQuestion) -> None:
    """Tell every open board of the session about a new or changed question (call after commit)."""
    room_rows.forget(question.session_id)  # and this process's cohort pages read the room afresh
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
    moderation: str | None = None,
    acknowledgement: str | None = None,
) -> None:
    """Change the moderation or the SMS acknowledgement; open projectors follow at once."""
    if moderation is not None:
        training_session.moderation = catalog.moderation(moderation).name
    if acknowledgement is not None:
        training_session.acknowledgement = acknowledgement.replace("\x00", "").strip()[:500]
    db.session.commit()
    from drip.services.board.polls import settings_event

    publish_event(training_session.id, settings_event(training_session))
