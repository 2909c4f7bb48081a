"""Webhooks stored as they arrived, applied later by a worker: the database row is the queue's truth."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from drip.extensions import db
from drip.models.types import UTCDateTime, utcnow


class Pending:
    """Columns of a stored webhook a worker has yet to apply (applied_at NULL), with its claim lease."""

    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A worker claims a few rows until this instant; a worker that dies leaves it to expire.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)


def pending_index(table: str) -> Index:
    """The workers' query: what is not applied yet, oldest first."""
    return Index(f"ix_{table}_pending", "applied_at", "id")


class InboundReceipt(Pending, db.Model):
    """One inbound SMS or email as its webhook posted it, before routing."""

    __tablename__ = "inbound_receipts"
    __table_args__ = (UniqueConstraint("channel", "provider_message_id"), pending_index("inbound_receipts"))

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms | email
    provider_message_id: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
