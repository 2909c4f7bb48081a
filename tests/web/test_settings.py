"""The settings page: providers, webhook URLs, contact line, API tokens."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from drip.extensions import db
from drip.models import ApiToken, Learner, Trainer
from drip.services import accounts
from tests.conftest import csrf_token


def _html(client, path="/settings/"):
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_settings_needs_login(client, trainer):
    assert client.get("/settings/").status_code == 302


def test_outbox_mode_explains_what_to_set(logged_in, app):
    html = _html(logged_in)
    assert "Outbox" in html and "TWILIO_ACCOUNT_SID" in html and "SENDGRID_API_KEY" in html
    assert "Providers cannot reach http://127.0.0.1:5000" in html
    assert 'href="/settings/"' in _html(logged_in, "/")  # the nav shows Settings


def test_live_providers_and_exact_webhook_urls(logged_in, app):
    app.config.update(
        SMS_PROVIDER="twilio",
        EMAIL_PROVIDER="sendgrid",
        TWILIO_FROM_NUMBER="+15005550001",
        TWILIO_MESSAGING_SERVICE_SID="",
        TWILIO_AUTH_TOKEN="tok",
        SENDGRID_FROM_EMAIL="team@drip.example.org",
        PUBLIC_BASE_URL="https://drip.example.org",
        SENDGRID_INBOUND_SECRET="s3cret/+",
        SENDGRID_EVENT_PUBLIC_KEY="MFkw...",
        INBOUND_EMAIL_DOMAIN="in.drip.example.org",
    )
    accounts.find_trainer("trainer@example.com").is_operator = True  # the secret URLs are for operators
    db.session.commit()
    html = _html(logged_in)
    assert "Twilio" in html and "+15005550001" in html and "team@drip.example.org" in html
    for url in (
        "https://drip.example.org/webhooks/twilio/sms",
        "https://drip.example.org/webhooks/twilio/status",
        "https://drip.example.org/webhooks/sendgrid/events",
        "https://drip.example.org/webhooks/sendgrid/inbound?token=s3cret%2F%2B",
        "https://drip:s3cret%2F%2B@drip.example.org/webhooks/sendgrid/inbound",
    ):
        assert f'value="{url}"' in html, url
    assert "in.drip.example.org" in html and "mx.sendgrid.net" in html
    assert "cannot reach" not in html and "refused" not in html


def test_missing_secrets_are_called_out(logged_in, app):
    app.config.update(TWILIO_AUTH_TOKEN="", SENDGRID_INBOUND_SECRET="", SENDGRID_EVENT_PUBLIC_KEY="")
    html = _html(logged_in)
    assert "until <code>TWILIO_AUTH_TOKEN</code> is set" in html
    assert "Set <code>SENDGRID_INBOUND_SECRET</code>" in html
    assert "No <code>SENDGRID_EVENT_PUBLIC_KEY</code>" in html


def test_contact_line_is_saved_and_used_for_help(logged_in, trainer):
    token = csrf_token(logged_in, "/settings/")
    response = logged_in.post(
        "/settings/contact-line", data={"csrf_token": token, "contact_line": "  Tess,\n Acme Academy: 555-0100 "}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Trainer, trainer.id).contact_line == "Tess, Acme Academy: 555-0100"
    assert "Tess, Acme Academy: 555-0100" in _html(logged_in)


def test_contact_line_too_long_is_refused(logged_in, trainer):
    token = csrf_token(logged_in, "/settings/")
    response = logged_in.post("/settings/contact-line", data={"csrf_token": token, "contact_line": "x" * 301})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Trainer, trainer.id).contact_line == ""


def test_contact_line_post_needs_csrf(logged_in, trainer):
    assert logged_in.post("/settings/contact-line", data={"contact_line": "x"}).status_code == 400


def test_token_is_shown_once_listed_and_revocable(logged_in, trainer, app):
    token = csrf_token(logged_in, "/settings/")
    html = logged_in.post("/settings/tokens", data={"csrf_token": token, "name": "HR system"}).get_data(as_text=True)
    shown = re.search(r'id="new-token" value="(drip_[^"]+)"', html).group(1)
    assert accounts.trainer_for_token(shown).id == trainer.id
    page = _html(logged_in)
    assert shown not in page and "HR system" in page and shown[:12] in page and "Revoke" in page
    assert re.search(r"HR system.*?\d\d \w\w\w \d{4}, \d\d:\d\d UTC", page, re.S)  # last used, just now

    row = db.session.scalar(select(ApiToken))
    response = logged_in.post(f"/settings/tokens/{row.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    assert accounts.trainer_for_token(shown) is None
    assert "revoked" in _html(logged_in)


def test_cannot_revoke_another_trainers_token(logged_in, trainer):
    other = accounts.create_trainer("other@example.com", "correct horse battery")
    theirs = accounts.create_token(other, "theirs")
    row = db.session.scalar(select(ApiToken).where(ApiToken.trainer_id == other.id))
    token = csrf_token(logged_in, "/settings/")
    logged_in.post(f"/settings/tokens/{row.id}/revoke", data={"csrf_token": token})
    assert accounts.trainer_for_token(theirs).id == other.id
    assert "theirs" not in _html(logged_in)


def _test_send(client, channel, own_phone=None):
    """A test send from Settings (to the trainer's own phone, set first when given, or login email)."""
    token = csrf_token(client, "/settings/")
    if own_phone is not None:
        assert client.post("/account/phone", data={"csrf_token": token, "phone": own_phone}).status_code in (302, 422)
    response = client.post(f"/settings/test/{channel}", data={"csrf_token": token, "to": "+14155550100"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return re.search(r'id="test-outcome">([^<]*)<', html).group(1)


def test_test_sms_and_email_land_in_the_outbox(logged_in, trainer):
    from drip.models import OutboxMessage

    # Only the trainer's own addresses: a "to" the form might post is ignored.
    assert _test_send(logged_in, "sms", "(415) 555-2671").startswith(
        "Test SMS sent to +14155552671. It is in the Outbox"
    )
    assert _test_send(logged_in, "email").startswith("Test email sent to trainer@example.com.")
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.channel, r.to_address, r.trainer_id) for r in rows] == [
        ("sms", "+14155552671", trainer.id),
        ("email", "trainer@example.com", trainer.id),
    ]
    assert db.session.scalar(select(func.count()).select_from(Learner)) == 0  # the stand-in is never saved


def test_a_demo_test_email_goes_to_the_outbox_and_links_to_it(app, runner, monkeypatch):
    from drip.models import OutboxMessage
    from drip.services.programs.demo_content import DEMO_EMAIL
    from tests.conftest import login

    monkeypatch.setenv("DRIP_DEMO_PASSWORD", "demo password for settings")
    assert runner.invoke(args=["drip", "seed-demo"]).exit_code == 0
    client = app.test_client()
    assert login(client, DEMO_EMAIL, "demo password for settings").status_code == 302
    token = csrf_token(client, "/settings/")
    html = client.post("/settings/test/email", data={"csrf_token": token}).get_data(as_text=True)
    outcome = re.search(r'id="test-outcome">(.*?)</div>', html, re.S).group(1)
    assert outcome.startswith(f"Test email sent to {DEMO_EMAIL}. It is in the Outbox")
    assert "Message id" not in outcome  # the provider's id says nothing to a trainer
    link = re.search(r'href="([^"]+)" data-testid="test-in-outbox">See it in the Outbox</a>', outcome).group(1)
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == DEMO_EMAIL)).one()
    assert link == f"/outbox?channel=email#{sent.provider_message_id}"
    outbox = _html(client, link.split("#")[0])
    card = re.search(rf'<div class="card mb-2"[^>]*id="{sent.provider_message_id}">(.*?)</iframe>', outbox, re.S)
    assert card and "Drip test email" in card.group(1)  # the link's anchor is that message's card


def test_test_send_honours_opt_outs_and_checks_the_address(logged_in, trainer):
    from drip.services.inbound import optout
    from tests.support.delivery_rows import make_learner

    make_learner(trainer, phone="+14155552671")
    optout.opt_out_sms("+14155552671", source="sms_keyword")
    db.session.commit()
    assert _test_send(logged_in, "sms", "+14155552671").startswith("Not sent: +14155552671 replied STOP")
    assert _test_send(logged_in, "sms", "").startswith("Not sent: add your own phone on your account page")
    assert _test_send(logged_in, "sms", "12").startswith("Not sent: add your own phone")  # refused, not saved


def test_test_sms_through_twilio_shows_the_providers_answer(logged_in, app):
    from drip.channels.registry import close_channels
    from fakes.provider import FakeProvider
    from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN

    with FakeProvider() as fake:
        app.config.update(
            SMS_PROVIDER="twilio",
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_FROM_NUMBER="+15005550001",
            TWILIO_API_BASE=fake.url,
        )
        try:
            sid_text = _test_send(logged_in, "sms", "+14155552671")
            fake.script.append(("twilio", 400, 21614))
            refused = _test_send(logged_in, "sms")
        finally:
            close_channels(app)
        accepted = [m for m in fake.accepted if m["provider"] == "twilio"]
    assert sid_text.startswith("Test SMS sent to +14155552671. twilio accepted it. Message id SM")
    assert refused == "The provider refused it: 21614: &#39;To&#39; number is not a valid mobile number"
    assert [(m["to"], m["from"]) for m in accepted] == [("+14155552671", "+15005550001")]
