"""Whose row is it: a trainer reaches only their own sessions, sequences, steps and learners."""

from __future__ import annotations

from typing import TypeVar

from drip.extensions import db
from drip.models import Step, Trainer
from drip.models.types import MAX_ID

Row = TypeVar("Row")


def owner_id(row) -> int | None:
    """The id of the trainer a row belongs to (a step belongs to its sequence's trainer)."""
    if isinstance(row, Step):
        return row.sequence.trainer_id
    return getattr(row, "trainer_id", None)


def owned(model: type[Row], row_id, trainer: Trainer | int) -> Row | None:
    """The row of `model` with this id if it is the trainer's; None for another trainer's, as for a missing one."""
    trainer_id = trainer if isinstance(trainer, int) else trainer.id
    text = str(row_id) if row_id is not None else ""
    # An id too large for the column exists nowhere, and asking the database would overflow.
    if not text.isdigit() or not 0 < int(text) <= MAX_ID:
        return None
    row = db.session.get(model, int(text))
    return row if row is not None and owner_id(row) == trainer_id else None
