"""Whose row is it: a trainer reaches only their own sessions, sequences, steps and learners."""

from __future__ import annotations

from typing import TypeVar

from drip.domain import catalog, numbers
from drip.extensions import db
from drip.models import Reply, Step, Trainer

Row = TypeVar("Row")


def owner_id(row) -> int | None:
    """The id of the trainer a row belongs to (a step belongs to its sequence's trainer)."""
    if isinstance(row, Step):
        return row.sequence.trainer_id
    return getattr(row, "trainer_id", None)


def owned(model: type[Row], row_id, trainer: Trainer | int) -> Row | None:
    """The row of `model` with this id if it is the trainer's; None for another trainer's, as for a missing one."""
    trainer_id = trainer if isinstance(trainer, int) else trainer.id
    # An id too large for the column exists nowhere, and asking the database would overflow.
    wanted = numbers.parse_id(row_id)
    if wanted is None:
        return None
    row = db.session.get(model, wanted)
    return row if row is not None and owner_id(row) == trainer_id else None


def owned_reply(trainer: Trainer, reply_id) -> Reply | None:
    """The trainer's learner reply with this id (never their own trainer_reply); None for another trainer's."""
    reply = owned(Reply, reply_id, trainer)
    return reply if reply is not None and reply.kind in catalog.learner_reply_kinds() else None
