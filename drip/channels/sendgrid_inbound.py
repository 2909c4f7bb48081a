"""SendGrid Inbound Parse posts translated into one InboundEmail (parsed or "Send Raw" mode).

Two steps, because an email is hostile input: `intake` runs in the webhook request and only reads
what identifies the message (its sender and Message-ID, from a bounded header block), keeping the
post's fields cut to the sizes a parse would read; `parse_inbound` runs in a worker, decodes the
MIME, turns HTML into text and splits off the quoted history, within a time budget after which
the raw text is kept.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr

from drip.domain.budget import Budget, OverBudget
from drip.domain.html_text import MAX_HTML_CHARS, body_text
from drip.domain.reply_text import MAX_CHARS, visible_reply
from drip.domain.sender_auth import sender_verified
from drip.channels.mime_parts import Attachment, raw_mime_parts


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
_MAX_HEADER_BLOCK = 64 * 1024  # a header block longer than this is not a mail client's
_MAX_ADDRESS_FIELD = 4_000
# What the intake keeps of each field for the worker: what a parse reads, and no more.
_KEPT_CHARS = {"text": MAX_CHARS, "html": MAX_HTML_CHARS, "headers": _MAX_HEADER_BLOCK}


class MalformedEmail(ValueError):
    """The post is not an Inbound Parse message (no sender)."""


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


def _header_block(form: Mapping[str, str]) -> str:
    """The headers of the post: the "headers" field, or the top of a raw MIME message, bounded."""
    if not form.get("email"):
        return (form.get("headers") or "")[:_MAX_HEADER_BLOCK]
    top = form["email"][: _MAX_HEADER_BLOCK + 4].replace("\r\n", "\n")
    end = top.find("\n\n")
    return top[: end if end >= 0 else _MAX_HEADER_BLOCK]


def _sender(form: Mapping[str, str], headers: Message) -> str:
    value = form.get("from") or str(headers.get("From") or "")
    return parseaddr(value[:_MAX_ADDRESS_FIELD])[1].lower()


@dataclass(frozen=True)
class Intake:
    """What the webhook stores for a worker: the message's id and its fields, bounded."""

    message_id: str
    form: dict


def intake(form: Mapping[str, str]) -> Intake:
    """The id and bounded fields of an Inbound Parse post, read in the request; MalformedEmail without a sender."""
    headers = HeaderParser().parsestr(_header_block(form))
    sender = _sender(form, headers)
    if "@" not in sender:
        raise MalformedEmail("no sender address")
    kept = {key: str(value)[: _KEPT_CHARS.get(key, _MAX_RAW_TEXT)] for key, value in form.items() if key != "email"}
    if form.get("email"):
        kept["email"] = form["email"]  # the MIME whole: its parts (and attachments) are read by the worker
    return Intake(intake_id(form, headers, sender), kept)


def parse_inbound(
    form: Mapping[str, str],
    files: Sequence[Attachment] = (),
    *,
    message_id: str | None = None,
    budget: Budget | None = None,
) -> InboundEmail:
    """Translate an Inbound Parse form into an InboundEmail; MalformedEmail when there is no sender.

    Every step is bounded in size and the whole parse in time: past the budget, the raw text is kept.
    """
    budget = budget or Budget()
    attachments = list(files)
    if form.get("email"):
        headers, text, html, mime_attachments = raw_mime_parts(form["email"])
        attachments += mime_attachments
    else:
        headers = HeaderParser().parsestr(_header_block(form))
        text, html = form.get("text") or "", form.get("html") or ""
    sender = _sender(form, headers)
    if "@" not in sender:
        raise MalformedEmail("no sender address")
    to = _addresses(
        (form.get("to") or str(headers.get("To") or ""))[:_MAX_ADDRESS_FIELD],
        (form.get("cc") or str(headers.get("Cc") or ""))[:_MAX_ADDRESS_FIELD],
    )
    to += [address for address in _envelope_to(form.get("envelope") or "") if address not in to]
    subject = form.get("subject") or str(headers.get("Subject") or "")
    text = text[:MAX_CHARS]
    full_text = body_text(text, html, budget)
    try:
        kept = visible_reply(full_text, budget)
    except OverBudget:
        kept = full_text.strip()  # nothing the learner wrote is lost; the trainer sees the quote too
    raw = {key: form[key][:_MAX_RAW_TEXT] for key in _RAW_FIELDS if form.get(key)}
    raw["text"] = full_text[:_MAX_RAW_TEXT]
    raw["attachment_list"] = [vars(attachment) for attachment in attachments]
    return InboundEmail(
        message_id=message_id or intake_id(form, headers, sender),
        from_address=sender,
        to_addresses=to,
        subject=subject,
        text=kept,
        full_text=full_text,
        reply_ids=_reply_ids(headers),
        attachments=attachments,
        raw=raw,
        sender_verified=sender_verified(
            sender, spf=form.get("SPF") or "", dkim=form.get("dkim") or "", envelope=form.get("envelope") or ""
        ),
    )


def intake_id(form: Mapping[str, str], headers: Message, sender: str) -> str:
    """The id `intake` gives this post (the same in the request and in the worker)."""
    body = form.get("text") or form.get("html") or form.get("email") or ""
    to = (form.get("to") or "")[:_MAX_ADDRESS_FIELD]
    return _message_id(str(headers.get("Message-ID") or ""), sender, [to], form.get("subject") or "", body)


def _message_id(header: str, sender: str, to: list[str], subject: str, text: str) -> str:
    """The Message-ID that makes a repeat recognisable; a digest when it is missing or too long."""
    found = _MESSAGE_ID.search(header)
    value = found.group(0) if found else header.strip()
    if value and len(value) <= _MAX_ID:
        return value
    basis = value or "\n".join([sender, ",".join(to), subject, text])
    return "sha256:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()
