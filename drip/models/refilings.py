"""The trainer's moves of an inbound text from one kind to another (re-filing), kept as a record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from drip.extensions import db
from drip.models.types import UTCDateTime, utcnow


class Refiling(db.Model):
    """One move: who moved which text, when, from what to what (kind, step and choice on each side)."""

    __tablename__ = "refilings"

    id: Mapped[int] = mapped_column(primary_key=True)
    moved_by_id: Mapped[int | None] = mapped_column(ForeignKey("trainers.id", ondelete="SET NULL"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL"), index=True
    )
    # "question:12" or "reply:40": the row before and after; a move between the two tables changes the id.
    from_item: Mapped[str] = mapped_column(String(40))
    to_item: Mapped[str] = mapped_column(String(40))
    from_kind: Mapped[str] = mapped_column(String(20))
    to_kind: Mapped[str] = mapped_column(String(20))
    from_step_id: Mapped[int | None] = mapped_column()
    to_step_id: Mapped[int | None] = mapped_column()
    from_choice_index: Mapped[int | None] = mapped_column()
    to_choice_index: Mapped[int | None] = mapped_column()
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
