"""Taking back messages not yet sent: a step deleted, a learner unenrolled or erased. What was sent stays."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from drip.domain.catalog import ERASED, SKIP_REASONS, STEP_DELETED, UNENROLLED
from drip.extensions import db
from drip.models import PENDING, Delivery

__all__ = ["ERASED", "STEP_DELETED", "UNENROLLED", "skip_pending"]


def skip_pending(*where, reason: str, now: datetime) -> int:
    """Skip every pending delivery matching where, with the reason's code and words; flushes, returns how many."""
    result = db.session.execute(
        update(Delivery).where(Delivery.status.in_(PENDING), *where)
        .values(status="skipped", error_code=reason, error_message=SKIP_REASONS[reason], job_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
