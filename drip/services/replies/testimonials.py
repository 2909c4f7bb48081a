"""Testimonials with consent: ask the author, record their yes, and rotate quotes through later cohorts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from drip.extensions import db
from drip.models import Reply, Testimonial, TestimonialShown, Trainer, TrainingSession, utcnow

ASK = "May I share your words with the next group, first name only? Reply YES"
CONSENT_WINDOW = timedelta(days=14)  # a YES this long after the question no longer answers it
CONSENT_WORDS = ("YES", "Y", "OK", "SURE", "YEP", "YEAH")
THANKS = "Thank you! Your words will encourage the next group."


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
            trainer, learner, reply.channel, f"{ASK}\n\n“{row.quote[:300]}”", subject="May we share your words?"
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


def is_consent(body: str) -> bool:
    """Whether a reply says yes (its first word: an email answer often goes on after it)."""
    words = body.upper().replace(",", " ").split()
    return bool(words) and words[0].strip(".!") in CONSENT_WORDS


def consent(testimonial: Testimonial, now: datetime) -> None:
    """Record the author's yes: the quote joins the trainer's pool (flush only)."""
    testimonial.status, testimonial.consented_at = "consented", now
    db.session.flush()


def pool(trainer: Trainer) -> list[Testimonial]:
    """The trainer's testimonials, consented first, newest first."""
    return list(
        db.session.scalars(
            select(Testimonial)
            .where(Testimonial.trainer_id == trainer.id)
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


def quote_for(item) -> str:
    """A consented quote from an earlier cohort for this reader, never their own nor one they saw; "" if none.

    Called by a sending thread: it records the quote as shown at once, so a rotation survives restarts.
    """
    starts = select(TrainingSession.starts_at).where(TrainingSession.id == item.session_id).scalar_subquery()
    shown = select(TestimonialShown.testimonial_id).where(TestimonialShown.learner_id == item.learner_id)
    uses = (
        select(func.count(TestimonialShown.id))
        .where(TestimonialShown.testimonial_id == Testimonial.id)
        .correlate(Testimonial)
        .scalar_subquery()
    )
    query = (
        select(Testimonial)
        .join(TrainingSession, TrainingSession.id == Testimonial.session_id)
        .where(
            Testimonial.trainer_id == item.trainer_id,
            Testimonial.status == "consented",
            Testimonial.session_id != item.session_id,
            TrainingSession.starts_at < starts,
            Testimonial.learner_id != item.learner_id,
            Testimonial.id.not_in(shown),
        )
        .order_by(uses, Testimonial.consented_at, Testimonial.id)
        .limit(1)
    )
    chosen = db.session.scalar(query)
    if chosen is None:
        db.session.rollback()
        return ""
    text = f"“{chosen.quote}” ({chosen.by})" if chosen.by else f"“{chosen.quote}”"
    db.session.add(TestimonialShown(testimonial_id=chosen.id, learner_id=item.learner_id, delivery_id=item.delivery_id))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return text
