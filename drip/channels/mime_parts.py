"""A "Send Raw" post's MIME message: its text and HTML parts, its attachments noted, its pictures.

The message is read as bytes, so an 8bit body in UTF-8 (as most clients send it now) decodes with
its charset; quoted-printable (soft line breaks included), base64 and encoded words in headers are
decoded by the standard library before anything parses the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message

from drip.domain.media import IMAGE_LIMIT, PICTURES_PER_MESSAGE, ReceivedPicture, is_picture_type


@dataclass(frozen=True)
class Attachment:
    """What we note about an attachment: never its content."""

    filename: str
    content_type: str
    size: int


def _mime(raw_email: str) -> Message:
    """The MIME message of a "Send Raw" post, read as bytes: an 8bit UTF-8 body then decodes with its charset."""
    return message_from_bytes((raw_email or "").encode("utf-8", "surrogateescape"), policy=policy.default)


def raw_mime_parts(raw_email: str) -> tuple[Message, str, str, list[Attachment]]:
    """Headers, text, html and attachments of a "Send Raw" post."""
    message = _mime(raw_email)
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


def raw_pictures(raw_email: str, limit: int = PICTURES_PER_MESSAGE) -> list[ReceivedPicture]:
    """The pictures attached to a "Send Raw" post's MIME message (at most `limit`, each at most 5 MB)."""
    message = _mime(raw_email)
    found: list[ReceivedPicture] = []
    if not isinstance(message, EmailMessage):
        return found
    for part in message.walk():
        if part.is_multipart() or not is_picture_type(part.get_content_type()) or len(found) >= limit:
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and 0 < len(data) <= IMAGE_LIMIT:
            found.append(ReceivedPicture(part.get_filename() or "", part.get_content_type(), data))
    return found
