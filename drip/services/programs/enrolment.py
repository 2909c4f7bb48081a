"""Enrolment: learners join a session (or come back) and get one delivery per step, inserted in bulk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from drip.database import insert_rows, insert_shared, next_ids
from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, TrainingSession, utcnow
from drip.models.deliveries import new_reply_tokens
from drip.services.learners.edits import reenrol
from drip.services.programs.planning import LATE_ON_ENROL, Planner, delivery_row, reconcile

__all__ = [
    "LATE_ON_ENROL",
    "EnrolResult",
    "EnrolmentRace",
    "NewcomerEnrolment",
    "add_enrolments",
    "enrol",
    "enrol_inputs",
]


@dataclass(frozen=True)
class EnrolResult:
    """How many learners were enrolled now, and how many already were."""

    created: int
    already: int
    deliveries: int = 0


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


def _insert_deliveries(planner: Planner, enrolments: list[tuple[int, int, str | None]]) -> int:
    """One delivery per slot per (enrolment id, learner id, time zone), inserted at once: a learner's
    rows differ from another's in the same zone only by the enrolment, the learner and the reply token."""
    by_zone: dict[str | None, list[dict]] = {}
    for zone in {zone for _, _, zone in enrolments}:
        by_zone[zone] = []
        for slot in planner.slots:
            row = delivery_row(planner, 0, 0, zone, slot)
            del row["enrollment_id"], row["learner_id"]
            by_zone[zone].append(row)
    tokens = iter(new_reply_tokens(len(enrolments) * len(planner.slots)))
    rows = [((e, learner, next(tokens)), shared) for e, learner, zone in enrolments for shared in by_zone[zone]]
    return insert_shared(Delivery, ("enrollment_id", "learner_id", "reply_token"), rows)


def _insert_enrolments(session_id: int, learner_ids: list[int], source: str, now: datetime) -> dict[int, int]:
    """Enrol these learners (none enrolled yet) in one statement; learner id → enrolment id (on SQLite,
    for every learner of the session)."""
    if not learner_ids:
        return {}
    rows = [{"session_id": session_id, "learner_id": i, "source": source, "created_at": now} for i in learner_ids]
    if db.session.connection().dialect.name == "postgresql":
        # Ids from the table's sequence, then one COPY: no second query to learn them.
        ids = next_ids(Enrollment, len(rows))
        for row, enrolment_id in zip(rows, ids):
            row["id"] = enrolment_id
        insert_rows(Enrollment, rows)
        return dict(zip(learner_ids, ids))
    # SQLite: one executemany, then the ids read back (cheaper there than RETURNING in input order).
    insert_rows(Enrollment, rows)
    query = select(Enrollment.learner_id, Enrollment.id).where(Enrollment.session_id == session_id)
    return dict(db.session.execute(query).all())


class NewcomerEnrolment:
    """Enrols learners created in the caller's transaction (so enrolled nowhere yet) a chunk at a time,
    as add_enrolments would: one enrolment each and its deliveries, planned once for every chunk."""

    def __init__(self, training_session: TrainingSession, *, source: str, now: datetime):
        self.training_session = training_session
        self.source = source
        self.now = now
        self.planner = Planner(training_session, now)
        self.enrolled = 0

    def add(self, learners: list) -> None:
        """Enrol these new learners (each with an id) and insert their deliveries."""
        ts = self.training_session
        strangers = [learner.id for learner in learners if learner.trainer_id != ts.trainer_id]
        if strangers:
            raise ValueError(f"learners {strangers[:5]} belong to another trainer than the session")
        ids = _insert_enrolments(ts.id, [learner.id for learner in learners], self.source, self.now)
        _insert_deliveries(self.planner, [(ids[lr.id], lr.id, lr.timezone) for lr in learners])
        self.enrolled += len(learners)


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
    enrolled.update(_insert_enrolments(session_id, [learner.id for learner in new], source, now))
    created = _insert_deliveries(Planner(training_session, now), [(enrolled[lr.id], lr.id, lr.timezone) for lr in new])
    if back:
        # While they were away the session may have moved or gained steps (re-asks, follow-ups):
        # what came back follows the session as it is now.
        db.session.flush()
        if training_session.status != "cancelled":
            reconcile(training_session, now)
    db.session.flush()
    return EnrolResult(created=len(new) + back, already=len(learners) - len(new) - back, deliveries=created)
