"""Enrolment: one delivery per step for each learner, with its due time, inserted in bulk."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from drip.domain import catalog
from drip.domain.follow_ups import follow_ons
from drip.domain.schedule import PlannedDelivery, SendWindow, StepTiming, later, plan
from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Step, TrainingSession, utcnow
from drip.services.learners.edits import reenrol
from drip.services.delivery import transitions

LATE = catalog.LATE_ON_ENROL.code  # error_code of a step skipped because it was already due
LATE_ON_ENROL, LATE_ON_MOVE = catalog.LATE_ON_ENROL.text, catalog.LATE_ON_MOVE.text
CANCELLED, CANCELLED_REASON = catalog.CANCELLED.code, catalog.CANCELLED.text
Slot = tuple[int, str, int]  # (step id, purpose, attempt): one delivery per slot per enrolment


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
    return StepTiming(
        step.anchor, step.offset, step.local_time, step.if_late or "skip", until_end=catalog.until_end(step.kind)
    )


class Planner:
    """A session's steps planned once per time zone: every learner in a zone shares the result."""

    def __init__(self, training_session: TrainingSession, now: datetime):
        self.training_session = training_session
        self.now = now
        self.steps: dict[int, Step] = {}
        self._sequences = []
        # Re-asks and follow-ups: (slot, delay after the step, its sequence's window).
        self._follow_ons: list[tuple[Slot, str, SendWindow | None]] = []
        for sequence in training_session.sequences:
            steps = [(step.id, timing_of(step)) for step in sequence.steps]
            self.steps.update({step.id: step for step in sequence.steps})
            self._sequences.append((_window(sequence), steps))
            self._follow_ons += [
                ((step.id, purpose, attempt), delay, _window(sequence))
                for step in sequence.steps
                for purpose, attempt, delay in follow_ons(step.kind, step.retry_after, step.follow_up)
            ]
        self.slots: list[Slot] = [(step_id, "step", 0) for step_id in self.steps] + [s for s, _, _ in self._follow_ons]
        self._plans: dict[tzinfo, dict[int, PlannedDelivery[int]]] = {}
        self._slot_plans: dict[tzinfo, dict[Slot, PlannedDelivery[Slot]]] = {}

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

    def slots_for_zone(self, learner_timezone: str | None) -> dict[Slot, PlannedDelivery[Slot]]:
        """slot → planned delivery: each step, then its re-asks and follow-up, which follow the step."""
        tz = learner_zone(learner_timezone, self.training_session.timezone)
        planned = self._slot_plans.get(tz)
        if planned is None:
            steps = self.for_zone(learner_timezone)
            planned = {(step_id, "step", 0): item for step_id, item in steps.items()}
            for slot, delay, window in self._follow_ons:
                main = steps[slot[0]]
                # A skipped step takes its re-asks and follow-up with it; they never pile up late.
                due = later(main.due_at, delay, tz=tz, window=window)
                planned[slot] = PlannedDelivery(slot, due, main.status, main.reason)
            self._slot_plans[tz] = planned
        return planned

    def channel_of(self, slot: Slot) -> str:
        """The channel a slot goes out on: a follow-up may use another than its step."""
        step = self.steps[slot[0]]
        if slot[1] == "follow_up":
            return (step.follow_up or {}).get("channel") or step.channel
        return step.channel


def delivery_row(
    planner: Planner,
    enrollment_id: int,
    learner_id: int,
    learner_timezone: str | None,
    slot: Slot,
    *,
    late_reason: str = LATE_ON_ENROL,
) -> dict[str, Any]:
    """The columns of a new delivery (same keys for every row, so one executemany takes them all)."""
    item = planner.slots_for_zone(learner_timezone)[slot]
    over = item.reason == catalog.SESSION_OVER.code
    return {
        "enrollment_id": enrollment_id,
        "step_id": slot[0],
        "purpose": slot[1],
        "attempt": slot[2],
        "session_id": planner.training_session.id,
        "learner_id": learner_id,
        "channel": planner.channel_of(slot),
        "due_at": item.due_at,
        # A live_prompt that would arrive after the end is skipped like a late step, with its own reason.
        **transitions.create(
            cancelled=planner.training_session.status == "cancelled",
            late=item.status == "skipped",
            late_code=catalog.SESSION_OVER.code if over else LATE,
            late_reason=catalog.SESSION_OVER.text if over else late_reason,
            cancelled_code=CANCELLED,
            cancelled_reason=CANCELLED_REASON,
        ),
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


def enrol(
    training_session: TrainingSession,
    learners: Iterable[Learner],
    *,
    source: str = "admin",
    now: datetime | None = None,
) -> EnrolResult:
    """Enrol learners in a session and create their deliveries; enrolling again changes nothing; commits."""
    result = add_enrolments(training_session, learners, source=source, now=now)
    db.session.commit()
    return result


class EnrolmentRace(RuntimeError):
    """Another call stored some of the same learners at the same moment, twice running."""


def enrol_inputs(trainer, training_session: TrainingSession, inputs: list, *, source: str) -> tuple[list, set[int]]:
    """Store checked learner inputs and enrol them, all or nothing; ((learner, created) pairs, ids already enrolled)."""
    from drip.services.learners.upsert import upsert_learners

    for attempt in (1, 2):
        try:
            learners = upsert_learners(trainer, inputs)
            seen = set(
                db.session.scalars(select(Enrollment.learner_id).where(Enrollment.session_id == training_session.id))
            )
            enrol(training_session, [learner for learner, _ in learners], source=source)
            return learners, seen
        except IntegrityError:
            # A concurrent call stored some of the same learners first; a second pass finds them.
            db.session.rollback()
    raise EnrolmentRace("these learners were being enrolled by another call at the same time")


def add_enrolments(
    training_session: TrainingSession,
    learners: Iterable[Learner],
    *,
    source: str = "admin",
    now: datetime | None = None,
) -> EnrolResult:
    """Enrol learners and create their deliveries inside the caller's transaction (flushes).

    A learner who was unenrolled comes back, with the messages still ahead of them.
    """
    now = now or utcnow()
    learners = list(learners)
    if any(learner.id is None for learner in learners):
        db.session.flush()  # learners added in the caller's transaction need their ids
    learners = list({learner.id: learner for learner in learners}.values())
    strangers = [learner.id for learner in learners if learner.trainer_id != training_session.trainer_id]
    if strangers:
        raise ValueError(f"learners {strangers[:5]} belong to another trainer than the session")
    session_id = training_session.id
    enrolled = dict(
        db.session.execute(
            select(Enrollment.learner_id, Enrollment.id).where(Enrollment.session_id == session_id)
        ).all()
    )
    new = [learner for learner in learners if learner.id not in enrolled]
    back = reenrol(session_id, [learner.id for learner in learners if learner.id in enrolled], now)
    if new:
        insert_rows(
            Enrollment,
            [
                {"session_id": session_id, "learner_id": learner.id, "source": source, "created_at": now}
                for learner in new
            ],
        )
        enrolled = dict(
            db.session.execute(
                select(Enrollment.learner_id, Enrollment.id).where(Enrollment.session_id == session_id)
            ).all()
        )
    planner = Planner(training_session, now)
    rows = [
        delivery_row(planner, enrolled[learner.id], learner.id, learner.timezone, slot)
        for learner in new
        for slot in planner.slots
    ]
    created = insert_deliveries(rows)
    if back:
        # While they were away the session may have moved or gained steps (re-asks, follow-ups):
        # what came back follows the session as it is now.
        from drip.services.programs.sessions import reconcile

        db.session.flush()
        if training_session.status != "cancelled":
            reconcile(training_session, now)
    db.session.flush()
    return EnrolResult(created=len(new) + back, already=len(learners) - len(new) - back, deliveries=created)
