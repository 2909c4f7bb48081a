"""Live questions answered on the board after the session; a `questions` digest sends them to everyone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from drip.extensions import db
from drip.models import LiveQuestion, TrainingSession, utcnow

MAX_ANSWER = 2000


class AnswerInvalid(ValueError):
    """An answer that cannot be saved (too long)."""


def open_questions(training_session: TrainingSession) -> list[LiveQuestion]:
    """Questions not answered in the room (or answered since on the board), oldest first; hidden ones left out."""
    return list(
        db.session.scalars(
            select(LiveQuestion)
            .where(
                LiveQuestion.session_id == training_session.id,
                LiveQuestion.hidden.is_(False),
                or_(LiveQuestion.answered.is_(False), LiveQuestion.answer.is_not(None)),
            )
            .order_by(LiveQuestion.created_at, LiveQuestion.id)
        )
    )


def find(training_session: TrainingSession, question_id: int) -> LiveQuestion | None:
    """A question of this session, or None."""
    question = db.session.get(LiveQuestion, question_id)
    return question if question is not None and question.session_id == training_session.id else None


def answer(question: LiveQuestion, text: str, *, now: datetime | None = None) -> None:
    """Save (or, with an empty text, withdraw) the trainer's answer to a question; commits."""
    text = (text or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if len(text) > MAX_ANSWER:
        raise AnswerInvalid(f"an answer can be at most {MAX_ANSWER} characters (this one is {len(text)})")
    question.answer = text or None
    question.answered_after_at = (now or utcnow()) if text else None
    db.session.commit()
