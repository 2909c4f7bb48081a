"""Recovery, run by every worker: what a dead worker or a lost Redis left half done.

- `sending` longer than the lease: the provider may have the message, so it becomes `unknown`
  and is never resent automatically.
- `queued` whose job is gone (Redis flushed or restarted, the job failed, the worker running it
  or holding its batch (in_flight) died before sending): back to `scheduled`, and the dispatcher claims it again. A delivery only
  ever leaves `queued` through one conditional UPDATE, so a late original job cannot send it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from rq.job import Job
from rq.queue import Queue
from sqlalchemy import and_, or_, select

from drip.database import database_now
from drip.domain import catalog
from drip.extensions import db, redis_store
from drip.models import Delivery
from drip.services.delivery import transitions
from drip.services.delivery.in_flight import holder_key

ALIVE_PREFIX = "drip:worker-alive:"
ALIVE_TTL_SECONDS = 5  # a worker refreshes its key every second; five missed beats and it is dead
# A job is enqueued just after its batch is claimed: give it this long to appear in Redis.
QUEUED_GRACE = timedelta(seconds=5)
LEASE_EXPIRED, LEASE_REASON = catalog.LEASE_EXPIRED.code, catalog.LEASE_EXPIRED.text
_WAITING = {"created", "queued", "deferred", "scheduled", "rate_limited"}


@dataclass(frozen=True)
class Recovered:
    """What one recovery pass changed."""

    unknown: int
    rescheduled: int


def mark_alive(worker_name: str, ttl: int = ALIVE_TTL_SECONDS) -> None:
    """Say this worker process is alive (refresh well within ttl)."""
    redis_store.connection.set(ALIVE_PREFIX + worker_name, "1", ex=ttl)


def mark_dead(worker_name: str) -> None:
    """Say this worker stopped (a clean shutdown): its started jobs are no longer running."""
    redis_store.connection.delete(ALIVE_PREFIX + worker_name)


def _job_running(status: bytes | None, worker: bytes | None, alive: bool, listed: bool) -> bool:
    state = (status or b"").decode()
    if state == "queued":
        # Only while still in its queue: a worker killed between taking a job from the queue and
        # marking it started leaves it `queued` in name only, and nobody will ever run it.
        return listed
    if state in _WAITING:
        return True
    return state == "started" and worker is not None and alive


def _alive_key(worker: bytes | None) -> str:
    return ALIVE_PREFIX + worker.decode() if worker else ALIVE_PREFIX


def _dead_jobs(job_ids: list[str]) -> list[str]:
    """The job ids among these that will never run (missing, finished, failed, or their worker died).

    A job whose batch a worker goes on sending after the job returned (in_flight) runs while that
    worker is alive."""
    redis = redis_store.connection
    with redis.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hmget(Job.key_for(job_id), "status", "worker_name", "origin")
            pipe.get(holder_key(job_id))
        replies = pipe.execute()
    jobs = [(*job, holder) for job, holder in zip(replies[::2], replies[1::2])]
    with redis.pipeline(transaction=False) as pipe:
        for job_id, (_, worker, origin, holder) in zip(job_ids, jobs):
            pipe.exists(_alive_key(worker))
            pipe.exists(_alive_key(holder))
            pipe.lpos(Queue.redis_queue_namespace_prefix + (origin or b"").decode(), job_id)
        checks = pipe.execute()
    return [
        job_id
        for job_id, (status, worker, _, holder), up, holder_up, position in zip(
            job_ids, jobs, checks[::3], checks[1::3], checks[2::3]
        )
        if not (_job_running(status, worker, bool(up), position is not None) or (holder is not None and holder_up))
    ]


def expire_sending(now: datetime, lease_seconds: float) -> int:
    """Deliveries `sending` for longer than the lease become `unknown`."""
    expired = and_(Delivery.status == "sending", Delivery.sending_at < now - timedelta(seconds=lease_seconds))
    if db.session.scalar(select(Delivery.id).where(expired).limit(1)) is None:
        return 0  # the usual case: no write, so no write lock taken on SQLite
    return transitions.expire_lease(expired, code=LEASE_EXPIRED, reason=LEASE_REASON, now=now)


def reschedule_orphans(now: datetime) -> int:
    """Deliveries `queued` for a job that will never run go back to `scheduled`."""
    old = Delivery.queued_at < now - QUEUED_GRACE
    job_ids = [
        j for j in db.session.scalars(select(Delivery.job_id).where(Delivery.status == "queued", old).distinct()) if j
    ]
    dead = _dead_jobs(job_ids) if job_ids else []
    if not dead and not db.session.scalar(
        select(Delivery.id).where(Delivery.status == "queued", old, Delivery.job_id.is_(None)).limit(1)
    ):
        return 0
    return transitions.requeue(old, or_(Delivery.job_id.in_(dead), Delivery.job_id.is_(None)), now=now)


def recover(now: datetime | None = None, *, lease_seconds: float | None = None) -> Recovered:
    """One recovery pass; safe to run from any number of workers at once."""
    now = now or database_now()  # leases and grace measured on the clock that stamped them
    lease = current_app.config["SENDING_LEASE_SECONDS"] if lease_seconds is None else lease_seconds
    unknown = expire_sending(now, lease)
    db.session.commit()
    rescheduled = reschedule_orphans(now)
    db.session.commit()
    return Recovered(unknown=unknown, rescheduled=rescheduled)
