"""What providers tell us after sending: Twilio status callbacks and SendGrid events.

A delivery only ever moves forward, so callbacks arriving out of order or twice change nothing
they should not; each provider event is recorded once in ProviderEvent, which makes repeats no-ops.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from drip.extensions import db
from drip.models import Delivery, ProviderEvent, utcnow
from drip.services.delivery.transitions import report
from drip.services.inbound import optout
from drip.services.delivery import reads

_logger = logging.getLogger(__name__)

# Twilio's MessageStatus in Drip's words: anything short of delivered means Twilio has the message.
TWILIO_STATUS = {"accepted": "sent", "scheduled": "sent", "queued": "sent", "sending": "sent", "sent": "sent",
                 "delivered": "delivered", "read": "delivered", "undelivered": "undelivered",
                 "failed": "failed", "canceled": "failed"}
TWILIO_ERRORS = {
    "21610": "The learner's phone number has opted out (replied STOP to this sender).",
    "21211": "The 'To' number is not a valid phone number.",
    "21614": "The 'To' number is not a mobile number.",
    "30003": "Unreachable destination handset.", "30004": "Message blocked by the recipient's carrier.",
    "30005": "Unknown destination handset.", "30006": "Landline or unreachable carrier.",
    "30007": "Filtered by the carrier as spam.", "30008": "Unknown error from the carrier.",
}
SENDGRID_STATUS = {"processed": "sent", "delivered": "delivered", "bounce": "undelivered", "dropped": "failed"}
# Events after which SendGrid itself will not mail the address again: mirror that as an unsubscribe.
SENDGRID_SUPPRESSING = {"bounce": "bounce", "spamreport": "spamreport", "unsubscribe": "provider_unsubscribe",
                        "group_unsubscribe": "provider_unsubscribe"}
READ_EVENTS = ("open", "click")  # counted as reads of the delivery (issue 12)
DROPPED_FOR_ADDRESS = {"Bounced Address", "Spam Reporting Address", "Unsubscribed Address", "Invalid"}


class MalformedCallback(ValueError):
    """The provider's request lacks what every callback carries."""


@dataclass
class EventsResult:
    """What became of a batch of provider events."""

    applied: int = 0
    duplicates: int = 0
    errors: int = 0


def apply_twilio_status(params: Mapping[str, str], *, delivery_hint: str | None = None,
                        now: datetime | None = None) -> bool:
    """Apply one Twilio status callback; False when it was a repeat. Raises MalformedCallback."""
    sid = (params.get("MessageSid") or params.get("SmsSid") or "").strip()
    reported = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    if not sid or not reported or len(sid) > 64 or len(reported) > 30:
        raise MalformedCallback("MessageSid and MessageStatus are required.")
    now = now or utcnow()
    error_code = (params.get("ErrorCode") or "").strip() or None

    def apply() -> None:
        delivery = _twilio_delivery(sid, delivery_hint)
        status = TWILIO_STATUS.get(reported)
        if delivery is not None and status:
            message = TWILIO_ERRORS.get(error_code or "", f"Twilio error {error_code}") if error_code else None
            failing = status in ("failed", "undelivered")
            report(delivery.id, status, now=now, provider_message_id=sid,
                    error_code=error_code if failing else None, error_message=message if failing else None)
        if error_code == "21610":
            phone = (delivery.learner.phone if delivery else None) or params.get("To") or ""
            if phone:
                optout.opt_out_sms(phone, source="carrier", detail="Twilio error 21610", now=now, commit=False)
        return delivery

    return _once("twilio", f"{sid}:{reported}", reported, dict(params), apply)


def apply_sendgrid_events(events: list, *, now: datetime | None = None) -> EventsResult:
    """Apply a SendGrid Event Webhook batch; a bad event is logged and skipped, never fails the rest."""
    result = EventsResult()
    for event in events:
        try:
            if not isinstance(event, dict) or not isinstance(event.get("event"), str):
                raise MalformedCallback("an event must be an object with an 'event' name")
            if _apply_sendgrid_event(event, now or utcnow()):
                result.applied += 1
            else:
                result.duplicates += 1
        except Exception:  # noqa: BLE001 - one bad event must not lose the others
            db.session.rollback()
            _logger.exception("SendGrid event not applied: %r", event)
            result.errors += 1
    return result


def _apply_sendgrid_event(event: dict, now: datetime) -> bool:
    name = event["event"]
    event_id = str(event.get("sg_event_id") or "") or _digest(event)
    message_id = str(event.get("sg_message_id") or "")

    def apply() -> Delivery | None:
        delivery = _sendgrid_delivery(event.get("delivery_id"), message_id)
        status = SENDGRID_STATUS.get(name)
        if delivery is not None and status:
            failing = status in ("failed", "undelivered")
            reason = str(event.get("reason") or event.get("response") or name)[:1000]
            report(delivery.id, status, now=now, provider_message_id=message_id.split(".")[0] or None,
                    error_code=str(event.get("status") or name)[:40] if failing else None,
                    error_message=reason if failing else None)
        if delivery is not None and name in READ_EVENTS:
            reads.record_sendgrid(delivery, event, now)
        source = SENDGRID_SUPPRESSING.get(name)
        if name == "bounce" and event.get("type") == "blocked":
            source = None  # a block is about our sending reputation, not the address
        if name == "dropped" and event.get("reason") in DROPPED_FOR_ADDRESS:
            source = "dropped"
        address = str(event.get("email") or "").strip()
        if source and address:
            detail = str(event.get("reason") or event.get("status") or "")
            optout.unsubscribe_email(address, source=source, detail=detail, now=now, commit=False)
        return delivery

    return _once("sendgrid", event_id, name, event, apply)


def _once(provider: str, event_id: str, name: str, payload: dict, apply) -> bool:
    """Run `apply` and record the event in one transaction, unless the event was seen before."""
    seen = select(ProviderEvent.id).where(ProviderEvent.provider == provider, ProviderEvent.event_id == event_id)
    if db.session.scalar(seen) is not None:
        return False
    delivery = apply()
    db.session.add(ProviderEvent(provider=provider, event_id=event_id[:200], event=name[:40], payload=payload,
                                 delivery_id=delivery.id if delivery else None))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same event, applied at the same moment by another process
        return False
    return True


def _twilio_delivery(sid: str, hint: str | None) -> Delivery | None:
    """The SMS delivery of this MessageSid; the `d` hint only finds one whose sid was never recorded."""
    delivery = db.session.scalar(select(Delivery).where(Delivery.provider_message_id == sid,
                                                        Delivery.channel == "sms"))
    if delivery is not None:
        return delivery if not hint or hint == str(delivery.id) else None
    if hint and hint.isdigit():
        # The worker died after Twilio took the message and before saving its sid (status unknown).
        candidate = db.session.get(Delivery, int(hint))
        if candidate is not None and candidate.channel == "sms" and candidate.provider_message_id is None:
            return candidate
    return None


def _sendgrid_delivery(delivery_id, message_id: str) -> Delivery | None:
    """The email delivery named by the event's custom arg, checked against SendGrid's message id."""
    x_message_id = message_id.split(".")[0]
    if delivery_id is None or not str(delivery_id).isdigit():
        if not x_message_id:
            return None
        return db.session.scalar(select(Delivery).where(Delivery.provider_message_id == x_message_id,
                                                        Delivery.channel == "email"))
    delivery = db.session.get(Delivery, int(delivery_id))
    if delivery is None or delivery.channel != "email":
        return None
    if message_id and delivery.provider_message_id and not message_id.startswith(delivery.provider_message_id):
        return None  # the custom arg names another message: trust neither
    return delivery


def _digest(event: dict) -> str:
    """A stable id for an event that carries no sg_event_id."""
    return "sha256:" + hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()
