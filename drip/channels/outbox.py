"""The local outbox: a channel that records each message instead of handing it to a provider."""
from __future__ import annotations

import secrets
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from sqlalchemy import insert, select

from drip.channels.base import OutgoingMessage, SendResult
from drip.extensions import db
from drip.models import Delivery, Learner, OutboxMessage, utcnow

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
    """Writes an OutboxMessage row per message; always succeeds unless the database fails."""

    def __init__(self, name: str):
        self.name = name

    def send(self, message: OutgoingMessage) -> SendResult:
        """Record the message in its own short transaction, as a provider would accept it."""
        message_id = new_message_id()
        trainer_id = _on_behalf_of.get()
        if trainer_id is None and message.delivery_id is not None:
            trainer_id = (
                select(Learner.trainer_id)
                .join(Delivery, Delivery.learner_id == Learner.id)
                .where(Delivery.id == message.delivery_id)
                .scalar_subquery()
            )
        headers = dict(message.headers)
        if message.reply_to:  # where the learner's answer would go (the phone simulator replies there)
            headers["Reply-To"] = message.reply_to
        row = {
            "delivery_id": message.delivery_id, "trainer_id": trainer_id, "channel": message.channel,
            "to_address": message.to, "subject": message.subject, "body": message.body,
            "html": message.html, "headers": headers or None,
            "provider_message_id": message_id, "created_at": utcnow(),
        }
        # Its own transaction: the caller's session may hold other work that must not commit with it.
        with db.engine.begin() as connection:
            connection.execute(insert(OutboxMessage).values(**row))
        return SendResult(provider_message_id=message_id, status="sent")
