"""A demo that does not contradict itself (issue 22, item 8)."""

from __future__ import annotations

from datetime import timedelta

from drip.extensions import db
from drip.models import Delivery, Reply, Step, TrainingSession, utcnow
from drip.services.pages import engagement
from drip.services.programs.demo import DEMO_SESSION, PAST_SESSION


def test_replies_follow_their_steps_and_last_week_is_a_week_ago(app, runner):
    assert runner.invoke(args=["drip", "seed-demo"]).exit_code == 0
    demo = db.session.query(TrainingSession).filter_by(title=DEMO_SESSION).one()
    past = db.session.query(TrainingSession).filter_by(title=PAST_SESSION).one()
    assert timedelta(days=6) < utcnow() - past.ends_at < timedelta(days=8)
    for reply in db.session.query(Reply).filter_by(session_id=demo.id, kind="discussion_reply"):
        sent = db.session.query(Delivery.due_at).filter_by(step_id=reply.step_id, learner_id=reply.learner_id).scalar()
        assert reply.created_at > sent  # answered after the question went out, never before
    answered_later = {reply.learner_id for reply in db.session.query(Reply).filter_by(kind="discussion_reply")}
    early = {
        reply.learner_id
        for reply in db.session.query(Reply).filter(Reply.session_id == demo.id, Reply.kind != "discussion_reply")
    }
    rows = {row.learner.id: row for row in engagement.of_session(demo).learners}
    for learner_id in answered_later - early:
        assert not rows[learner_id].facts.replied  # a seeded answer counts once it is given, not at launch
    assert answered_later - early
    check_in = db.session.query(Step).filter(Step.sequence.has(name="Demo: practice check-in after the session")).one()
    due = db.session.query(Delivery.due_at).filter_by(step_id=check_in.id).scalar()
    assert timedelta(0) < due - utcnow() < timedelta(minutes=2)  # Jo's check-in still arrives a minute after launch
