"""Enrolment: one delivery per step for each learner, with its due time, inserted in bulk."""
from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import insert, select

from drip.domain.schedule import PlannedDelivery, SendWindow, StepTiming, plan
from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Step, TrainingSession, utcnow
from drip.services.delivery import transitions

LATE = "late"  # error_code of a step skipped because it was already due
LATE_ON_ENROL = "late: enrolled after it was due"
LATE_ON_MOVE = "late: the session moved and it was already due"
CANCELLED = "cancelled"
CANCELLED_REASON = "session cancelled"


@dataclass(frozen=True)
class EnrolResult:
    """How many learners were enrolled now, and how many already were."""

    created: int
    already: int
    deliveries: int = 0


@functools.lru_cache(maxsize=1024)
def zone(name: str) -> tzinfo | None:
    """The time zone of an IANA name, or None when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def learner_zone(learner_timezone: str | None, session_timezone: str) -> tzinfo:
    """The learner's time zone, falling back to the session's (then UTC) when unset or unknown."""
    return (learner_timezone and zone(learner_timezone)) or zone(session_timezone) or ZoneInfo("UTC")


def _window(sequence) -> SendWindow | None:
    if sequence.send_window_start is None or sequence.send_window_end is None:
        return None  # null/null: any hour
    return SendWindow(sequence.send_window_start, sequence.send_window_end)


def timing_of(step: Step) -> StepTiming:
    """A step row's timing as the scheduler wants it."""
    return StepTiming(step.anchor, step.offset, step.local_time, step.if_late or "skip")


class Planner:
    """A session's steps planned once per time zone: every learner in a zone shares the result."""

    def __init__(self, training_session: TrainingSession, now: datetime):
        self.training_session = training_session
        self.now = now
        self.steps: dict[int, Step] = {}
        self._sequences = []
        for sequence in training_session.sequences:
            steps = [(step.id, timing_of(step)) for step in sequence.steps]
            self.steps.update({step.id: step for step in sequence.steps})
            self._sequences.append((_window(sequence), steps))
        self._plans: dict[tzinfo, dict[int, PlannedDelivery[int]]] = {}

    def for_zone(self, learner_timezone: str | None) -> dict[int, PlannedDelivery[int]]:
        """step id → planned delivery for a learner in this zone."""
        ts = self.training_session
        tz = learner_zone(learner_timezone, ts.timezone)
        planned = self._plans.get(tz)
        if planned is None:
            planned = {}
            # Late steps are judged per sequence: each has its own window and its own "most recent".
            for window, steps in self._sequences:
                for item in plan(steps, starts_at=ts.starts_at, ends_at=ts.ends_at, tz=tz, window=window, now=self.now):
                    planned[item.key] = item
            self._plans[tz] = planned
        return planned


def delivery_row(planner: Planner, enrollment_id: int, learner_id: int, learner_timezone: str | None,
                 step_id: int, *, late_reason: str = LATE_ON_ENROL) -> dict[str, Any]:
    """The columns of a new delivery (same keys for every row, so one executemany takes them all)."""
    item = planner.for_zone(learner_timezone)[step_id]
    return {
        "enrollment_id": enrollment_id, "step_id": step_id, "session_id": planner.training_session.id,
        "learner_id": learner_id, "channel": planner.steps[step_id].channel, "due_at": item.due_at,
        **transitions.create(cancelled=planner.training_session.status == "cancelled", late=item.status == "skipped",
                             late_code=LATE, late_reason=late_reason, cancelled_code=CANCELLED,
                             cancelled_reason=CANCELLED_REASON),
        "updated_at": planner.now,
    }


def insert_rows(model, rows: list[dict[str, Any]]) -> int:
    """Insert many rows of a model: COPY on PostgreSQL, one executemany elsewhere."""
    if not rows:
        return 0
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, model.__table__, rows)
    else:
        db.session.execute(insert(model), rows)
    return len(rows)


def insert_deliveries(rows: list[dict[str, Any]]) -> int:
    """Insert many deliveries at once."""
    return insert_rows(Delivery, rows)


def _copy(connection, table, rows: list[dict[str, Any]]) -> None:
    # psycopg sends an executemany as one INSERT per row; COPY streams them (about 3x faster here).
    # COPY skips SQLAlchemy, so the columns' Python defaults and bind processing are applied here.
    names = list(rows[0])
    defaults = [c for c in table.columns if c.key not in rows[0] and c.default is not None and not c.primary_key]
    columns = [table.c[name] for name in names] + defaults
    binders = [c.type.process_bind_param if hasattr(c.type, "process_bind_param") else None for c in columns]
    makers = [(c.default.arg if c.default.is_scalar else (lambda f=c.default.arg: f(None))) for c in defaults]
    dialect = connection.dialect
    sql = f"COPY {table.name} ({', '.join(c.name for c in columns)}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            values = [row[name] for name in names] + [m() if callable(m) else m for m in makers]
            copy.write_row([b(v, dialect) if b else v for b, v in zip(binders, values)])


def enrol(training_session: TrainingSession, learners: Iterable[Learner], *, source: str = "admin",
          now: datetime | None = None, commit: bool = True) -> EnrolResult:
    """Enrol learners in a session and create their deliveries; enrolling again changes nothing."""
    now = now or utcnow()
    learners = list(learners)
    if any(learner.id is None for learner in learners):
        db.session.flush()  # learners added in the caller's transaction need their ids
    learners = list({learner.id: learner for learner in learners}.values())
    strangers = [learner.id for learner in learners if learner.trainer_id != training_session.trainer_id]
    if strangers:
        raise ValueError(f"learners {strangers[:5]} belong to another trainer than the session")
    session_id = training_session.id
    enrolled = dict(db.session.execute(
        select(Enrollment.learner_id, Enrollment.id).where(Enrollment.session_id == session_id)).all())
    new = [learner for learner in learners if learner.id not in enrolled]
    if new:
        insert_rows(Enrollment, [
            {"session_id": session_id, "learner_id": learner.id, "source": source, "created_at": now}
            for learner in new
        ])
        enrolled = dict(db.session.execute(
            select(Enrollment.learner_id, Enrollment.id).where(Enrollment.session_id == session_id)).all())
    planner = Planner(training_session, now)
    rows = [
        delivery_row(planner, enrolled[learner.id], learner.id, learner.timezone, step_id)
        for learner in new for step_id in planner.steps
    ]
    created = insert_deliveries(rows)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return EnrolResult(created=len(new), already=len(learners) - len(new), deliveries=created)
