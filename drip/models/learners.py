"""Learners and their opt-out history."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from drip.domain.cohort import first_name_only
from drip.extensions import db
from drip.models.types import UTCDateTime, utcnow


def new_unsubscribe_token() -> str:
    """An unguessable token for a learner's unsubscribe link."""
    return secrets.token_urlsafe(24)


class Learner(db.Model):
    """Someone who receives steps; belongs to one trainer."""

    __tablename__ = "learners"
    __table_args__ = (
        UniqueConstraint("trainer_id", "external_id"),
        Index("ix_learners_trainer_phone", "trainer_id", "phone"),
        Index("ix_learners_trainer_email", "trainer_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("trainers.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    # A BCP 47 tag ("es", "pt-BR"); None: the sequence's language (domain.languages.reading).
    language: Mapped[str | None] = mapped_column(String(35))
    sms_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_unsubscribe_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Erased at the learner's request: personal data and texts gone, the row kept so counts stay.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def first_name(self) -> str:
        """The first word of the name, for friendly greetings and wherever others see who wrote (no surname)."""
        return first_name_only(self.name)


class OptOutEvent(db.Model):
    """One opt-out or opt-in, kept so a trainer can see why a learner gets nothing."""

    __tablename__ = "opt_out_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms | email
    address: Mapped[str] = mapped_column(String(254), index=True)  # the phone or email concerned
    action: Mapped[str] = mapped_column(String(10))  # opt_out | opt_in
    # sms_keyword, unsubscribe_link, one_click, bounce, spamreport, provider_unsubscribe, carrier
    source: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SuppressedAddress(db.Model):
    """An erased learner's opted-out phone or email, kept only as a keyed hash so the opt-out outlives the erasure."""

    __tablename__ = "suppressed_addresses"
    __table_args__ = (UniqueConstraint("channel", "address_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms | email
    address_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA-256 hex (domain/address_hash)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(db.Model):
    """Something done to a learner's data at their request (export, erasure), for the trainer to read."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("trainers.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # export | erase
    via: Mapped[str] = mapped_column(String(10))  # admin | api
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
