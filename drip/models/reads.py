"""Read tracking: the links Drip rewrote, and each open or click of a delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from drip.extensions import db
from drip.models.types import UTCDateTime, utcnow


class TrackedLink(db.Model):
    """An original URL found in a step body; one row per distinct URL, shared by every delivery."""

    __tablename__ = "tracked_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the URL: a unique index on the URL itself would exceed index limits on long links.
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryRead(db.Model):
    """An open or click of one delivery; `flag` names why it may be a scanner, not the learner."""

    __tablename__ = "delivery_reads"
    __table_args__ = (Index("ix_delivery_reads_session_learner", "session_id", "learner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # open | click
    via: Mapped[str] = mapped_column(String(20))  # tracked_link | sendgrid
    link_id: Mapped[int | None] = mapped_column(ForeignKey("tracked_links.id", ondelete="SET NULL"))
    # None: counted as a read. Else head, scanner_agent, too_soon, machine_open.
    flag: Mapped[str | None] = mapped_column(String(20))
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
