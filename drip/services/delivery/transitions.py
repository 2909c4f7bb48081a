"""The only code that writes a delivery's status: one function per transition of the life cycle.

scheduled → queued → sending → sent → delivered, or failed, undelivered, skipped, unknown (DESIGN.md).
Each transition names the statuses it moves from, and its UPDATE matches only rows still in one of
them: a move the life cycle forbids cannot be written, and a writer that lost a race finds nothing to
move. tests/integration/test_transitions.py fails when any other module writes a status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Update, and_, bindparam, case, func, update

from drip.domain import catalog
from drip.extensions import db
from drip.models import Delivery, UTCDateTime, utcnow
from drip.services.delivery import lifecycle

_t = Delivery.__table__


def create(
    *, cancelled: bool, late: bool, late_code: str, late_reason: str, cancelled_code: str, cancelled_reason: str
) -> dict[str, Any]:
    """The status columns of a new delivery: scheduled, or skipped when its session is cancelled or it is late."""
    if cancelled:
        return {
            "status": lifecycle.CREATE.check("skipped"),
            "error_code": cancelled_code,
            "error_message": cancelled_reason,
        }
    if late:
        return {"status": lifecycle.CREATE.check("skipped"), "error_code": late_code, "error_message": late_reason}
    return {"status": lifecycle.CREATE.check("scheduled"), "error_code": None, "error_message": None}


def queue(ids, *, job_id: str, now) -> Update:
    """scheduled → queued for one send job: the dispatcher's claim of these ids (a list or a subquery)."""
    return (
        update(Delivery)
        .where(Delivery.id.in_(ids), lifecycle.QUEUE.guard())
        .values(status="queued", queued_at=now, job_id=job_id, updated_at=now)
    )


def start_sending(*returning, clock=None, ids=None) -> Update:
    """queued → sending for one job (parameters ids, job, now), returning the id and `returning` columns."""
    # `clock` (the database's now()) stamps sending_at instead of the `now` parameter: leases compare it.
    when = bindparam("now", type_=UTCDateTime()) if clock is None else clock
    return (
        update(_t)
        .where(
            _t.c.id.in_(bindparam("ids", expanding=True)) if ids is None else ids,  # or the caller's test
            lifecycle.START_SENDING.guard(),
            _t.c.job_id == bindparam("job"),
        )
        .values(status="sending", sending_at=when, attempts=_t.c.attempts + 1, updated_at=when)
        .returning(_t.c.id, *returning)
    )


def finish_sending() -> Update:
    """sending (or unknown) → the send's outcome, for an executemany of outcome() rows."""
    # A status callback that got there first has moved the delivery on and keeps it; learning the
    # provider's id and the send time is still worth it then, hence the COALESCEs.
    still_open = lifecycle.FINISH_SENDING.guard()
    wanted = bindparam("o_status")
    again = and_(wanted == "scheduled", _t.c.attempts >= lifecycle.MAX_CLAIMS)  # tried enough: it fails
    return (
        update(_t)
        .where(_t.c.id == bindparam("d_id"))
        .values(
            status=case((still_open, case((again, "failed"), else_=wanted)), else_=_t.c.status),
            error_code=case((still_open, bindparam("o_code")), else_=_t.c.error_code),
            error_message=case((still_open, bindparam("o_reason")), else_=_t.c.error_message),
            sent_at=func.coalesce(_t.c.sent_at, bindparam("o_sent_at", type_=UTCDateTime())),
            delivered_at=case((still_open, bindparam("o_delivered_at", type_=UTCDateTime())), else_=_t.c.delivered_at),
            provider_message_id=func.coalesce(_t.c.provider_message_id, bindparam("o_message_id")),
            updated_at=bindparam("o_now", type_=UTCDateTime()),
        )
    )


def outcome(
    delivery_id: int,
    status: str,
    *,
    code: str | None = None,
    reason: str | None = None,
    provider_message_id: str | None = None,
    now: datetime | None = None,
) -> dict:
    """One send's outcome, as finish_sending()'s parameters (`delivered`: the outbox, which is the learner's phone)."""
    now = now or utcnow()
    return {
        "d_id": delivery_id,
        "o_status": lifecycle.FINISH_SENDING.check(status),
        "o_code": code,
        "o_reason": reason,
        "o_sent_at": now if status in ("sent", "delivered") else None,
        "o_delivered_at": now if status == "delivered" else None,
        "o_message_id": provider_message_id,
        "o_now": now,
    }


def expire_lease(*where, code: str, reason: str, now: datetime) -> int:
    """sending → unknown for the rows matching `where` (sending longer than the lease); returns how many."""
    return _run(
        update(Delivery)
        .where(lifecycle.EXPIRE_LEASE.guard(), *where)
        .values(status="unknown", error_code=code, error_message=reason, updated_at=now)
    )


def requeue(*where, now: datetime) -> int:
    """queued → scheduled for the rows matching `where` (their job will never run); returns how many."""
    return _run(
        update(Delivery)
        .where(lifecycle.REQUEUE.guard(), *where)
        .values(status="scheduled", job_id=None, queued_at=None, updated_at=now)
    )


def skip_opted_out(learner_ids: list[int], channel: str, *, code: str, reason: str, now: datetime) -> int:
    """queued → skipped for these learners' deliveries on a channel they left; returns how many."""
    return _run(
        update(Delivery)
        .where(lifecycle.SKIP_OPTED_OUT.guard(), Delivery.learner_id.in_(learner_ids), Delivery.channel == channel)
        .values(status="skipped", error_code=code, error_message=reason, updated_at=now)
    )


def cancel(session_id: int, *, code: str, reason: str, now: datetime) -> int:
    """scheduled or queued → skipped for every delivery of a cancelled session; returns how many."""
    return _run(
        update(Delivery)
        .where(lifecycle.CANCEL.guard(), Delivery.session_id == session_id)
        .values(status="skipped", error_code=code, error_message=reason, job_id=None, updated_at=now)
    )


def skip_answered(*where, code: str, reason: str, now: datetime) -> int:
    """scheduled or queued → skipped for the re-asks or follow-ups matching `where`, which an answer ended."""
    return _run(
        update(Delivery)
        .where(lifecycle.SKIP_ANSWERED.guard(), *where)
        .values(status="skipped", error_code=code, error_message=reason, job_id=None, updated_at=now)
    )


def withdraw(*where, reason: catalog.Reason, now: datetime) -> int:
    """scheduled or queued → skipped for the rows matching `where`, with the catalog's `reason`."""
    return _run(
        update(Delivery)
        .where(lifecycle.WITHDRAW.guard(), *where)
        .values(status="skipped", error_code=reason.code, error_message=reason.text, job_id=None, updated_at=now)
    )


def restore(*where, reason: catalog.Reason, now: datetime) -> int:
    """skipped (for `reason`) → scheduled for the rows matching `where` that are not yet due; returns how many."""
    return _run(
        update(Delivery)
        .where(lifecycle.RESTORE.guard(), Delivery.error_code == reason.code, Delivery.due_at > now, *where)
        .values(status="scheduled", error_code=None, error_message=None, updated_at=now)
    )


def reschedule_change(
    row, status: str, due_at: datetime, channel: str, code: str | None, reason: str | None, now: datetime
) -> dict:
    """One pending delivery's new status, due time and channel, as reschedule()'s parameters."""
    if row.status not in lifecycle.RESCHEDULE.sources:
        raise ValueError(f"reschedule cannot move a {row.status!r} delivery")
    return {
        "d_id": row.id,
        "old_status": row.status,
        "new_status": lifecycle.RESCHEDULE.check(status),
        "new_due": due_at,
        "new_channel": channel,
        "new_code": code,
        "new_reason": reason,
        "now": now,
    }


_RESCHEDULE = (
    update(_t)
    .where(_t.c.id == bindparam("d_id"), _t.c.status == bindparam("old_status"))
    .values(
        status=bindparam("new_status"),
        due_at=bindparam("new_due"),
        channel=bindparam("new_channel"),
        error_code=bindparam("new_code"),
        error_message=bindparam("new_reason"),
        job_id=None,
        queued_at=None,
        updated_at=bindparam("now"),
    )
)


def reschedule(changes: list[dict]) -> None:
    """Apply reschedule_change() rows; a row whose status changed since it was read is left alone."""
    if changes:
        db.session.execute(_RESCHEDULE, changes)


def report(
    delivery_id: int,
    status: str,
    *,
    now: datetime | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
    provider_message_id: str | None = None,
) -> bool:
    """A provider's report: move up to `status` unless already there or beyond; True when it moved."""
    values: dict = {}
    if error_code is not None or error_message is not None:
        values.update(error_code=error_code, error_message=error_message)
    if provider_message_id:
        values["provider_message_id"] = func.coalesce(Delivery.provider_message_id, provider_message_id)
    return bool(_report([delivery_id], status, now or utcnow(), values))


def report_many(delivery_ids: list[int], status: str, *, now: datetime | None = None) -> int:
    """The same report for many deliveries in one UPDATE (a worker's coalesced batch); how many moved."""
    return _report(delivery_ids, status, now or utcnow(), {})


def _report(delivery_ids: list[int], status: str, now: datetime, extra: dict) -> int:
    # One conditional UPDATE, so two callbacks racing in two processes cannot go backwards.
    rank = catalog.status(lifecycle.REPORT.check(status)).rank
    earlier = [name for name in lifecycle.REPORT.sources if catalog.status(name).rank < rank]
    values: dict = {"status": status, "updated_at": now, **extra}
    if status in ("sent", "delivered"):
        values["sent_at"] = func.coalesce(Delivery.sent_at, now)
    if status == "delivered":
        values["delivered_at"] = now
    return _run(update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status.in_(earlier)).values(**values))


def _run(statement: Update) -> int:
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return result.rowcount or 0
