"""The poll path before issue 28, for the poll storm's baseline: each vote routed in its webhook's request
(bench/in_request_app.route_sms), then every vote of the poll loaded as an ORM row, tallied in
Python, and the chart published (no throttle).

`bench.poll_every_vote:create_app()` is Drip's app with that path put back; gunicorn serves it as the
Procfile serves Drip's, so the storm measures the two side by side in the same run.
"""

from __future__ import annotations

from sqlalchemy import select


def publish_every_vote(session_id: int, step_id: int) -> None:
    """Count the poll by loading each of its votes, then publish the chart (the old publish_poll)."""
    from drip.extensions import db
    from drip.models import Reply, Step, TrainingSession
    from drip.services.board import board, polls
    from drip.services.replies.answers import tally

    training_session, step = db.session.get(TrainingSession, session_id), db.session.get(Step, step_id)
    if training_session is None or step is None or step.kind != "poll":
        return
    version = polls._version(step_id)
    votes = list(
        db.session.scalars(
            select(Reply)
            .where(Reply.session_id == session_id, Reply.step_id == step_id, Reply.kind == "poll_vote")
            .order_by(Reply.created_at, Reply.id)
        )
    )
    asked = polls.asked_counts(training_session, [step_id]).get(step_id, 0)
    chart = polls._chart(step, tally(step, votes), asked, version, session_id)
    board.publish_event(session_id, {"type": "poll", "poll": chart})


def create_app():
    """Drip's app, each vote routed in its request and redrawing its poll by loading every vote."""
    from bench.in_request_app import route_sms
    from drip import create_app as drip_app
    from drip.services.board import polls
    from drip.services.webhooks import intake

    polls.vote_counted = publish_every_vote
    intake.store_sms = route_sms  # the fast path and the view both call it: the vote is routed here
    return drip_app()
