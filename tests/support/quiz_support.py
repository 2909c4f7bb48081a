"""Quiz and follow-up test helpers: sequences, sending what is due at a moment, the texts learners got."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from drip.extensions import db
from drip.models import Delivery, OutboxMessage, utcnow
from drip.services.delivery.dispatch import claim_due, new_job_id
from drip.services.delivery.send import send_claimed as send_batch
from drip.services.programs.sequences import StepInput, create_sequence
from drip.services.programs.sessions import create_session

CHOICES = ["Re-read the notes", "Try it for real within days", "Wait until ready"]


def quiz_step(**overrides) -> StepInput:
    """An SMS quiz two days after the end, right answer B, re-asked a day later."""
    fields = {
        "kind": "quiz",
        "channel": "sms",
        "anchor": "end",
        "offset": "P2D",
        "body": "What makes a skill stick?\n{{ reply_hint }}",
        "choices": list(CHOICES),
        "answer": 1,
        "explain": "Using it soon is what makes it stay.",
        "retry_after": "P1D",
        **overrides,
    }
    return StepInput(**fields)


def session_with(trainer, steps: list[StepInput], *, starts_in=timedelta(days=5), name="Recall"):
    """A session (no send window) starting `starts_in` from now, using one sequence of these steps."""
    sequence = create_sequence(trainer, name=name, send_window=None, steps=steps)
    starts_at = utcnow().replace(microsecond=0) + starts_in
    return create_session(
        trainer,
        title="Feedback that lands",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        timezone="UTC",
        sequence_ids=[sequence.id],
    )


def send_due(at: datetime) -> dict[str, int]:
    """Claim what is due at `at` (the test's accelerated clock) and send it as one job would."""
    job = new_job_id()
    ids = claim_due(at, 1000, job_id=job)
    if not ids:
        return {}
    # The accelerated clock has decided these are due: no lookahead wait on the wall clock.
    config = current_app.config
    saved = config.get("DISPATCH_LOOKAHEAD_SECONDS")
    config["DISPATCH_LOOKAHEAD_SECONDS"] = 0
    try:
        return send_batch(ids, job)
    finally:
        if saved is None:
            config.pop("DISPATCH_LOOKAHEAD_SECONDS")
        else:
            config["DISPATCH_LOOKAHEAD_SECONDS"] = saved


def texts_to(phone: str) -> list[str]:
    """The bodies the outbox sent to this address, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.to_address == phone).order_by(OutboxMessage.id)
        )
    )


def rows(learner, purpose: str | None = None) -> list[Delivery]:
    """The learner's deliveries (of one purpose), by due time, fresh from the database."""
    db.session.expire_all()
    query = select(Delivery).where(Delivery.learner_id == learner.id).order_by(Delivery.due_at, Delivery.id)
    if purpose is not None:
        query = query.where(Delivery.purpose == purpose)
    return list(db.session.scalars(query))
