"""Trainer settings: providers, webhook URLs to paste, test sends, HELP contact line, API tokens."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from drip.channels.base import SendError
from drip.services import accounts, test_sends
from drip.services.inbound import optout
from drip.services.pages import admin as pages

bp = Blueprint("settings", __name__, url_prefix="/settings")

CONTACT_LINE_MAX = 300  # with the STOP/START hint the HELP answer stays within two SMS segments


def connection_facts(config, *, operator: bool = False) -> dict:
    """What is active and the exact URLs each provider console needs; URLs carrying a secret for operators only.

    The Inbound Parse secret is the deployment's, shared by every trainer: with it anyone can post
    an email "from" any learner, so only the people who run the deployment see it.
    """
    base = config["PUBLIC_BASE_URL"]
    host = urlsplit(base).hostname or ""
    secret = (config.get("SENDGRID_INBOUND_SECRET") or "") if operator else ""
    inbound = f"{base}/webhooks/sendgrid/inbound"
    parts = urlsplit(base)
    return {
        "sms_provider": config["SMS_PROVIDER"],
        "email_provider": config["EMAIL_PROVIDER"],
        "from_number": config.get("TWILIO_FROM_NUMBER"),
        "messaging_service": config.get("TWILIO_MESSAGING_SERVICE_SID"),
        "from_email": config.get("SENDGRID_FROM_EMAIL"),
        "inbound_domain": config.get("INBOUND_EMAIL_DOMAIN"),
        "twilio_api_base": config.get("TWILIO_API_BASE"),
        "sendgrid_api_host": config.get("SENDGRID_API_HOST"),
        "twilio_token_set": bool(config.get("TWILIO_AUTH_TOKEN")),
        "event_key_set": bool(config.get("SENDGRID_EVENT_PUBLIC_KEY")),
        "inbound_secret_set": bool(config.get("SENDGRID_INBOUND_SECRET")),
        "operator": operator,
        "base_url": base,
        "unreachable": host in ("127.0.0.1", "localhost", "::1") or host.endswith(".local"),
        "not_https": parts.scheme != "https",
        "sms_url": f"{base}/webhooks/twilio/sms",
        "status_url": f"{base}/webhooks/twilio/status",
        "events_url": f"{base}/webhooks/sendgrid/events",
        "inbound_url": inbound,
        "inbound_token_url": f"{inbound}?token={quote(secret, safe='')}" if secret else "",
        "inbound_basic_url": (
            f"{parts.scheme}://drip:{quote(secret, safe='')}@{parts.netloc}{parts.path}/webhooks/sendgrid/inbound"
        )
        if secret
        else "",
    }


def _page(**extra):
    tokens = pages.api_tokens(current_user)
    return render_template(
        "settings/index.html",
        facts=connection_facts(current_app.config, operator=current_user.is_operator),
        tokens=tokens,
        help_preview=optout.help_text(None) if not current_user.contact_line else None,
        contact_line_max=CONTACT_LINE_MAX,
        **extra,
    )


@bp.get("/")
def index():
    """Providers, webhook URLs, test sends, contact line and API tokens on one page."""
    return _page()


@bp.post("/contact-line")
def contact_line():
    """Save how learners reach the trainer, sent in answer to HELP."""
    line = " ".join(request.form.get("contact_line", "").split())
    if len(line) > CONTACT_LINE_MAX:
        flash(f"Keep the contact line under {CONTACT_LINE_MAX} characters.", "danger")
        return _page(contact_line_draft=line), 422
    accounts.set_contact_line(current_user, line)
    flash("Contact line saved." if line else "Contact line cleared: HELP gets the default answer.", "success")
    return redirect(url_for("settings.index") + "#help")


@bp.post("/tokens")
def create_token():
    """Create an API token and show it this once (it is never stored in the clear)."""
    name = request.form.get("name", "").strip()[:200]
    token = accounts.create_token(current_user, name or "API token")
    # Rendered, not flashed: a flash would put the token into the session cookie.
    return _page(new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke one of the trainer's API tokens."""
    if not accounts.revoke_token(current_user, token_id):
        abort(404)  # another trainer's token is not found either, like every other id
    flash("Token revoked: calls with it now get 401.", "success")
    return redirect(url_for("settings.index") + "#tokens")


@bp.post("/test/<any(sms, email):channel>")
def test_send(channel: str):
    """Send a test SMS or email to the trainer's own phone or login email; show what the provider answered."""
    from drip.channels.registry import ChannelNotConfigured
    from drip.services.delivery.send import SendRefused, send_one_off

    outcome = {"ok": False}
    try:
        learner = test_sends.own_recipient(current_user, channel)
        body = (
            f"Test from Drip: {current_user.name}'s text messages reach this phone."
            if channel == "sms"
            else f"This is a test email from Drip. {current_user.name}'s emails reach this inbox."
        )
        result = send_one_off(current_user, learner, channel, body, subject="Drip test email")
        provider = current_app.config["SMS_PROVIDER" if channel == "sms" else "EMAIL_PROVIDER"]
        sent = f"Test {channel.upper() if channel == 'sms' else 'email'} sent to {learner.phone or learner.email}."
        if provider == "outbox":  # demo mode: nothing leaves this machine, the Outbox shows it as it would arrive
            outcome = {"ok": True, "text": f"{sent} It is in the Outbox, where every message goes in demo mode."}
            outcome["link"] = url_for("outbox.index", channel=channel, _anchor=result.provider_message_id)
        else:
            outcome = {"ok": True, "text": f"{sent} {provider} accepted it. Message id {result.provider_message_id}."}
    except (ValueError, SendRefused, ChannelNotConfigured) as problem:  # test_sends.NotYours is a ValueError
        outcome["text"] = f"Not sent: {problem}"
    except SendError as error:
        outcome["text"] = f"The provider refused it: {error}"
    return _page(test_outcome=outcome)
