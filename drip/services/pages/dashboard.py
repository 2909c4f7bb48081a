"""What the dashboard tells a trainer: what goes out next in each session, and what waits for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from drip.domain import catalog
from drip.extensions import db
from drip.models import Delivery, LiveQuestion, Reply, Step, Trainer, TrainingSession

PENDING = catalog.statuses_where("pending")
PROBLEMS = catalog.statuses_where("problem")
SHAREABLE = ("discussion_reply", "practice_report")  # what a digest can quote, once approved


@dataclass(frozen=True)
class NextStep:
    """A session's next message: which step, when, to how many learners."""

    step: Step
    due_at: datetime
    learners: int


@dataclass
class Waiting:
    """What waits for the trainer in one session: each a count, zero when nothing waits."""

    training_session: TrainingSession
    to_approve: int = 0  # live questions not yet on the projector (approve-first sessions)
    to_read: int = 0  # replies not yet reviewed
    to_share: int = 0  # discussion answers and practice reports a digest could quote once approved
    problems: int = 0  # messages failed, undelivered or of unknown fate

    @property
    def anything(self) -> bool:
        """Whether anything waits at all."""
        return bool(self.to_approve or self.to_read or self.to_share or self.problems)


@dataclass
class Dashboard:
    """The dashboard's read model."""

    next_steps: dict[int, NextStep] = field(default_factory=dict)
    waiting: list[Waiting] = field(default_factory=list)


def _counts(query) -> dict[int, int]:
    return {session_id: count for session_id, count in db.session.execute(query)}


def next_steps(sessions: list[TrainingSession], now: datetime) -> dict[int, NextStep]:
    """Each session's next scheduled message (the earliest due, with how many learners get it then)."""
    found: dict[int, NextStep] = {}
    for training_session in sessions:
        row = db.session.execute(
            select(Delivery.step_id, Delivery.due_at)
            .where(Delivery.session_id == training_session.id, Delivery.status.in_(PENDING))
            .order_by(Delivery.due_at)
            .limit(1)
        ).first()
        if row is None:
            continue
        learners = db.session.scalar(
            select(func.count(func.distinct(Delivery.learner_id))).where(  # a quiz's re-asks are the same learners
                Delivery.session_id == training_session.id,
                Delivery.step_id == row.step_id,
                Delivery.status.in_(PENDING),
            )
        )
        found[training_session.id] = NextStep(db.session.get(Step, row.step_id), row.due_at, learners or 0)
    return found


def waiting(trainer: Trainer) -> list[Waiting]:
    """Sessions (not archived) where something waits for the trainer, most recent session first."""
    sessions = {
        ts.id: ts
        for ts in db.session.scalars(
            select(TrainingSession).where(
                TrainingSession.trainer_id == trainer.id, TrainingSession.archived_at.is_(None)
            )
        )
    }
    if not sessions:
        return []
    ids = list(sessions)
    to_approve = _counts(
        select(LiveQuestion.session_id, func.count())
        .join(TrainingSession, TrainingSession.id == LiveQuestion.session_id)
        .where(
            LiveQuestion.session_id.in_(ids),
            TrainingSession.moderation == "approve",
            LiveQuestion.approved.is_(False),
            LiveQuestion.hidden.is_(False),
            LiveQuestion.answered.is_(False),
        )
        .group_by(LiveQuestion.session_id)
    )
    replies = select(Reply.session_id, func.count()).where(
        Reply.session_id.in_(ids), Reply.kind.in_(catalog.learner_reply_kinds())
    )
    to_read = _counts(replies.where(Reply.reviewed_at.is_(None)).group_by(Reply.session_id))
    to_share = _counts(
        replies.where(Reply.kind.in_(SHAREABLE), Reply.shared.is_(False), Reply.reviewed_at.is_(None)).group_by(
            Reply.session_id
        )
    )
    problems = _counts(
        select(Delivery.session_id, func.count())
        .where(Delivery.session_id.in_(ids), Delivery.status.in_(PROBLEMS))
        .group_by(Delivery.session_id)
    )
    rows = [
        Waiting(ts, to_approve.get(sid, 0), to_read.get(sid, 0), to_share.get(sid, 0), problems.get(sid, 0))
        for sid, ts in sessions.items()
    ]
    return sorted((row for row in rows if row.anything), key=lambda row: row.training_session.starts_at, reverse=True)


def dashboard(trainer: Trainer, sessions: list[TrainingSession], now: datetime) -> Dashboard:
    """Next steps of the upcoming sessions and what waits for the trainer."""
    return Dashboard(next_steps(sessions, now), waiting(trainer))
