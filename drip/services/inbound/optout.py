"""Opt-out and opt-in: SMS STOP/START by phone number, email unsubscribe, HELP answers.

Every change is recorded as an OptOutEvent so a trainer can see why a learner gets nothing.
All functions are idempotent: a repeat changes nothing and records nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from drip.domain import catalog
from drip.extensions import db
from drip.models import Learner, OptOutEvent, Trainer, utcnow
from drip.services.delivery import transitions

DEFAULT_HELP = "Drip training messages. Reply STOP to stop texts, START to get them again. Msg & data rates may apply."
OPTED_OUT = catalog.OPTED_OUT.code  # the error_code of a delivery skipped because of an opt-out
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


def _learners_with_phone(phone: str) -> list[Learner]:
    return list(db.session.scalars(select(Learner).where(Learner.phone == phone.strip()).order_by(Learner.id)))


def _learners_with_email(address: str) -> list[Learner]:
    query = select(Learner).where(func.lower(Learner.email) == address.strip().lower()).order_by(Learner.id)
    return list(db.session.scalars(query))


def _record(
    learner: Learner | None, channel: str, address: str, action: str, source: str, detail: str, now: datetime
) -> None:
    db.session.add(
        OptOutEvent(
            learner_id=learner.id if learner else None,
            channel=channel,
            address=address,
            action=action,
            source=source,
            detail=(detail or "")[:500],
            created_at=now,
        )
    )


def _last_action(channel: str, address: str) -> str | None:
    query = (
        select(OptOutEvent.action)
        .where(OptOutEvent.channel == channel, OptOutEvent.address == address)
        .order_by(OptOutEvent.created_at.desc(), OptOutEvent.id.desc())
        .limit(1)
    )
    return db.session.scalar(query)


def _skip_queued(learner_ids: list[int], channel: str, reason: str, now: datetime) -> int:
    """Mark deliveries already handed to the queue as skipped, so a worker picking them up sends nothing."""
    if not learner_ids:
        return 0
    return transitions.skip_opted_out(learner_ids, channel, code=OPTED_OUT, reason=reason, now=now)


def opt_out_sms(phone: str, *, source: str, detail: str = "", now: datetime | None = None) -> list[Learner]:
    """Stop all SMS to this phone number, for every learner of every trainer; returns those newly opted out."""
    # Carriers opt a number out of our sending number, not out of one trainer's list.
    now = now or utcnow()
    phone = phone.strip()
    changed = [learner for learner in _learners_with_phone(phone) if learner.sms_opted_out_at is None]
    for learner in changed:
        learner.sms_opted_out_at = now
        _record(learner, "sms", phone, "opt_out", source, detail, now)
    if not _learners_with_phone(phone) and _last_action("sms", phone) != "opt_out":
        # An unknown number said STOP: keep the trace even though no learner has it yet.
        _record(None, "sms", phone, "opt_out", source, detail, now)
    reason = f"Opted out of SMS ({SOURCE_LABELS.get(source, source)})"
    _skip_queued([learner.id for learner in changed], "sms", reason, now)
    db.session.flush()
    return changed


def opt_in_sms(phone: str, *, source: str, detail: str = "", now: datetime | None = None) -> list[Learner]:
    """Allow SMS to this phone number again (START); returns the learners newly opted back in."""
    now = now or utcnow()
    phone = phone.strip()
    changed = [learner for learner in _learners_with_phone(phone) if learner.sms_opted_out_at is not None]
    for learner in changed:
        learner.sms_opted_out_at = None
        _record(learner, "sms", phone, "opt_in", source, detail, now)
    if not _learners_with_phone(phone) and _last_action("sms", phone) == "opt_out":
        _record(None, "sms", phone, "opt_in", source, detail, now)
    db.session.flush()
    return changed


def unsubscribe_email(
    learner_or_address: Learner | str, *, source: str, detail: str = "", now: datetime | None = None
) -> list[Learner]:
    """Stop email to one learner (a link) or to every learner with an address (bounce, spam report)."""
    now = now or utcnow()
    if isinstance(learner_or_address, Learner):
        learners, address = [learner_or_address], learner_or_address.email or ""
    else:
        address = learner_or_address.strip().lower()
        learners = _learners_with_email(address)
    changed = [learner for learner in learners if learner.email_opted_out_at is None]
    for learner in changed:
        learner.email_opted_out_at = now
        _record(learner, "email", learner.email or address, "opt_out", source, detail, now)
    if not learners and address and _last_action("email", address) != "opt_out":
        _record(None, "email", address, "opt_out", source, detail, now)
    reason = f"Unsubscribed from email ({SOURCE_LABELS.get(source, source)})"
    _skip_queued([learner.id for learner in changed], "email", reason, now)
    db.session.flush()
    return changed


def resubscribe_email(
    learner: Learner, *, source: str = "unsubscribe_link", detail: str = "", now: datetime | None = None
) -> bool:
    """Send email to this learner again; False when they were not unsubscribed."""
    if learner.email_opted_out_at is None:
        return False
    now = now or utcnow()
    learner.email_opted_out_at = None
    _record(learner, "email", learner.email or "", "opt_in", source, detail, now)
    db.session.flush()
    return True


def help_text(learner: Learner | None) -> str:
    """The answer to HELP/INFO: the trainer's contact line, or a default naming STOP and START."""
    if learner is not None:
        trainer = db.session.get(Trainer, learner.trainer_id)
        line = (trainer.contact_line or "").strip() if trainer else ""
        if line:
            return f"{line} Reply STOP to opt out, START to opt back in."
    return DEFAULT_HELP


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


def unsubscribe_links(learner: Learner, public_base_url: str) -> tuple[str, str]:
    """(page, one-click) URLs for a learner's email footer and List-Unsubscribe header."""
    page = f"{public_base_url.rstrip('/')}/u/{learner.unsubscribe_token}"
    return page, f"{page}/one-click"


def history(learner: Learner) -> list[OptOutEvent]:
    """This learner's opt-outs and opt-ins, newest first."""
    query = (
        select(OptOutEvent)
        .where(OptOutEvent.learner_id == learner.id)
        .order_by(OptOutEvent.created_at.desc(), OptOutEvent.id.desc())
    )
    return list(db.session.scalars(query))


def learner_unsubscribes(learner: Learner, *, source: str, detail: str = "") -> list[Learner]:
    """A learner's own unsubscribe (the footer link, one-click): stop their email; commits."""
    changed = unsubscribe_email(learner, source=source, detail=detail)
    db.session.commit()
    return changed


def learner_resubscribes(learner: Learner, *, source: str) -> bool:
    """A learner asks for email again from the unsubscribe page; commits."""
    changed = resubscribe_email(learner, source=source)
    db.session.commit()
    return changed


def carrier_opt_out(phone: str, *, detail: str) -> list[Learner]:
    """The carrier refused a text because the number opted out (Twilio 21610); commits."""
    changed = opt_out_sms(phone, source="carrier", detail=detail)
    db.session.commit()
    return changed
