"""What the JSON API reads: a trainer's own rows only, a page at a time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from drip.extensions import db
from drip.models import Delivery, Enrollment, LiveQuestion, Reply, Sequence, Step, Trainer, TrainingSession
from drip.services.board import open_polls
from drip.services.pages.paging import Page, paginate
from drip.services.replies import poll_counts
from drip.services.replies.answers import LEARNER_KINDS, PollTally, session_steps


def missing_sequences(trainer: Trainer, sequence_ids: Iterable[int]) -> list[int]:
    """The ids among `sequence_ids` that are not sequences of this trainer."""
    wanted = set(sequence_ids)
    if not wanted:
        return []
    found = set(
        db.session.scalars(select(Sequence.id).where(Sequence.trainer_id == trainer.id, Sequence.id.in_(wanted)))
    )
    return sorted(wanted - found)


def sequences(trainer: Trainer, *, limit: int, cursor: str | None) -> Page[Sequence]:
    """The trainer's sequences, oldest first, with their steps."""
    query = select(Sequence).where(Sequence.trainer_id == trainer.id).options(selectinload(Sequence.steps))
    return paginate(query, (Sequence.id,), limit=limit, cursor=cursor)


def sessions(trainer: Trainer, *, limit: int, cursor: str | None) -> Page[TrainingSession]:
    """The trainer's sessions, oldest first."""
    query = (
        select(TrainingSession)
        .where(TrainingSession.trainer_id == trainer.id)
        .options(selectinload(TrainingSession.sequences))
    )
    return paginate(query, (TrainingSession.id,), limit=limit, cursor=cursor)


def enrolled_counts(session_ids: Iterable[int]) -> dict[int, int]:
    """How many learners are enrolled in each session."""
    ids = list(session_ids)
    if not ids:
        return {}
    query = (
        select(Enrollment.session_id, func.count())
        .where(Enrollment.session_id.in_(ids), Enrollment.unenrolled_at.is_(None))
        .group_by(Enrollment.session_id)
    )
    counts = {session_id: n for session_id, n in db.session.execute(query)}
    return {session_id: counts.get(session_id, 0) for session_id in ids}


def deliveries(
    ts: TrainingSession, *, status: str | None, step_id: int | None, limit: int, cursor: str | None
) -> Page[Delivery]:
    """The session's deliveries by due time, optionally of one status or one step."""
    query = (
        select(Delivery)
        .where(Delivery.session_id == ts.id)
        .options(joinedload(Delivery.learner), joinedload(Delivery.step))
    )
    if status is not None:
        query = query.where(Delivery.status == status)
    if step_id is not None:
        query = query.where(Delivery.step_id == step_id)
    return paginate(query, (Delivery.due_at, Delivery.id), limit=limit, cursor=cursor)


def questions(ts: TrainingSession, *, limit: int, cursor: str | None) -> Page[LiveQuestion]:
    """The session's live questions in the order they came in."""
    query = select(LiveQuestion).where(LiveQuestion.session_id == ts.id).options(joinedload(LiveQuestion.learner))
    return paginate(query, (LiveQuestion.id,), limit=limit, cursor=cursor)


def replies(ts: TrainingSession, *, kind: str | None, limit: int, cursor: str | None) -> Page[Reply]:
    """The session's learner replies (not the trainer's answers), optionally of one kind."""
    kinds = (kind,) if kind else LEARNER_KINDS
    query = select(Reply).where(Reply.session_id == ts.id, Reply.kind.in_(kinds)).options(joinedload(Reply.learner))
    return paginate(query, (Reply.id,), limit=limit, cursor=cursor)


@dataclass(frozen=True)
class PollResult:
    """One poll step, its tally (each learner's latest recognised vote), and answers that matched no choice."""

    step: Step
    tally: PollTally
    unmatched: int
    # An open poll's answers ([{learner_id, text}], latest first), words ([{word, count}]) and voters; None otherwise.
    open: dict | None = None


def poll_results(ts: TrainingSession) -> list[PollResult]:
    """The votes on each poll step of the session, counted as the replies page counts them (by the database)."""
    polls = [step for step in session_steps(ts) if step.kind == "poll"]
    if not polls:
        return []
    counted = poll_counts.tallies(ts.id, polls)
    # Routing keeps a poll answer that picks no choice beside the poll, as an unclassified reply.
    unmatched = poll_counts.unmatched(ts.id, [step.id for step in polls])
    return [PollResult(step, counted[step.id], unmatched.get(step.id, 0), _open(ts.id, step)) for step in polls]


def _open(session_id: int, step: Step) -> dict | None:
    """An open poll's answers, words and voters, for the API: all of them (the room sees the latest and the top
    words); None for a poll with choices."""
    if not open_polls.is_open(step):
        return None
    found = open_polls.answers(session_id, step.id, limit=None)
    return {
        "answers": [{"learner_id": voter if voter > 0 else None, "text": text} for voter, text in found],
        "words": open_polls.counted(session_id, step.id, top=None),
        "voters": len({voter for voter, _ in found}),
    }
