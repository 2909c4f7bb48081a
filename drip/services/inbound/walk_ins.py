"""Walk-ins: a number texting a live session's join keyword becomes one of its learners."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from drip.extensions import db
from drip.models import Learner, OptOutEvent, TrainingSession
from drip.services.learners import suppression
from drip.domain.messages import WALK_IN


def _sms_opted_out_since(phone: str) -> datetime | None:
    """When this number last said STOP, if it has not said START since (a stranger's STOP counts too)."""
    last = db.session.scalars(
        select(OptOutEvent)
        .where(OptOutEvent.channel == "sms", OptOutEvent.address == phone)
        .order_by(OptOutEvent.created_at.desc(), OptOutEvent.id.desc())
        .limit(1)
    ).first()
    return last.created_at if last is not None and last.action == "opt_out" else None


def walk_in_name(phone: str) -> str:
    """How a walk-in appears to the trainer until they rename them."""
    return f"{WALK_IN} ···{phone[-4:]}" if len(phone) >= 4 else WALK_IN


def join(training_session: TrainingSession, phone: str, *, now: datetime) -> Learner:
    """Make this number a learner of the session's trainer and enrol it (source walk_in); flushes, no commit."""
    learner = db.session.scalars(
        select(Learner)
        .where(Learner.trainer_id == training_session.trainer_id, Learner.phone == phone)
        .order_by(Learner.id)
        .limit(1)
    ).first()
    if learner is None:
        learner = Learner(
            trainer_id=training_session.trainer_id,
            name=walk_in_name(phone),
            phone=phone,
            timezone=training_session.timezone,
            created_at=now,
        )
        # Joining a board is not consent to texts a STOP refused: Twilio would refuse them anyway.
        learner.sms_opted_out_at = _sms_opted_out_since(phone) or (
            now if suppression.is_suppressed("sms", phone) else None
        )
        db.session.add(learner)
        db.session.flush()
    _enrol(training_session, learner, now)
    return learner


def _enrol(training_session: TrainingSession, learner: Learner, now: datetime) -> None:
    from drip.services.programs.enrolment import add_enrolments

    # Inside the inbound message's transaction: the walk-in, the enrolment and the message commit together.
    add_enrolments(training_session, [learner], source="walk_in", now=now)
