"""Archiving sequences and sessions: out of the way, with all their history kept, and back on demand."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from drip.extensions import db
from drip.models import Sequence, TrainingSession, utcnow
from drip.services.programs.sessions import session_phase


class ArchiveRefused(ValueError):
    """A session that still has messages to send cannot be archived."""


def archive_sequence(sequence: Sequence, now: datetime | None = None) -> None:
    """Hide a sequence from the lists and the new-session form; sessions using it keep it; commits."""
    sequence.archived_at = now or utcnow()
    db.session.commit()


def archive_session(ts: TrainingSession, now: datetime | None = None) -> None:
    """Archive a past or cancelled session (ArchiveRefused for one still to come); commits."""
    now = now or utcnow()
    if session_phase(ts, now) in ("upcoming", "live"):
        raise ArchiveRefused("Only a past or cancelled session can be archived: cancel it first.")
    ts.archived_at = now
    db.session.commit()


def restore(row: Sequence | TrainingSession) -> None:
    """Bring an archived sequence or session back to the lists; commits."""
    row.archived_at = None
    db.session.commit()


def archived(trainer_id: int) -> tuple[list[Sequence], list[TrainingSession]]:
    """The trainer's archived sequences and sessions, most recently archived first."""
    sequences = db.session.scalars(
        select(Sequence)
        .where(Sequence.trainer_id == trainer_id, Sequence.archived_at.is_not(None))
        .order_by(Sequence.archived_at.desc())
    ).all()
    sessions = db.session.scalars(
        select(TrainingSession)
        .where(TrainingSession.trainer_id == trainer_id, TrainingSession.archived_at.is_not(None))
        .order_by(TrainingSession.archived_at.desc())
    ).all()
    return list(sequences), list(sessions)


def archived_count(trainer_id: int) -> int:
    """How many sequences and sessions the trainer archived."""
    count = 0
    for model in (Sequence, TrainingSession):
        count += (
            db.session.scalar(
                select(func.count())
                .select_from(model)
                .where(model.trainer_id == trainer_id, model.archived_at.is_not(None))
            )
            or 0
        )
    return count
