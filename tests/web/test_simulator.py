"""The phone simulator: outbox mode only, texts shown per phone, replies through the signed webhook."""

from __future__ import annotations

from sqlalchemy import select

from drip.extensions import db
from drip.models import InboundMessage, LiveQuestion, OutboxMessage, utcnow
from tests.conftest import csrf_token
from tests.support.inbound_factory import enrol, make_learner, make_session


def test_only_in_outbox_mode(app, logged_in):
    assert logged_in.get("/simulator").status_code == 200
    token = csrf_token(logged_in, "/simulator")
    app.config["SMS_PROVIDER"] = "twilio"
    assert logged_in.get("/simulator").status_code == 404
    data = {"csrf_token": token, "number": "+14155550101", "body": "x"}
    assert logged_in.post("/simulator/text", data=data).status_code == 404
    assert "Phone simulator" not in logged_in.get("/").get_data(as_text=True)


def test_a_learners_received_texts_show_as_a_phone(app, logged_in, trainer):
    ada = make_learner(trainer)
    db.session.add(
        OutboxMessage(
            trainer_id=trainer.id,
            channel="sms",
            to_address=ada.phone,
            body="<i>Reply 1, 2 or 3</i>",
            provider_message_id="OB1",
            created_at=utcnow(),
        )
    )
    db.session.commit()
    page = logged_in.get("/simulator").get_data(as_text=True)
    assert "Ada Lovelace" in page and "&lt;i&gt;Reply 1, 2 or 3&lt;/i&gt;" in page


def test_a_reply_travels_through_the_signed_webhook_and_gets_its_answer(app, logged_in, trainer):
    ts = make_session(trainer)
    ts.acknowledgement = "On the board!"
    ada = make_learner(trainer)
    enrol(ts, ada)
    token = csrf_token(logged_in, "/simulator")
    response = logged_in.post("/simulator/text", data={"csrf_token": token, "number": ada.phone, "body": "Why SBI?"})
    assert response.status_code == 302
    inbound = db.session.scalar(select(InboundMessage))
    assert inbound.raw["Body"] == "Why SBI?" and inbound.routed_as == "live_question"
    assert db.session.scalar(select(LiveQuestion.body)) == "Why SBI?"
    answer = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == ada.phone))
    assert answer.body == "On the board!"
    page = logged_in.get("/simulator").get_data(as_text=True)
    assert page.index("Why SBI?") < page.index("On the board!")


def test_a_walk_in_from_another_number(app, logged_in, trainer):
    make_session(trainer, join_keyword="SBI")
    token = csrf_token(logged_in, "/simulator")
    response = logged_in.post("/simulator/text", data={"csrf_token": token, "number": "(415) 555-0177", "body": "sbi"})
    assert "number=%2B14155550177" in response.headers["Location"]
    page = logged_in.get("/simulator?number=%2B14155550177").get_data(as_text=True)
    assert "Walk-in ···0177" in page and "You&#39;re in for" in page


def test_the_simulator_cannot_forge_without_the_token(app, client):
    # The webhook stays closed to an unsigned post even in outbox mode.
    form = {"MessageSid": "SM1", "From": "+14155550101", "Body": "hi"}
    assert client.post("/webhooks/twilio/sms", data=form).status_code == 403
