"""A learner's timeline across sessions: messages with their status, replies, live questions, opt-outs."""

from __future__ import annotations

from sqlalchemy import select

from drip.extensions import db
from drip.models import Delivery, Learner, LiveQuestion, OptOutEvent, Reply, Step, Trainer, TrainingSession


def timeline(learner: Learner, trainer: Trainer) -> tuple[list[dict], list[OptOutEvent], list[TrainingSession]]:
    """(events oldest first, opt-outs newest first, the sessions messages came from) for one learner."""
    deliveries = db.session.execute(
        select(Delivery, Step, TrainingSession)
        .join(Step, Step.id == Delivery.step_id)
        .join(TrainingSession, TrainingSession.id == Delivery.session_id)
        .where(Delivery.learner_id == learner.id)
        .order_by(Delivery.due_at, Delivery.id)
    ).all()
    events = [
        {"at": d.sent_at or d.due_at, "type": "message", "delivery": d, "step": s, "ts": ts} for d, s, ts in deliveries
    ]
    for reply in db.session.scalars(
        select(Reply).where(Reply.learner_id == learner.id, Reply.trainer_id == trainer.id)
    ):
        events.append({"at": reply.created_at, "type": "reply", "reply": reply})
    questions = (
        select(LiveQuestion)
        .join(TrainingSession, TrainingSession.id == LiveQuestion.session_id)
        .where(LiveQuestion.learner_id == learner.id, TrainingSession.trainer_id == trainer.id)
    )
    for question in db.session.scalars(questions):
        events.append({"at": question.created_at, "type": "question", "question": question})
    events.sort(key=lambda event: event["at"])
    opt_outs = list(
        db.session.scalars(
            select(OptOutEvent).where(OptOutEvent.learner_id == learner.id).order_by(OptOutEvent.created_at.desc())
        )
    )
    sessions = {event["ts"].id: event["ts"] for event in events if event["type"] == "message"}
    return events, opt_outs, list(sessions.values())
