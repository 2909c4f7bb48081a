"""Re-asks and follow-ups: whether one may still go out, and who has gone quiet.

They are ordinary deliveries (purpose "reask" or "follow_up") created with their step and sent by
the engine, so they honour the send window, STOP, cancel and reschedule. What only the moment of
sending can tell is decided here: the step itself went out, the learner has not answered (right),
and, for follow-ups, the learner has not gone quiet.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, true

from drip.domain import catalog
from drip.domain.follow_ups import FOLLOWED_KINDS, quiet_since, too_soon
from drip.domain.quiz import DEFAULT_RETRY_AFTER
from drip.extensions import db
from drip.models import Delivery, Enrollment, LiveQuestion, Reply, Step, TrainingSession, utcnow
from drip.services.delivery import transitions

NOT_ASKED = "not_asked"
PILED = "piled"
ANSWERED = "answered"
QUIET = "quiet"
LEARNER_REPLY_KINDS = catalog.names(kind for kind in catalog.REPLY_KINDS if kind.learner_answer)


def _answered(step_id: int, learner_id: int) -> bool:
    query = select(Reply.id).where(
        Reply.step_id == step_id, Reply.learner_id == learner_id, Reply.kind.in_(LEARNER_REPLY_KINDS)
    )
    return db.session.scalar(query.limit(1)) is not None


def answered_right(step_id: int, learner_id: int, right: int | None) -> bool:
    """Whether the learner's first answer to some ask of this quiz was right (a later correction does not count)."""
    first: dict[int | None, int | None] = {}
    for delivery_id, choice in db.session.execute(
        select(Reply.delivery_id, Reply.choice_index)
        .where(Reply.step_id == step_id, Reply.learner_id == learner_id, Reply.kind == "quiz_answer")
        .order_by(Reply.created_at, Reply.id)
    ):
        first.setdefault(delivery_id, choice)
    return right is not None and right in first.values()


def quiet_since_in(session_id: int, learner_id: int, now: datetime | None = None) -> datetime | None:
    """When the learner went quiet in this session (3 asks unanswered since their last reply), else None."""
    return quiet_learners(session_id, now, learner_id=learner_id).get(learner_id)


def quiet_learners(
    session_id: int, now: datetime | None = None, *, learner_id: int | None = None
) -> dict[int, datetime]:
    """learner id → since when, for every quiet learner of the session (or only this one)."""
    now = now or utcnow()
    mine = (lambda column: column == learner_id) if learner_id is not None else (lambda column: column.is_not(None))
    asks: dict[int, list[datetime]] = {}
    for who, sent_at in db.session.execute(
        select(Delivery.learner_id, Delivery.sent_at)
        .join(Step, Step.id == Delivery.step_id)
        .where(
            Delivery.session_id == session_id,
            mine(Delivery.learner_id),
            Delivery.purpose.in_(("step", "reask")),
            Step.kind.in_(FOLLOWED_KINDS),
            Delivery.sent_at.is_not(None),
            Delivery.sent_at <= now,
        )
    ):
        asks.setdefault(who, []).append(sent_at)
    last: dict[int, datetime] = {}
    for model, kinds in ((Reply, Reply.kind.in_(LEARNER_REPLY_KINDS)), (LiveQuestion, true())):
        for who, moment in db.session.execute(
            select(model.learner_id, func.max(model.created_at))
            .where(model.session_id == session_id, mine(model.learner_id), kinds)
            .group_by(model.learner_id)
        ):
            moment = _aware(moment)
            last[who] = max(last.get(who, moment), moment)
    found = {who: quiet_since(times, last.get(who)) for who, times in asks.items()}
    return {who: since for who, since in found.items() if since is not None}


def _aware(moment: datetime) -> datetime:
    # Aggregates skip the column type, so SQLite hands back naive UTC.
    from drip.models.types import UTCDateTime

    return UTCDateTime().process_result_value(moment, None)


def hold_reason(delivery_id: int, now: datetime | None = None) -> tuple[str, str] | None:
    """Why a claimed re-ask or follow-up must not go out now (code, reason), or None to send it."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.purpose == "step":
        return None
    step = db.session.get(Step, delivery.step_id)
    # Deleting a step or unenrolling withdraws these; one claimed meanwhile still must not go.
    if step is None or step.deleted_at is not None:
        return catalog.STEP_DELETED.code, catalog.STEP_DELETED.text
    enrollment = db.session.get(Enrollment, delivery.enrollment_id)
    if enrollment is not None and enrollment.unenrolled_at is not None:
        return catalog.UNENROLLED.code, catalog.UNENROLLED.text
    asks = db.session.execute(
        select(Delivery.purpose, Delivery.sent_at).where(
            Delivery.enrollment_id == delivery.enrollment_id,
            Delivery.step_id == delivery.step_id,
            Delivery.purpose.in_(("step", "reask")),
            Delivery.sent_at.is_not(None),
        )
    ).all()
    if not any(purpose == "step" for purpose, _ in asks):
        return NOT_ASKED, "the step itself was not sent"
    # A re-ask counts from the last ask; a follow-up from the step itself.
    if delivery.purpose == "reask":
        delay, last = step.retry_after or DEFAULT_RETRY_AFTER, max(sent_at for _, sent_at in asks)
    else:
        delay, last = step.follow_up["after"], next(sent_at for purpose, sent_at in asks if purpose == "step")
    if too_soon(last, delivery.due_at, delay):
        return PILED, "too soon after the last ask (a backlog): asks never pile up"
    if delivery.purpose == "reask":
        if answered_right(step.id, delivery.learner_id, step.answer):
            return ANSWERED, "answered right"
        return None
    if _answered(step.id, delivery.learner_id):
        return ANSWERED, "the learner answered the step"
    since = quiet_since_in(delivery.session_id, delivery.learner_id, now)
    if since is not None:
        return QUIET, f"quiet since {since:%Y-%m-%d %H:%M} UTC: 3 asks unanswered, no more follow-ups"
    return None


def skip_answered(reply: Reply, *, right: bool, now: datetime) -> int:
    """A reply answered its step: its pending follow-up, and on a right answer its re-asks, are skipped."""
    purposes = ("follow_up", "reask") if right else ("follow_up",)
    reason = "answered right" if right else "the learner answered the step"
    return transitions.skip_answered(
        Delivery.session_id == reply.session_id,
        Delivery.learner_id == reply.learner_id,
        Delivery.step_id == reply.step_id,
        Delivery.purpose.in_(purposes),
        code=ANSWERED,
        reason=reason,
        now=now,
    )


def quiet_sessions(learner_id: int, now: datetime | None = None) -> list[tuple[TrainingSession, datetime]]:
    """The learner's sessions in which they are quiet, with since when (for their page)."""
    ids = db.session.scalars(
        select(Delivery.session_id).where(Delivery.learner_id == learner_id, Delivery.sent_at.is_not(None)).distinct()
    ).all()
    found = []
    for session_id in ids:
        since = quiet_since_in(session_id, learner_id, now)
        if since is not None:
            found.append((db.session.get(TrainingSession, session_id), since))
    return found
