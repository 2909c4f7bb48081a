"""The webhooks before issue 14, for the ingest and storm benches' second baseline: each Twilio status
callback applied, each inbound text routed, inside its request (one transaction per callback).

`bench.in_request_app:create_app()` is Drip's app with that design put back for the two Twilio webhooks
the benches post: their Flask views store through `intake.store_twilio_status` and `intake.store_sms`,
replaced here by the in-request work, and the fast path in front of them (which came with the stored
design) is taken out, so every webhook goes through its view as it did. gunicorn serves it as the
Procfile serves Drip's, so the benches measure the two designs side by side in the same run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from drip.extensions import db
from drip.models import ProviderEvent, utcnow
from drip.services.delivery.callbacks import apply_change, twilio_change, twilio_event_key
from drip.services.inbound.receive import InboundOutcome, receive_sms


def apply_twilio_status(
    params: Mapping[str, str], *, delivery_hint: str | None = None, now: datetime | None = None
) -> bool:
    """Apply one Twilio status callback and record it, in one transaction; False on a repeat. Raises
    MalformedCallback as the stored design does (the view answers 400)."""
    sid, reported = twilio_event_key(params)
    event_id = f"{sid}:{reported}"
    seen = select(ProviderEvent.id).where(ProviderEvent.provider == "twilio", ProviderEvent.event_id == event_id)
    if db.session.scalar(seen) is not None:
        return False
    delivery, change = twilio_change(params, delivery_hint, now or utcnow())
    if change is not None:
        apply_change(change)
    db.session.add(
        ProviderEvent(
            provider="twilio",
            event_id=event_id[:200],
            event=reported[:40],
            payload=dict(params),
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


def route_sms(form: Mapping[str, str], *, now: datetime | None = None) -> InboundOutcome:
    """Route one inbound text in the request, whatever it says (its answer, if any, goes back in TwiML)."""
    return receive_sms(dict(form), now=now)


def create_app(config=None):
    """Drip's app, its two Twilio webhooks applying and routing in the request (for this process)."""
    from drip import create_app as drip_app
    from drip.services.webhooks import intake
    from drip.web.twilio_fast_path import TwilioFastPath

    intake.store_twilio_status = apply_twilio_status
    intake.store_sms = route_sms
    app = drip_app(config)
    outer = app.wsgi_app  # the stalled-body guard, then the fast path, then Flask
    if not isinstance(outer.wsgi_app, TwilioFastPath):
        raise RuntimeError("the in-request baseline expects the fast path right behind the body guard")
    outer.wsgi_app = outer.wsgi_app.wsgi_app
    return app
