"""Unanswered asks: who has gone quiet, and taking back the re-asks and follow-ups an answer made needless.

They are ordinary deliveries (purpose "reask" or "follow_up") created with their step and sent by
the engine, so they honour the send window, STOP, cancel and reschedule. Whether a claimed one may
still go out is decided at sending, from its batch's facts (domain/follow_ups.hold_reason).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select, true

from drip.batch_statements import in_list
from drip.domain import catalog
from drip.domain.follow_ups import FOLLOWED_KINDS, LEARNER_REPLY_KINDS, quiet_since
from drip.extensions import db
from drip.models import Delivery, LiveQuestion, Reply, Step, TrainingSession, utcnow
from drip.services.delivery import transitions


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


def skip_answered(reply: Reply, *, right: bool, now: datetime) -> int:
    """A reply answered its step: its pending follow-up, and on a right answer its re-asks, are skipped."""
    purposes = ("follow_up", "reask") if right else ("follow_up",)
    reason = catalog.ANSWERED_RIGHT if right else catalog.ANSWERED
    return transitions.skip_answered(
        Delivery.session_id == reply.session_id,
        Delivery.learner_id == reply.learner_id,
        Delivery.step_id == reply.step_id,
        Delivery.purpose.in_(purposes),
        code=reason.code,
        reason=reason.text,
        now=now,
    )


def skip_answered_many(replies: list[Reply], *, right: bool, now: datetime) -> int:
    """skip_answered for many replies in one statement (a worker's batch of texts)."""
    if not replies:
        return 0
    purposes = ("follow_up", "reask") if right else ("follow_up",)
    reason = catalog.ANSWERED_RIGHT if right else catalog.ANSWERED
    # By step: a room's votes answer one poll, so its hundred learners are one array parameter, not
    # three hundred parameters psycopg would parse afresh for every batch.
    learners: dict[tuple[int, int], set[int]] = {}
    for reply in replies:
        learners.setdefault((reply.session_id, reply.step_id), set()).add(reply.learner_id)
    answered = [
        and_(Delivery.session_id == session_id, Delivery.step_id == step_id, in_list(Delivery.learner_id, ids))
        for (session_id, step_id), ids in sorted(learners.items())
    ]
    return transitions.skip_answered(
        or_(*answered),
        Delivery.purpose.in_(purposes),
        code=reason.code,
        reason=reason.text,
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
