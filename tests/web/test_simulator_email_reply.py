"""The simulator's email reply (issue 27): a whole reply with its history, Gmail's template, and what Drip kept."""

from __future__ import annotations

import html

from sqlalchemy import select

from drip.extensions import db
from drip.models import InboundMessage, Reply
from drip.services import accounts, simulator_email
from tests.conftest import csrf_token
from tests.security.test_simulator import _as_b, _emailed


def test_the_gmail_template_quotes_the_email_under_its_attribution(app, trainer):
    sent, _ = _emailed(trainer)
    sent.body = "Try it with your team.\n\nReply in three lines."
    template = simulator_email.gmail_reply_template(sent, trainer)
    assert template.startswith("\n\nOn ") and f"{trainer.name} <{trainer.email}> wrote:" in template
    assert "> Try it with your team.\n>\n> Reply in three lines." in template


def test_a_whole_reply_with_history_keeps_only_the_learners_words_and_shows_them(app, logged_in, trainer):
    sent, _ = _emailed(trainer)
    page = logged_in.get("/simulator").get_data(as_text=True)
    assert "Reply as Gmail would" in page and 'data-gmail-template="' in page and "<textarea" in page
    template = simulator_email.gmail_reply_template(sent, trainer)
    body = "Went well.\nMy team liked it.\n\nSent from my iPhone" + template
    token = csrf_token(logged_in, "/simulator")
    response = logged_in.post("/simulator/email", data={"csrf_token": token, "email_id": sent.id, "body": body})
    assert response.status_code == 302 and "kept=" in response.location
    assert db.session.scalar(select(Reply.body)) == "Went well.\nMy team liked it."
    shown = logged_in.get(response.location).get_data(as_text=True)
    assert "What Drip kept" in shown and html.escape("Went well.\nMy team liked it.") in shown


def test_what_another_trainer_kept_is_not_shown(app, logged_in, trainer):
    sent, _ = _emailed(trainer)
    token = csrf_token(logged_in, "/simulator")
    logged_in.post("/simulator/email", data={"csrf_token": token, "email_id": sent.id, "body": "<b>Mine</b>"})
    inbound_id = db.session.scalar(select(InboundMessage.id))
    accounts.create_trainer("b@example.com", "plum tractor velvet", "Bob")
    b = _as_b(app)
    with app.app_context():
        page = b.get(f"/simulator?kept={inbound_id}").get_data(as_text=True)
    assert "What Drip kept" not in page and "Mine" not in page
    own = logged_in.get(f"/simulator?kept={inbound_id}").get_data(as_text=True)
    assert "&lt;b&gt;Mine&lt;/b&gt;" in own and "<b>Mine</b>" not in own
