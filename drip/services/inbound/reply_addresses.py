"""Which delivery an email reply answers: its per-message reply address, or the Message-IDs it quotes."""

from __future__ import annotations

from sqlalchemy import or_, select

from drip.extensions import db
from drip.models import Delivery, OutboxMessage


def delivery_by_reply_token(addresses: list[str], domain: str) -> Delivery | None:
    """The delivery a `reply+TOKEN@domain` address in To/envelope names, if any."""
    for address in addresses:
        local, _, host = address.strip().strip("<>").lower().rpartition("@")
        if not local.startswith("reply+") or (domain and host != domain.lower()):
            continue
        token = local[len("reply+") :]
        delivery = db.session.scalar(select(Delivery).where(Delivery.reply_token == token))
        if delivery is not None:
            return delivery
    return None


def delivery_by_message_ids(message_ids: list[str]) -> Delivery | None:
    """The delivery an In-Reply-To/References Message-ID points at (SendGrid ids or outbox ids)."""
    # The newest reference is last in References; In-Reply-To is put first by the caller.
    for message_id in message_ids:
        full = message_id.strip().strip("<>")
        local = full.split("@", 1)[0]
        if not local:
            continue
        # SendGrid's Message-ID is <X-Message-Id@host>; its events say "X-Message-Id.filter...".
        delivery = db.session.scalar(
            select(Delivery)
            .where(
                or_(
                    Delivery.provider_message_id.in_([full, local]),
                    Delivery.provider_message_id.like(_escape_like(local) + ".%", escape="\\"),
                )
            )
            .order_by(Delivery.id.desc())
            .limit(1)
        )
        if delivery is not None:
            return delivery
        outbox = db.session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.provider_message_id.in_([full, local]), OutboxMessage.delivery_id.is_not(None))
            .limit(1)
        )
        if outbox is not None:
            return db.session.get(Delivery, outbox.delivery_id)
    return None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
