"""Email through SendGrid's v3 Mail Send API, and verification of its signed Event Webhook."""

from __future__ import annotations

import base64
import binascii
import html
import http.client
import json
import urllib.error

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Attachment,
    ContentId,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    Header,
    Mail,
    ReplyTo,
)

from drip.channels.base import (
    OutgoingMessage,
    PermanentSendError,
    SendResult,
    TransientSendError,
    parse_retry_after,
)

DEFAULT_API_HOST = "https://api.sendgrid.com"


class SendGridEmail:
    """The SendGrid email channel: one API client, shared by every sending thread."""

    name = "email"

    def __init__(self, api_key: str, from_email: str, *, api_host: str = DEFAULT_API_HOST, timeout: float = 10.0):
        self.from_email = from_email
        self.timeout = timeout
        self._api = SendGridAPIClient(api_key, host=api_host.rstrip("/"))
        # python_http_client adds Content-Type to the header dict every request shares, lazily
        # and unlocked; adding it up front means concurrent sends only ever read that dict.
        self._api.client.request_headers.setdefault("Content-Type", "application/json")

    def build(self, message: OutgoingMessage) -> Mail:
        """The SendGrid Mail for a message: text and HTML parts, delivery id, reply-to, headers."""
        mail = Mail(
            from_email=self.from_email,
            to_emails=message.to,
            subject=message.subject,
            plain_text_content=message.body,
            html_content=message.html or _text_to_html(message.body),
        )
        if message.delivery_id is not None:
            # custom_args come back on every Event Webhook event: events find their delivery by it.
            mail.custom_arg = CustomArg("delivery_id", str(message.delivery_id))
        if message.reply_to:
            mail.reply_to = ReplyTo(message.reply_to)
        for key, value in message.headers.items():
            mail.header = Header(key, value)
        for image in message.inline_images:
            # Inline by Content-ID: the picture shows even where the mail client blocks remote images.
            mail.attachment = Attachment(
                FileContent(base64.b64encode(image.data).decode()),
                FileName(image.filename),
                FileType(image.content_type),
                Disposition("inline"),
                ContentId(image.content_id),
            )
        return mail

    def send(self, message: OutgoingMessage) -> SendResult:
        """Post the mail to SendGrid, or raise TransientSendError/PermanentSendError."""
        body = self.build(message).get()
        try:
            response = self._api.client.mail.send.post(request_body=body, timeout=self.timeout)
        except HTTPError as exc:
            raise _map_http_error(exc) from exc
        except urllib.error.URLError as exc:
            # urllib wraps failures to connect or to send the request: SendGrid never got it.
            raise TransientSendError("connection", f"Could not reach SendGrid: {exc}", unreachable=True) from exc
        except (OSError, http.client.HTTPException) as exc:
            # A timeout or a dropped connection while waiting for the answer: it may have landed.
            raise TransientSendError("timeout", f"SendGrid did not answer: {exc!r}", maybe_sent=True) from exc
        message_id = response.headers.get("X-Message-Id")
        if not message_id:
            raise TransientSendError(response.status_code, "SendGrid answered without X-Message-Id")
        return SendResult(provider_message_id=message_id, status="accepted")


def _map_http_error(exc: HTTPError):
    status = exc.status_code
    text = _error_text(exc.body) or str(exc.reason or status)
    if status == 429 or status >= 500:
        retry_after = parse_retry_after((exc.headers or {}).get("Retry-After"))
        return TransientSendError(status, text, retry_after)
    return PermanentSendError(status, text)


def _error_text(body: bytes | str | None) -> str:
    """SendGrid's own error messages, joined: {"errors": [{"message": ..., "field": ...}]}."""
    try:
        errors = json.loads(body or b"{}").get("errors") or []
        return "; ".join(e.get("message", "") for e in errors if isinstance(e, dict))
    except (ValueError, AttributeError):
        return ""


def _text_to_html(text: str) -> str:
    # SendGrid sends both parts; an HTML part that only escapes the text keeps clients consistent.
    return "<p>" + html.escape(text).replace("\n", "<br>\n") + "</p>"


def verify_sendgrid_event(
    public_key_pem_or_base64: str | None, payload: bytes, signature_b64: str | None, timestamp: str | None
) -> bool:
    """True when the Event Webhook's ECDSA P-256 SHA-256 signature of timestamp+payload holds."""
    if not (public_key_pem_or_base64 and signature_b64 and timestamp) or payload is None:
        return False
    try:
        key = _load_public_key(public_key_pem_or_base64)
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(signature, timestamp.encode("utf-8") + payload, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError, TypeError, binascii.Error, UnicodeError):
        return False


def _load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    # SendGrid shows the key as bare base64 (DER); accept the PEM form as well.
    pem = text.strip()
    if not pem.startswith("-----BEGIN"):
        pem = "-----BEGIN PUBLIC KEY-----\n" + pem + "\n-----END PUBLIC KEY-----"
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("SendGrid signs events with an ECDSA P-256 key")
    return key
