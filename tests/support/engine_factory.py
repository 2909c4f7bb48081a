"""Rows the engine tests need: sequences of steps, sessions, many learners at once."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, insert, select

from drip.extensions import db
from drip.models import Delivery, Learner, Sequence, Step, utcnow
from drip.models.learners import new_unsubscribe_token
from drip.services.programs.sessions import create_session


def make_sequence(
    trainer,
    offsets,
    *,
    channel="sms",
    window=None,
    if_late="skip",
    anchor="start",
    body="Hi {{ first_name }}, {{ session.title }} starts {{ session.starts_at }}.",
) -> Sequence:
    """A sequence with one step per offset (a list of ISO offsets, or (offset, local_time) pairs)."""
    start, end = window or (None, None)
    sequence = Sequence(trainer_id=trainer.id, name="Engine test", send_window_start=start, send_window_end=end)
    for position, offset in enumerate(offsets):
        offset, local = offset if isinstance(offset, tuple) else (offset, None)
        sequence.steps.append(
            Step(
                position=position,
                kind="reminder",
                channel=channel,
                anchor=anchor,
                offset=offset,
                local_time=time.fromisoformat(local) if local else None,
                if_late=if_late,
                subject="Step {{ session.title }}" if channel == "email" else None,
                body=body,
            )
        )
    db.session.add(sequence)
    db.session.commit()
    return sequence


def make_session(trainer, sequences, starts_at: datetime, *, hours=1, tz="UTC", title="Feedback that lands"):
    """A session through the engine's own create_session."""
    return create_session(
        trainer,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        timezone=tz,
        join_url="https://meet.example.com/x",
        sequence_ids=[s.id for s in sequences],
    )


def make_learners(trainer, count: int, *, timezones=(None,), start=None) -> list[Learner]:
    """Many learners in one executemany, numbered after the trainer's existing ones (distinct phones)."""
    now = utcnow()
    if start is None:
        start = db.session.scalar(select(func.count()).select_from(Learner).where(Learner.trainer_id == trainer.id))
    rows = [
        {
            "trainer_id": trainer.id,
            "name": f"Learner {n}",
            "phone": f"+1415{n:07d}",
            "email": f"learner{n}@example.com",
            "timezone": timezones[n % len(timezones)],
            "unsubscribe_token": new_unsubscribe_token(),
            "created_at": now,
        }
        for n in range(start, start + count)
    ]
    db.session.execute(insert(Learner), rows)
    db.session.commit()
    first, last = rows[0]["phone"], rows[-1]["phone"]
    return list(
        db.session.scalars(
            select(Learner)
            .where(Learner.trainer_id == trainer.id, Learner.phone >= first, Learner.phone <= last)
            .order_by(Learner.id)
        )
    )


def deliveries(session_id=None) -> list[Delivery]:
    """Every delivery (of one session), in id order, fresh from the database."""
    db.session.expire_all()
    query = select(Delivery).order_by(Delivery.id)
    if session_id is not None:
        query = query.where(Delivery.session_id == session_id)
    return list(db.session.scalars(query))
