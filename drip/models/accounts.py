"""Trainers and their API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from drip.extensions import db
from drip.models.types import UTCDateTime, utcnow


class Trainer(UserMixin, db.Model):
    """A person who runs training sessions and owns sequences, sessions and learners."""

    __tablename__ = "trainers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    # Answer to HELP/INFO texts: how a learner reaches the trainer.
    contact_line: Mapped[str] = mapped_column(Text, default="")
    # Operators run the deployment and alone see its secrets (Settings).
    is_operator: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Part of the login cookie: raising it (sign out, password change) ends every session of the trainer.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The trainer's own phone (E.164): test texts go only there; None until set on the account page.
    phone: Mapped[str | None] = mapped_column(String(20))
    # The zone the admin shows times in; None until set (the browser's zone is offered).
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="trainer")

    def get_id(self) -> str:
        """What the login cookie holds: the id and the session version it was issued under."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<Trainer {self.email}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("trainers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown so a trainer can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trainer: Mapped[Trainer] = relationship(back_populates="tokens")
