"""Training sessions: create, move, cancel; pending deliveries follow every change."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select

from drip.domain.routing import SessionWindow
from drip.domain import catalog
from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Sequence, Step, TrainingSession, session_sequences, utcnow
from drip.services.delivery import transitions
from drip.services.programs.enrolment import (
    CANCELLED,
    CANCELLED_REASON,
    LATE,
    LATE_ON_MOVE,
    Planner,
    delivery_row,
    insert_deliveries,
    zone,
)

LATE_ON_ADD = catalog.LATE_ON_ADD.text
REMOVED, REMOVED_REASON = catalog.REMOVED.code, catalog.REMOVED.text
# Not yet handed to a worker thread; a step skipped only for being late may come back if the session moves.
_PENDING = or_(
    Delivery.status.in_(catalog.statuses_where("pending")),
    and_(Delivery.status == "skipped", Delivery.error_code == LATE),
)


class SessionInvalid(ValueError):
    """Session fields that cannot be stored, with a reason per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in errors.items()))
        self.errors = errors


def _check(title, starts_at, ends_at, timezone, join_url, errors: dict[str, str]) -> None:
    if not isinstance(title, str) or not title.strip():
        errors["title"] = "a title is required"
    elif len(title.strip()) > 300:
        errors["title"] = "is longer than 300 characters"
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime) or value.utcoffset() is None:
            errors[name] = "must be a date and time with a time zone offset"
    if "starts_at" not in errors and "ends_at" not in errors and ends_at < starts_at:
        errors["ends_at"] = "the session ends before it starts"
    if not isinstance(timezone, str) or zone(timezone) is None:
        errors["timezone"] = f"unknown time zone {timezone!r}"
    if join_url is not None and len(join_url) > 500:
        errors["join_url"] = "is longer than 500 characters"
    elif join_url and not is_web_address(join_url):
        errors["join_url"] = "give a web address starting with https:// (or http://)"


def is_web_address(url: str) -> bool:
    """An http(s) URL with a host and no spaces: anything else (javascript:, data:) would run or mislead when clicked."""
    url = url.strip()
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _sequences(trainer_id: int, sequence_ids: Iterable[int], errors: dict[str, str]) -> list[Sequence]:
    ids = list(dict.fromkeys(sequence_ids))
    found = (
        {
            s.id: s
            for s in db.session.scalars(select(Sequence).where(Sequence.id.in_(ids), Sequence.trainer_id == trainer_id))
        }
        if ids
        else {}
    )
    missing = [str(i) for i in ids if i not in found]
    if missing:
        errors["sequence_ids"] = f"no such sequence: {', '.join(missing)}"
    return [found[i] for i in ids if i in found]


def create_session(
    trainer, *, title, starts_at, ends_at, timezone, join_url="", sequence_ids=(), join_keyword=None, now=None
) -> TrainingSession:
    """Create a session using these sequences (SessionInvalid lists every bad field); commits."""
    errors: dict[str, str] = {}
    _check(title, starts_at, ends_at, timezone, join_url, errors)
    sequences = _sequences(trainer.id, sequence_ids, errors)
    if errors:
        raise SessionInvalid(errors)
    training_session = TrainingSession(
        trainer_id=trainer.id,
        title=title.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=timezone,
        join_url=(join_url or "").strip(),
        join_keyword=(join_keyword or "").strip().upper() or None,
        sequences=sequences,
        created_at=now or utcnow(),
    )
    db.session.add(training_session)
    db.session.commit()
    return training_session


def update_session(
    ts: TrainingSession,
    *,
    title=None,
    starts_at=None,
    ends_at=None,
    timezone=None,
    join_url=None,
    sequence_ids=None,
    now=None,
) -> TrainingSession:
    """Change a session; moving it reschedules every delivery not yet sent, new sequences get deliveries.

    A new start without a new end moves the whole session: it keeps its length.
    """
    now = now or utcnow()
    if (
        starts_at is not None
        and ends_at is None
        and isinstance(starts_at, datetime)
        and starts_at.utcoffset() is not None
    ):
        ends_at = ts.ends_at + (starts_at - ts.starts_at)
    new = {
        "title": ts.title if title is None else title,
        "starts_at": starts_at or ts.starts_at,
        "ends_at": ends_at or ts.ends_at,
        "timezone": timezone or ts.timezone,
        "join_url": ts.join_url if join_url is None else join_url,
    }
    errors: dict[str, str] = {}
    _check(new["title"], new["starts_at"], new["ends_at"], new["timezone"], new["join_url"], errors)
    sequences = ts.sequences if sequence_ids is None else _sequences(ts.trainer_id, sequence_ids, errors)
    if errors:
        raise SessionInvalid(errors)
    moved = new["starts_at"] != ts.starts_at or new["ends_at"] != ts.ends_at or new["timezone"] != ts.timezone
    added = {s.id for s in sequences} - {s.id for s in ts.sequences}
    ts.title, ts.starts_at, ts.ends_at = new["title"].strip(), new["starts_at"], new["ends_at"]
    ts.timezone, ts.join_url = new["timezone"], (new["join_url"] or "").strip()
    ts.sequences = list(sequences)
    db.session.flush()
    if ts.status != "cancelled" and (moved or added or sequence_ids is not None):
        reconcile(ts, now)
    db.session.commit()
    return ts


def cancel_session(ts: TrainingSession, *, now=None) -> int:
    """Cancel a session: every pending delivery is skipped; returns how many."""
    now = now or utcnow()
    ts.status = "cancelled"
    skipped = transitions.cancel(ts.id, code=CANCELLED, reason=CANCELLED_REASON, now=now)
    db.session.commit()
    return skipped


def sync_step(step: Step, *, now=None) -> int:
    """After a step is created or edited: move its pending deliveries and create missing ones (flushes)."""
    now = now or utcnow()
    session_ids = select(session_sequences.c.session_id).where(session_sequences.c.sequence_id == step.sequence_id)
    changed = 0
    for ts in db.session.scalars(
        select(TrainingSession).where(TrainingSession.id.in_(session_ids), TrainingSession.status != "cancelled")
    ):
        changed += reconcile(ts, now, step_ids={step.id})
    db.session.flush()
    return changed


def join_keyword_taken(keyword: str, starts_at: datetime, ends_at: datetime, session_id: int | None) -> bool:
    """True when another session live at the same time already uses this join keyword."""
    query = select(TrainingSession).where(
        TrainingSession.join_keyword == keyword, TrainingSession.status != "cancelled"
    )
    for other in db.session.scalars(query):
        if other.id != session_id and SessionWindow(other.id, other.starts_at, other.ends_at).overlaps(
            starts_at, ends_at
        ):
            return True
    return False


def session_phase(ts: TrainingSession, now: datetime) -> str:
    """Where a session stands: "upcoming", "live" (15 minutes either side), "past" or "cancelled"."""
    if ts.status == "cancelled":
        return "cancelled"
    if SessionWindow(ts.id, ts.starts_at, ts.ends_at).is_live(now):
        return "live"
    return "upcoming" if now < ts.starts_at else "past"


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
