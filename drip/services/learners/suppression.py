"""Opt-outs that outlive an erased learner: only a hash of the phone or email is kept."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from drip.extensions import db
from drip.models import Learner, SuppressedAddress


def address_hash(channel: str, address: str) -> str:
    """SHA-256 of a normalised address (E.164 phone, lower-case email)."""
    value = address.strip().lower() if channel == "email" else address.strip()
    return hashlib.sha256(f"{channel}:{value}".encode()).hexdigest()


def suppress(channel: str, address: str, now: datetime) -> None:
    """Keep this address's opt-out as a hash (once); flushes with the caller's transaction."""
    digest = address_hash(channel, address)
    exists = db.session.scalar(
        select(SuppressedAddress.id).where(
            SuppressedAddress.channel == channel, SuppressedAddress.address_hash == digest
        )
    )
    if exists is None:
        db.session.add(SuppressedAddress(channel=channel, address_hash=digest, created_at=now))


def is_suppressed(channel: str, address: str | None) -> bool:
    """Whether an erased learner opted this address out."""
    if not address:
        return False
    return (
        db.session.scalar(
            select(SuppressedAddress.id).where(
                SuppressedAddress.channel == channel, SuppressedAddress.address_hash == address_hash(channel, address)
            )
        )
        is not None
    )


def apply_to(learners: Iterable[Learner], now: datetime) -> None:
    """Opt new learners out where an erased learner had opted the same phone or email out."""
    learners = [learner for learner in learners if learner.phone or learner.email]
    if not learners:
        return
    wanted = {address_hash("sms", learner.phone) for learner in learners if learner.phone}
    wanted |= {address_hash("email", learner.email) for learner in learners if learner.email}
    found: set[str] = set()
    keys = sorted(wanted)
    for start in range(0, len(keys), 500):
        found |= set(
            db.session.scalars(
                select(SuppressedAddress.address_hash).where(
                    SuppressedAddress.address_hash.in_(keys[start : start + 500])
                )
            )
        )
    if not found:
        return
    for learner in learners:
        if learner.phone and learner.sms_opted_out_at is None and address_hash("sms", learner.phone) in found:
            learner.sms_opted_out_at = now
        if learner.email and learner.email_opted_out_at is None and address_hash("email", learner.email) in found:
            learner.email_opted_out_at = now
