"""The phone simulator acts only for the signed-in trainer's own learners and walk-ins (finding 1, issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from drip.extensions import db
from drip.models import Delivery, InboundMessage, Learner, LiveQuestion, OutboxMessage, Reply, Trainer, utcnow
from drip.services import accounts
from drip.services.simulator import TWILIO_ANSWERS
from tests.conftest import csrf_token, login
from tests.support.inbound_factory import enrol, make_learner, make_session, make_step, sent_delivery

A_PHONE = "+14155550101"


@pytest.fixture()
def a_and_b(app, trainer):
    """Trainer A has a live session (join keyword SBI) with a learner; B is signed in on `client`."""
    trainer.contact_line = "Ann's private line: +1 415 555 0000"
    ts = make_session(trainer, join_keyword="SBI")
    learner = make_learner(trainer, "Ada Lovelace", phone=A_PHONE)
    enrol(ts, learner)
    accounts.create_trainer("b@example.com", "plum tractor velvet", "Bob")
    return trainer, ts, learner


def _text(client, number, body):
    with client.application.app_context():
        return client.post(
            "/simulator/text", data={"csrf_token": csrf_token(client, "/simulator"), "number": number, "body": body}
        )


def _as_b(app):
    client = app.test_client()
    with app.app_context():
        login(client, "b@example.com", "plum tractor velvet")
    return client


@pytest.mark.parametrize("body", ["Question onto your board", "STOP", "HELP"])
def test_b_cannot_text_as_as_learner(app, a_and_b, body):
    _, _, learner = a_and_b
    b = _as_b(app)
    response = _text(b, A_PHONE, body)
    # Issue 23: the text is taken, as a stranger's within B's data only, and the page says nothing
    # about A (it used to refuse with "belongs to another trainer's learner", telling B it exists).
    assert response.status_code == 302
    b_id = db.session.scalar(select(Trainer.id).where(Trainer.email == "b@example.com"))
    assert {(m.learner_id, m.trainer_id) for m in db.session.scalars(select(InboundMessage))} == {(None, b_id)}
    assert db.session.query(LiveQuestion).count() == 0
    db.session.expire_all()
    assert db.session.get(Learner, learner.id).sms_opted_out_at is None
    assert "private line" not in " ".join(m.body for m in db.session.scalars(select(OutboxMessage)))
    with app.app_context():
        page = b.get("/simulator").get_data(as_text=True)
        assert "another trainer" not in page and "Ada" not in page


def test_bs_strangers_and_walk_ins_stay_out_of_as_sessions(app, a_and_b):
    _, ts, _ = a_and_b
    b = _as_b(app)
    _text(b, "+14155550199", "SBI")  # A's join keyword
    _text(b, "+14155550198", "Anything for the nearest session?")
    assert db.session.query(Learner).filter(Learner.trainer_id == a_and_b[0].id).count() == 1
    assert db.session.query(Reply).filter(Reply.session_id == ts.id).count() == 0
    bob = accounts.find_trainer("b@example.com")
    assert {m.trainer_id for m in db.session.scalars(select(InboundMessage))} == {bob.id}


def test_stop_and_start_answers_show_on_the_phone(app, logged_in, a_and_b):
    _text(logged_in, A_PHONE, "STOP")
    _text(logged_in, A_PHONE, "START")
    _text(logged_in, A_PHONE, "HELP")
    page = logged_in.get(f"/simulator?number=%2B{A_PHONE[1:]}").get_data(as_text=True)
    assert "successfully been unsubscribed" in page and "successfully been re-subscribed" in page
    assert "private line" in page  # HELP, answered by Drip with the trainer's own contact line
    assert TWILIO_ANSWERS["opt_out"].split(".")[0] in page


def test_every_phone_is_listed_and_stop_does_not_hide_one(app, logged_in, trainer):
    for n in range(12):
        make_learner(trainer, f"Learner {n:02}", phone=f"+1415555{n:04}")
    _text(logged_in, "+14155550003", "STOP")
    page = logged_in.get("/simulator").get_data(as_text=True)
    for n in range(12):
        assert f"+1415555{n:04}" in page


def _emailed(trainer):
    ts = make_session(trainer, starts_at=utcnow() - timedelta(days=2))
    ada = make_learner(trainer, "Ada Email", phone=None, email="ada@example.com")
    delivery = sent_delivery(ts, ada, make_step(trainer, "practice", channel="email"))
    sent = OutboxMessage(
        trainer_id=trainer.id,
        delivery_id=delivery.id,
        channel="email",
        to_address="ada@example.com",
        subject="Your practice",
        body="Try it",
        provider_message_id="OBmail1",
        created_at=utcnow(),
    )
    db.session.add(sent)
    db.session.commit()
    return sent, delivery


def test_a_trainer_answers_an_email_as_the_learner(app, logged_in, trainer):
    sent, delivery = _emailed(trainer)
    assert "Answer an email as the learner" in logged_in.get("/simulator").get_data(as_text=True)
    response = logged_in.post(
        "/simulator/email",
        data={"csrf_token": csrf_token(logged_in, "/simulator"), "email_id": sent.id, "body": "Went well with my team"},
    )
    assert response.status_code == 302
    reply = db.session.scalar(select(Reply))
    assert (reply.kind, reply.delivery_id, reply.body) == ("practice_report", delivery.id, "Went well with my team")


def test_b_cannot_answer_as_emails(app, trainer):
    accounts.create_trainer("b@example.com", "plum tractor velvet", "Bob")
    sent, _ = _emailed(trainer)
    b = _as_b(app)
    with app.app_context():
        token = csrf_token(b, "/simulator")
        response = b.post("/simulator/email", data={"csrf_token": token, "email_id": sent.id, "body": "forged"})
    assert response.status_code == 404
    assert db.session.query(Reply).count() == 0 and db.session.query(Delivery).count() == 1
