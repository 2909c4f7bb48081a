"""What learners answered, per session and step; poll tallies; the trainer's replies and each learner's thread."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from drip.domain import catalog
from drip.extensions import db
from drip.models import (
    InboundMessage,
    Learner,
    LiveQuestion,
    Reply,
    Sequence,
    Step,
    Trainer,
    TrainingSession,
    session_sequences,
    utcnow,
)

LEARNER_KINDS = catalog.learner_reply_kinds()


@dataclass
class PollTally:
    """A poll's result: the latest vote of each learner counts once."""

    choices: list[str]
    counts: list[int]

    @property
    def voters(self) -> int:
        """How many learners voted."""
        return sum(self.counts)

    def share(self, index: int) -> float:
        """The percentage of voters who picked this choice."""
        return 100.0 * self.counts[index] / self.voters if self.voters else 0.0


@dataclass
class StepReplies:
    """A step of the session and what came back for it (step None: messages tied to no step)."""

    step: Step | None
    replies: list[Reply] = field(default_factory=list)
    tally: PollTally | None = None

    @property
    def unreviewed(self) -> int:
        """Replies the trainer has not marked reviewed (votes are counted, not reviewed)."""
        return sum(1 for reply in self.replies if reply.reviewed_at is None and reply.kind != "poll_vote")


def session_steps(training_session: TrainingSession) -> list[Step]:
    """The steps of the session's sequences, in sequence order; a deleted step only while replies to it remain."""
    answered = select(Reply.step_id).where(Reply.session_id == training_session.id, Reply.step_id.is_not(None))
    return list(
        db.session.scalars(
            select(Step)
            .join(Sequence, Step.sequence_id == Sequence.id)
            .join(session_sequences, session_sequences.c.sequence_id == Sequence.id)
            .where(
                session_sequences.c.session_id == training_session.id,
                or_(Step.deleted_at.is_(None), Step.id.in_(answered)),
            )
            .order_by(Sequence.id, Step.position, Step.id)
        )
    )


def session_replies(training_session: TrainingSession) -> list[Reply]:
    """Every learner reply of the session, oldest first, with its learner loaded."""
    return list(
        db.session.scalars(
            select(Reply)
            .options(selectinload(Reply.learner))
            .where(Reply.session_id == training_session.id, Reply.kind.in_(LEARNER_KINDS))
            .order_by(Reply.created_at, Reply.id)
        )
    )


def senders(replies: list[Reply]) -> dict[int, str]:
    """Who sent each reply: the learner's name, or the number or address of a stranger or an unverified sender."""
    unknown = [reply.inbound_message_id for reply in replies if reply.learner is None and reply.inbound_message_id]
    rows = (
        db.session.execute(
            select(InboundMessage.id, InboundMessage.from_address, InboundMessage.sender_verified).where(
                InboundMessage.id.in_(unknown)
            )
        ).all()
        if unknown
        else []
    )
    labels = {row.id: f"{'Unknown' if row.sender_verified else 'Unverified'} sender {row.from_address}" for row in rows}
    return {
        reply.id: reply.learner.name if reply.learner else labels.get(reply.inbound_message_id, "Unknown sender")
        for reply in replies
    }


def tally(step: Step, replies: list[Reply]) -> PollTally:
    """Count each learner's latest recognised vote on a poll once."""
    latest: dict[int | str, Reply] = {}
    for reply in replies:
        if reply.kind == "poll_vote" and reply.choice_index is not None:
            latest[reply.learner_id if reply.learner_id is not None else f"r{reply.id}"] = reply
    choices = list(step.choices or [])
    counts = [0] * len(choices)
    for reply in latest.values():
        if 0 <= reply.choice_index < len(counts):
            counts[reply.choice_index] += 1
    return PollTally(choices, counts)


def by_step(training_session: TrainingSession) -> list[StepReplies]:
    """The session's answering steps (poll, practice, discussion) and any step with replies, then the rest."""
    replies = session_replies(training_session)
    grouped: dict[int | None, list[Reply]] = defaultdict(list)
    for reply in replies:
        grouped[reply.step_id].append(reply)
    steps = session_steps(training_session)
    known = {step.id for step in steps}
    # A step removed from the session since keeps its replies on the page.
    extra = [db.session.get(Step, step_id) for step_id in grouped if step_id is not None and step_id not in known]
    groups = []
    for step in steps + [step for step in extra if step is not None]:
        if step.kind in catalog.answer_kinds() or grouped.get(step.id):
            group = StepReplies(step, grouped.get(step.id, []))
            if step.kind == "poll":
                group.tally = tally(step, group.replies)
            groups.append(group)
    groups.append(StepReplies(None, grouped.get(None, [])))
    return groups


def find_reply(training_session: TrainingSession, reply_id: int) -> Reply | None:
    """A learner reply of this session, or None."""
    reply = db.session.get(Reply, reply_id)
    ok = reply is not None and reply.session_id == training_session.id and reply.kind in LEARNER_KINDS
    return reply if ok else None


def set_reviewed(replies: list[Reply], reviewed: bool, *, now: datetime | None = None) -> None:
    """Mark replies reviewed (or not) and commit."""
    for reply in replies:
        reply.reviewed_at = (now or utcnow()) if reviewed else None
    db.session.commit()


def session_learner(training_session: TrainingSession, learner_id: int) -> Learner | None:
    """A learner of the session's trainer, or None."""
    learner = db.session.get(Learner, learner_id)
    return learner if learner is not None and learner.trainer_id == training_session.trainer_id else None


def reply_to_learner(
    trainer: Trainer, training_session: TrainingSession, learner: Learner, channel: str, body: str
) -> Reply:
    """Send the trainer's answer by SMS or email and keep it in the thread; raises SendRefused or SendError."""
    from drip.services.delivery.send import send_one_off

    body = body.replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    db.session.commit()  # the outbox records in its own transaction: hold no lock while it does
    send_one_off(trainer, learner, channel, body, subject=f"Re: {training_session.title}")
    reply = Reply(
        trainer_id=trainer.id,
        session_id=training_session.id,
        learner_id=learner.id,
        kind=catalog.TRAINER_REPLY,
        channel=channel,
        body=body,
        created_at=utcnow(),
    )
    db.session.add(reply)
    db.session.commit()
    return reply


@dataclass(frozen=True)
class ThreadEntry:
    """One message of the exchange between a learner and their trainer."""

    at: datetime
    from_trainer: bool
    kind: str  # live_question, practice_report, ..., trainer_reply
    channel: str
    body: str
    session_id: int | None
    step_kind: str | None = None
    inbound_message_id: int | None = None  # its pictures, if the learner sent some


def thread_for(learner: Learner, *, session_id: int | None = None) -> list[ThreadEntry]:
    """Everything the learner sent back and the trainer answered, oldest first (optionally one session's)."""
    query = select(Reply, Step.kind).outerjoin(Step, Reply.step_id == Step.id).where(Reply.learner_id == learner.id)
    questions = select(LiveQuestion).where(LiveQuestion.learner_id == learner.id)
    if session_id is not None:
        query = query.where(or_(Reply.session_id == session_id, Reply.session_id.is_(None)))
        questions = questions.where(LiveQuestion.session_id == session_id)
    entries = [
        ThreadEntry(
            reply.created_at,
            reply.kind == catalog.TRAINER_REPLY,
            reply.kind,
            reply.channel,
            reply.body,
            reply.session_id,
            step_kind,
            reply.inbound_message_id,
        )
        for reply, step_kind in db.session.execute(query)
    ]
    entries += [
        ThreadEntry(q.created_at, False, "live_question", "sms", q.body, q.session_id, None, q.inbound_message_id)
        for q in db.session.scalars(questions)
    ]
    return sorted(entries, key=lambda entry: entry.at)
