"""The outbox page: newest first, filter by channel, email HTML sandboxed, only the trainer's own."""

from __future__ import annotations

from datetime import timedelta

from drip.extensions import db
from drip.models import OutboxMessage, utcnow
from drip.services import accounts


def _message(trainer_id, channel, body, *, html=None, subject=None, minutes=0, n=[0]):
    n[0] += 1
    db.session.add(
        OutboxMessage(
            trainer_id=trainer_id,
            channel=channel,
            to_address="+12015550123" if channel == "sms" else "ana@example.com",
            subject=subject,
            body=body,
            html=html,
            provider_message_id=f"OBtest{n[0]}",
            created_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    db.session.commit()


def test_outbox_lists_newest_first_and_filters(logged_in, trainer):
    _message(trainer.id, "sms", "First text", minutes=0)
    _message(
        trainer.id,
        "email",
        "Plain part",
        subject="Hello <there>",
        html='<p onclick="x()">Hi</p><script>alert(1)</script>',
        minutes=1,
    )
    _message(trainer.id, "sms", "Second text", minutes=2)
    page = logged_in.get("/outbox").get_data(as_text=True)
    assert page.index("Second text") < page.index("Plain part") < page.index("First text")
    assert "Hello &lt;there&gt;" in page and "<script>alert(1)</script>" not in page
    assert 'sandbox=""' in page and 'srcdoc="&lt;p onclick=&#34;x()&#34;&gt;Hi&lt;/p&gt;&lt;script&gt;' in page
    assert "data-refresh=" in page
    sms = logged_in.get("/outbox?channel=sms").get_data(as_text=True)
    assert "Second text" in sms and "Plain part" not in sms
    partial = logged_in.get("/outbox?partial=1&channel=email").get_data(as_text=True)
    assert "Plain part" in partial and "<nav" not in partial and "First text" not in partial


def test_outbox_shows_only_the_trainers_own(logged_in, trainer):
    other = accounts.create_trainer("other@example.com", "another long password", "Otto")
    _message(other.id, "sms", "Their secret")
    _message(trainer.id, "sms", "Mine")
    page = logged_in.get("/outbox").get_data(as_text=True)
    assert "Mine" in page and "Their secret" not in page


def test_outbox_pages_older_messages(logged_in, trainer):
    for i in range(55):
        _message(trainer.id, "sms", f"Message number {i:02d}.")
    page = logged_in.get("/outbox").get_data(as_text=True)
    assert "Message number 54." in page and "Message number 04." not in page and "Older messages" in page
    oldest_shown = db.session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).all()[49].id
    older = logged_in.get(f"/outbox?before={oldest_shown}").get_data(as_text=True)
    assert "Message number 04." in older and "Message number 54." not in older and "data-refresh" not in older


def test_outbox_needs_login(client):
    assert client.get("/outbox").status_code == 302
