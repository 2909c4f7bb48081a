"""Changing a learner: their details, or taking them out of a session (what was sent stays on record)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Step, TrainingSession, utcnow
from drip.models.programs import new_cohort_token
from drip.domain.learners import LearnerInput, LearnerInvalid
from drip.domain.catalog import UNENROLLED
from drip.services.delivery import transitions
from drip.services.learners import suppression


def update_learner(learner: Learner, item: LearnerInput) -> Learner:
    """Replace a learner's details with checked ones; LearnerInvalid when another learner has the external id; commits."""
    if item.external_id:
        taken = db.session.scalar(
            select(Learner.id).where(
                Learner.trainer_id == learner.trainer_id,
                Learner.external_id == item.external_id,
                Learner.id != learner.id,
            )
        )
        if taken is not None:
            raise LearnerInvalid({"external_id": f"“{item.external_id}” is already another learner's external id"})
    if not (item.phone or item.email):
        raise LearnerInvalid({"phone": "or an email is needed"})
    renumbered = bool(item.phone) and item.phone != learner.phone
    learner.name, learner.phone, learner.email = item.name, item.phone, item.email
    learner.timezone, learner.external_id, learner.language = item.timezone, item.external_id, item.language
    if renumbered:  # a number that said STOP before it was theirs stays stopped
        suppression.apply_to([learner], utcnow())
    db.session.commit()
    return learner


def unenrol(ts: TrainingSession, learner: Learner, *, now: datetime | None = None) -> int | None:
    """Take a learner out of a session: pending messages skipped, history kept; None if not enrolled; commits."""
    now = now or utcnow()
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.session_id == ts.id, Enrollment.learner_id == learner.id, Enrollment.unenrolled_at.is_(None)
        )
    )
    if enrollment is None:
        return None
    enrollment.unenrolled_at = now
    skipped = transitions.withdraw(Delivery.enrollment_id == enrollment.id, reason=UNENROLLED, now=now)
    db.session.commit()
    return skipped


def reenrol(session_id: int, learner_ids: list[int], now: datetime) -> int:
    """Bring unenrolled learners back: their messages skipped by the unenrolment and still ahead are scheduled again.

    Flushes with the caller's enrolment; returns how many learners came back.
    """
    if not learner_ids:
        return 0
    back = list(
        db.session.scalars(
            select(Enrollment.id).where(
                Enrollment.session_id == session_id,
                Enrollment.learner_id.in_(learner_ids),
                Enrollment.unenrolled_at.is_not(None),
            )
        )
    )
    if not back:
        return 0
    # A new cohort link each: the old one died with the unenrolment, and whoever it was forwarded to meanwhile
    # must not get it back. The messages still to come carry the new one (cohort_url).
    db.session.execute(
        update(Enrollment),
        [{"id": enrollment_id, "unenrolled_at": None, "cohort_token": new_cohort_token()} for enrollment_id in back],
    )
    deleted = select(Step.id).where(Step.deleted_at.is_not(None))
    transitions.restore(Delivery.enrollment_id.in_(back), Delivery.step_id.not_in(deleted), reason=UNENROLLED, now=now)
    return len(back)
