"""Email replies through the Inbound Parse webhook keep the learner's words: inline answers, no quoted history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bench.reply_corpus import load_cases
from drip.extensions import db
from drip.models import InboundMessage, Reply, utcnow
from tests.support.inbound_factory import (
    EMAIL_PATH,
    inbound_parse_form,
    make_learner,
    make_session,
    make_step,
    sent_delivery,
)
from tests.support.webhook_drain import drain

SECRET = "inbound-secret"
DOMAIN = "inbound.example.com"
CASES = {case.name: case for case in load_cases()}
pytestmark = pytest.mark.filterwarnings("ignore:'count' is passed as positional argument:DeprecationWarning")


@pytest.fixture()
def discussion(app, trainer):
    """A discussion email sent to Ana yesterday, whose reply address names its delivery."""
    app.config.update(SENDGRID_INBOUND_SECRET=SECRET, INBOUND_EMAIL_DOMAIN=DOMAIN)
    ts = make_session(trainer, starts_at=utcnow() + timedelta(days=1))
    ana = make_learner(trainer, "Ana Souza", phone=None, email="ana.souza@example.com")
    return sent_delivery(
        ts, ana, make_step(trainer, "discussion", channel="email"), sent_at=utcnow() - timedelta(hours=20)
    )


def post(client, delivery, name):
    form = inbound_parse_form(
        text=CASES[name].content,
        sender="Ana Souza <ana.souza@example.com>",
        to=f"reply+{delivery.reply_token}@{DOMAIN}",
    )
    assert client.post(EMAIL_PATH + f"?token={SECRET}", data=form).status_code == 200
    drain()  # what a worker does next
    return db.session.scalars(select(Reply).order_by(Reply.id.desc())).first()


def test_three_inline_answers_are_stored_with_their_questions_and_the_raw_message_is_kept(client, discussion):
    reply = post(client, discussion, "inline-gmail-en-three-questions")
    assert (reply.kind, reply.delivery_id) == ("discussion_reply", discussion.id)
    assert reply.body == CASES["inline-gmail-en-three-questions"].expected
    for answer in ("I interrupted a colleague twice.", "I listen before I answer.", "without apologising."):
        assert answer in reply.body
    raw = db.session.get(InboundMessage, reply.inbound_message_id).raw["text"]
    assert "See you there," in raw and "wrote:" in raw


@pytest.mark.parametrize(
    "name", ["gmail-web-fr-two-line", "outlook-desktop-en-wrapped-from", "outlook-desktop-fr-wrapped-from"]
)
def test_quoted_history_is_not_stored(client, discussion, name):
    reply = post(client, discussion, name)
    assert reply.body == CASES[name].expected
    assert "Dana" not in reply.body and "@" not in reply.body
