"""One delivery's message as the sending job renders it, for tests that look at the words of one message."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from drip.domain.outgoing import DeliveryToSend, OutgoingMessage
from drip.models import utcnow
from drip.services.delivery.batch_facts import load_facts
from drip.services.delivery.batching import message_for


def build_message(item: DeliveryToSend, address: str, now: datetime | None = None) -> OutgoingMessage:
    """The rendered SMS or email of one delivery, as of now, its facts loaded as a batch of one (as the job
    loads a batch's): TemplateProblem, or NothingToShare for an empty digest, as the job meets them."""
    at = now or utcnow()
    return message_for(item, address, load_facts([item], current_app.config, at), at)
