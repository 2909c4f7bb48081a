"""Opt-outs as the send path meets them, without importing their owner (services/inbound/optout, a layer up).

Read here: whether a learner must get nothing on a channel and why, in the trainer's words (each claim
brings the learner's opted-out time; the reason is read from the opt-out table only for a skip).
Passed on: what providers report, a number its carrier opted out (Twilio 21610) or an address SendGrid
will no longer mail (bounce, spam report, unsubscribe). The owner records it and skips what is queued;
the app hands its `provider_opt_out` over at start (create_app), as it hands the outbox its writer.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from drip.extensions import db
from drip.models import Learner, OptOutEvent

OWNER = "drip_opt_out_owner"  # app.extensions key of the owner's provider_opt_out
# How each source reads on the learner page and in a skipped delivery's reason.
SOURCE_LABELS = {
    "sms_keyword": "replied STOP",
    "unsubscribe_link": "unsubscribe link",
    "one_click": "one-click unsubscribe",
    "bounce": "email bounced",
    "spamreport": "marked as spam",
    "provider_unsubscribe": "unsubscribed at SendGrid",
    "carrier": "carrier reported opt-out",
    "dropped": "SendGrid dropped the email",
    "admin": "by the trainer",
}


def provider_reported(channel: str, address: str, *, source: str, detail: str = "", now: datetime | None = None):
    """A provider says this address must get nothing more on this channel: the owner records it (no commit)."""
    return current_app.extensions[OWNER](channel, address, source=source, detail=detail, now=now)


def sms_blocked(learner: Learner) -> bool:
    """True when this learner must get no SMS (they or their carrier opted the number out)."""
    return learner.sms_opted_out_at is not None


def email_blocked(learner: Learner) -> bool:
    """True when this learner must get no email (unsubscribed, bounced or reported spam)."""
    return learner.email_opted_out_at is not None


def blocked_reason(learner: Learner, channel: str) -> str | None:
    """Why this learner must not get a message on this channel, in the trainer's words; None if they may."""
    if channel == "sms" and sms_blocked(learner):
        when, what = learner.sms_opted_out_at, "Opted out of SMS"
    elif channel == "email" and email_blocked(learner):
        when, what = learner.email_opted_out_at, "Unsubscribed from email"
    else:
        return None
    source = db.session.scalar(
        select(OptOutEvent.source)
        .where(OptOutEvent.learner_id == learner.id, OptOutEvent.channel == channel, OptOutEvent.action == "opt_out")
        .order_by(OptOutEvent.created_at.desc(), OptOutEvent.id.desc())
        .limit(1)
    )
    return f"{what} ({SOURCE_LABELS.get(source, source or 'unknown')}) on {when:%Y-%m-%d %H:%M} UTC"
