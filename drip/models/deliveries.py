"""Deliveries (one message to one learner for one step) and the local outbox."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, ForeignKeyConstraint, Index, String, Text, UniqueConstraint, text
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


def new_reply_tokens(count: int) -> list[str]:
    """`count` reply tokens as new_reply_token makes them, from one read of the system's randomness."""
    raw = secrets.token_hex(8 * count)
    return [raw[i : i + 16] for i in range(0, 16 * count, 16)]


class Delivery(db.Model):
    """One step sent to one learner: its due time and where it is in its life cycle."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "step_id", "purpose", "attempt"),
        # The enrolment, its session and its learner, checked in one lookup (not three) as each row is
        # stored: a delivery names the session and learner of its enrolment, and goes with it.
        ForeignKeyConstraint(
            ["enrollment_id", "session_id", "learner_id"],
            ["enrollments.id", "enrollments.session_id", "enrollments.learner_id"],
            ondelete="CASCADE",
        ),
        # The dispatcher's query: what is scheduled and due.
        Index("ix_deliveries_status_due_at", "status", "due_at"),
        Index("ix_deliveries_session_step", "session_id", "step_id"),
        # Status callbacks find a delivery by the provider's id, which only sent ones have.
        Index(
            "ix_deliveries_provider_message_id",
            "provider_message_id",
            postgresql_where=text("provider_message_id IS NOT NULL"),
            sqlite_where=text("provider_message_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column()
    step_id: Mapped[int] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    # Copied from the enrolment so the board and the API filter without joins.
    session_id: Mapped[int] = mapped_column()
    learner_id: Mapped[int] = mapped_column(index=True)
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
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    reply_token: Mapped[str] = mapped_column(String(32), unique=True, default=new_reply_token)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Each relationship sets its own column: the enrolment's key holds the session's and the learner's too.
    enrollment: Mapped[Enrollment] = relationship(
        primaryjoin="Delivery.enrollment_id == Enrollment.id", foreign_keys=[enrollment_id]
    )
    step: Mapped[Step] = relationship()
    training_session: Mapped[TrainingSession] = relationship(
        primaryjoin="Delivery.session_id == TrainingSession.id", foreign_keys=[session_id]
    )
    learner: Mapped[Learner] = relationship(primaryjoin="Delivery.learner_id == Learner.id", foreign_keys=[learner_id])


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
