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
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Iterator

from flask import current_app
from sqlalchemy import delete, select

from drip.domain.durations import Offset, parse_offset
from drip.extensions import db
from drip.models import InboundMessage, Reply, Sequence, Trainer, TrainingSession, utcnow
from drip.services import accounts
from drip.services.programs.enrolment import enrol
from drip.services.learners.upsert import upsert_learners, validate_learner
from drip.services.programs.sequences import StepInput, create_sequence
from drip.services.programs.sessions import create_session
from drip.services.programs.starter import STARTER_NAME, add_starter, starter_steps

DEMO_EMAIL = "demo@drip.local"
DEMO_SEQUENCE = f"{STARTER_NAME} (demo: days are minutes)"
DEMO_SESSION = "Giving feedback that lands (demo)"
STARTS_IN = timedelta(minutes=4)
LASTS = timedelta(minutes=2)
LIVE_POLL_CHOICES = ["Ask before telling", "Describe the impact", "Agree a next step"]
_LIVE_POLL = """Quick poll, {{ first_name }}: which will you try first this week? Reply 1, 2 or 3:
1 Ask before telling
2 Describe the impact
3 Agree a next step"""
# Not compressed: a minute after the start, inside the (two-minute) session.
LIVE_POLL = StepInput("poll", "sms", "start", "PT1M", _LIVE_POLL, local_time=None, choices=LIVE_POLL_CHOICES)
PAST_SESSION = "Giving feedback that lands (demo: last week's group)"
PAST_SEQUENCE = "Demo: practice check-in after the session"
PAST_ENDED = timedelta(minutes=20)  # past the 15-minute live window, so answers are not live questions
_CHECK_IN = """Hi {{ first_name }}, {{ trainer.name }} here. It's been a week since {{ session.title }}: what did you try, and how did it go? Just reply to this text."""
PAST_LEARNERS = [
    {"name": "Jo Park", "phone": "+1 202 555 0178", "email": "jo@example.com", "timezone": "America/New_York"},
]
# 555-01xx numbers are reserved for fiction in North America; 0491 570 xxx in Australia.
DEMO_LEARNERS = [
    {"name": "Maya Okafor", "phone": "+1 202 555 0143", "email": "maya@example.com", "timezone": "America/New_York"},
    {"name": "Leo Martin", "phone": "+1 212 555 0199", "email": "leo@example.com", "timezone": "America/New_York"},
    {"name": "Priya Raman", "phone": "+1 312 555 0142", "email": "priya@example.com", "timezone": "America/Chicago"},
    {"name": "Sam Taylor", "phone": "+61 491 570 156", "email": "sam@example.com", "timezone": "Australia/Sydney"},
]


def compress(offset: str, minutes_per_day: float) -> str:
    """An offset with each day turned into `minutes_per_day` minutes (hours and minutes shrink alike)."""
    parsed = parse_offset(offset)
    seconds = round((parsed.days * 86400 + parsed.seconds) * minutes_per_day * 60 / 86400)
    return str(Offset(parsed.negative, 0, seconds))


def demo_steps(minutes_per_day: float) -> list[StepInput]:
    """The starter steps on a minutes scale (no fixed time of day, since a day lasts minutes), and the live poll."""
    steps = [
        replace(
            step,
            offset=compress(step.offset, minutes_per_day),
            local_time=None,
            retry_after=compress(step.retry_after, minutes_per_day) if step.retry_after else None,
            follow_up={**step.follow_up, "after": compress(step.follow_up["after"], minutes_per_day)}
            if step.follow_up
            else None,
        )
        for step in starter_steps()
    ]
    after_prompt = next(index for index, step in enumerate(steps) if step.kind == "live_prompt") + 1
    # A digest's source is an index into the list: those after the inserted poll move by one.
    steps = [
        replace(step, source=step.source + 1) if isinstance(step.source, int) and step.source >= after_prompt else step
        for step in steps
    ]
    return [*steps[:after_prompt], LIVE_POLL, *steps[after_prompt:]]


def past_steps() -> list[StepInput]:
    """Last week's group gets one practice check-in, 21 minutes after their session ended (a minute after launch)."""
    due = PAST_ENDED + timedelta(minutes=1)
    return [StepInput("practice", "sms", "end", f"PT{int(due.total_seconds() // 60)}M", _CHECK_IN, local_time=None)]


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
        demo_sequence = create_sequence(
            trainer, name=DEMO_SEQUENCE, send_window=None, steps=demo_steps(minutes_per_day)
        )
        yield f"Added “{DEMO_SEQUENCE}” ({minutes_per_day:g} minute{'' if minutes_per_day == 1 else 's'} per day)."
    if _named(TrainingSession, trainer, TrainingSession.title, DEMO_SESSION) is None:
        yield from _demo_session(trainer, demo_sequence)
    if _named(TrainingSession, trainer, TrainingSession.title, PAST_SESSION) is None:
        yield from _past_session(trainer)
    yield f"Sign in at http://127.0.0.1:{os.environ.get('PORT', '5000')} as {DEMO_EMAIL} / {password}"


# Two learners' answers to the discussion questions, already approved, so the digest before the
# session has something to share and the demo shows one arriving.
DEMO_ANSWERS = [
    (1, "I gave feedback a week late and it landed as an ambush. Next time: the same day, in private."),
    (2, "I ask people what they noticed before I say what I noticed. It turns it into a conversation."),
]


def _approved_answers(training_session: TrainingSession, sequence: Sequence, learners: list) -> None:
    discussion = next(step for step in sequence.steps if step.kind == "discussion")
    now = utcnow()
    for index, body in DEMO_ANSWERS:
        db.session.add(
            Reply(
                trainer_id=training_session.trainer_id,
                session_id=training_session.id,
                learner_id=learners[index].id,
                step_id=discussion.id,
                kind="discussion_reply",
                channel="email",
                body=body,
                shared=True,
                reviewed_at=now,
                created_at=now,
            )
        )
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
    )
    learners = _learners(trainer, DEMO_LEARNERS)
    enrol(training_session, learners, source="admin")
    _approved_answers(training_session, sequence, learners)
    yield (
        f"Created the demo session “{DEMO_SESSION}”, starting at {starts_at:%H:%M} UTC, "
        f"with {len(learners)} learners: watch the Outbox page as its steps fall due."
    )
