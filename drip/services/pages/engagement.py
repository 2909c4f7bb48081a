"""Engagement read model: each learner's state and the per-step funnel of a session (one source for API and pages)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from drip.domain import catalog
from drip.domain.step_names import name_of
from drip.domain.engagement import LearnerFacts, StepFunnel, falling, state, tally
from drip.extensions import db
from drip.models import Delivery, DeliveryRead, Enrollment, Learner, LiveQuestion, Reply, TrainingSession, utcnow
from drip.services.replies.answers import LEARNER_KINDS, session_steps

HANDED_OVER = ("sent", "delivered", "undelivered")  # the provider had it: it counts as sent
RECEIVED = ("sent", "delivered")
RECENT = timedelta(days=60)  # the dashboard looks at sessions that ended within this


@dataclass(frozen=True)
class LearnerEngagement:
    """One learner of the session and what they did."""

    learner: Learner
    facts: LearnerFacts
    state: str


@dataclass(frozen=True)
class SessionEngagement:
    """Who is active, reading, silent or gone, and how far each step got."""

    learners: list[LearnerEngagement]
    steps: list[StepFunnel]
    states: dict[str, int]

    @property
    def falling(self) -> bool:
        """Whether the latest step reached clearly fewer learners than the earlier ones."""
        return falling(self.steps)


def _opted_out(learner: Learner, channels: set[str]) -> bool:
    # Gone when every channel the session uses that could reach them is switched off.
    reachable = [c for c in channels if getattr(learner, catalog.channel(c).address_field)]
    return bool(reachable) and all(getattr(learner, catalog.channel(c).opted_out_field) is not None for c in reachable)


def _pairs(query) -> dict[int, set[int]]:
    """step_id → learner ids, from (step_id, learner_id) rows."""
    out: dict[int, set[int]] = defaultdict(set)
    for step_id, learner_id in db.session.execute(query):
        out[step_id].add(learner_id)
    return out


def of_session(ts: TrainingSession) -> SessionEngagement:
    """The engagement of every learner enrolled in the session, and the funnel of each of its steps."""
    sid = ts.id
    learners = list(
        db.session.scalars(
            select(Learner)
            .join(Enrollment, Enrollment.learner_id == Learner.id)
            .where(Enrollment.session_id == sid)
            .order_by(Learner.name, Learner.id)
        )
    )
    steps = session_steps(ts)
    mine = Delivery.session_id == sid
    sent = _pairs(select(Delivery.step_id, Delivery.learner_id).where(mine, Delivery.status.in_(HANDED_OVER)))
    delivered = _pairs(select(Delivery.step_id, Delivery.learner_id).where(mine, Delivery.status == "delivered"))
    counted = (DeliveryRead.session_id == sid, DeliveryRead.flag.is_(None))
    opened = _pairs(select(DeliveryRead.step_id, DeliveryRead.learner_id).where(*counted, DeliveryRead.kind == "open"))
    clicked = _pairs(
        select(DeliveryRead.step_id, DeliveryRead.learner_id).where(*counted, DeliveryRead.kind == "click")
    )
    replied = _pairs(
        select(Reply.step_id, Reply.learner_id).where(
            Reply.session_id == sid,
            Reply.learner_id.is_not(None),
            Reply.kind.in_(LEARNER_KINDS),
            Reply.created_at <= utcnow(),  # a reply counts from its time on (the demo seeds a few ahead)
        )
    )
    asked = set(
        db.session.scalars(
            select(LiveQuestion.learner_id).where(LiveQuestion.session_id == sid, LiveQuestion.learner_id.is_not(None))
        )
    )
    received = dict(
        db.session.execute(
            select(Delivery.learner_id, func.count())
            .where(mine, Delivery.status.in_(RECEIVED))
            .group_by(Delivery.learner_id)
        ).all()
    )
    # Opening the cohort page is reading too, whatever the messages' opens say.
    page_readers = set(
        db.session.scalars(
            select(Enrollment.learner_id).where(Enrollment.session_id == sid, Enrollment.cohort_views > 0)
        )
    )
    readers = set().union(*opened.values(), *clicked.values(), page_readers)
    repliers = set().union(*replied.values(), asked)
    channels = {step.channel for step in steps}
    rows = []
    for learner in learners:
        facts = LearnerFacts(
            learner.id,
            received.get(learner.id, 0),
            learner.id in readers,
            learner.id in repliers,
            _opted_out(learner, channels),
        )
        rows.append(LearnerEngagement(learner, facts, state(facts)))
    funnels = [
        StepFunnel(
            step.id,
            step.kind,
            step.channel,
            len(sent[step.id]),
            len(delivered[step.id]),
            len(opened[step.id]),
            len(clicked[step.id]),
            len(replied[step.id]),
            len(opened[step.id] | clicked[step.id]),
            len(sent[step.id] & (opened[step.id] | clicked[step.id] | replied[step.id])),
            name_of(step),
        )
        for step in steps
        if step.id in sent
    ]
    return SessionEngagement(rows, funnels, tally(row.facts for row in rows))


def falling_sessions(
    trainer_id: int, limit: int = 5, *, now: datetime | None = None
) -> list[tuple[TrainingSession, SessionEngagement]]:
    """The trainer's recent sessions (not cancelled, messages sent) whose engagement is falling, latest first."""
    # Only sessions still sending follow-ups are worth a look, and the dashboard must stay quick.
    since = (now or utcnow()) - RECENT
    recent = db.session.scalars(
        select(TrainingSession)
        .where(
            TrainingSession.trainer_id == trainer_id,
            TrainingSession.status != "cancelled",
            TrainingSession.ends_at >= since,
            select(Delivery.id)
            .where(Delivery.session_id == TrainingSession.id, Delivery.status.in_(HANDED_OVER))
            .exists(),
        )
        .order_by(TrainingSession.starts_at.desc())
        .limit(10)
    ).all()
    found = []
    for ts in recent:
        engagement = of_session(ts)
        if engagement.falling:
            found.append((ts, engagement))
    return found[:limit]


def of_learner(learner: Learner) -> list[tuple[TrainingSession, LearnerEngagement]]:
    """The learner's state in each session they are enrolled in, latest session first."""
    sessions = db.session.scalars(
        select(TrainingSession)
        .join(Enrollment, Enrollment.session_id == TrainingSession.id)
        .where(Enrollment.learner_id == learner.id)
        .order_by(TrainingSession.starts_at.desc())
        .limit(20)
    ).all()
    out = []
    for ts in sessions:
        row = next((r for r in of_session(ts).learners if r.learner.id == learner.id), None)
        if row is not None:
            out.append((ts, row))
    return out
