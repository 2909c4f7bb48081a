"""Rows the measurements start from, written in bulk (the fixtures, not the thing measured)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from werkzeug.security import generate_password_hash

from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Sequence, Step, Trainer, TrainingSession, utcnow

STEP_BODY = "Hi {{ first_name }}, one minute of practice for {{ session.title }}: try the model answer today."
_CHUNK = 5000


def phone(i: int) -> str:
    """A valid, distinct US mobile-looking number for learner i (San Francisco exchange 2xx)."""
    return f"+1415{2000000 + i:07d}"


@dataclass(frozen=True)
class Audience:
    """A trainer, one session with one SMS step, and enrolled learners (ids and phones in order)."""

    trainer_id: int
    session_id: int
    step_id: int
    enrollments: list[tuple[int, int, str]]  # (enrollment id, learner id, phone)


def trainer(email: str = "bench@example.com") -> Trainer:
    """The trainer every benchmark row belongs to."""
    row = Trainer(
        email=email,
        name="Bench Trainer",
        password_hash=generate_password_hash("bench password"),
        contact_line="Text HELP for help.",
    )
    db.session.add(row)
    db.session.commit()
    return row


def session(
    owner: Trainer,
    *,
    starts_at: datetime,
    hours: float = 2.0,
    steps: list[Step] | None = None,
    title: str = "Feedback that lands",
) -> TrainingSession:
    """A session (UTC, no send window) using one sequence with the given steps (default one SMS step)."""
    sequence = Sequence(trainer_id=owner.id, name="Bench sequence", send_window_start=None, send_window_end=None)
    for position, step in enumerate(steps or [sms_step("P1D")]):
        step.position = position
        sequence.steps.append(step)
    ts = TrainingSession(
        trainer_id=owner.id,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        timezone="UTC",
        sequences=[sequence],
    )
    db.session.add(ts)
    db.session.commit()
    return ts


def sms_step(offset: str, kind: str = "practice") -> Step:
    """An SMS step at `offset` from the session's end."""
    return Step(kind=kind, channel="sms", anchor="end", offset=offset, body=STEP_BODY)


def learners(owner: Trainer, count: int) -> list[tuple[int, str]]:
    """Insert `count` learners with distinct phones; (id, phone) in order."""
    now = utcnow()
    for start in range(0, count, _CHUNK):
        db.session.execute(
            insert(Learner),
            [
                {
                    "trainer_id": owner.id,
                    "name": f"Learner {i}",
                    "phone": phone(i),
                    "timezone": "UTC",
                    "unsubscribe_token": secrets.token_urlsafe(24),
                    "created_at": now,
                }
                for i in range(start, min(count, start + _CHUNK))
            ],
        )
    db.session.commit()
    return list(
        db.session.execute(
            select(Learner.id, Learner.phone).where(Learner.trainer_id == owner.id).order_by(Learner.id)
        ).all()
    )


def audience(count: int, *, starts_at: datetime | None = None) -> Audience:
    """A trainer, a session with one SMS step, and `count` enrolled learners (no deliveries yet)."""
    owner = trainer()
    ts = session(owner, starts_at=starts_at or utcnow() + timedelta(days=30))
    people = learners(owner, count)
    now = utcnow()
    for start in range(0, count, _CHUNK):
        db.session.execute(
            insert(Enrollment),
            [
                {"session_id": ts.id, "learner_id": learner_id, "source": "admin", "created_at": now}
                for learner_id, _ in people[start : start + _CHUNK]
            ],
        )
    db.session.commit()
    ids = dict(
        db.session.execute(select(Enrollment.learner_id, Enrollment.id).where(Enrollment.session_id == ts.id)).all()
    )
    return Audience(
        owner.id,
        ts.id,
        ts.sequences[0].steps[0].id,
        [(ids[learner_id], learner_id, number) for learner_id, number in people],
    )


def deliveries(who: Audience, due: list[datetime]) -> None:
    """One scheduled SMS delivery per enrolment, the i-th due at due[i]; one transaction, so all appear at once."""
    now = utcnow()
    rows = [
        {
            "enrollment_id": enrollment_id,
            "step_id": who.step_id,
            "session_id": who.session_id,
            "learner_id": learner_id,
            "channel": "sms",
            "due_at": due_at,
            "status": "scheduled",
            "reply_token": secrets.token_hex(8),
            "updated_at": now,
        }
        for (enrollment_id, learner_id, _), due_at in zip(who.enrollments, due)
    ]
    for start in range(0, len(rows), _CHUNK):
        db.session.execute(insert(Delivery), rows[start : start + _CHUNK])
    db.session.commit()


def outstanding() -> int:
    """Deliveries not yet finished by a worker (scheduled, queued or sending)."""
    count = (
        db.session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status.in_(("scheduled", "queued", "sending")))
        )
        or 0
    )
    db.session.rollback()  # end the read, so the next poll sees new commits (SQLite keeps a snapshot)
    return count


def status_counts() -> dict[str, int]:
    """How many deliveries are in each status."""
    counts = dict(db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    db.session.rollback()
    return counts
