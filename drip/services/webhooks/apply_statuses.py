"""Workers apply stored status callbacks and events in batches, in the provider's order, forward only.

A batch's events are applied in one transaction with their `applied_at`, so each is applied exactly
once: a worker killed mid-batch applied none of it, and the batch is claimed again when its lease ends.
A message's `sent` and `delivered` in the same batch make one UPDATE (to `delivered`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from drip.extensions import db
from drip.metrics import observe_applied
from drip.models import Delivery, ProviderEvent, utcnow
from drip.services.delivery import callbacks as status
from drip.services.webhooks import receipts
from drip.services.webhooks.intake import HINT_KEY

_logger = logging.getLogger(__name__)
BATCH = 200  # a few hundred ms of work at most: the inbound lane never waits long for the GIL


def _sequence(event: ProviderEvent) -> tuple:
    """The provider's order: SendGrid stamps each event; Twilio's callbacks carry no sequence, arrival it is."""
    stamp = event.payload.get("timestamp") if event.provider == "sendgrid" else None
    return (stamp if isinstance(stamp, (int, float)) else 0, event.id)


def _by_sid(events: list[ProviderEvent]) -> dict[str, Delivery]:
    sids = {
        str(e.payload.get("MessageSid") or e.payload.get("SmsSid") or "").strip()
        for e in events
        if e.provider == "twilio"
    }
    sids.discard("")
    if not sids:
        return {}
    rows = db.session.scalars(select(Delivery).where(Delivery.channel == "sms", Delivery.provider_message_id.in_(sids)))
    return {delivery.provider_message_id: delivery for delivery in rows}


def _change(event: ProviderEvent, by_sid: dict[str, Delivery]):
    if event.provider == "twilio":
        return status.twilio_change(event.payload, event.payload.get(HINT_KEY), event.created_at, by_sid=by_sid)
    return status.sendgrid_change(event.payload, event.created_at)


def _apply(events: list[ProviderEvent], now: datetime) -> int:
    """Apply the events (no commit); returns how many deliveries moved."""
    by_sid = _by_sid(events)
    furthest: dict[int, status.Change] = {}
    for event in sorted(events, key=_sequence):
        delivery, change = _change(event, by_sid)
        event.delivery_id = delivery.id if delivery else None
        event.applied_at, event.claimed_until, event.error = now, None, None
        if change is None:
            continue
        known = furthest.get(change.delivery_id)
        # Coalesce: only the furthest step of each delivery is written; on a tie the earlier event wins,
        # as it would have applied first.
        if known is None or status.rank(change.status) > status.rank(known.status):
            furthest[change.delivery_id] = change
    return status.apply_changes(list(furthest.values()))


def apply_pending_statuses(limit: int = BATCH, *, now: datetime | None = None) -> int:
    """Claim and apply one batch of stored status events; returns how many were claimed."""
    now = now or utcnow()
    ids = receipts.claim(ProviderEvent, limit)
    if not ids:
        return 0
    try:
        events = list(db.session.scalars(select(ProviderEvent).where(ProviderEvent.id.in_(ids))))
        arrived = [event.created_at for event in events]
        _apply(events, now)
        db.session.commit()
        observe_applied("callbacks", arrived, utcnow())
    except Exception:  # one bad event must not hold the batch: apply them one by one
        db.session.rollback()
        _logger.exception("status batch of %s events failed; applying one by one", len(ids))
        for event_id in ids:
            try:
                _apply([db.session.get(ProviderEvent, event_id)], now)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - kept with its error, retried, then set aside
                db.session.rollback()
                _logger.exception("status event %s not applied", event_id)
                receipts.set_aside(ProviderEvent, event_id, repr(error), now)
    return len(ids)
