"""Re-filing: the trainer moves an inbound text between live question, poll vote, quiz answer,
practice report, discussion reply and unclassified, and back.

A question lives in live_questions and every other kind in replies, so a move across the two
tables creates the new row (keeping the text, sender, time and inbound message) and deletes the
old one. Each move is recorded as a Refiling (who, when, from what), commits once, and then tells
the session's open boards, so the board, the projector and the tallies follow at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from drip.domain import catalog
from drip.domain.choices import parse_choice
from drip.extensions import db
from drip.models import Delivery, InboundMessage, LiveQuestion, Refiling, Reply, Trainer, TrainingSession, utcnow
from drip.services.replies.answers import LEARNER_KINDS, session_steps

KINDS = catalog.names(catalog.REPLY_KINDS)
# Which step kind a reply of each kind answers (poll_vote → poll, ...).
STEP_OF_KIND = {reply: step for step, reply in catalog.answer_kinds().items()}
# Reply kinds that name a choice of their step (a vote, a quiz answer).
CHOICE_KINDS = tuple(catalog.answer_kinds()[step] for step in catalog.choice_step_kinds())


class RefileInvalid(ValueError):
    """The move cannot be made as asked; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Target:
    """Where a text goes: its kind, and the step and choice it answers."""

    kind: str
    step_id: int | None = None
    choice_index: int | None = None


def _default_step(training_session: TrainingSession, candidates: list[int], learner_id: int | None) -> int | None:
    """The step a move most likely means: the latest of these sent to the learner, else the only one."""
    if learner_id is not None and candidates:
        sent = db.session.scalar(
            select(Delivery.step_id)
            .where(
                Delivery.session_id == training_session.id,
                Delivery.learner_id == learner_id,
                Delivery.step_id.in_(candidates),
                Delivery.sent_at.is_not(None),
            )
            .order_by(Delivery.sent_at.desc())
            .limit(1)
        )
        if sent is not None:
            return sent
    return candidates[0] if len(candidates) == 1 else None


def _resolve(
    training_session: TrainingSession | None,
    kind: str,
    body: str,
    current_step_id: int | None,
    step_id: int | None,
    choice_index: int | None,
    learner_id: int | None = None,
) -> Target:
    """Check the asked kind, step and choice against the session; fill in what can be inferred."""
    if kind not in KINDS:
        raise RefileInvalid("kind", f"must be one of {', '.join(KINDS)}")
    if training_session is None:
        raise RefileInvalid("session_id", "this text belongs to no session yet: say which session it goes to")
    if kind == "live_question":
        return Target(kind)
    wanted = STEP_OF_KIND.get(kind)
    steps = {step.id: step for step in session_steps(training_session)}
    if step_id is not None and (step_id not in steps or (wanted and steps[step_id].kind != wanted)):
        raise RefileInvalid(
            "step_id", f"is not a {wanted} step of this session" if wanted else "is not a step of this session"
        )
    if step_id is None and current_step_id in steps and (wanted is None or steps[current_step_id].kind == wanted):
        step_id = current_step_id
    if step_id is None and wanted is not None:
        step_id = _default_step(training_session, [i for i, step in steps.items() if step.kind == wanted], learner_id)
    if kind not in CHOICE_KINDS:
        return Target(kind, step_id)
    if step_id is None:
        raise RefileInvalid("step_id", f"say which {wanted} of this session this answers")
    choices = list(steps[step_id].choices or ())
    if choice_index is None:
        choice_index = parse_choice(body, choices)
    if choice_index is None or not 0 <= choice_index < len(choices):
        raise RefileInvalid("choice_index", f"pick one of the {len(choices)} choices (0-based)")
    return Target(kind, step_id, choice_index)


def _delivery_id(training_session: TrainingSession, learner_id: int | None, step_id: int | None) -> int | None:
    if learner_id is None or step_id is None:
        return None
    return db.session.scalar(
        select(Delivery.id)
        .where(
            Delivery.session_id == training_session.id,
            Delivery.learner_id == learner_id,
            Delivery.step_id == step_id,
        )
        .order_by(Delivery.sent_at.desc())
        .limit(1)
    )


def _channel(inbound_message_id: int | None) -> str:
    channel = (
        db.session.scalar(select(InboundMessage.channel).where(InboundMessage.id == inbound_message_id))
        if inbound_message_id
        else None
    )
    return channel or "sms"


def _record(
    by: Trainer,
    training_session: TrainingSession,
    inbound_message_id: int | None,
    before: tuple,
    after: tuple,
    now: datetime,
) -> None:
    (from_item, from_kind, from_step, from_choice), (to_item, to_kind, to_step, to_choice) = before, after
    db.session.add(
        Refiling(
            moved_by_id=by.id,
            session_id=training_session.id,
            inbound_message_id=inbound_message_id,
            from_item=from_item,
            to_item=to_item,
            from_kind=from_kind,
            to_kind=to_kind,
            from_step_id=from_step,
            to_step_id=to_step,
            from_choice_index=from_choice,
            to_choice_index=to_choice,
            moved_at=now,
        )
    )


def _as_reply(training_session: TrainingSession, question: LiveQuestion, target: Target, now: datetime) -> Reply:
    reply = Reply(
        trainer_id=training_session.trainer_id,
        session_id=training_session.id,
        learner_id=question.learner_id,
        step_id=target.step_id,
        delivery_id=_delivery_id(training_session, question.learner_id, target.step_id),
        inbound_message_id=question.inbound_message_id,
        kind=target.kind,
        channel=_channel(question.inbound_message_id),
        body=question.body,
        choice_index=target.choice_index,
        created_at=question.created_at,
        reviewed_at=now,
    )
    db.session.add(reply)
    return reply


def _events(*, removed: int | None = None, added: LiveQuestion | None = None) -> list[dict]:
    """The question events of a move, built before the commit (see board.question_event)."""
    from drip.services.board import board

    events = [board.removal_event(removed)] if removed is not None else []
    if added is not None:
        events.append(board.question_event(added))
    return events


def _publish(session_id: int, events: list[dict], poll_steps: set[int | None]) -> None:
    """After the commit: the question events, then every poll the move changed, counted again."""
    from drip.services.board import board, polls

    for event in events:
        board.publish_event(session_id, event)
    for step_id in sorted(step for step in poll_steps if step is not None):
        polls.publish_poll(session_id, step_id)


def refile_question(
    question: LiveQuestion,
    kind: str,
    *,
    by: Trainer,
    step_id: int | None = None,
    choice_index: int | None = None,
    now: datetime | None = None,
) -> LiveQuestion | Reply:
    """Move a live question to another kind (a reply); the same kind changes nothing. Raises RefileInvalid."""
    training_session = db.session.get(TrainingSession, question.session_id)
    target = _resolve(training_session, kind, question.body, None, step_id, choice_index, question.learner_id)
    if target.kind == "live_question":
        return question
    now = now or utcnow()
    question_id, inbound_message_id = question.id, question.inbound_message_id
    reply = _as_reply(training_session, question, target, now)
    db.session.delete(question)
    db.session.flush()
    _record(
        by,
        training_session,
        inbound_message_id,
        (f"question:{question_id}", "live_question", None, None),
        (f"reply:{reply.id}", reply.kind, reply.step_id, reply.choice_index),
        now,
    )
    events, polls = _events(removed=question_id), {reply.step_id} if reply.kind == "poll_vote" else set()
    session_id = training_session.id
    db.session.commit()
    _publish(session_id, events, polls)
    return reply


def refile_reply(
    reply: Reply,
    kind: str,
    *,
    by: Trainer,
    step_id: int | None = None,
    choice_index: int | None = None,
    session_id: int | None = None,
    now: datetime | None = None,
) -> LiveQuestion | Reply:
    """Move a learner's reply to another kind, step or choice, or onto the board. Raises RefileInvalid."""
    if reply.kind not in LEARNER_KINDS:
        raise RefileInvalid("kind", "only what learners sent can be re-filed")
    training_session = (
        db.session.get(TrainingSession, reply.session_id or session_id) if (reply.session_id or session_id) else None
    )
    if training_session is not None and training_session.trainer_id != by.id:
        raise RefileInvalid("session_id", "is not one of your sessions")
    target = _resolve(training_session, kind, reply.body, reply.step_id, step_id, choice_index, reply.learner_id)
    now = now or utcnow()
    before = (f"reply:{reply.id}", reply.kind, reply.step_id, reply.choice_index)
    polls = {reply.step_id} if reply.kind == "poll_vote" else set()
    if target.kind == "live_question":
        inbound_message_id = reply.inbound_message_id
        moved = LiveQuestion(
            session_id=training_session.id,
            learner_id=reply.learner_id,
            body=reply.body,
            inbound_message_id=reply.inbound_message_id,
            created_at=reply.created_at,
        )
        db.session.add(moved)
        db.session.delete(reply)
        db.session.flush()
        _record(
            by, training_session, inbound_message_id, before, (f"question:{moved.id}", "live_question", None, None), now
        )
        events = _events(added=moved)
    else:
        if target.step_id != reply.step_id:
            reply.delivery_id = _delivery_id(training_session, reply.learner_id, target.step_id)
        reply.kind, reply.step_id, reply.choice_index = target.kind, target.step_id, target.choice_index
        reply.session_id, reply.trainer_id = training_session.id, training_session.trainer_id
        reply.reviewed_at = reply.reviewed_at or now  # filing it is looking at it: it leaves the inbox count
        moved = reply
        _record(
            by,
            training_session,
            reply.inbound_message_id,
            before,
            (f"reply:{reply.id}", reply.kind, reply.step_id, reply.choice_index),
            now,
        )
        db.session.flush()
        events = []
        polls |= {reply.step_id} if reply.kind == "poll_vote" else set()
    session_id = training_session.id
    db.session.commit()
    _publish(session_id, events, polls)
    return moved
