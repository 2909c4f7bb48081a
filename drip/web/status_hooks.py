"""Provider status webhooks: Twilio status callbacks and the SendGrid Event Webhook."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, jsonify, request

from drip.channels.sendgrid_email import verify_sendgrid_event
from drip.channels.twilio_sms import verify_twilio_signature
from drip.services.delivery import callbacks as status
from drip.services.webhooks import intake
from drip.web.inbound_hooks import called_url

bp = Blueprint("webhooks_status", __name__, url_prefix="/webhooks")

SENDGRID_SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"


@bp.post("/twilio/status")
def twilio_status():
    """Twilio reports a message's progress (queued, sent, delivered, ...): stored for a worker to apply."""
    try:
        form = request.form
    except Exception:  # werkzeug refuses some bodies outright (too large, broken encoding): nothing is signed
        abort(400, "Unreadable form body.")
    signature = request.headers.get("X-Twilio-Signature")
    if not verify_twilio_signature(current_app.config["TWILIO_AUTH_TOKEN"], called_url(), form, signature):
        abort(403, "Missing or invalid X-Twilio-Signature.")
    try:
        intake.store_twilio_status(form.to_dict(), delivery_hint=request.args.get("d"))
    except status.MalformedCallback as exc:
        abort(400, str(exc))
    return "", 204


@bp.post("/sendgrid/events")
def sendgrid_events():
    """SendGrid reports what became of each email, in signed batches: stored for a worker to apply."""
    payload = request.get_data(cache=False)
    key = current_app.config["SENDGRID_EVENT_PUBLIC_KEY"]
    headers = request.headers
    # Without a configured key nothing can be verified, so nothing is accepted.
    if not key or not verify_sendgrid_event(
        key, payload, headers.get(SENDGRID_SIGNATURE), headers.get(SENDGRID_TIMESTAMP)
    ):
        abort(403, "Missing or invalid Event Webhook signature.")
    try:
        events = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        abort(400, "The body must be a JSON array of events.")
    if not isinstance(events, list):
        abort(400, "The body must be a JSON array of events.")
    stored = intake.store_sendgrid_events(events)
    return jsonify(stored=stored.stored, duplicates=stored.duplicates, errors=stored.errors)
