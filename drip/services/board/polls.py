"""A session's polls as the board and the projector chart them: votes per choice, percentages, response rate.

After a vote commits, the poll's chart is counted again (one aggregate query: poll_counts) and
published on the session's board channel, at most every 250 ms per poll however many votes arrive
on however many processes (vote_counted, through redraws): the first vote of a quiet poll shows
at once, the last of a storm within a window. Votes arrive at once from a whole room, on several
web processes: each chart carries a version, taken from a Redis counter before counting, so a
chart counted later has a higher version and saw every vote committed before it; boards ignore a
chart older than the one shown.
"""

from __future__ import annotations

import redis
from sqlalchemy import func, select

from drip.domain.choices import poll_question
from drip.domain.step_names import name_of
from drip.extensions import db, redis_store
from drip.models import Delivery, Step, TrainingSession
from drip.services.board import open_polls, redraws
from drip.services.board.publish import publish_event
from drip.services.replies import poll_counts
from drip.services.replies.answers import PollTally, session_steps


def poll_steps(training_session: TrainingSession) -> list[Step]:
    """The session's poll steps, in sequence order."""
    return [step for step in session_steps(training_session) if step.kind == "poll"]


def asked_counts(training_session: TrainingSession, step_ids: list[int]) -> dict[int, int]:
    """How many learners each of these steps was sent to in this session."""
    if not step_ids:
        return {}
    rows = db.session.execute(
        select(Delivery.step_id, func.count(func.distinct(Delivery.learner_id)))
        .where(
            Delivery.session_id == training_session.id, Delivery.step_id.in_(step_ids), Delivery.sent_at.is_not(None)
        )
        .group_by(Delivery.step_id)
    ).all()
    return {step_id: count for step_id, count in rows}


def _version(step_id: int) -> int:
    """The next version of a poll's chart; 0 (always shown) when Redis cannot say."""
    try:
        return int(redis_store.connection.incr(f"drip:poll-version:{step_id}"))
    except redis.RedisError:
        return 0


def _chart(step: Step, counted: PollTally, asked: int, version: int, session_id: int) -> dict:
    if open_polls.is_open(step):
        return {
            "step_id": step.id,
            "version": version,
            "question": poll_question(step.body) or name_of(step),
            "choices": [],
            "asked": asked,
            **open_polls.chart(session_id, step),
        }
    return {
        "step_id": step.id,
        "version": version,
        "question": poll_question(step.body) or name_of(step),
        "choices": [
            {"index": index, "text": text, "votes": counted.counts[index], "percent": round(counted.share(index))}
            for index, text in enumerate(counted.choices)
        ],
        "voters": counted.voters,
        "asked": asked,
    }


def charts(training_session: TrainingSession, steps: list[Step] | None = None) -> list[dict]:
    """The chart data of each poll of the session (or of the given poll steps)."""
    steps = poll_steps(training_session) if steps is None else steps
    ids = [step.id for step in steps]
    versions = {step_id: _version(step_id) for step_id in ids}  # before counting: see the module's docstring
    counted, asked = poll_counts.tallies(training_session.id, steps), asked_counts(training_session, ids)
    return [
        _chart(step, counted[step.id], asked.get(step.id, 0), versions[step.id], training_session.id) for step in steps
    ]


def poll_event(training_session: TrainingSession, step_id: int) -> dict | None:
    """The board event that redraws one poll's chart; None when the step is not a poll of the session."""
    step = db.session.get(Step, step_id)
    if step is None or step.kind != "poll":
        return None
    return {"type": "poll", "poll": charts(training_session, [step])[0]}


def publish_poll(session_id: int, step_id: int) -> None:
    """Count a poll again and redraw it on every open board of the session now (call after the commit)."""
    training_session = db.session.get(TrainingSession, session_id)
    event = poll_event(training_session, step_id) if training_session is not None else None
    if event is not None:
        publish_event(session_id, event)


def vote_counted(session_id: int, step_id: int) -> None:
    """A vote on this poll committed: redraw its chart, at most every 250 ms (see the module's docstring)."""
    redraws.request("poll", session_id, step_id)


redraws.register("poll", publish_poll)


def show_on_projector(training_session: TrainingSession, step_id: int | None) -> dict:
    """Point the projector at a poll's chart (or back at the questions), commit; returns the settings event."""
    if step_id is not None and step_id not in {step.id for step in poll_steps(training_session)}:
        raise ValueError("not a poll of this session")
    training_session.projector_poll_step_id = step_id
    db.session.commit()
    return settings_event(training_session)


def settings_event(training_session: TrainingSession) -> dict:
    """What the projector follows: the question filter and the poll it shows, if any."""
    return {
        "type": "settings",
        "moderation": training_session.moderation,
        "projector_poll": training_session.projector_poll_step_id,
        "order": training_session.question_order,
    }
