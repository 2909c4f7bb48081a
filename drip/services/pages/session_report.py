"""What a trainer sees of a session's messages: counts per step, problems, who is enrolled."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from drip.domain import catalog
from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Step, TrainingSession

# The columns of the per-step table; each gathers one or more delivery statuses.
COLUMNS: dict[str, tuple[str, ...]] = {
    "scheduled": ("scheduled",),
    "queued": ("queued", "sending"),
    "sent": ("sent",),
    "delivered": ("delivered",),
    "failed": ("failed", "undelivered"),
    "skipped": ("skipped",),
    "unknown": ("unknown",),
}
PROBLEMS = catalog.statuses_where("problem")


@dataclass
class StepLine:
    """One step's row in the session timeline."""

    step: Step
    counts: dict[str, int]
    first_due: datetime | None
    last_due: datetime | None

    @property
    def total(self) -> int:
        """All deliveries of this step in the session."""
        return sum(self.counts.values())

    def summary(self) -> str:
        """ "3 sent, 1 failed" for the timeline tooltip."""
        return ", ".join(f"{n} {name}" for name, n in self.counts.items() if n) or "no messages"


def step_lines(ts: TrainingSession, steps: list[Step]) -> list[StepLine]:
    """Counts per step and column, with the earliest and latest due time of each step."""
    rows = db.session.execute(
        select(Delivery.step_id, Delivery.status, func.count(), func.min(Delivery.due_at), func.max(Delivery.due_at))
        # The step itself: its re-asks and follow-up are counted on the Learning tab.
        .where(Delivery.session_id == ts.id, Delivery.purpose == "step")
        .group_by(Delivery.step_id, Delivery.status)
    ).all()
    by_step: dict[int, Counter] = defaultdict(Counter)
    due: dict[int, list[datetime]] = defaultdict(list)
    column_of = {status: column for column, statuses in COLUMNS.items() for status in statuses}
    for step_id, status, count, first, last in rows:
        by_step[step_id][column_of.get(status, "unknown")] += count
        due[step_id] += [moment for moment in (first, last) if moment is not None]
    return [
        StepLine(
            step,
            {column: by_step[step.id][column] for column in COLUMNS},
            min(due[step.id], default=None),
            max(due[step.id], default=None),
        )
        for step in steps
    ]


def problems(ts: TrainingSession, limit: int = 200) -> list[tuple[Delivery, Learner, Step]]:
    """Failed, undelivered and unknown deliveries, most recent first, with their learner and step."""
    query = (
        select(Delivery, Learner, Step)
        .join(Learner, Learner.id == Delivery.learner_id)
        .join(Step, Step.id == Delivery.step_id)
        .where(Delivery.session_id == ts.id, Delivery.status.in_(PROBLEMS))
        .order_by(Delivery.updated_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    return [tuple(row) for row in db.session.execute(query)]


def skipped_reasons(ts: TrainingSession) -> list[tuple[str, int]]:
    """Why messages were skipped, with how many each."""
    query = (
        select(Delivery.error_message, func.count())
        .where(Delivery.session_id == ts.id, Delivery.status == "skipped")
        .group_by(Delivery.error_message)
        .order_by(func.count().desc())
    )
    return [(reason or "no reason recorded", count) for reason, count in db.session.execute(query)]


def enrolled_count(ts: TrainingSession) -> int:
    """How many learners the session has."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Enrollment)
            .where(Enrollment.session_id == ts.id, Enrollment.unenrolled_at.is_(None))
        )
        or 0
    )
