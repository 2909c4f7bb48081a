"""Opt-out and opt-in: SMS STOP/START by phone number, email unsubscribe, HELP answers.

Every change is recorded as an OptOutEvent so a trainer can see why a learner gets nothing.
All functions are idempotent: a repeat changes nothing and records nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from drip.domain import catalog
from drip.domain.words import mark, say
from drip.extensions import db
from drip.models import Learner, OptOutEvent, Trainer, utcnow
from drip.services.delivery import transitions

# The read side (who is blocked, and why) lives with the send path, which reads it at every send.
from drip.services.delivery.opt_outs import SOURCE_LABELS, blocked_reason, email_blocked, sms_blocked  # noqa: F401

DEFAULT_HELP = mark(
    "Drip training messages. Reply STOP to stop texts, START to get them again. Msg & data rates may apply."
)
# Twilio confirms its own (English) opt-out words; Drip confirms the other languages' in theirs.
OPTED_OUT_CONFIRMATION = mark("You will get no more texts from this number. Reply START to get them again.")
OPTED_OUT = catalog.OPTED_OUT.code  # the error_code of a delivery skipped because of an opt-out


def _learners_with_phone(phone: str, trainer_id: int | None = None) -> list[Learner]:
    query = select(Learner).where(Learner.phone == phone.strip())
    if trainer_id is not None:
        query = query.where(Learner.trainer_id == trainer_id)
    return list(db.session.scalars(query.order_by(Learner.id)))


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


def opt_out_sms(
    phone: str, *, source: str, detail: str = "", now: datetime | None = None, trainer_id: int | None = None
) -> list[Learner]:
    """Stop all SMS to this phone number, for every learner of every trainer; returns those newly opted out.

    `trainer_id` (the phone simulator's text) limits it to that trainer's learners, and leaves no trace for later ones.
    """
    # Carriers opt a number out of our sending number, not out of one trainer's list.
    now = now or utcnow()
    phone = phone.strip()
    changed = [learner for learner in _learners_with_phone(phone, trainer_id) if learner.sms_opted_out_at is None]
    for learner in changed:
        learner.sms_opted_out_at = now
        _record(learner, "sms", phone, "opt_out", source, detail, now)
    if trainer_id is None and not _learners_with_phone(phone) and _last_action("sms", phone) != "opt_out":
        # An unknown number said STOP: keep the trace even though no learner has it yet.
        _record(None, "sms", phone, "opt_out", source, detail, now)
    reason = f"Opted out of SMS ({SOURCE_LABELS.get(source, source)})"
    _skip_queued([learner.id for learner in changed], "sms", reason, now)
    db.session.flush()
    return changed


def opt_in_sms(
    phone: str, *, source: str, detail: str = "", now: datetime | None = None, trainer_id: int | None = None
) -> list[Learner]:
    """Allow SMS to this phone number again (START); returns the learners newly opted back in (`trainer_id`: as above)."""
    now = now or utcnow()
    phone = phone.strip()
    changed = [learner for learner in _learners_with_phone(phone, trainer_id) if learner.sms_opted_out_at is not None]
    for learner in changed:
        learner.sms_opted_out_at = None
        _record(learner, "sms", phone, "opt_in", source, detail, now)
    if trainer_id is None and not _learners_with_phone(phone) and _last_action("sms", phone) == "opt_out":
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


def help_text(learner: Learner | None, language: str = "en") -> str:
    """The answer to HELP/INFO in the learner's language: the trainer's contact line (as they wrote it) in
    Drip's frame, or a default naming STOP and START."""
    if learner is not None:
        trainer = db.session.get(Trainer, learner.trainer_id)
        line = (trainer.contact_line or "").strip() if trainer else ""
        if line:
            return say(language, "%(line)s Reply STOP to opt out, START to opt back in.", line=line)
    return say(language, DEFAULT_HELP)


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


def provider_opt_out(
    channel: str, address: str, *, source: str, detail: str = "", now: datetime | None = None
) -> list[Learner]:
    """An opt-out a provider reported to the send path (delivery/opt_outs passes it on): a carrier's (Twilio
    21610) for a phone number, SendGrid's suppression for an email address; no commit."""
    if channel == "sms":
        return opt_out_sms(address, source=source, detail=detail, now=now)
    return unsubscribe_email(address, source=source, detail=detail, now=now)
