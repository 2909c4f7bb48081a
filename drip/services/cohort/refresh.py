"""Who is asking for a room refresh, and what they voted: each session's live links and votes, read at most once a second.

Five hundred phones with the cohort page open refresh the room every five seconds, and nearly every
refresh finds it unchanged (the script sends the ETag it last got and gets a 304). What such a refresh
needs is whether the link still works, the session's times and open poll, and the learner's votes (their
part of the ETag). A per-token cache would not do: each token comes back every five seconds, long after
a short-lived entry is gone. So each web process reads, once per MAX_AGE per session, the session's live
links (token → learner: enrolled, not erased), its times and open poll, and all its learners' votes, and
answers every refresh of that second from memory. Which session a token belongs to never changes, so it
is kept for as long as the process lives (a reissued token is then simply not among the live links).

What this process changes is seen at once: a commit that writes a learner, enrolment, session or step
drops the links read (services.cohort.shared's `watch`), and a vote from the page drops the session's
votes read (`forget_votes`). What another process changes (a learner erased or unenrolled through the
other web process or a worker, a vote through the other web process) is seen within MAX_AGE: an erased
learner's token answers 404 within a second of the commit. Expiry is checked at every request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from drip.domain import cohort
from drip.extensions import db
from drip.models import Enrollment, Learner, LiveQuestion, QuestionVote, Step, TrainingSession
from drip.services.cohort.recent import Recent, must_read

MAX_AGE = 1.0  # seconds a read of a session's links or votes is handed out again
KEY = "drip_cohort_refresh"
KNOWN_TOKENS = 100_000  # tokens → session kept per process before starting over (this only stops a leak)


@dataclass(frozen=True)
class RoomSession:
    """What a room refresh needs of a training session (the names TrainingSession has, for room's helpers)."""

    id: int
    starts_at: datetime
    ends_at: datetime
    moderation: str
    cohort_days_after: int
    open_poll_step_id: int | None  # the projector's poll when it is an open one (no choices), else None


@dataclass(frozen=True)
class Links:
    """One session as read for its refreshes: the session, and its working links' learners."""

    training_session: RoomSession
    learners: Mapping[str, int]  # token → learner id: enrolled, not erased


@dataclass(frozen=True)
class Reader:
    """A room refresh's learner: who, in which session."""

    learner_id: int
    training_session: RoomSession


class Refreshes:
    """One app's reads for room refreshes: token → session, and each session's links and votes, recent."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.links, self.votes, self.sessions = Recent(MAX_AGE, clock), Recent(MAX_AGE, clock), {}


def _kept() -> Refreshes:
    return current_app.extensions.setdefault(KEY, Refreshes())


def _session_of(kept: Refreshes, token: str) -> int | None:
    session_id = kept.sessions.get(token)
    if session_id is None:
        must_read()
        session_id = db.session.scalar(select(Enrollment.session_id).where(Enrollment.cohort_token == token))
        if session_id is not None:
            if len(kept.sessions) > KNOWN_TOKENS:
                kept.sessions.clear()
            kept.sessions[token] = session_id
    return session_id


def _read_links(session_id: int) -> Links | None:
    row = db.session.execute(
        select(
            TrainingSession.id,
            TrainingSession.starts_at,
            TrainingSession.ends_at,
            TrainingSession.moderation,
            TrainingSession.cohort_days_after,
            TrainingSession.projector_poll_step_id,
            Step.kind,
            Step.choices,
        )
        .outerjoin(Step, Step.id == TrainingSession.projector_poll_step_id)
        .where(TrainingSession.id == session_id)
    ).first()
    if row is None:
        return None
    *fields, poll, kind, choices = row
    open_poll = poll if poll is not None and kind == "poll" and not choices else None
    learners = db.session.execute(
        select(Enrollment.cohort_token, Enrollment.learner_id)
        .join(Learner, Learner.id == Enrollment.learner_id)
        .where(
            Enrollment.session_id == session_id,
            Enrollment.cohort_token.is_not(None),
            Enrollment.unenrolled_at.is_(None),
            Learner.erased_at.is_(None),
        )
    ).all()
    links = Links(RoomSession(*fields, open_poll_step_id=open_poll), dict(learners))
    sessions = _kept().sessions
    if len(sessions) > KNOWN_TOKENS:
        sessions.clear()
    sessions.update(dict.fromkeys(links.learners, session_id))  # the others' first refreshes need no lookup
    return links


def reader(token: str, now: datetime) -> Reader | None:
    """The learner and session of a working link (enrolled, not erased, not expired), or None."""
    if not cohort.looks_like_token(token):
        return None
    kept = _kept()
    session_id = _session_of(kept, token)
    if session_id is None:
        return None
    links = kept.links.get(session_id, lambda: _read_links(session_id))
    learner_id = links.learners.get(token) if links is not None else None
    if learner_id is None:
        return None
    ts = links.training_session
    if not cohort.link_alive(ts.ends_at, ts.cohort_days_after, now):
        return None
    return Reader(learner_id, ts)


def _read_votes(session_id: int) -> dict[int, frozenset[int]]:
    voted: dict[int, set[int]] = {}
    for learner_id, question_id in db.session.execute(
        select(QuestionVote.learner_id, QuestionVote.question_id)
        .join(LiveQuestion, LiveQuestion.id == QuestionVote.question_id)
        .where(LiveQuestion.session_id == session_id)
    ):
        voted.setdefault(learner_id, set()).add(question_id)
    return {learner_id: frozenset(ids) for learner_id, ids in voted.items()}


def voted(session_id: int, learner_id: int) -> frozenset[int]:
    """The ids of the session's questions the learner voted for (as of at most MAX_AGE ago, or their last vote here)."""
    return _kept().votes.get(session_id, lambda: _read_votes(session_id)).get(learner_id, frozenset())


def forget_votes(session_id: int) -> None:
    """Read the session's votes afresh next time (after a vote in this process)."""
    _kept().votes.drop(lambda key: key == session_id)


def forget_links() -> None:
    """Read every session's links afresh next time (after a commit that may have changed one)."""
    if (kept := current_app.extensions.get(KEY)) is not None:
        kept.links.drop()
