"""Taking back messages not yet sent: a step deleted, a learner unenrolled or erased. What was sent stays."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from drip.extensions import db
from drip.models import PENDING, Delivery

STEP_DELETED = "step deleted"
UNENROLLED = "unenrolled"
ERASED = "learner erased"


def skip_pending(*where, reason: str, now: datetime) -> int:
    """Skip every pending delivery matching where, with reason as code and message; flushes, returns how many."""
    result = db.session.execute(
        update(Delivery).where(Delivery.status.in_(PENDING), *where)
        .values(status="skipped", error_code=reason, error_message=reason, job_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
