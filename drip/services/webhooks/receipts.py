"""Claiming stored webhooks for a worker: a short lease per row, so workers share them and a dead one's expire.

Any number of workers claim at once: on PostgreSQL `FOR UPDATE SKIP LOCKED` passes over rows another
worker is claiming; on SQLite `BEGIN IMMEDIATE` makes each claim the only writer. A claimed row that
is never marked applied (its worker was killed) is claimed again once its lease ends: that, and the
workers' poll when no wake-up comes, is the recovery pass; nothing about it lives in Redis.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from drip.database import database_clock, is_sqlite
from drip.extensions import db

LEASE_SECONDS = 10.0  # far longer than applying a batch takes (DRIP_WEBHOOK_LEASE_SECONDS)
MAX_ATTEMPTS = 5  # a row that failed this often is set aside with its error, not retried forever


def _claimable(model, now: datetime):
    return select(model.id).where(
        model.applied_at.is_(None), or_(model.claimed_until.is_(None), model.claimed_until < now)
    )


def claim(model, limit: int, now: datetime | None = None) -> list[int]:
    """Lease up to `limit` unapplied rows of `model` (InboundReceipt, ProviderEvent), oldest first."""
    # Leases on the database's clock, like the sending leases: a worker whose clock runs ahead must
    # not take rows another worker is still applying.
    now = database_clock() if now is None else now
    wanted = _claimable(model, now).order_by(model.id).limit(limit)
    lease = timedelta(seconds=float(current_app.config.get("WEBHOOK_LEASE_SECONDS", LEASE_SECONDS)))
    values = {"claimed_until": now + lease, "attempts": model.attempts + 1}
    with db.engine.connect() as connection:
        if is_sqlite():
            if connection.execute(_claimable(model, now).limit(1)).first() is None:
                connection.rollback()
                return []  # the usual idle poll: no write lock taken
            connection.rollback()
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            statement = update(model).where(model.id.in_(wanted.scalar_subquery()))
        else:
            statement = update(model).where(model.id.in_(wanted.with_for_update(skip_locked=True).scalar_subquery()))
        ids = list(connection.execute(statement.values(**values).returning(model.id)).scalars())
        connection.commit()
    return sorted(ids)


def set_aside(model, row_id: int, error: str, now: datetime) -> None:
    """Record why a row failed; after MAX_ATTEMPTS it counts as applied (it stays, with its error)."""
    row = db.session.get(model, row_id)
    if row is None:
        return
    row.error = error[:2000]
    row.claimed_until = None
    if row.attempts >= MAX_ATTEMPTS:
        row.applied_at = now
    db.session.commit()


def backlog(model) -> int:
    """How many rows of `model` are stored but not yet applied."""
    return db.session.scalar(select(func.count()).select_from(model).where(model.applied_at.is_(None))) or 0
