"""Finding 5: Settings' test send used a stand-in learner and went to a number that had texted STOP.

Any number typed got a text. Now test sends (Settings and the step editor) go only to the trainer's
login email or the phone saved as their own, never to a number that said STOP.
"""

from __future__ import annotations

from sqlalchemy import select

from drip.extensions import db
from drip.models import OutboxMessage
from tests.conftest import csrf_token
from tests.support.inbound_factory import post_sms

STRANGER = "+14155550188"


def test_a_typed_address_gets_nothing_only_the_trainers_own_do(app, logged_in, trainer):
    token = csrf_token(logged_in, "/settings/")
    for channel, to in (("sms", STRANGER), ("email", "victim@example.com")):
        logged_in.post(f"/settings/test/{channel}", data={"csrf_token": token, "to": to})
    sent = db.session.scalars(select(OutboxMessage.to_address)).all()
    assert sent == ["trainer@example.com"]  # the SMS had no own phone to go to: nothing sent


def test_a_number_that_said_stop_gets_no_test_even_as_the_trainers_own(app, client, logged_in, trainer):
    post_sms(client, app, "STOP", sender=STRANGER)
    token = csrf_token(logged_in, "/account")
    assert logged_in.post("/account/phone", data={"csrf_token": token, "phone": STRANGER}).status_code == 302
    page = logged_in.post("/settings/test/sms", data={"csrf_token": token}).get_data(as_text=True)
    assert f"Not sent: {STRANGER} replied STOP" in page
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == STRANGER)).all() == []
