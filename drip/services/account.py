"""The signed-in trainer's own account: checking a password change (services.accounts makes it), the time zone."""

from __future__ import annotations

from werkzeug.security import check_password_hash

from drip.domain.learners import known_timezone
from drip.extensions import db
from drip.models import Trainer
from drip.services import accounts


class AccountInvalid(ValueError):
    """A change refused, with one message per field; nothing was stored."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(self.errors.values()))


def check_password_change(trainer: Trainer, current: str, new: str, repeat: str) -> None:
    """AccountInvalid, one message per field, unless the current password matches and the new one, typed
    twice the same, is allowed (services.accounts' rules); stores nothing."""
    errors: dict[str, str] = {}
    if not check_password_hash(trainer.password_hash, current or ""):
        errors["current"] = "That is not your current password."
    if new and new == current:
        errors["new"] = "Choose a password different from the current one."
    elif new != repeat:
        errors["repeat"] = "The two new passwords differ."
    else:
        try:
            accounts.check_password(new or "", email=trainer.email, name=trainer.name)
        except accounts.AccountError as refused:
            errors["new"] = str(refused)
    if errors:
        raise AccountInvalid(errors)


def set_timezone(trainer: Trainer, name: str) -> str:
    """Show the admin in this IANA zone (any case); AccountInvalid for an unknown one; commits."""
    zone = known_timezone(name or "")
    if zone is None:
        raise AccountInvalid({"timezone": f"“{name}” is not a known time zone (use a name like Europe/Paris)."})
    trainer.timezone = zone
    db.session.commit()
    return zone
