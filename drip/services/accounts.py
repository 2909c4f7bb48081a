"""Trainer accounts: creation, password login with lockout, API tokens."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from drip.extensions import db
from drip.models import ApiToken, Trainer, utcnow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
TOKEN_PREFIX = "drip_"
# Checked against when the email is unknown, so both paths cost one hash.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A trainer-facing problem with an account request."""


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt came to."""

    trainer: Trainer | None
    locked_until: datetime | None = None


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding space."""
    return email.strip().lower()


def create_trainer(email: str, password: str, name: str = "") -> Trainer:
    """Create a trainer with a hashed password; the email must be new."""
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError("Enter a valid email address.")
    if len(password) < 8:
        raise AccountError("Use a password of at least 8 characters.")
    if db.session.scalar(select(Trainer).where(func.lower(Trainer.email) == email)):
        raise AccountError(f"A trainer with the email {email} already exists.")
    trainer = Trainer(email=email, name=name or email.split("@")[0], password_hash=generate_password_hash(password))
    db.session.add(trainer)
    db.session.commit()
    return trainer


def authenticate(email: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check a password; after repeated failures the account is locked for a while."""
    now = now or utcnow()
    trainer = db.session.scalar(select(Trainer).where(Trainer.email == normalise_email(email)))
    if trainer is None:
        check_password_hash(_DUMMY_HASH, password)
        return LoginResult(None)
    if trainer.locked_until and trainer.locked_until > now:
        return LoginResult(None, trainer.locked_until)
    if not check_password_hash(trainer.password_hash, password):
        trainer.failed_logins += 1
        if trainer.failed_logins >= MAX_FAILED_LOGINS:
            trainer.locked_until = now + LOCKOUT
            trainer.failed_logins = 0
        db.session.commit()
        return LoginResult(None, trainer.locked_until if trainer.locked_until and trainer.locked_until > now else None)
    trainer.failed_logins = 0
    trainer.locked_until = None
    db.session.commit()
    return LoginResult(trainer)


def find_trainer(email: str) -> Trainer | None:
    """The trainer with this email, if any."""
    return db.session.scalar(select(Trainer).where(Trainer.email == normalise_email(email)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(trainer: Trainer, name: str = "") -> str:
    """Create an API token for a trainer and return it; only its digest is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(trainer_id=trainer.id, name=name, token_hash=_digest(token), prefix=token[:12]))
    db.session.commit()
    return token


def trainer_for_token(token: str, now: datetime | None = None) -> Trainer | None:
    """The trainer a live token belongs to; records when it was last used."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    now = now or utcnow()
    # Writing on every request would make each API call a write; once a minute is enough.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        db.session.commit()
    return row.trainer


def revoke_token(trainer: Trainer, token_id: int) -> bool:
    """Revoke one of the trainer's tokens; False when it is not theirs."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.trainer_id != trainer.id:
        return False
    row.revoked_at = row.revoked_at or utcnow()
    db.session.commit()
    return True


def set_contact_line(trainer: Trainer, line: str) -> None:
    """Save how learners reach the trainer (the answer to HELP); commits."""
    trainer.contact_line = line
    db.session.commit()


def trainer_by_id(trainer_id: int) -> Trainer | None:
    """The trainer with this id, or None."""
    return db.session.get(Trainer, trainer_id)
