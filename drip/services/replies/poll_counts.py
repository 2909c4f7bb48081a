"""Poll tallies counted by the database: one aggregate query per session, never a row per vote loaded.

A room of ten thousand votes within a minute: loading every vote as an ORM row to redraw the chart
after each one made a poll's cost quadratic (issue 28). The database counts instead, with the
rule the replies page applies to loaded rows (answers.tally): each learner's latest recognised vote
counts once (latest by created_at, then id); a vote with no learner (an erased or unknown sender)
counts on its own.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from drip.extensions import db
from drip.models import Reply, Step
from drip.services.replies.answers import LEARNER_KINDS, PollTally


def _latest_votes(session_id: int, step_ids: list[int]):
    """Each voter's latest recognised vote on each of these polls, as a subquery (step_id, choice_index)."""
    voter = func.coalesce(Reply.learner_id, -Reply.id)  # a vote without a learner is its own voter
    ranked = (
        select(
            Reply.step_id,
            Reply.choice_index,
            func.row_number()
            .over(partition_by=(Reply.step_id, voter), order_by=(Reply.created_at.desc(), Reply.id.desc()))
            .label("latest"),
        )
        .where(
            Reply.session_id == session_id,
            Reply.step_id.in_(step_ids),
            Reply.kind == "poll_vote",
            Reply.choice_index.is_not(None),
        )
        .subquery()
    )
    return select(ranked.c.step_id, ranked.c.choice_index).where(ranked.c.latest == 1).subquery()


def tallies(session_id: int, steps: list[Step]) -> dict[int, PollTally]:
    """Each poll step's tally in this session, counted in one query."""
    tallied = {step.id: PollTally(list(step.choices or []), [0] * len(step.choices or [])) for step in steps}
    if not tallied:
        return {}
    latest = _latest_votes(session_id, list(tallied))
    rows = db.session.execute(
        select(latest.c.step_id, latest.c.choice_index, func.count()).group_by(latest.c.step_id, latest.c.choice_index)
    ).all()
    for step_id, choice, count in rows:
        counts = tallied[step_id].counts
        if 0 <= choice < len(counts):  # a choice removed from the step since is not charted
            counts[choice] += count
    return tallied


def unmatched(session_id: int, step_ids: list[int]) -> dict[int, int]:
    """Per poll step, the learners' answers kept beside it that picked no choice (as the replies page counts them)."""
    if not step_ids:
        return {}
    rows = db.session.execute(
        select(Reply.step_id, func.count())
        .where(
            Reply.session_id == session_id,
            Reply.step_id.in_(step_ids),
            Reply.kind.in_(LEARNER_KINDS),
            or_(Reply.kind == "unclassified", Reply.choice_index.is_(None)),
        )
        .group_by(Reply.step_id)
    ).all()
    return dict(rows)
