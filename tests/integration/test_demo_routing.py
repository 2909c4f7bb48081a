"""The demo as a newcomer meets it: a vote counted minutes before the session, a vote on the live poll,
a question on the board and a practice report, all within ten minutes of `make run` (issue 10, item 6)."""

from __future__ import annotations

from datetime import timedelta

from drip.extensions import db
from drip.models import Delivery, LiveQuestion, Reply, Step, TrainingSession, utcnow
from drip.services.delivery.dispatch import claim_due, new_job_id
from drip.services.delivery.send import send_claimed
from drip.services.inbound.receive import receive_sms
from drip.services.programs.demo import DEMO_SESSION, LIVE_POLL_CHOICES, PAST_SESSION
from tests.support.inbound_factory import sms_form

MAYA, LEO, PRIYA, JO = "+12025550143", "+12125550199", "+13125550142", "+12025550178"


def send_due(now):
    """What a worker does at `now`: claim what is due and send it (to the outbox)."""
    job = new_job_id()
    ids = claim_due(now, job_id=job)
    if ids:
        send_claimed(ids, job)
    return ids


def kinds_sent_to(phone: str) -> list[str]:
    rows = (
        db.session.query(Step.kind)
        .join(Delivery, Delivery.step_id == Step.id)
        .filter(Delivery.sent_at.is_not(None), Delivery.learner.has(phone=phone))
        .order_by(Delivery.sent_at)
    )
    return [kind for (kind,) in rows]


def test_the_demo_shows_votes_a_live_poll_and_a_practice_report_within_ten_minutes(app, runner):
    assert runner.invoke(args=["drip", "seed-demo"]).exit_code == 0
    launch = utcnow()
    demo = db.session.query(TrainingSession).filter_by(title=DEMO_SESSION).one()
    past = db.session.query(TrainingSession).filter_by(title=PAST_SESSION).one()
    assert demo.starts_at - launch < timedelta(minutes=6) and past.ends_at + timedelta(minutes=15) < launch

    send_due(launch)  # the interest poll goes out at once (if_late: send)
    assert kinds_sent_to(MAYA) == ["poll"]
    vote = receive_sms(sms_form("2", sender=MAYA), now=launch + timedelta(minutes=1))
    assert vote.kind == "poll_vote"  # minutes before the session, inside the live window: still a vote

    send_due(launch + timedelta(minutes=7))  # the live prompt, the live poll, Jo's practice check-in
    sent = kinds_sent_to(LEO)
    # The interest poll, the live poll and the open poll (the word cloud's question).
    assert sent.count("poll") == 3 and {"testimonial", "discussion", "live_prompt"} <= set(sent)
    assert kinds_sent_to(JO) == ["practice"]
    during = demo.starts_at + timedelta(minutes=1, seconds=30)
    live_vote = receive_sms(sms_form("b", sender=LEO), now=during)
    question = receive_sms(sms_form("How do I start when they get defensive?", sender=PRIYA), now=during)
    report = receive_sms(
        sms_form("Tried asking first with my report, it went well", sender=JO), now=launch + timedelta(minutes=8)
    )

    assert live_vote.kind == "poll_vote" and question.kind == "live_question" and report.kind == "practice_report"
    live_poll = db.session.get(Reply, live_vote.reply_id)
    assert db.session.get(Step, live_poll.step_id).choices == LIVE_POLL_CHOICES and live_poll.choice_index == 1
    assert db.session.get(LiveQuestion, question.question_id).session_id == demo.id
    assert db.session.get(Reply, report.reply_id).session_id == past.id
