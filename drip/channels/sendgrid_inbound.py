"""SendGrid Inbound Parse posts translated into one InboundEmail (parsed or "Send Raw" mode)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email import message_from_string, policy
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr

from drip.domain.html_text import html_to_text
from drip.domain.reply_text import visible_reply
from drip.domain.sender_auth import sender_verified

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_MAX_ID = 300  # the width of inbound_messages.provider_message_id
# Fields kept in InboundMessage.raw; attachment contents never are.
_RAW_FIELDS = (
    "from",
    "to",
    "cc",
    "subject",
    "envelope",
    "headers",
    "SPF",
    "dkim",
    "sender_ip",
    "spam_score",
    "charsets",
    "attachments",
    "attachment-info",
)
_MAX_RAW_TEXT = 20_000


class MalformedEmail(ValueError):
    """The post is not an Inbound Parse message (no sender)."""


@dataclass(frozen=True)
class Attachment:
    """What we note about an attachment: never its content."""

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class InboundEmail:
    """One inbound email, reduced to what routing and the trainer need."""

    message_id: str
    from_address: str
    to_addresses: list[str]
    subject: str
    text: str  # what the learner wrote: no quoted history, no signature
    full_text: str
    reply_ids: list[str]  # In-Reply-To first, then References newest first
    attachments: list[Attachment] = field(default_factory=list)
    raw: dict = field(default_factory=dict)
    # SPF or DKIM passed for the From domain: without it the From header is only a claim.
    sender_verified: bool = False


def _addresses(*values: str) -> list[str]:
    return [address.lower() for _, address in getaddresses([v for v in values if v]) if "@" in address]


def _envelope_to(envelope: str) -> list[str]:
    try:
        data = json.loads(envelope or "{}")
        recipients = (data.get("to") or []) if isinstance(data, dict) else []
    except ValueError:
        return []
    if isinstance(recipients, str):
        recipients = [recipients]
    if not isinstance(recipients, list):
        return []
    return [str(address).lower() for address in recipients if isinstance(address, str)]


def _reply_ids(headers: Message) -> list[str]:
    in_reply_to = _MESSAGE_ID.findall(str(headers.get("In-Reply-To") or ""))
    references = _MESSAGE_ID.findall(str(headers.get("References") or ""))
    ordered = in_reply_to + list(reversed(references))
    return list(dict.fromkeys(ordered))


def _raw_mime_parts(raw_email: str) -> tuple[Message, str, str, list[Attachment]]:
    """Headers, text, html and attachments of a "Send Raw" post."""
    message = message_from_string(raw_email, policy=policy.default)
    text = html = ""
    attachments: list[Attachment] = []
    if isinstance(message, EmailMessage):
        for part in message.walk():
            if part.is_multipart():
                continue
            try:
                content = part.get_content()
            except (LookupError, ValueError, AssertionError, KeyError):
                continue  # an unknown charset or a broken part: skip it, keep the rest
            if part.is_attachment():
                size = len(content) if isinstance(content, (bytes, str)) else 0
                attachments.append(Attachment(part.get_filename() or "", part.get_content_type(), size))
            elif part.get_content_type() == "text/plain" and not text:
                text = str(content)
            elif part.get_content_type() == "text/html" and not html:
                html = str(content)
    return message, text, html, attachments


def parse_inbound(form: Mapping[str, str], files: Sequence[Attachment] = ()) -> InboundEmail:
    """Translate an Inbound Parse form into an InboundEmail; MalformedEmail when there is no sender."""
    attachments = list(files)
    if form.get("email"):
        headers, text, html, mime_attachments = _raw_mime_parts(form["email"])
        attachments += mime_attachments
    else:
        headers = HeaderParser().parsestr(form.get("headers") or "")
        text, html = form.get("text") or "", form.get("html") or ""
    sender = parseaddr(form.get("from") or str(headers.get("From") or ""))[1].lower()
    if "@" not in sender:
        raise MalformedEmail("no sender address")
    to = _addresses(form.get("to") or str(headers.get("To") or ""), form.get("cc") or str(headers.get("Cc") or ""))
    to += [address for address in _envelope_to(form.get("envelope") or "") if address not in to]
    subject = form.get("subject") or str(headers.get("Subject") or "")
    full_text = text if text.strip() else html_to_text(html)
    raw = {key: form[key][:_MAX_RAW_TEXT] for key in _RAW_FIELDS if form.get(key)}
    raw["text"] = full_text[:_MAX_RAW_TEXT]
    raw["attachment_list"] = [vars(attachment) for attachment in attachments]
    return InboundEmail(
        message_id=_message_id(str(headers.get("Message-ID") or ""), sender, to, subject, full_text),
        from_address=sender,
        to_addresses=to,
        subject=subject,
        text=visible_reply(full_text),
        full_text=full_text,
        reply_ids=_reply_ids(headers),
        attachments=attachments,
        raw=raw,
        sender_verified=sender_verified(
            sender, spf=form.get("SPF") or "", dkim=form.get("dkim") or "", envelope=form.get("envelope") or ""
        ),
    )


def _message_id(header: str, sender: str, to: list[str], subject: str, text: str) -> str:
    """The Message-ID that makes a repeat recognisable; a digest when it is missing or too long."""
    found = _MESSAGE_ID.search(header)
    value = found.group(0) if found else header.strip()
    if value and len(value) <= _MAX_ID:
        return value
    basis = value or "\n".join([sender, ",".join(to), subject, text])
    return "sha256:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()
