"""Quiz results of a session: per quiz step and per learner (the API's quiz-results and the Learning tab)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from drip.domain.quiz import Answer, QuizTally, tally
from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Reply, Step, TrainingSession, utcnow
from drip.services.learning.unanswered import quiet_learners


@dataclass(frozen=True)
class QuizStepResult:
    """One quiz step: how many learners were asked, and the tally of their answers."""

    step: Step
    asked: int
    tally: QuizTally


@dataclass(frozen=True)
class LearnerResult:
    """One learner: quizzes answered and right, follow-ups received, and since when quiet (or None)."""

    learner: Learner
    answered: int
    correct: int
    follow_ups: int
    quiet_since: datetime | None


@dataclass(frozen=True)
class QuizResults:
    """Everything the Learning tab and the API show."""

    quizzes: list[QuizStepResult]
    learners: list[LearnerResult]


def _quiz_steps(ts: TrainingSession) -> list[Step]:
    # Like the replies page: a deleted quiz stays while answers to it remain (history is kept).
    from drip.services.replies.answers import session_steps

    steps = [step for step in session_steps(ts) if step.kind == "quiz"]
    return sorted(steps, key=lambda step: (step.sequence_id, step.position, step.id))


def quiz_results(ts: TrainingSession, now: datetime | None = None) -> QuizResults:
    """Per quiz step: asked, answered, right first time, right after a re-ask; per learner: the same, and quiet."""
    steps = _quiz_steps(ts)
    ids = [step.id for step in steps]
    answers: dict[int, list[Answer]] = {step_id: [] for step_id in ids}
    asked: dict[int, int] = {}
    if ids:
        rows = db.session.execute(
            select(Reply.step_id, Reply.learner_id, Reply.choice_index, Delivery.purpose, Delivery.attempt)
            .outerjoin(Delivery, Delivery.id == Reply.delivery_id)
            .where(
                Reply.session_id == ts.id,
                Reply.kind == "quiz_answer",
                Reply.step_id.in_(ids),
                Reply.learner_id.is_not(None),
            )
            .order_by(Reply.created_at, Reply.id)
        )
        for step_id, learner_id, choice, purpose, attempt in rows:
            answers[step_id].append(Answer(learner_id, attempt if purpose == "reask" else 0, choice))
        asked = dict(
            db.session.execute(
                select(Delivery.step_id, func.count(func.distinct(Delivery.learner_id)))
                .where(
                    Delivery.session_id == ts.id,
                    Delivery.step_id.in_(ids),
                    Delivery.purpose == "step",
                    Delivery.sent_at.is_not(None),
                )
                .group_by(Delivery.step_id)
            ).all()
        )
    quizzes = [QuizStepResult(step, asked.get(step.id, 0), tally(answers[step.id], step.answer)) for step in steps]
    follow_ups = dict(
        db.session.execute(
            select(Delivery.learner_id, func.count())
            .where(Delivery.session_id == ts.id, Delivery.purpose == "follow_up", Delivery.sent_at.is_not(None))
            .group_by(Delivery.learner_id)
        ).all()
    )
    quiet = quiet_learners(ts.id, now or utcnow())
    learners = db.session.scalars(
        select(Learner)
        .join(Enrollment, Enrollment.learner_id == Learner.id)
        .where(Enrollment.session_id == ts.id, Enrollment.unenrolled_at.is_(None))
        .order_by(Learner.name, Learner.id)
    ).all()
    per_learner = [
        LearnerResult(
            learner=learner,
            answered=sum(1 for q in quizzes if learner.id in q.tally.learners),
            correct=sum(1 for q in quizzes if q.tally.learners.get(learner.id) in ("first_try", "after_reask")),
            follow_ups=follow_ups.get(learner.id, 0),
            quiet_since=quiet.get(learner.id),
        )
        for learner in learners
    ]
    return QuizResults(quizzes, per_learner)
