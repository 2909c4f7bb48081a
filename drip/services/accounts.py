"""Trainer accounts: creation, password login with throttling, sessions that end, API tokens, own settings."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from drip.domain import passwords
from drip.domain.learners import known_timezone, normalise_phone
from drip.extensions import db
from drip.models import ApiToken, Trainer, utcnow
from drip.services import login_throttle

TOKEN_PREFIX = "drip_"
# Checked against when the email is unknown, so both paths cost one hash.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A trainer-facing problem with an account request."""


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt came to: the trainer, or a refusal (with seconds to wait when throttled)."""

    trainer: Trainer | None
    retry_after: int = 0


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding space."""
    return email.strip().lower()


def check_password(password: str, *, email: str = "", name: str = "") -> None:
    """Raise AccountError saying why a new password is refused (too short, too easy to guess)."""
    reasons = passwords.problems(password, email=email, name=name)
    if reasons:
        raise AccountError(reasons[0])


def create_trainer(email: str, password: str, name: str = "", *, operator: bool = False) -> Trainer:
    """Create a trainer (an operator sees deployment secrets) with a hashed password; the email must be new."""
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError("Enter a valid email address.")
    if db.session.scalar(select(Trainer).where(func.lower(Trainer.email) == email)):
        raise AccountError(f"A trainer with the email {email} already exists.")
    check_password(password, email=email, name=name)
    trainer = Trainer(
        email=email,
        name=name or email.split("@")[0],
        password_hash=generate_password_hash(password),
        is_operator=operator,
    )
    db.session.add(trainer)
    db.session.commit()
    return trainer


def authenticate(email: str, password: str, address: str = "") -> LoginResult:
    """Check a password, throttled per email and client address; unknown emails get the same answers."""
    email = normalise_email(email)
    wait = login_throttle.take_attempt(email, address)
    if wait:
        return LoginResult(None, wait)
    trainer = db.session.scalar(select(Trainer).where(Trainer.email == email))
    if trainer is None:
        check_password_hash(_DUMMY_HASH, password)
        return LoginResult(None)
    if not check_password_hash(trainer.password_hash, password):
        return LoginResult(None)
    login_throttle.forget_failures(email, address)
    return LoginResult(trainer)


def session_matches(trainer: Trainer | None, version: str) -> bool:
    """True when a login cookie's session version is the trainer's current one."""
    return trainer is not None and version == str(trainer.session_version)


def end_sessions(trainer: Trainer) -> None:
    """End every signed-in session of the trainer (sign out, password change): old cookies stop working."""
    # One UPDATE, so two requests ending sessions at once both count.
    db.session.execute(
        update(Trainer).where(Trainer.id == trainer.id).values(session_version=Trainer.session_version + 1)
    )
    db.session.commit()
    db.session.refresh(trainer)


def change_password(trainer: Trainer, current: str, new: str) -> None:
    """Replace the trainer's password (the current one must match) and end every session of theirs.

    The caller signs the trainer in again afterwards if the current browser should stay signed in.
    """
    if not check_password_hash(trainer.password_hash, current):
        raise AccountError("Your current password is not right.")
    check_password(new, email=trainer.email, name=trainer.name)
    trainer.password_hash = generate_password_hash(new)
    db.session.flush()
    end_sessions(trainer)


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


class AccountInvalid(ValueError):
    """A change refused, with one message per field; nothing was stored."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(self.errors.values()))


def check_password_change(trainer: Trainer, current: str, new: str, repeat: str) -> None:
    """AccountInvalid, one message per field, unless the current password matches and the new one, typed
    twice the same, is allowed (check_password); stores nothing."""
    errors: dict[str, str] = {}
    if not check_password_hash(trainer.password_hash, current or ""):
        errors["current"] = "That is not your current password."
    if new and new == current:
        errors["new"] = "Choose a password different from the current one."
    elif new != repeat:
        errors["repeat"] = "The two new passwords differ."
    else:
        try:
            check_password(new or "", email=trainer.email, name=trainer.name)
        except AccountError as refused:
            errors["new"] = str(refused)
    if errors:
        raise AccountInvalid(errors)


def set_phone(trainer: Trainer, raw: str, region: str) -> str | None:
    """Keep the trainer's own phone (test texts go only there), normalised; "" clears it; AccountInvalid; commits."""
    phone = None
    if (raw or "").strip():
        try:
            phone = normalise_phone(raw.strip()[:40], region)
        except ValueError as error:
            raise AccountInvalid({"phone": str(error)}) from error
    trainer.phone = phone
    db.session.commit()
    return phone


def set_timezone(trainer: Trainer, name: str) -> str:
    """Show the admin in this IANA zone (any case); AccountInvalid for an unknown one; commits."""
    zone = known_timezone(name or "")
    if zone is None:
        raise AccountInvalid({"timezone": f"“{name}” is not a known time zone (use a name like Europe/Paris)."})
    trainer.timezone = zone
    db.session.commit()
    return zone
