"""Testimonials with consent: ask the author, record their yes, and rotate quotes through later cohorts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from drip.domain import consent
from drip.extensions import db
from drip.models import Reply, Testimonial, Trainer, TrainingSession, utcnow

CONSENT_WINDOW = timedelta(days=14)  # a YES this long after the question no longer answers it


class CannotAsk(ValueError):
    """A reply that cannot become a testimonial (not a practice report, no learner, opted out)."""


def ask(trainer: Trainer, reply: Reply, *, now: datetime | None = None) -> Testimonial:
    """Ask the reply's author, by their channel, whether it may be quoted; commits. CannotAsk or SendError."""
    from drip.services.delivery.send import SendRefused, send_one_off

    now = now or utcnow()
    if reply.kind != "practice_report" or reply.learner is None or not reply.body.strip():
        raise CannotAsk("only a learner's practice report can become a testimonial")
    existing = db.session.scalar(select(Testimonial).where(Testimonial.reply_id == reply.id))
    if existing is not None:
        return existing
    learner = reply.learner
    row = Testimonial(
        trainer_id=trainer.id,
        reply_id=reply.id,
        learner_id=learner.id,
        session_id=reply.session_id,
        quote=" ".join(reply.body.split()),
        by=learner.first_name,
        channel=reply.channel,
        asked_at=now,
    )
    db.session.commit()  # the outbox records in its own transaction: hold no lock while it does
    try:
        send_one_off(
            trainer,
            learner,
            reply.channel,
            f"{consent.ask(learner.language)}\n\n“{row.quote[:300]}”",
            subject="May we share your words?",
        )
    except SendRefused as refused:
        raise CannotAsk(str(refused)) from refused
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # asked twice at once: one question went out, one row stays
        db.session.rollback()
        return db.session.scalar(select(Testimonial).where(Testimonial.reply_id == reply.id))
    return row


def pending_for(learner_id: int, now: datetime) -> Testimonial | None:
    """The learner's most recent consent question still awaiting an answer."""
    return db.session.scalar(
        select(Testimonial)
        .where(
            Testimonial.learner_id == learner_id,
            Testimonial.status == "asked",
            Testimonial.asked_at >= now - CONSENT_WINDOW,
        )
        .order_by(Testimonial.asked_at.desc())
        .limit(1)
    )


def answer(testimonial: Testimonial, said: consent.Answer, now: datetime) -> None:
    """Record the author's yes (the quote joins the trainer's pool) or no (it never will); flush only."""
    if said == "yes":
        testimonial.status, testimonial.consented_at = "consented", now
    else:
        testimonial.status = "declined"
    db.session.flush()


def withdraw_by(learner_id: int) -> None:
    """Withdraw every quote of this learner (erased): the rotation never sends them again (flush only)."""
    db.session.execute(
        update(Testimonial)
        .where(Testimonial.learner_id == learner_id)
        .values(status="withdrawn")
        .execution_options(synchronize_session=False)
    )


def pool(trainer: Trainer) -> list[Testimonial]:
    """The trainer's testimonials, consented first, newest first (an erased learner's are withdrawn: gone)."""
    return list(
        db.session.scalars(
            select(Testimonial)
            .where(Testimonial.trainer_id == trainer.id, Testimonial.status != "withdrawn")
            .order_by(Testimonial.status.desc(), Testimonial.asked_at.desc())
        )
    )


def asked_for(training_session: TrainingSession) -> dict[int, str]:
    """reply id → testimonial status, for the replies of one session the trainer asked about."""
    return dict(
        db.session.execute(
            select(Testimonial.reply_id, Testimonial.status).where(
                Testimonial.session_id == training_session.id, Testimonial.reply_id.is_not(None)
            )
        ).all()
    )
