"""receive_sms against the real database: what each text becomes, and what it changes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from drip.extensions import db, redis_store
from drip.models import Enrollment, InboundMessage, Learner, LiveQuestion, OptOutEvent, Reply, utcnow
from drip.services.board import board
from drip.services.inbound.receive import MalformedInbound, receive_sms, sms_webhook_token
from tests.support.inbound_factory import enrol, make_learner, make_session, make_step, sent_delivery, sms_form

PHONE = "+14155550101"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_text_during_a_live_session_is_a_question_on_its_board(app, trainer):
    ts = make_session(trainer)
    ada = make_learner(trainer)
    enrol(ts, ada)
    listener = redis_store.connection.pubsub()
    listener.subscribe(board.channel_name(ts.id))
    listener.get_message(timeout=2)
    try:
        outcome = receive_sms(sms_form("How do I give feedback upwards?"))
        event = listener.get_message(timeout=2)
    finally:
        listener.close()
    assert outcome.kind == "live_question"
    # A new session approves questions first: the learner is told the trainer has it, not that it is on the board.
    assert outcome.answer == "Thanks, the trainer has your question."
    question = db.session.get(LiveQuestion, outcome.question_id)
    assert (question.session_id, question.learner_id, question.body) == (
        ts.id,
        ada.id,
        "How do I give feedback upwards?",
    )
    assert json.loads(event["data"])["question"]["body"] == "How do I give feedback upwards?"
    message = db.session.get(InboundMessage, outcome.inbound_id)
    assert message.raw["Body"] == "How do I give feedback upwards?" and message.routed_as == "live_question"


def test_a_repeated_message_sid_changes_nothing(app, trainer):
    ts = make_session(trainer)
    enrol(ts, make_learner(trainer))
    form = sms_form("Same question twice?")
    first = receive_sms(form)
    second = receive_sms(form)
    assert not first.duplicate and second.duplicate
    assert count(LiveQuestion) == 1 and count(InboundMessage) == 1


def test_a_reply_after_a_practice_step_is_a_practice_report(app, trainer):
    ts = make_session(trainer, starts_at=utcnow() - timedelta(days=2))
    ada = make_learner(trainer)
    step = make_step(trainer, "practice")
    delivery = sent_delivery(ts, ada, step)
    outcome = receive_sms(sms_form("Tried it with my team, it worked"))
    reply = db.session.get(Reply, outcome.reply_id)
    assert (reply.kind, reply.step_id, reply.delivery_id, reply.session_id) == (
        "practice_report",
        step.id,
        delivery.id,
        ts.id,
    )
    assert reply.trainer_id == trainer.id and outcome.answer is None


def test_a_number_after_a_poll_is_a_vote(app, trainer):
    ts = make_session(trainer, starts_at=utcnow() + timedelta(days=3))
    ada = make_learner(trainer)
    step = make_step(trainer, "poll", choices=["Giving feedback", "Receiving it", "Both"])
    sent_delivery(ts, ada, step)
    reply = db.session.get(Reply, receive_sms(sms_form(" 2. ")).reply_id)
    assert (reply.kind, reply.choice_index) == ("poll_vote", 1)


def test_stop_opts_the_number_out_and_answers_nothing(app, trainer):
    ada = make_learner(trainer)
    outcome = receive_sms(sms_form("Stop"))
    assert outcome.kind == "opt_out" and outcome.answer is None
    assert db.session.get(Learner, ada.id).sms_opted_out_at is not None
    assert receive_sms(sms_form("START")).kind == "opt_in"
    assert db.session.get(Learner, ada.id).sms_opted_out_at is None
    assert count(OptOutEvent) == 2 and count(Reply) == 0


def test_help_answers_with_the_trainers_contact_line(app, trainer):
    trainer.contact_line = "Questions? Call Tess on 020 7946 0000."
    db.session.commit()
    make_learner(trainer)
    outcome = receive_sms(sms_form("HELP"))
    assert outcome.kind == "help" and outcome.answer.startswith("Questions? Call Tess")


def test_a_stranger_is_kept_and_shown_on_the_nearest_session(app, trainer):
    ts = make_session(trainer)
    outcome = receive_sms(sms_form("who is this?", sender="+14155550199"))
    reply = db.session.get(Reply, outcome.reply_id)
    assert (reply.kind, reply.learner_id, reply.session_id, reply.trainer_id) == (
        "unclassified",
        None,
        ts.id,
        trainer.id,
    )
    assert db.session.get(InboundMessage, outcome.inbound_id).from_address == "+14155550199"


def test_a_stranger_with_no_session_around_is_still_kept(app, trainer):
    outcome = receive_sms(sms_form("hello?", sender="+14155550199"))
    assert outcome.kind == "unclassified" and count(InboundMessage) == 1 and count(Reply) == 1


def test_a_walk_in_joins_by_keyword_then_reaches_the_board(app, trainer):
    ts = make_session(trainer, join_keyword="FEEDBACK")
    joined = receive_sms(sms_form("feedback", sender="+14155550177"))
    assert joined.kind == "join" and "Feedback that lands" in joined.answer
    walk_in = db.session.scalar(select(Learner).where(Learner.phone == "+14155550177"))
    assert walk_in.trainer_id == trainer.id and walk_in.name.startswith("Walk-in")
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.learner_id == walk_in.id))
    assert (enrollment.session_id, enrollment.source) == (ts.id, "walk_in")
    asked = receive_sms(sms_form("Can you share the slides?", sender="+14155550177"))
    assert asked.kind == "live_question"
    assert db.session.get(LiveQuestion, asked.question_id).learner_id == walk_in.id


def test_a_join_keyword_outside_the_live_window_is_not_a_join(app, trainer):
    make_session(trainer, starts_at=utcnow() + timedelta(hours=3), join_keyword="FEEDBACK")
    assert receive_sms(sms_form("FEEDBACK", sender="+14155550177")).kind == "unclassified"
    assert count(Learner) == 0


def test_a_walk_in_who_said_stop_stays_opted_out(app, trainer):
    make_session(trainer, join_keyword="FEEDBACK")
    receive_sms(sms_form("STOP", sender="+14155550177"))
    receive_sms(sms_form("FEEDBACK", sender="+14155550177"))
    assert db.session.scalar(select(Learner).where(Learner.phone == "+14155550177")).sms_opted_out_at is not None


def test_a_shared_phone_answering_both_trainers_steps_reaches_both(app, trainer):
    from drip.services import accounts

    other = accounts.create_trainer("other@example.com", "another long password", "Olga Other")
    mine, theirs = make_learner(trainer), make_learner(other)
    old = make_session(trainer, starts_at=utcnow() - timedelta(days=3))
    recent = make_session(other, starts_at=utcnow() - timedelta(days=2))
    sent_delivery(old, mine, make_step(trainer, "practice"), sent_at=utcnow() - timedelta(days=2))
    sent_delivery(recent, theirs, make_step(other, "practice"), sent_at=utcnow() - timedelta(hours=1))
    receive_sms(sms_form("done it"))
    replies = {(r.learner_id, r.trainer_id, r.session_id, r.kind) for r in db.session.scalars(select(Reply))}
    assert replies == {
        (mine.id, trainer.id, old.id, "practice_report"),
        (theirs.id, other.id, recent.id, "practice_report"),
    }


def test_a_shared_phone_prefers_the_learner_in_a_live_session(app, trainer):
    from drip.services import accounts

    other = accounts.create_trainer("other@example.com", "another long password", "Olga Other")
    mine, theirs = make_learner(trainer), make_learner(other)
    live = make_session(trainer)
    enrol(live, mine)
    past = make_session(other, starts_at=utcnow() - timedelta(days=2))
    sent_delivery(past, theirs, make_step(other, "practice"), sent_at=utcnow() - timedelta(minutes=1))
    outcome = receive_sms(sms_form("A question for the room"))
    assert db.session.get(LiveQuestion, outcome.question_id).session_id == live.id


@pytest.mark.parametrize("form", [{}, {"From": PHONE}, {"MessageSid": "SM1"}, {"MessageSid": "x" * 400, "From": PHONE}])
def test_a_form_without_sid_or_sender_is_malformed(app, form):
    with pytest.raises(MalformedInbound):
        receive_sms(form)
    assert count(InboundMessage) == 0


def test_the_webhook_token_is_never_empty_in_outbox_mode():
    derived = sms_webhook_token({"SMS_PROVIDER": "outbox", "SECRET_KEY": "k", "TWILIO_AUTH_TOKEN": ""})
    assert len(derived) == 64 and derived != sms_webhook_token({"SMS_PROVIDER": "outbox", "SECRET_KEY": "j"})
    assert sms_webhook_token({"SMS_PROVIDER": "twilio", "SECRET_KEY": "k", "TWILIO_AUTH_TOKEN": ""}) == ""
    assert sms_webhook_token({"SMS_PROVIDER": "outbox", "SECRET_KEY": "k", "TWILIO_AUTH_TOKEN": "t"}) == "t"
