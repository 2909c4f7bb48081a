"""The signed-in trainer's own account: their password and the time zone the admin shows."""
from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

from drip.domain.learners import known_timezone
from drip.extensions import db
from drip.models import Trainer

MIN_PASSWORD = 8  # the same floor as a new account


class AccountInvalid(ValueError):
    """A change refused, with one message per field; nothing was stored."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(self.errors.values()))


def change_password(trainer: Trainer, current: str, new: str, repeat: str) -> None:
    """Replace the trainer's password after checking the current one; AccountInvalid otherwise; commits."""
    errors: dict[str, str] = {}
    if not check_password_hash(trainer.password_hash, current or ""):
        errors["current"] = "That is not your current password."
    if len(new or "") < MIN_PASSWORD:
        errors["new"] = f"Use at least {MIN_PASSWORD} characters."
    elif new == current:
        errors["new"] = "Choose a password different from the current one."
    elif new != repeat:
        errors["repeat"] = "The two new passwords differ."
    if errors:
        raise AccountInvalid(errors)
    trainer.password_hash = generate_password_hash(new)
    db.session.commit()


def set_timezone(trainer: Trainer, name: str) -> str:
    """Show the admin in this IANA zone (any case); AccountInvalid for an unknown one; commits."""
    zone = known_timezone(name or "")
    if zone is None:
        raise AccountInvalid({"timezone": f"“{name}” is not a known time zone (use a name like Europe/Paris)."})
    trainer.timezone = zone
    db.session.commit()
    return zone
