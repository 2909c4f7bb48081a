"""Re-filing: the trainer moves an inbound text between live question, poll vote, quiz answer,
practice report, discussion reply and unclassified, and back.

A question lives in live_questions and every other kind in replies, so a move across the two
tables creates the new row (keeping the text, sender, time and inbound message) and deletes the
old one. Each move is recorded as a Refiling (who, when, from what), commits once, and then tells
the session's open boards, so the board, the projector and the tallies follow at once.
"""

from __future__ import annotations

from datetime import datetime


from drip.extensions import db
from drip.models import LiveQuestion, Refiling, Reply, Trainer, TrainingSession, utcnow
from drip.services.board import poll_words
from drip.services.replies.answers import LEARNER_KINDS
from drip.services.replies.refile_targets import (  # noqa: F401 (KINDS, RefileInvalid: callers know them here)
    KINDS,
    RefileInvalid,
    Target,
    channel_of,
    delivery_for,
    resolve,
)


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
        delivery_id=delivery_for(training_session, question.learner_id, target.step_id),
        inbound_message_id=question.inbound_message_id,
        kind=target.kind,
        channel=channel_of(question.inbound_message_id),
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
    target = resolve(training_session, kind, question.body, None, step_id, choice_index, question.learner_id)
    if target.kind == "live_question":
        return question
    now = now or utcnow()
    question_id, inbound_message_id = question.id, question.inbound_message_id
    reply = _as_reply(training_session, question, target, now)
    db.session.delete(question)
    db.session.flush()
    poll_words.file(reply)
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
    target = resolve(training_session, kind, reply.body, reply.step_id, step_id, choice_index, reply.learner_id)
    now = now or utcnow()
    before = (f"reply:{reply.id}", reply.kind, reply.step_id, reply.choice_index)
    polls = {reply.step_id} if reply.kind == "poll_vote" else set()
    poll_words.unfile(reply)  # an open poll's answer no longer; filed again below if it still is one
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
            reply.delivery_id = delivery_for(training_session, reply.learner_id, target.step_id)
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
        poll_words.file(reply)
        events = []
        polls |= {reply.step_id} if reply.kind == "poll_vote" else set()
    session_id = training_session.id
    db.session.commit()
    _publish(session_id, events, polls)
    return moved
