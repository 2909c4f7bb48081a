"""The in-request design of the status webhooks, kept as the bench's second baseline (DRIP_WEBHOOKS=inline).

Each callback is applied inside its request, one transaction per event: what the stored-and-applied
design (services/webhooks/intake, services/delivery/apply_callbacks) is measured against.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from drip.extensions import db
from drip.models import Delivery, ProviderEvent, utcnow
from drip.services.delivery.callbacks import (
    Change,
    MalformedCallback,
    apply_change,
    sendgrid_change,
    sendgrid_event_id,
    twilio_change,
    twilio_event_key,
)

_logger = logging.getLogger(__name__)


@dataclass
class EventsResult:
    """What became of a batch of provider events."""

    applied: int = 0
    duplicates: int = 0
    errors: int = 0


def _applied(found: tuple[Delivery | None, Change | None]) -> Delivery | None:
    delivery, change = found
    if change is not None:
        apply_change(change)
    return delivery


def apply_twilio_status(
    params: Mapping[str, str], *, delivery_hint: str | None = None, now: datetime | None = None
) -> bool:
    """Apply one Twilio status callback in the request (the bench's in-request baseline); False on a repeat."""
    sid, reported = twilio_event_key(params)
    now = now or utcnow()
    return _once(
        "twilio",
        f"{sid}:{reported}",
        reported,
        dict(params),
        lambda: _applied(twilio_change(params, delivery_hint, now)),
    )


def apply_sendgrid_events(events: list, *, now: datetime | None = None) -> EventsResult:
    """Apply a SendGrid batch in the request (the bench's in-request baseline); a bad event is skipped."""
    result = EventsResult()
    for event in events:
        try:
            if not isinstance(event, dict) or not isinstance(event.get("event"), str):
                raise MalformedCallback("an event must be an object with an 'event' name")
            at = now or utcnow()
            if _once(
                "sendgrid",
                sendgrid_event_id(event),
                event["event"],
                event,
                lambda: _applied(sendgrid_change(event, at)),
            ):
                result.applied += 1
            else:
                result.duplicates += 1
        except Exception:  # noqa: BLE001 - one bad event must not lose the others
            db.session.rollback()
            _logger.exception("SendGrid event not applied: %r", event)
            result.errors += 1
    return result


def _once(provider: str, event_id: str, name: str, payload: dict, apply) -> bool:
    """Run `apply` and record the event in one transaction, unless the event was seen before."""
    seen = select(ProviderEvent.id).where(ProviderEvent.provider == provider, ProviderEvent.event_id == event_id)
    if db.session.scalar(seen) is not None:
        return False
    delivery = apply()
    db.session.add(
        ProviderEvent(
            provider=provider,
            event_id=event_id[:200],
            event=name[:40],
            payload=payload,
            delivery_id=delivery.id if delivery else None,
            applied_at=utcnow(),
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same event, applied at the same moment by another process
        return False
    return True
