"""Inbound webhooks: Twilio SMS and SendGrid Inbound Parse. Each authenticates its caller, then delegates."""

from __future__ import annotations

import functools
import hmac
import logging

from flask import Blueprint, Response, abort, current_app, jsonify, request
from twilio.twiml.messaging_response import MessagingResponse

from drip.channels.twilio_sms import verify_twilio_signature
from drip.channels.sendgrid_inbound import Attachment, MalformedEmail, parse_inbound
from drip.services.inbound import receive as inbound
from drip.services.webhooks import intake

bp = Blueprint("webhooks_inbound", __name__, url_prefix="/webhooks")
_logger = logging.getLogger(__name__)


def called_url() -> str:
    """The URL the provider called, as the outside world sees it (behind proxies too)."""
    query = request.query_string.decode("latin-1")
    return current_app.config["PUBLIC_BASE_URL"] + request.path + (f"?{query}" if query else "")


@functools.cache
def _no_answer() -> str:
    return str(MessagingResponse())  # most texts are answered later, or never: built once


def twiml_text(answer: str | None) -> str:
    """The TwiML for Twilio: the answer as a reply message, or no reply."""
    if not answer:
        return _no_answer()
    reply = MessagingResponse()
    reply.message(answer)
    return str(reply)


def _twiml(answer: str | None) -> Response:
    return Response(twiml_text(answer), mimetype="application/xml")


@bp.post("/twilio/sms")
def twilio_sms():
    """A learner texted us: verify Twilio's signature, store the text (or answer it now, in TwiML)."""
    form = request.form  # werkzeug reads an unparseable body as an empty form: then the signature fails
    token = inbound.sms_webhook_token(current_app.config)
    if not verify_twilio_signature(token, called_url(), form, request.headers.get("X-Twilio-Signature")):
        abort(403, "Missing or invalid X-Twilio-Signature.")
    try:
        if current_app.config["WEBHOOK_MODE"] == "inline":
            outcome = inbound.receive_sms(form.to_dict())
        else:
            outcome = intake.store_sms(form.to_dict())
    except inbound.MalformedInbound as error:
        abort(400, str(error))
    return _twiml(None if outcome.duplicate else outcome.answer)


def _sendgrid_caller_ok() -> bool:
    secret = current_app.config["SENDGRID_INBOUND_SECRET"]
    if not secret:
        return False  # no secret configured: nobody can prove they are SendGrid
    given = request.args.get("token", "")
    if request.authorization is not None and request.authorization.password:
        given = request.authorization.password or ""
    return hmac.compare_digest(given.encode(), secret.encode())


def _noted_attachments() -> list[Attachment]:
    """Attachments as names, types and sizes: their contents are read to count them, never stored."""
    noted = []
    for upload in request.files.values():
        size = 0
        while chunk := upload.stream.read(64 * 1024):
            size += len(chunk)
        noted.append(Attachment(upload.filename or "", upload.mimetype or "", size))
    return noted


@bp.post("/sendgrid/inbound")
def sendgrid_inbound():
    """A learner answered an email: check the shared secret, keep the new text for a worker to route."""
    if not _sendgrid_caller_ok():
        abort(403, "Missing or wrong inbound secret.")
    try:
        email = parse_inbound(request.form.to_dict(), _noted_attachments())
    except MalformedEmail as error:
        abort(400, str(error))
    if current_app.config["WEBHOOK_MODE"] == "inline":
        outcome = inbound.receive_email(email)
        return jsonify(kind=outcome.kind, duplicate=outcome.duplicate), 200
    return jsonify(stored=True, duplicate=not intake.store_email(email)), 200
