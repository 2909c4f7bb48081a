"""receive_email and the Inbound Parse translation: step lookup, quoted history, repeats, attachments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from drip.extensions import db
from drip.models import InboundMessage, OutboxMessage, Reply, utcnow
from drip.services.inbound.receive import receive_email
from drip.channels.sendgrid_inbound import Attachment, MalformedEmail, parse_inbound
from tests.support.inbound_factory import (
    GMAIL_REPLY,
    inbound_parse_form,
    make_learner,
    make_session,
    make_step,
    sent_delivery,
)

DOMAIN = "inbound.example.com"


@pytest.fixture()
def email_app(app):
    app.config["INBOUND_EMAIL_DOMAIN"] = DOMAIN
    return app


@pytest.fixture()
def practice(email_app, trainer):
    """A practice email sent yesterday, a discussion email sent an hour ago: the latest is not the practice."""
    ts = make_session(trainer, starts_at=utcnow() - timedelta(days=2))
    ada = make_learner(trainer, phone=None, email="ada@example.com")
    practice = sent_delivery(
        ts,
        ada,
        make_step(trainer, "practice", channel="email"),
        sent_at=utcnow() - timedelta(days=1),
        provider_message_id="Uh7XVYjxR8uiBXpA",
    )
    discussion = sent_delivery(
        ts, ada, make_step(trainer, "discussion", channel="email"), sent_at=utcnow() - timedelta(hours=1)
    )
    return ts, ada, practice, discussion


def test_the_reply_address_names_the_step_and_the_quote_is_dropped(practice):
    ts, ada, delivery, _ = practice
    form = inbound_parse_form(to=f"Tess <reply+{delivery.reply_token}@{DOMAIN}>")
    outcome = receive_email(parse_inbound(form))
    reply = db.session.get(Reply, outcome.reply_id)
    assert (reply.kind, reply.step_id, reply.learner_id, reply.channel) == (
        "practice_report",
        delivery.step_id,
        ada.id,
        "email",
    )
    assert reply.body == "Tried the SBI model with my team lead today. Went much better than last time."
    assert "Situation-Behaviour-Impact" in db.session.get(InboundMessage, outcome.inbound_id).raw["text"]


def test_in_reply_to_finds_the_sendgrid_message(practice):
    _, _, delivery, _ = practice
    form = inbound_parse_form(in_reply_to="<Uh7XVYjxR8uiBXpA@geopod-ismtpd-3-0>")
    assert db.session.get(Reply, receive_email(parse_inbound(form)).reply_id).delivery_id == delivery.id


def test_in_reply_to_finds_an_outbox_message(practice):
    _, _, delivery, _ = practice
    db.session.add(
        OutboxMessage(
            delivery_id=delivery.id,
            channel="email",
            to_address="ada@example.com",
            body="Practice",
            provider_message_id="outbox-123",
        )
    )
    db.session.commit()
    form = inbound_parse_form(in_reply_to="<outbox-123@drip.local>")
    assert db.session.get(Reply, receive_email(parse_inbound(form)).reply_id).delivery_id == delivery.id


def test_without_address_or_references_the_learners_latest_step_is_used(practice):
    _, _, _, discussion = practice
    reply = db.session.get(Reply, receive_email(parse_inbound(inbound_parse_form())).reply_id)
    assert (reply.kind, reply.delivery_id) == ("discussion_reply", discussion.id)


def test_a_repeated_message_id_changes_nothing(practice):
    form = inbound_parse_form(message_id="<same@mail.gmail.com>")
    first, second = receive_email(parse_inbound(form)), receive_email(parse_inbound(form))
    assert not first.duplicate and second.duplicate
    assert db.session.scalar(select(func.count()).select_from(Reply)) == 1


def test_an_unknown_sender_is_kept(email_app, trainer):
    outcome = receive_email(parse_inbound(inbound_parse_form(sender="stranger@example.net")))
    assert outcome.kind == "unclassified"
    assert db.session.get(InboundMessage, outcome.inbound_id).from_address == "stranger@example.net"


def test_attachments_are_noted_not_stored(practice):
    note = Attachment("notes.pdf", "application/pdf", 5120)
    form = inbound_parse_form() | {"attachments": "1", "attachment-info": '{"attachment1": {"filename": "notes.pdf"}}'}
    email = parse_inbound(form, [note])
    raw = db.session.get(InboundMessage, receive_email(email).inbound_id).raw
    assert raw["attachment_list"] == [{"filename": "notes.pdf", "content_type": "application/pdf", "size": 5120}]


def test_raw_mime_mode_is_understood(practice):
    _, _, delivery, _ = practice
    mime = (
        "From: Ada <ada@example.com>\r\nTo: reply+%s@%s\r\nSubject: Re: Practice\r\nMessage-ID: <raw-1@x>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nDone, it went well.\r\n\r\n> quoted\r\n--b\r\n"
        "Content-Type: image/png\r\nContent-Disposition: attachment; filename=pic.png\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n"
    ) % (delivery.reply_token, DOMAIN)
    email = parse_inbound({"email": mime, "to": f"reply+{delivery.reply_token}@{DOMAIN}"})
    assert email.text == "Done, it went well." and email.message_id == "<raw-1@x>"
    assert [a.filename for a in email.attachments] == ["pic.png"]
    assert db.session.get(Reply, receive_email(email).reply_id).delivery_id == delivery.id


def test_an_html_only_email_is_read_as_text():
    form = inbound_parse_form(text="") | {"html": "<p>Went <b>well</b></p><blockquote>old</blockquote>"}
    assert parse_inbound(form).text == "Went well"


def test_gmail_reply_text_keeps_only_the_new_part():
    assert parse_inbound(inbound_parse_form(text=GMAIL_REPLY)).text.endswith("better than last time.")


@pytest.mark.parametrize("form", [{}, {"from": "not an address"}, {"headers": "garbage"}, {"email": "\x00\x01"}])
def test_a_post_without_a_sender_is_malformed(form):
    with pytest.raises(MalformedEmail):
        parse_inbound(form)


def test_missing_message_id_gets_a_stable_digest():
    form = inbound_parse_form()
    form["headers"] = "From: ada@example.com\n"
    assert parse_inbound(form).message_id == parse_inbound(dict(form)).message_id
    assert parse_inbound(form).message_id.startswith("sha256:")
