"""The plan of a session's deliveries: one row per step slot per learner, with its due time, kept in
line with the session as it moves, gains steps or gets learners back."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import and_, or_, select

from drip.database import insert_rows
from drip.domain import catalog
from drip.domain.follow_ups import follow_ons
from drip.domain.schedule import PlannedDelivery, SendWindow, StepTiming, later, plan
from drip.domain.zones import learner_zone
from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Step, TrainingSession
from drip.services.delivery import transitions

LATE = catalog.LATE_ON_ENROL.code  # error_code of a step skipped because it was already due
LATE_ON_ENROL, LATE_ON_MOVE = catalog.LATE_ON_ENROL.text, catalog.LATE_ON_MOVE.text
LATE_ON_ADD = catalog.LATE_ON_ADD.text
CANCELLED, CANCELLED_REASON = catalog.CANCELLED.code, catalog.CANCELLED.text
REMOVED, REMOVED_REASON = catalog.REMOVED.code, catalog.REMOVED.text
Slot = tuple[int, str, int]  # (step id, purpose, attempt): one delivery per slot per enrolment
# Not yet handed to a worker thread; a step skipped only for being late may come back if the session moves.
_PENDING = or_(
    Delivery.status.in_(catalog.statuses_where("pending")),
    and_(Delivery.status == "skipped", Delivery.error_code == LATE),
)


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


def insert_deliveries(rows: list[dict[str, Any]]) -> int:
    """Insert many deliveries at once."""
    return insert_rows(Delivery, rows)


def reconcile(ts: TrainingSession, now: datetime, step_ids: set[int] | None = None) -> int:
    """Bring pending deliveries in line with the session's times and steps; create the missing ones."""
    planner = Planner(ts, now)
    targets = set(planner.steps) if step_ids is None else set(step_ids) & set(planner.steps)
    slots = set(planner.slots)
    query = (
        select(
            Delivery.id,
            Delivery.enrollment_id,
            Delivery.step_id,
            Delivery.purpose,
            Delivery.attempt,
            Delivery.status,
            Delivery.due_at,
            Delivery.channel,
            Learner.timezone,
        )
        .join(Learner, Learner.id == Delivery.learner_id)
        .where(Delivery.session_id == ts.id, _PENDING)
        # An unenrolled learner's late-skipped rows stay skipped: only re-enrolling brings anything back.
        .where(
            Delivery.enrollment_id.not_in(
                select(Enrollment.id).where(Enrollment.session_id == ts.id, Enrollment.unenrolled_at.is_not(None))
            )
        )
    )
    if step_ids is not None:
        query = query.where(Delivery.step_id.in_(targets))
    asked = _asked(ts, {slot[0] for slot in slots if slot[1] != "step"} & targets)
    changes = []
    for row in db.session.execute(query):
        slot = (row.step_id, row.purpose, row.attempt)
        if slot not in slots:  # its sequence left the session, or the step lost its re-asks or follow-up
            if row.status != "skipped":
                changes.append(
                    transitions.reschedule_change(row, "skipped", row.due_at, row.channel, REMOVED, REMOVED_REASON, now)
                )
            continue
        if row.purpose != "step" and (row.enrollment_id, row.step_id) in asked:
            continue  # re-asks and follow-ups count from the step actually sent, which no longer moves
        item = planner.slots_for_zone(row.timezone)[slot]
        channel = planner.channel_of(slot)
        if item.status == "scheduled":
            if (row.status, row.due_at, row.channel) != ("scheduled", item.due_at, channel):
                changes.append(transitions.reschedule_change(row, "scheduled", item.due_at, channel, None, None, now))
        elif row.status != "skipped":
            over = item.reason == catalog.SESSION_OVER.code
            changes.append(
                transitions.reschedule_change(
                    row,
                    "skipped",
                    item.due_at,
                    channel,
                    catalog.SESSION_OVER.code if over else LATE,
                    catalog.SESSION_OVER.text if over else LATE_ON_MOVE,
                    now,
                )
            )
    transitions.reschedule(changes)
    return len(changes) + _create_missing(planner, targets, now)


def _asked(ts: TrainingSession, step_ids: set[int]) -> set[tuple[int, int]]:
    """(enrolment, step) pairs whose step already went out: their re-asks and follow-ups stay put."""
    if not step_ids:
        return set()
    return set(
        tuple(row)
        for row in db.session.execute(
            select(Delivery.enrollment_id, Delivery.step_id).where(
                Delivery.session_id == ts.id,
                Delivery.step_id.in_(step_ids),
                Delivery.purpose == "step",
                Delivery.sent_at.is_not(None),
            )
        ).all()
    )


def _create_missing(planner: Planner, step_ids: set[int], now: datetime) -> int:
    ts = planner.training_session
    if not step_ids:
        return 0
    existing = set(
        tuple(row)
        for row in db.session.execute(
            select(Delivery.enrollment_id, Delivery.step_id, Delivery.purpose, Delivery.attempt).where(
                Delivery.session_id == ts.id, Delivery.step_id.in_(step_ids)
            )
        ).all()
    )
    enrolled = db.session.execute(
        select(Enrollment.id, Enrollment.learner_id, Learner.timezone)
        .join(Learner, Learner.id == Enrollment.learner_id)
        .where(Enrollment.session_id == ts.id, Enrollment.unenrolled_at.is_(None))
    )
    slots = sorted(slot for slot in planner.slots if slot[0] in step_ids)
    rows = [
        delivery_row(planner, e.id, e.learner_id, e.timezone, slot, late_reason=LATE_ON_ADD)
        for e in enrolled
        for slot in slots
        if (e.id, *slot) not in existing
    ]
    return insert_deliveries(rows)
