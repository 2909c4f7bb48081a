"""The dispatcher: claim due deliveries in batches, and hand each batch to one send job."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from drip.database import database_clock, is_sqlite
from drip.extensions import db
from drip.models import Delivery
from drip.queues import send_queue
from drip.services.delivery import transitions
from drip.services.delivery.timing import job_timeout, lookahead

__all__ = ["claim_due", "dispatch_due", "enqueue_batch", "lookahead", "new_job_id"]

log = logging.getLogger(__name__)
# Batches waiting in Redis beyond this are not topped up: what is due stays `scheduled` in the
# database (the source of truth) until a worker can take it, so Redis holds only work in flight.
MAX_WAITING_JOBS = 8
JOB_RESULT_TTL = 0  # a finished job is deleted at once; recovery reads "no job" as "not running"
JOB_FAILURE_TTL = 24 * 3600
# The job by name: RQ imports it in the worker, and the send path never imports the job layer above it.
SEND_JOB = "drip.jobs.send_batch"


def new_job_id() -> str:
    """The id of the send job that will own a claimed batch (stored on each delivery)."""
    return "drip-send-" + uuid.uuid4().hex


def _claim_postgresql(now: datetime, limit: int, job_id: str, due_by) -> list[int]:
    # One statement: SKIP LOCKED passes over rows another dispatcher is claiming right now instead of
    # waiting for them; FOR UPDATE re-checks status='scheduled' on the newest row version once locked,
    # and the UPDATE's own guard once more. (Reading the ids first and sending them back as a list of
    # 200 parameters was most of a dispatcher tick's CPU.)
    due = (
        select(Delivery.id)
        .where(Delivery.status == "scheduled", Delivery.due_at <= due_by)
        .order_by(Delivery.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with db.engine.begin() as connection:
        ids = connection.execute(transitions.queue(due, job_id=job_id, now=now).returning(Delivery.id)).scalars()
        return sorted(ids)


def _claim_sqlite(now: datetime, limit: int, job_id: str, due_by) -> list[int]:
    # SQLite has one writer at a time. BEGIN IMMEDIATE takes the write lock before anything is read,
    # so the subquery sees every committed claim and no other claim can run until we commit; the
    # outer status='scheduled' re-checks each row in the same statement. Two claims therefore
    # cannot both move a row out of `scheduled`, whichever processes or threads run them.
    due = (
        select(Delivery.id)
        .where(Delivery.status == "scheduled", Delivery.due_at <= due_by)
        .order_by(Delivery.due_at)
        .limit(limit)
        .scalar_subquery()
    )
    with db.engine.connect() as connection:
        # Most ticks find nothing due: look first without taking the write lock the web process needs.
        anything_due = select(Delivery.id).where(Delivery.status == "scheduled", Delivery.due_at <= due_by).limit(1)
        found = connection.execute(anything_due).first()
        connection.rollback()  # end the read before BEGIN IMMEDIATE
        if found is None:
            return []
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            ids = list(
                connection.execute(transitions.queue(due, job_id=job_id, now=now).returning(Delivery.id)).scalars()
            )
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
    return sorted(ids)


def claim_due(
    now: datetime | None = None, limit: int | None = None, *, job_id: str | None = None, ahead: float = 0.0
) -> list[int]:
    """Move up to `limit` deliveries due by now (+ `ahead` seconds) from scheduled to queued for one job."""
    now = now if now is not None else database_clock()  # due by the database's clock, not this machine's
    limit = limit or current_app.config["DISPATCH_BATCH_SIZE"]
    job_id = job_id or new_job_id()
    claim = _claim_sqlite if is_sqlite() else _claim_postgresql
    return claim(now, limit, job_id, now + timedelta(seconds=ahead) if ahead else now)


def enqueue_batch(delivery_ids: list[int], job_id: str) -> None:
    """Put one send job on the queue for a claimed batch."""
    send_queue().enqueue(
        SEND_JOB,
        delivery_ids,
        job_id,
        job_id=job_id,
        result_ttl=JOB_RESULT_TTL,
        failure_ttl=JOB_FAILURE_TTL,
        job_timeout=job_timeout(len(delivery_ids)),
        description=f"send {len(delivery_ids)} deliveries",
    )


def dispatch_due(now: datetime | None = None, *, max_batches: int | None = None) -> int:
    """Claim what is due, batch by batch, and enqueue a job per batch; returns deliveries handed over."""
    batch_size = current_app.config["DISPATCH_BATCH_SIZE"]
    queue = send_queue()
    handed = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        if queue.count >= MAX_WAITING_JOBS:
            break  # workers are busy: leave the rest scheduled, the next tick tops the queue up
        job_id = new_job_id()
        ids = claim_due(now, batch_size, job_id=job_id, ahead=0.0 if now is not None else lookahead())
        if not ids:
            break
        # If Redis refuses the job, the batch stays `queued` with a job that does not exist;
        # recovery notices and puts it back to `scheduled`. Nothing is lost, nothing is sent twice.
        enqueue_batch(ids, job_id)
        handed += len(ids)
        batches += 1
        if len(ids) < batch_size:
            break
    return handed
