"""Inbound webhooks: Twilio SMS and SendGrid Inbound Parse. Each authenticates its caller, then delegates."""

from __future__ import annotations

import functools
import hmac
import logging

from flask import Blueprint, Response, abort, current_app, jsonify, request
from twilio.twiml.messaging_response import MessagingResponse

from drip.channels.twilio_sms import verify_twilio_signature
from drip.channels.sendgrid_inbound import Attachment, MalformedEmail, intake as email_intake
from drip.domain.media import IMAGE_LIMIT, PICTURES_PER_MESSAGE, ReceivedPicture, is_picture_type
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


def _noted_attachments() -> tuple[list[Attachment], list[ReceivedPicture]]:
    """Attachments as names, types and sizes, and the pictures among them (up to 10 of 5 MB) kept for a worker."""
    noted, pictures = [], []
    for upload in request.files.values():
        size, kept = 0, bytearray()
        keep = is_picture_type(upload.mimetype or "") and len(pictures) < PICTURES_PER_MESSAGE
        while chunk := upload.stream.read(64 * 1024):
            size += len(chunk)
            if keep and size <= IMAGE_LIMIT:
                kept += chunk
        noted.append(Attachment(upload.filename or "", upload.mimetype or "", size))
        if keep and 0 < size <= IMAGE_LIMIT:
            pictures.append(ReceivedPicture(upload.filename or "", upload.mimetype or "", bytes(kept)))
    return noted, pictures


@bp.post("/sendgrid/inbound")
def sendgrid_inbound():
    """A learner answered an email: check the shared secret, store the post for a worker to parse and route."""
    if not _sendgrid_caller_ok():
        abort(403, "Missing or wrong inbound secret.")
    form = request.form.to_dict()
    largest = current_app.config["MAX_FORM_MEMORY_SIZE"]  # for every field but the raw email (web/limits.py)
    if too_large := next((name for name, value in form.items() if name != "email" and len(value) > largest), None):
        abort(413, f"The field {too_large!r} is larger than {largest // 1000} KB.")
    try:
        received = email_intake(form)  # the sender and Message-ID only: parsing the body is a worker's job
    except MalformedEmail as error:
        abort(400, str(error))
    attachments, pictures = _noted_attachments()
    return jsonify(stored=True, duplicate=not intake.store_email(received, attachments, pictures)), 200
