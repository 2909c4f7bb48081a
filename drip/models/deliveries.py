"""Deliveries (one message to one learner for one step) and the local outbox."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from drip.domain import catalog
from drip.extensions import db
from drip.models.learners import Learner
from drip.models.programs import Enrollment, Step, TrainingSession
from drip.models.receipts import Pending, pending_index
from drip.models.types import UTCDateTime, utcnow

STATUSES = catalog.names(catalog.STATUSES)
PENDING = catalog.statuses_where("pending")
FINAL = catalog.statuses_where("final")


def new_reply_token() -> str:
    """A short unguessable token for the per-message reply address."""
    return secrets.token_hex(8)


class Delivery(db.Model):
    """One step sent to one learner: its due time and where it is in its life cycle."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "step_id", "purpose", "attempt"),
        # The dispatcher's query: what is scheduled and due.
        Index("ix_deliveries_status_due_at", "status", "due_at"),
        Index("ix_deliveries_session_step", "session_id", "step_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    # Copied from the enrolment so the board and the API filter without joins.
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(12), default="step", server_default="step")
    # The re-ask's number (1, 2); 0 for the step itself and its follow-up.
    attempt: Mapped[int] = mapped_column(default=0, server_default="0")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    attempts: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[str | None] = mapped_column(String(64))
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(100), index=True)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    reply_token: Mapped[str] = mapped_column(String(32), unique=True, default=new_reply_token)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    enrollment: Mapped[Enrollment] = relationship()
    step: Mapped[Step] = relationship()
    training_session: Mapped[TrainingSession] = relationship()
    learner: Mapped[Learner] = relationship()


class OutboxMessage(db.Model):
    """A message the outbox channel 'sent': what a real provider would have received."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"), index=True)
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("trainers.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(JSON)
    provider_message_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ProviderEvent(Pending, db.Model):
    """A status callback or event as it arrived (stored once, so a repeat changes nothing), applied by a worker."""

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"), pending_index("provider_events"))

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))  # twilio | sendgrid
    event_id: Mapped[str] = mapped_column(String(200))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # when it arrived
