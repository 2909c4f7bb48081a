"""Rows the delivery tests need: a trainer's learner enrolled in a session with one step and its delivery."""

from __future__ import annotations

from datetime import timedelta

from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Sequence, Step, TrainingSession, utcnow


def make_learner(trainer, name="Lee Learner", phone="+15005550006", email="lee@example.com", **fields) -> Learner:
    """A learner of this trainer."""
    learner = Learner(trainer_id=trainer.id, name=name, phone=phone, email=email, **fields)
    db.session.add(learner)
    db.session.commit()
    return learner


def make_session(trainer, *, channel="sms", steps=1, title="Feedback workshop") -> TrainingSession:
    """A session tomorrow with one sequence of `steps` steps on `channel`."""
    sequence = Sequence(trainer_id=trainer.id, name="Follow-up", send_window_start=None, send_window_end=None)
    for position in range(steps):
        sequence.steps.append(
            Step(
                position=position,
                kind="reminder",
                channel=channel,
                anchor="start",
                offset=f"-PT{position + 1}M",
                subject="Hello" if channel == "email" else None,
                body="Hi {{ first_name }}, practise today.",
            )
        )
    start = utcnow() + timedelta(days=1)
    training_session = TrainingSession(
        trainer_id=trainer.id,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="UTC",
        sequences=[sequence],
    )
    db.session.add(training_session)
    db.session.commit()
    return training_session


def make_delivery(
    learner, training_session=None, *, channel="sms", status="sent", step_index=0, provider_message_id=None, **fields
) -> Delivery:
    """One delivery of a session's step to a learner (enrolling them when needed)."""
    from drip.models import Trainer

    trainer = db.session.get(Trainer, learner.trainer_id)
    training_session = training_session or make_session(trainer, channel=channel)
    enrollment = db.session.scalar(
        db.select(Enrollment).filter_by(session_id=training_session.id, learner_id=learner.id)
    )
    if enrollment is None:
        enrollment = Enrollment(session_id=training_session.id, learner_id=learner.id)
        db.session.add(enrollment)
        db.session.flush()
    step = training_session.sequences[0].steps[step_index]
    delivery = Delivery(
        enrollment_id=enrollment.id,
        step_id=step.id,
        session_id=training_session.id,
        learner_id=learner.id,
        channel=step.channel,
        due_at=utcnow(),
        status=status,
        provider_message_id=provider_message_id,
        **fields,
    )
    db.session.add(delivery)
    db.session.commit()
    return delivery
