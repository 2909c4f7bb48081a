"""Learners' data rights: everything Drip holds about one learner, and erasing it while the counts stay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import escape
from sqlalchemy import or_, select

from drip.extensions import db
from drip.models import (
    AuditEvent,
    Delivery,
    Enrollment,
    InboundMessage,
    Learner,
    LiveQuestion,
    OptOutEvent,
    OutboxMessage,
    Reply,
    Step,
    Testimonial,
    TrainingSession,
    utcnow,
)
from drip.services.learners import personal_data, suppression
from drip.services.replies import testimonials
from drip.domain import scrubbing
from drip.domain.catalog import ERASED
from drip.services.delivery import transitions

ERASED_NAME = personal_data.ERASED_NAME


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _rows(query) -> list:
    return list(db.session.execute(query))


def find_learner(trainer_id: int, learner_id: int) -> Learner | None:
    """The trainer's learner with this id, or None (also for another trainer's)."""
    learner = db.session.get(Learner, learner_id)
    return learner if learner is not None and learner.trainer_id == trainer_id else None


def export_data(learner: Learner) -> dict[str, Any]:
    """Everything held about the learner, as plain JSON-ready data (no side effects)."""
    enrolments = _rows(
        select(Enrollment, TrainingSession)
        .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
        .where(Enrollment.learner_id == learner.id)
        .order_by(Enrollment.id)
    )
    deliveries = _rows(
        select(Delivery, Step)
        .join(Step, Step.id == Delivery.step_id)
        .where(Delivery.learner_id == learner.id)
        .order_by(Delivery.due_at, Delivery.id)
    )
    outbox = (
        {
            m.delivery_id: m
            for m in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.delivery_id.in_([d.id for d, _ in deliveries]))
            )
        }
        if deliveries
        else {}
    )
    replies = db.session.scalars(select(Reply).where(Reply.learner_id == learner.id).order_by(Reply.id))
    questions = db.session.scalars(
        select(LiveQuestion).where(LiveQuestion.learner_id == learner.id).order_by(LiveQuestion.id)
    )
    inbound = db.session.scalars(
        select(InboundMessage).where(InboundMessage.learner_id == learner.id).order_by(InboundMessage.id)
    )
    opt_outs = db.session.scalars(
        select(OptOutEvent).where(OptOutEvent.learner_id == learner.id).order_by(OptOutEvent.id)
    )
    return {
        "learner": {
            "id": learner.id,
            "external_id": learner.external_id,
            "name": learner.name,
            "phone": learner.phone,
            "email": learner.email,
            "timezone": learner.timezone,
            "language": learner.language,
            "created_at": _iso(learner.created_at),
            "sms_opted_out_at": _iso(learner.sms_opted_out_at),
            "email_opted_out_at": _iso(learner.email_opted_out_at),
            "erased_at": _iso(learner.erased_at),
        },
        "enrollments": [
            {
                "session_id": ts.id,
                "session_title": ts.title,
                "starts_at": _iso(ts.starts_at),
                "source": e.source,
                "enrolled_at": _iso(e.created_at),
                "unenrolled_at": _iso(e.unenrolled_at),
            }
            for e, ts in enrolments
        ],
        "messages": [
            {
                "delivery_id": d.id,
                "session_id": d.session_id,
                "step_kind": step.kind,
                "channel": d.channel,
                "due_at": _iso(d.due_at),
                "delivery_status": d.status,
                "sent_at": _iso(d.sent_at),
                "text": outbox[d.id].body if d.id in outbox else None,
            }
            for d, step in deliveries
        ],
        "replies": [
            {
                "id": r.id,
                "session_id": r.session_id,
                "kind": r.kind,
                "channel": r.channel,
                "text": r.body,
                "received_at": _iso(r.created_at),
            }
            for r in replies
        ],
        "live_questions": [
            {"id": q.id, "session_id": q.session_id, "text": q.body, "received_at": _iso(q.created_at)}
            for q in questions
        ],
        "inbound_messages": [
            {
                "id": m.id,
                "channel": m.channel,
                "from": m.from_address,
                "text": m.body,
                "routed_as": m.routed_as,
                "received_at": _iso(m.received_at),
            }
            for m in inbound
        ],
        "opt_outs": [
            {"channel": o.channel, "action": o.action, "source": o.source, "at": _iso(o.created_at)} for o in opt_outs
        ],
        # Every row of every table that holds their data, every column: what erasure would change.
        "records": personal_data.records(learner),
    }


def audit(learner: Learner, action: str, via: str, detail: str = "", now: datetime | None = None) -> None:
    """Record an export or an erasure for the trainer's audit log; flushes with the caller."""
    db.session.add(
        AuditEvent(
            trainer_id=learner.trainer_id,
            learner_id=learner.id,
            action=action,
            via=via,
            detail=detail[:500],
            created_at=now or utcnow(),
        )
    )


def export_learner(learner: Learner, *, via: str) -> dict[str, Any]:
    """The learner's data, with the export recorded in the audit log; commits."""
    data = export_data(learner)
    audit(learner, "export", via)
    db.session.commit()
    return data


def erase_learner(learner: Learner, *, via: str, now: datetime | None = None) -> int:
    """Erase a learner's personal data and texts everywhere personal_data lists them; counts stay; commits.

    An opt-out survives as a keyed hash of the address; her testimonials are withdrawn, and her words
    quoted in other learners' outbox messages are replaced. Returns how many pending messages were skipped.
    """
    now = now or utcnow()
    if learner.sms_opted_out_at and learner.phone:
        suppression.suppress("sms", learner.phone, now)
    if learner.email_opted_out_at and learner.email:
        suppression.suppress("email", learner.email, now)
    skipped = transitions.withdraw(Delivery.learner_id == learner.id, reason=ERASED, now=now)
    subject = personal_data.Subject.of(learner)
    texts = _texts_of(learner.id)
    _unquote_elsewhere(subject, texts)
    testimonials.withdraw_by(learner.id)
    personal_data.erase(subject, scrubbing.needles([learner.phone, learner.email, learner.name], texts))
    db.session.expire(learner)
    learner.erased_at = now
    audit(learner, "erase", via, f"{skipped} pending message{'' if skipped == 1 else 's'} skipped", now)
    db.session.commit()
    return skipped


def _texts_of(learner_id: int) -> list[str]:
    """Everything the learner wrote that Drip may have quoted to others."""
    texts: list[str] = []
    for column, owner in (
        (Reply.body, Reply.learner_id),
        (LiveQuestion.body, LiveQuestion.learner_id),
        (InboundMessage.body, InboundMessage.learner_id),
        (Testimonial.quote, Testimonial.learner_id),
    ):
        texts += [text for text in db.session.scalars(select(column).where(owner == learner_id)) if text]
    return sorted({form for text in texts for form in (text, " ".join(text.split()), str(escape(text)))})


def _unquote_elsewhere(subject: personal_data.Subject, texts: list[str]) -> None:
    """Replace the learner's words in messages the outbox holds for others (digests, testimonials)."""
    quotes = [text for text in texts if len(text) >= scrubbing.MIN_QUOTE]
    if not quotes:
        return
    mentions = or_(*(OutboxMessage.body.contains(q, autoescape=True) for q in quotes)) | or_(
        *(OutboxMessage.html.contains(q, autoescape=True) for q in quotes)
    )
    for message in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.trainer_id == subject.trainer_id, mentions)
    ):
        message.body = scrubbing.unquote(message.body, quotes)
        message.html = scrubbing.unquote(message.html, quotes) if message.html else message.html


def audit_log(trainer_id: int, limit: int = 200) -> list[AuditEvent]:
    """The trainer's data-rights events, newest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.trainer_id == trainer_id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
