"""The local outbox: a channel that records each message instead of handing it to a provider."""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from collections.abc import Callable
from datetime import datetime, timezone

from drip.channels.base import OutgoingMessage, SendResult

# The trainer a message goes out for: the outbox page shows each trainer their own messages,
# and a one-off (a test send, a reply) has no delivery to find the trainer through.
_on_behalf_of: ContextVar[int | None] = ContextVar("drip_outbox_trainer", default=None)


@contextmanager
def sending_for(trainer_id: int | None) -> Iterator[None]:
    """Attribute outbox messages sent inside this block to a trainer."""
    token = _on_behalf_of.set(trainer_id)
    try:
        yield
    finally:
        _on_behalf_of.reset(token)


def new_message_id() -> str:
    """An id shaped like a provider's, recognisably the outbox's ("OB" + hex)."""
    return "OB" + secrets.token_hex(16)


class OutboxChannel:
    """Hands each message, as a row, to the `record` callable it is given (the app stores it)."""

    def __init__(self, name: str, record: Callable[[dict], None]):
        self.name = name
        self._record = record

    def send(self, message: OutgoingMessage) -> SendResult:
        """Record the message, delivered at once: the outbox is where it arrives (a None trainer: the
        delivery's learner's)."""
        message_id = new_message_id()
        trainer_id = _on_behalf_of.get()
        headers = dict(message.headers)
        if message.reply_to:  # where the learner's answer would go (the phone simulator replies there)
            headers["Reply-To"] = message.reply_to
        if message.media_urls:  # an MMS: the outbox and the phone simulator show its picture
            headers["X-Drip-Media-Url"] = " ".join(message.media_urls)
        html = message.html
        for image in message.inline_images:  # no attachments here: the page loads the picture from Drip
            html = (html or "").replace(f"cid:{image.content_id}", image.url)
        row = {
            "delivery_id": message.delivery_id,
            "trainer_id": trainer_id,
            "channel": message.channel,
            "to_address": message.to,
            "subject": message.subject,
            "body": message.body,
            "html": html,
            "headers": headers or None,
            "provider_message_id": message_id,
            "created_at": datetime.now(timezone.utc),
        }
        self._record(row)
        return SendResult(provider_message_id=message_id, status="delivered")
