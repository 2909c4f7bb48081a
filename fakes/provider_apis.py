"""What the fake provider checks and answers, per API: Twilio Messages and SendGrid Mail Send."""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from datetime import datetime, timezone
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-auth-token"
SENDGRID_KEY = "SG.fake-key"
TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")
SENDGRID_PATH = "/v3/mail/send"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
TWILIO_ERRORS = {
    20003: "Authentication Error - invalid username",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number is not a valid phone number.",
    21602: "Message body is required.",
    21603: "A 'From' phone number or MessagingServiceSid is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
}


def twilio_error(status: int, code: int | None) -> dict:
    """Twilio's JSON error body; code None for a generic error."""
    return {
        "code": code,
        "message": TWILIO_ERRORS.get(code, f"Error {code or status}"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def forced_error(provider: str, status: int, detail, retry_after) -> tuple[dict, dict]:
    """(body, headers) of a scripted or injected error.

    detail is a Twilio error code, a SendGrid error message, or a whole JSON body (dict).
    """
    headers = {"Retry-After": str(retry_after)} if status == 429 else {}
    if isinstance(detail, dict):  # a complete JSON body, e.g. Twilio's RFC 9457 error shape
        return detail, headers
    if provider == "sendgrid":
        return sendgrid_error(detail or f"Scripted error {status}"), headers
    if detail is None and (status == 429 or status >= 500):
        detail = 20429 if status == 429 else 20500
    return twilio_error(status, detail), headers


def twilio_create(form: dict, account_sid: str) -> tuple[int, dict, dict | None]:
    """(status, JSON body, accepted record or None) for a Messages.json POST."""
    to, body = form.get("To"), form.get("Body")
    sender, service = form.get("From"), form.get("MessagingServiceSid")
    for broken, code in (
        (not to, 21604),
        (not body and not form.get("MediaUrl"), 21602),
        (not (sender or service), 21603),
        (not E164.match(to or ""), 21211),
    ):
        if broken:
            return 400, twilio_error(400, code), None
    sid, now = "SM" + uuid.uuid4().hex, format_datetime(datetime.now(timezone.utc))
    callback = form.get("StatusCallback")
    d = parse_qs(urlsplit(callback).query).get("d", [None])[0] if callback else None
    accepted = {
        "provider": "twilio",
        "sid": sid,
        "to": to,
        "body": body,
        "from": sender,
        "messaging_service_sid": service,
        "status_callback": callback,
        "delivery_id": as_id(d),
    }
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json"
    return (
        201,
        {
            "sid": sid,
            "account_sid": account_sid,
            "to": to,
            "from": sender,
            "body": body,
            "messaging_service_sid": service,
            "status": "queued",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "num_segments": "1",
            "num_media": "0",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "uri": uri,
            "subresource_uris": {"media": uri[: -len(".json")] + "/Media.json"},
        },
        accepted,
    )


def sendgrid_error(message: str, field: str | None = None) -> dict:
    """SendGrid's JSON error body."""
    return {"errors": [{"message": message, "field": field, "help": None}]}


def sendgrid_send(mail) -> tuple[int, dict | None, dict | None]:
    """(status, JSON error body or None, accepted record or None) for a mail/send POST."""
    try:
        problem = _sendgrid_problem(mail)
    except (TypeError, AttributeError, KeyError, IndexError):
        problem = ("Bad Request", None)
    if problem:
        return 400, sendgrid_error(*problem), None
    content = {c["type"]: c["value"] for c in mail["content"]}
    person = mail["personalizations"][0]
    custom = {**mail.get("custom_args", {}), **person.get("custom_args", {})}
    return (
        202,
        None,
        {
            "provider": "sendgrid",
            "message_id": secrets.token_urlsafe(16),
            "to": person["to"][0]["email"],
            "from": mail["from"]["email"],
            "subject": mail.get("subject"),
            "body": content["text/plain"],
            "html": content["text/html"],
            "reply_to": (mail.get("reply_to") or {}).get("email"),
            "custom_args": custom,
            "headers": mail.get("headers", {}),
            "delivery_id": as_id(custom["delivery_id"]) if "delivery_id" in custom else None,
            "attachments": [
                {key: a.get(key) for key in ("filename", "type", "disposition", "content_id", "content")}
                for a in mail.get("attachments") or []
            ],
        },
    )


def _sendgrid_problem(mail) -> tuple[str, str] | None:
    """(message, field) of the first rule this mail/send body breaks, or None."""
    people = mail.get("personalizations") or []
    headers = mail.get("headers") or {}
    unsubscribe = headers.get("List-Unsubscribe", "")
    types = [c.get("type") for c in mail.get("content") or []]
    rules = [
        (
            people and all(p.get("to") and p["to"][0].get("email") for p in people),
            "personalizations",
            "The personalizations field is required and must have at least one personalization with a to address.",
        ),
        ((mail.get("from") or {}).get("email"), "from", "The from object must be provided."),
        (mail.get("subject"), "subject", "The subject is required."),
        (types[:2] == ["text/plain", "text/html"], "content", "Content must have text/plain first, then text/html."),
        # Drip's own rule, checked here: every email carries a one-click https unsubscribe
        # (the mailto link exists only when an inbound email domain is configured).
        ("<https://" in unsubscribe, "headers", "List-Unsubscribe must carry an https link."),
        (
            headers.get("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click",
            "headers",
            "List-Unsubscribe-Post must be List-Unsubscribe=One-Click.",
        ),
    ]
    return next(((message, field) for ok, field, message in rules if not ok), None)


def basic_auth(header: str | None) -> tuple[str, str]:
    """(user, password) from an HTTP Basic Authorization header; empty strings if absent."""
    try:
        user, _, password = base64.b64decode(header.split(" ", 1)[1]).decode().partition(":")
        return user, password
    except (AttributeError, IndexError, ValueError):
        return "", ""


def as_id(value):
    """A numeric delivery id as int, anything else unchanged."""
    return int(value) if isinstance(value, str) and value.isdigit() else value
