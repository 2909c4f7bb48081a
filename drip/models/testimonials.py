"""Testimonials: a learner's practice report the trainer asked to quote, and who was shown which."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from drip.extensions import db
from drip.models.types import UTCDateTime, utcnow


class Testimonial(db.Model):
    """A quote awaiting its author's consent (`asked`) or in the trainer's pool (`consented`)."""

    __tablename__ = "testimonials"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("trainers.id", ondelete="CASCADE"), index=True)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="SET NULL"), unique=True)
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="SET NULL"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id", ondelete="SET NULL"))
    quote: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(200), default="")  # the author's first name
    channel: Mapped[str] = mapped_column(String(10))  # how the consent was asked
    status: Mapped[str] = mapped_column(String(20), default="asked")  # asked | consented
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TestimonialShown(db.Model):
    """A quote sent to a learner, so the rotation never shows them the same one twice."""

    __tablename__ = "testimonials_shown"
    __table_args__ = (UniqueConstraint("testimonial_id", "learner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    testimonial_id: Mapped[int] = mapped_column(ForeignKey("testimonials.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
