"""Test sends go to the trainer only: their login email, or the phone they saved as their own."""

from __future__ import annotations

from drip.models import Learner, Trainer
from drip.models.learners import new_unsubscribe_token
from drip.services.learners import search, suppression


class NotYours(ValueError):
    """No address of the trainer's own for this channel, or that address said STOP."""


def own_recipient(trainer: Trainer, channel: str) -> Learner:
    """The trainer as the recipient of their own test (a learner never stored); NotYours when there is none.

    A learner of theirs with the same address stands in, so that learner's opt-outs count; a number
    that texted STOP, whoever it belonged to, gets no test either.
    """
    address = trainer.email if channel == "email" else trainer.phone
    if not address:
        raise NotYours("add your own phone on your account page first: test texts go only there")
    if channel == "sms" and (suppression.stopped_numbers([address]) or suppression.is_suppressed("sms", address)):
        raise NotYours(f"{address} replied STOP; a START from it lets texts through again")
    known = search.with_address(trainer, "phone" if channel == "sms" else "email", address)
    return known or Learner(
        trainer_id=trainer.id,
        name=trainer.name or trainer.email,
        phone=address if channel == "sms" else None,
        email=address if channel == "email" else None,
        unsubscribe_token=new_unsubscribe_token(),
    )
