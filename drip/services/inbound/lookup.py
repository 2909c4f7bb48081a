"""Who sent an inbound message, and what routing needs to know about them, loaded from the database."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from drip.domain.routing import (
    ANSWER_KINDS,
    ANSWER_WINDOW,
    CHOICE_KINDS,
    LIVE_MARGIN,
    LearnerContext,
    SentStep,
    SessionWindow,
)
from drip.domain.translations import translated_choices
from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Reply, Step, TrainingSession
from drip.services.inbound import sender_batch

SENT = ("sent", "delivered")


@functools.lru_cache(maxsize=4096)  # a worker's batch reads each sender's number more than once
def normalise_sender_phone(raw: str, default_region: str) -> str:
    """The sender's number in E.164 when it parses; otherwise the trimmed text, so nothing is dropped."""
    from drip.services.learners.upsert import normalise_phone

    raw = (raw or "").strip()
    try:
        return normalise_phone(raw, default_region)
    except ValueError:
        return raw


def _live_filter(now: datetime):
    """SQL conditions for a session that is live now (SessionWindow.is_live, in the database)."""
    return (
        TrainingSession.status != "cancelled",
        TrainingSession.starts_at <= now + LIVE_MARGIN,
        TrainingSession.ends_at >= now - LIVE_MARGIN,
    )


def pick_one(candidates: list[Learner], now: datetime) -> Learner | None:
    """Several trainers' learners share this address: enrolled in a live session first, then latest delivery."""
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    ids = [learner.id for learner in candidates]
    live = set(
        db.session.scalars(
            select(Enrollment.learner_id)
            .join(TrainingSession, Enrollment.session_id == TrainingSession.id)
            .where(Enrollment.learner_id.in_(ids), Enrollment.unenrolled_at.is_(None), *_live_filter(now))
        )
    )
    latest = dict(
        db.session.execute(
            select(Delivery.learner_id, func.max(Delivery.sent_at))
            .where(Delivery.learner_id.in_(ids), Delivery.sent_at.is_not(None))
            .group_by(Delivery.learner_id)
        ).all()
    )
    floor = datetime.min.replace(tzinfo=now.tzinfo)

    def rank(learner: Learner):
        sent = latest.get(learner.id)
        if sent is not None and sent.tzinfo is None:  # raw aggregate from SQLite comes back naive UTC
            sent = sent.replace(tzinfo=now.tzinfo)
        return (learner.id in live, sent or floor, learner.id)

    return max(candidates, key=rank)


def learners_by_phone(phone: str, *, trainer_id: int | None = None) -> list[Learner]:
    """Every learner with this number (only one trainer's when trainer_id is given), oldest first."""
    if not phone:
        return []
    if trainer_id is None and (batch := sender_batch.current()) is not None:
        batch.answers_for(phone)  # its first text in a batch is routed on the batch's rows
    query = select(Learner).where(Learner.phone == phone).order_by(Learner.id)
    if trainer_id is not None:
        query = query.where(Learner.trainer_id == trainer_id)
    return list(db.session.scalars(query))


def learner_by_email(address: str, now: datetime) -> Learner | None:
    """The learner an email from this address comes from (see pick_one when several trainers share it)."""
    if not address:
        return None
    query = select(Learner).where(func.lower(Learner.email) == address.strip().lower())
    return pick_one(list(db.session.scalars(query)), now)


def _window(ts: TrainingSession) -> SessionWindow:
    return SessionWindow(ts.id, ts.starts_at, ts.ends_at, ts.join_keyword)


def _open_poll(ts: TrainingSession) -> int | None:
    """The open poll (no choices) the session's projector shows, if any."""
    if ts.projector_poll_step_id is None:
        return None
    step = db.session.get(Step, ts.projector_poll_step_id)
    return step.id if step is not None and step.kind == "poll" and not step.choices else None


def context_for(learner: Learner, now: datetime, *, also_delivery: int | None = None) -> LearnerContext:
    """The learner's live-ish sessions and the steps sent to them in the last 14 days (plus a named one)."""
    batch = sender_batch.current() if also_delivery is None else None
    if batch is not None and (parts := batch.context_parts(learner, now, translated_choices)) is not None:
        sessions, steps = parts
        return LearnerContext(learner.id, sessions, steps, sms_opted_out=learner.sms_opted_out_at is not None)
    sessions = db.session.scalars(
        select(TrainingSession)
        .join(Enrollment, Enrollment.session_id == TrainingSession.id)
        .where(Enrollment.learner_id == learner.id, Enrollment.unenrolled_at.is_(None), *_live_filter(now))
    ).all()
    recent = Delivery.sent_at >= now - ANSWER_WINDOW
    # An email's reply address names its delivery even when it is older than the answer window.
    named = Delivery.id == also_delivery if also_delivery is not None else None
    rows = db.session.execute(
        select(Delivery, Step)
        .join(Step, Delivery.step_id == Step.id)
        .where(
            Delivery.learner_id == learner.id,
            Delivery.sent_at.is_not(None),
            or_(recent, named) if named is not None else recent,
        )
    ).all()
    answered = _answered_deliveries([delivery.id for delivery, step in rows if step.kind in CHOICE_KINDS])
    steps = [
        SentStep(
            delivery.id,
            step.id,
            delivery.session_id,
            step.kind,
            delivery.channel,
            delivery.sent_at,
            tuple(step.choices or ()),
            answered=delivery.id in answered,
            read_as=translated_choices(step.translations, learner.language),
        )
        for delivery, step in rows
    ]
    return LearnerContext(
        learner_id=learner.id,
        sessions=[replace(_window(ts), open_poll_step_id=_open_poll(ts)) for ts in sessions],
        recent_steps=steps,
        sms_opted_out=learner.sms_opted_out_at is not None,
    )


def _answered_deliveries(delivery_ids: list[int]) -> set[int]:
    """The polls and quizzes (deliveries) among these that the learner already picked a choice on."""
    if not delivery_ids:
        return set()
    kinds = [ANSWER_KINDS[kind] for kind in CHOICE_KINDS]
    return set(
        db.session.scalars(
            select(Reply.delivery_id).where(
                Reply.delivery_id.in_(delivery_ids), Reply.kind.in_(kinds), Reply.choice_index.is_not(None)
            )
        )
    )


def joinable_sessions(now: datetime, *, trainer_id: int | None = None) -> list[SessionWindow]:
    """Every live session with a join keyword (of one trainer when given): walk-ins may text it."""
    batch = sender_batch.current() if trainer_id is None else None
    if batch is not None and (windows := batch.joinable(now)) is not None:
        return windows
    query = select(TrainingSession).where(
        TrainingSession.join_keyword.is_not(None), TrainingSession.join_keyword != "", *_live_filter(now)
    )
    if trainer_id is not None:
        query = query.where(TrainingSession.trainer_id == trainer_id)
    rows = db.session.scalars(query).all()
    return [_window(ts) for ts in rows]


def nearest_session(
    now: datetime, *, learner_id: int | None = None, trainer_id: int | None = None
) -> TrainingSession | None:
    """Where an unplaced message is shown: the live session, else the closest in time within 14 days.

    A learner's message looks only at their own sessions; a stranger's at every trainer's (or one
    trainer's, when the phone simulator texts for them).
    """
    query = select(TrainingSession).where(
        TrainingSession.status != "cancelled",
        TrainingSession.starts_at <= now + ANSWER_WINDOW,
        TrainingSession.ends_at >= now - ANSWER_WINDOW,
    )
    if trainer_id is not None:
        query = query.where(TrainingSession.trainer_id == trainer_id)
    if learner_id is not None:
        query = query.join(Enrollment, Enrollment.session_id == TrainingSession.id).where(
            Enrollment.learner_id == learner_id
        )
    near = db.session.scalars(query).all()

    def distance(ts: TrainingSession) -> timedelta:
        if _window(ts).is_live(now):
            return timedelta(0)
        return min(abs(ts.starts_at - now), abs(ts.ends_at - now))

    return min(near, key=lambda ts: (distance(ts), -ts.id), default=None)
