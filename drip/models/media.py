"""Media: the trainer's library (images and PDF slides) and learners' pictures, bytes kept in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, String, Table, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from drip.extensions import db
from drip.models.types import UTCDateTime, utcnow

# The slides a session shows on its cohort page, in the trainer's order.
session_slides = Table(
    "session_slides",
    db.metadata,
    Column("session_id", ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("media_id", ForeignKey("media_items.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False, default=0),
)


class MediaItem(db.Model):
    """One image or PDF served at /m/<token>: uploaded by a trainer, or a learner's picture.

    A learner's picture starts as `pending` (its provider URL noted by the worker that routed the
    text), becomes `stored` once fetched and checked, or stays a link with the reason (`refused`,
    `failed`). The bytes are deferred: lists never load them.
    """

    __tablename__ = "media_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("trainers.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # upload (the trainer's library) | mms | email (a learner's picture)
    source: Mapped[str] = mapped_column(String(10), default="upload")
    # stored | pending | refused | failed
    status: Mapped[str] = mapped_column(String(10), default="stored")
    kind: Mapped[str] = mapped_column(String(10), default="image")  # image | pdf
    content_type: Mapped[str] = mapped_column(String(100), default="")
    filename: Mapped[str] = mapped_column(String(200), default="")
    alt_text: Mapped[str] = mapped_column(String(300), default="")
    size: Mapped[int] = mapped_column(default=0)
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    thumbnail: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    # A learner's picture: whose, from which message, where the provider kept it, what went wrong.
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    source_url: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(default=0)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
