"""Where the outbox channel writes: one OutboxMessage row per message, in its own short transaction."""

from __future__ import annotations

from sqlalchemy import insert, select

from drip.extensions import db
from drip.models import Delivery, Learner, OutboxMessage


def record(row: dict) -> None:
    """Store one outbox message; without a trainer, the one whose learner the delivery is for."""
    if row["trainer_id"] is None and row["delivery_id"] is not None:
        row = {
            **row,
            "trainer_id": select(Learner.trainer_id)
            .join(Delivery, Delivery.learner_id == Learner.id)
            .where(Delivery.id == row["delivery_id"])
            .scalar_subquery(),
        }
    # Its own transaction: the caller's session may hold other work that must not commit with it.
    with db.engine.begin() as connection:
        connection.execute(insert(OutboxMessage).values(**row))
