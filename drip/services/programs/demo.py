"""The demo a new user sees after `make run`: a trainer, the starter sequence, and a session about to start.

The demo session runs a compressed copy of the starter sequence (each day of offset becomes
DEMO_MINUTES_PER_DAY minutes) plus a poll asked during the session, so every kind of step
reaches the outbox within ten minutes. The interest poll goes out at launch, minutes before the
session: a vote still counts (routing: a poll sent within the hour). The demo learners are on the
live board until 15 minutes after the end, so a second, finished session ("last week's group")
sends its practice check-in a minute after launch: answering it on the phone simulator shows a
practice report within the ten minutes. Seeding again keeps everything and creates only what is missing.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from datetime import datetime, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, select

from drip.domain import catalog
from drip.domain.schedule import StepTiming, due_at
from drip.extensions import db
from drip.models import InboundMessage, LiveQuestion, Reply, Sequence, Trainer, TrainingSession, utcnow
from drip.services import accounts
from drip.services.board import poll_words
from drip.services.cohort import votes
from drip.services.programs.enrolment import enrol
from drip.services.learners.upsert import upsert_learners, validate_learner
from drip.services.programs.sequences import create_sequence
from drip.services.programs.sessions import create_session
from drip.services.programs.demo_content import (
    DEMO_ANSWERS,
    DEMO_EMAIL,
    DEMO_LEARNERS,
    DEMO_SEQUENCE,
    DEMO_SESSION,
    LASTS,
    OPEN_POLL_ANSWERS,
    PAST_ENDED,
    PAST_LEARNERS,
    PAST_SEQUENCE,
    PAST_SESSION,
    ROOM_QUESTION,
    STARTS_IN,
    demo_steps,
    past_steps,
)
from drip.services.programs.demo_content import LIVE_POLL, LIVE_POLL_CHOICES, OPEN_POLL, compress  # noqa: F401 (known here)
from drip.services.programs.demo_picture import demo_picture
from drip.services.programs.starter import STARTER_NAME, add_starter


def _named(model, trainer: Trainer, column, value):
    return db.session.scalars(select(model).where(model.trainer_id == trainer.id, column == value)).first()


def _trainer(password: str) -> tuple[Trainer, bool]:
    trainer = accounts.find_trainer(DEMO_EMAIL)
    if trainer is not None:
        return trainer, False
    trainer = accounts.create_trainer(DEMO_EMAIL, password, "Dana Whitfield")
    trainer.contact_line = "Questions? Reply here or email demo@drip.local."
    db.session.commit()
    return trainer, True


def demo_password(folder: Path) -> str:
    """DRIP_DEMO_PASSWORD, else the random one made on the first run, kept owner-only in instance/."""
    if os.environ.get("DRIP_DEMO_PASSWORD"):
        return os.environ["DRIP_DEMO_PASSWORD"]
    kept = folder / "demo_password"
    if kept.exists():
        return kept.read_text().strip()
    # Four random words' worth of entropy in a form one can type; a fixed password would be
    # the same on every demo reachable from a network.
    password = "-".join(secrets.token_urlsafe(5) for _ in range(3))
    folder.mkdir(parents=True, exist_ok=True)
    kept.touch(mode=0o600)
    kept.write_text(password + "\n")
    return password


def seed() -> Iterator[str]:
    """Create whatever part of the demo is missing and say how to sign in; running again changes nothing."""
    password = demo_password(Path(current_app.config["INSTANCE_PATH"]))
    trainer, created = _trainer(password)
    if created:
        yield "Seeded the demo trainer."
    if add_starter(trainer)[1]:
        yield f"Added the starter sequence “{STARTER_NAME}”."
    minutes_per_day = float(current_app.config.get("DEMO_MINUTES_PER_DAY", 1))
    demo_sequence = _named(Sequence, trainer, Sequence.name, DEMO_SEQUENCE)
    if demo_sequence is None:
        picture = demo_picture(trainer)  # inline in an email, an MMS to US numbers, a link to Sam in Sydney
        demo_sequence = create_sequence(
            trainer, name=DEMO_SEQUENCE, send_window=None, steps=demo_steps(minutes_per_day, picture.id)
        )
        yield f"Added “{DEMO_SEQUENCE}” ({minutes_per_day:g} minute{'' if minutes_per_day == 1 else 's'} per day)."
    if _named(TrainingSession, trainer, TrainingSession.title, DEMO_SESSION) is None:
        yield from _demo_session(trainer, demo_sequence)
    if _named(TrainingSession, trainer, TrainingSession.title, PAST_SESSION) is None:
        yield from _past_session(trainer)
    yield f"Sign in at http://127.0.0.1:{os.environ.get('PORT', '5000')} as {DEMO_EMAIL} / {password}"


def _approved_answers(training_session: TrainingSession, sequence: Sequence, learners: list) -> None:
    discussion = next(step for step in sequence.steps if step.kind == "discussion")
    now = utcnow()
    # Answered a little after the discussion email reaches them, never before it (the engagement and
    # replies pages count a reply from its time on).
    sent = due_at(
        StepTiming(discussion.anchor, discussion.offset),
        starts_at=training_session.starts_at,
        ends_at=training_session.ends_at,
        tz=ZoneInfo(training_session.timezone),
        window=None,
    )
    for position, (index, body) in enumerate(DEMO_ANSWERS, start=1):
        answered = max(sent, now) + timedelta(seconds=20 * position)
        db.session.add(_reply(training_session, learners[index], discussion, "email", body, answered, approved=True))
    db.session.commit()


def _reply(
    training_session: TrainingSession, learner, step, channel: str, body: str, at: datetime, *, approved: bool = False
) -> Reply:
    """A learner's seeded reply to a step, stamped `at`; approved for the cohort (reviewed then) when asked."""
    return Reply(
        trainer_id=training_session.trainer_id,
        session_id=training_session.id,
        learner_id=learner.id,
        step_id=step.id,
        kind=catalog.step_kind(step.kind).reply_kind,
        channel=channel,
        body=body,
        shared=approved,
        reviewed_at=at if approved else None,
        created_at=at,
    )


def _room(training_session: TrainingSession, sequence: Sequence, learners: list) -> None:
    """An approved question two learners voted for, and answers to the open poll, for the cohort page and projector."""
    now = utcnow()
    question = LiveQuestion(
        session_id=training_session.id, learner_id=learners[3].id, body=ROOM_QUESTION, approved=True, created_at=now
    )
    db.session.add(question)
    db.session.flush()
    for voter in (0, 1):
        votes.toggle(question.id, learners[voter].id, now)
    poll = next(step for step in sequence.steps if step.kind == "poll" and not step.choices)
    for index, body in OPEN_POLL_ANSWERS:
        answer = _reply(training_session, learners[index], poll, "sms", body, now)
        db.session.add(answer)
        db.session.flush()
        poll_words.file(answer)
    db.session.commit()


def _learners(trainer: Trainer, rows: list[dict]) -> list:
    region = current_app.config.get("DEFAULT_REGION", "US")
    return [
        learner
        for learner, _ in upsert_learners(trainer, [validate_learner(row, default_region=region) for row in rows])
    ]


def _past_session(trainer: Trainer) -> Iterator[str]:
    sequence = _named(Sequence, trainer, Sequence.name, PAST_SEQUENCE) or create_sequence(
        trainer, name=PAST_SEQUENCE, send_window=None, steps=past_steps()
    )
    ends_at = (utcnow() - PAST_ENDED).replace(microsecond=0)
    training_session = create_session(
        trainer,
        title=PAST_SESSION,
        starts_at=ends_at - LASTS,
        ends_at=ends_at,
        timezone="America/New_York",
        sequence_ids=[sequence.id],
    )
    learners = _learners(trainer, PAST_LEARNERS)
    enrol(training_session, learners, source="admin")
    yield (
        f"Created “{PAST_SESSION}”: {learners[0].name} gets a practice check-in in a minute; answer it on "
        "the Phone simulator to see a practice report."
    )


def reset() -> Iterator[str]:
    """Bring the demo back to its start: the demo trainer and everything of theirs removed, then seeded anew.

    Only the demo trainer's rows go; other trainers' data is untouched.
    """
    trainer = accounts.find_trainer(DEMO_EMAIL)
    if trainer is not None:
        # Texts keep no foreign key cascade to their trainer (a stranger's text has none): remove them first.
        db.session.execute(delete(InboundMessage).where(InboundMessage.trainer_id == trainer.id))
        db.session.execute(delete(Trainer).where(Trainer.id == trainer.id))  # the database cascades the rest
        db.session.commit()
        db.session.expunge_all()
        yield "Removed the demo trainer and all of their data."
    yield from seed()


def _demo_session(trainer: Trainer, sequence: Sequence) -> Iterator[str]:
    starts_at = (utcnow() + STARTS_IN).replace(microsecond=0)
    training_session = create_session(
        trainer,
        title=DEMO_SESSION,
        starts_at=starts_at,
        ends_at=starts_at + LASTS,
        timezone="America/New_York",
        join_url="https://meet.example.com/feedback-demo",
        sequence_ids=[sequence.id],
        join_keyword="DEMO",
        slide_ids=[demo_picture(trainer).id],  # on the cohort page from the session's start
    )
    learners = _learners(trainer, DEMO_LEARNERS)
    enrol(training_session, learners, source="admin")
    _approved_answers(training_session, sequence, learners)
    _room(training_session, sequence, learners)
    yield (
        f"Created the demo session “{DEMO_SESSION}”, starting at {starts_at:%H:%M} UTC, "
        f"with {len(learners)} learners: watch the Outbox page as its steps fall due. On its board, "
        "“Show on the projector” under the word cloud poll turns the room's texts into a word cloud; "
        "each learner's cohort page link is on their learner page."
    )
