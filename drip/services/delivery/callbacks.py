"""What providers tell us after sending: Twilio status callbacks and SendGrid events.

A delivery only ever moves forward, so callbacks arriving out of order or twice change nothing
they should not. Webhooks store each provider event once in ProviderEvent (services/webhooks/intake),
which makes repeats no-ops; workers turn them into changes here and apply them (webhooks/apply_statuses).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from drip.domain import numbers
from drip.domain import catalog
from drip.extensions import db
from drip.models import Delivery
from drip.services.delivery.transitions import report, report_many
from drip.services.delivery import opt_outs, reads

_logger = logging.getLogger(__name__)

# Twilio's MessageStatus in Drip's words: anything short of delivered means Twilio has the message.
TWILIO_STATUS = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}
TWILIO_ERRORS = {
    "21610": "The learner's phone number has opted out (replied STOP to this sender).",
    "21211": "The 'To' number is not a valid phone number.",
    "21614": "The 'To' number is not a mobile number.",
    "30003": "Unreachable destination handset.",
    "30004": "Message blocked by the recipient's carrier.",
    "30005": "Unknown destination handset.",
    "30006": "Landline or unreachable carrier.",
    "30007": "Filtered by the carrier as spam.",
    "30008": "Unknown error from the carrier.",
}
SENDGRID_STATUS = {"processed": "sent", "delivered": "delivered", "bounce": "undelivered", "dropped": "failed"}
# Events after which SendGrid itself will not mail the address again: mirror that as an unsubscribe.
SENDGRID_SUPPRESSING = {
    "bounce": "bounce",
    "spamreport": "spamreport",
    "unsubscribe": "provider_unsubscribe",
    "group_unsubscribe": "provider_unsubscribe",
}
READ_EVENTS = ("open", "click")  # counted as reads of the delivery (issue 12)
DROPPED_FOR_ADDRESS = {"Bounced Address", "Spam Reporting Address", "Unsubscribed Address", "Invalid"}


class MalformedCallback(ValueError):
    """The provider's request lacks what every callback carries."""


def twilio_event_key(params: Mapping[str, str]) -> tuple[str, str]:
    """(MessageSid, reported status) of a Twilio status callback; MalformedCallback when either is missing."""
    sid = (params.get("MessageSid") or params.get("SmsSid") or "").strip()
    reported = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    if not sid or not reported or len(sid) > 64 or len(reported) > 30:
        raise MalformedCallback("MessageSid and MessageStatus are required.")
    return sid, reported


def twilio_error(error_code: str | None) -> str | None:
    """What a Twilio error code means, in words."""
    return TWILIO_ERRORS.get(error_code or "", f"Twilio error {error_code}") if error_code else None


def sendgrid_event_id(event: dict) -> str:
    """The id that makes a repeated SendGrid event recognisable: sg_event_id, else a digest of the event."""
    return str(event.get("sg_event_id") or "") or _digest(event)


@dataclass(frozen=True)
class Change:
    """A move forward one provider event asks of one delivery."""

    delivery_id: int
    status: str
    at: datetime
    error_code: str | None = None
    error_message: str | None = None
    provider_message_id: str | None = None


def apply_changes(changes: list[Change]) -> int:
    """Apply many changes: the plain ones (no error, no new id) in one UPDATE per status; returns how many moved."""
    plain: dict[str, list[Change]] = {}
    moved = 0
    for change in changes:
        if change.error_code or change.error_message or change.provider_message_id:
            moved += apply_change(change)
        else:
            plain.setdefault(change.status, []).append(change)
    for name, group in plain.items():
        # The latest arrival among them dates the move: the same second for a batch, at most a lease apart.
        moved += report_many([change.delivery_id for change in group], name, now=max(c.at for c in group))
    return moved


def apply_change(change: Change) -> bool:
    """Move the delivery forward as the change says (never backwards); True when it moved."""
    return report(
        change.delivery_id,
        change.status,
        now=change.at,
        error_code=change.error_code,
        error_message=change.error_message,
        provider_message_id=change.provider_message_id,
    )


def rank(status: str) -> int:
    """Where a status stands in the life cycle (catalog): a delivery only moves to a higher rank."""
    return catalog.status(status).rank


def twilio_change(
    params: Mapping[str, str], hint: str | None, at: datetime, *, by_sid: Mapping[str, Delivery] | None = None
) -> tuple[Delivery | None, Change | None]:
    """The delivery a Twilio callback is about and the change it asks; opts the number out on error 21610."""
    sid, reported = twilio_event_key(params)
    error_code = (params.get("ErrorCode") or "").strip() or None
    delivery = twilio_delivery(sid, hint, by_sid=by_sid)
    status = TWILIO_STATUS.get(reported)
    change = None
    if delivery is not None and status:
        failing = status in ("failed", "undelivered")
        change = Change(
            delivery.id,
            status,
            at,
            error_code=error_code if failing else None,
            error_message=twilio_error(error_code) if failing else None,
            provider_message_id=None if delivery.provider_message_id == sid else sid,
        )
    if error_code == "21610":
        phone = (delivery.learner.phone if delivery else None) or params.get("To") or ""
        if phone:
            opt_outs.provider_reported("sms", phone, source="carrier", detail="Twilio error 21610", now=at)
    return delivery, change


def sendgrid_change(event: dict, at: datetime) -> tuple[Delivery | None, Change | None]:
    """The delivery a SendGrid event is about and the change it asks; suppresses the address when SendGrid does."""
    name = event["event"]
    message_id = str(event.get("sg_message_id") or "")
    delivery = sendgrid_delivery(event.get("delivery_id"), message_id)
    status = SENDGRID_STATUS.get(name)
    change = None
    if delivery is not None and status:
        failing = status in ("failed", "undelivered")
        reason = str(event.get("reason") or event.get("response") or name)[:1000]
        change = Change(
            delivery.id,
            status,
            at,
            error_code=str(event.get("status") or name)[:40] if failing else None,
            error_message=reason if failing else None,
            provider_message_id=message_id.split(".")[0] or None,
        )
    if delivery is not None and name in READ_EVENTS:
        reads.record_sendgrid(delivery, event, at)
    source = SENDGRID_SUPPRESSING.get(name)
    if name == "bounce" and event.get("type") == "blocked":
        source = None  # a block is about our sending reputation, not the address
    if name == "dropped" and event.get("reason") in DROPPED_FOR_ADDRESS:
        source = "dropped"
    address = str(event.get("email") or "").strip()
    if source and address:
        detail = str(event.get("reason") or event.get("status") or "")
        opt_outs.provider_reported("email", address, source=source, detail=detail, now=at)
    return delivery, change


def twilio_delivery(sid: str, hint: str | None, *, by_sid: Mapping[str, Delivery] | None = None) -> Delivery | None:
    """The SMS delivery of this MessageSid (`by_sid`: preloaded); the `d` hint only finds one whose sid was never recorded."""
    if by_sid is not None:
        delivery = by_sid.get(sid)
    else:
        delivery = db.session.scalar(
            select(Delivery).where(Delivery.provider_message_id == sid, Delivery.channel == "sms")
        )
    if delivery is not None:
        return delivery if not hint or hint == str(delivery.id) else None
    if hint and (hinted := numbers.parse_id(hint)) is not None:
        # The worker died after Twilio took the message and before saving its sid (status unknown).
        candidate = db.session.get(Delivery, hinted)
        if candidate is not None and candidate.channel == "sms" and candidate.provider_message_id is None:
            return candidate
    return None


def sendgrid_delivery(delivery_id, message_id: str) -> Delivery | None:
    """The email delivery named by the event's custom arg, checked against SendGrid's message id."""
    x_message_id = message_id.split(".")[0]
    if numbers.parse_id(delivery_id) is None:
        if not x_message_id:
            return None
        return db.session.scalar(
            select(Delivery).where(Delivery.provider_message_id == x_message_id, Delivery.channel == "email")
        )
    delivery = db.session.get(Delivery, int(delivery_id))
    if delivery is None or delivery.channel != "email":
        return None
    if message_id and delivery.provider_message_id and not message_id.startswith(delivery.provider_message_id):
        return None  # the custom arg names another message: trust neither
    return delivery


def _digest(event: dict) -> str:
    """A stable id for an event that carries no sg_event_id."""
    return "sha256:" + hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()
