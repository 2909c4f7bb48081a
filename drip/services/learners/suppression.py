"""Opt-outs that outlive an erased learner: only a keyed hash of the phone or email is kept."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from drip.database import any_of
from drip.domain import address_hash as hashing
from drip.extensions import db
from drip.models import Learner, OptOutEvent, SuppressedAddress


def address_hash(channel: str, address: str) -> str:
    """The keyed hash of a normalised address (E.164 phone, lower-case email), as stored."""
    return hashing.address_hash(channel, address, hashing.key_from(current_app.config))


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


def _batch(count: int) -> int:
    """Keys a lookup sends at once: all of them as PostgreSQL's one array parameter (a round trip a
    chunk of an import, not four), 500 elsewhere (SQLite's parameter limit)."""
    return max(count, 1) if db.engine.dialect.name == "postgresql" else 500


def stopped_numbers(phones: Iterable[str]) -> set[str]:
    """The numbers whose last word was STOP (not START since), whoever held them: a stranger's STOP counts."""
    latest: dict[str, tuple] = {}
    wanted = sorted(set(phones))
    step = _batch(len(wanted))
    for start in range(0, len(wanted), step):
        rows = db.session.execute(
            select(OptOutEvent.address, OptOutEvent.created_at, OptOutEvent.id, OptOutEvent.action).where(
                OptOutEvent.channel == "sms", any_of(OptOutEvent.address, wanted[start : start + step])
            )
        )
        for address, at, row_id, action in rows:
            if address not in latest or (at, row_id) > latest[address][:2]:
                latest[address] = (at, row_id, action)
    return {address for address, (_, _, action) in latest.items() if action == "opt_out"}


def apply_to(learners: Iterable[Learner], now: datetime) -> None:
    """Opt new learners (or new numbers) out where the number said STOP, for any trainer, before it was theirs,
    or where an erased learner had opted the same phone or email out."""
    learners = [learner for learner in learners if learner.phone or learner.email]
    if not learners:
        return
    stopped = stopped_numbers(learner.phone for learner in learners if learner.phone and not learner.sms_opted_out_at)
    for learner in learners:
        if learner.phone in stopped and learner.sms_opted_out_at is None:
            learner.sms_opted_out_at = now
    key = hashing.key_from(current_app.config)  # once, not once an address
    hashes = {
        (learner, channel): hashing.address_hash(channel, address, key)
        for learner in learners
        for channel, address in (("sms", learner.phone), ("email", learner.email))
        if address
    }
    found: set[str] = set()
    keys = sorted(set(hashes.values()))
    step = _batch(len(keys))
    for start in range(0, len(keys), step):
        found |= set(
            db.session.scalars(
                select(SuppressedAddress.address_hash).where(
                    any_of(SuppressedAddress.address_hash, keys[start : start + step])
                )
            )
        )
    if not found:
        return
    for learner in learners:
        if learner.phone and learner.sms_opted_out_at is None and hashes[learner, "sms"] in found:
            learner.sms_opted_out_at = now
        if learner.email and learner.email_opted_out_at is None and hashes[learner, "email"] in found:
            learner.email_opted_out_at = now
