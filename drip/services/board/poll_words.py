"""Open polls' words, kept as answers are filed: the only writer of open_poll_words.

An answer to an open poll is split into its words (domain/word_cloud.py) when it is filed (routing's
answer hook, which the cohort page's answers pass through too), when a re-filing moves it in or out,
and when the demo seeds it; each (voter, word) row keeps how many of that voter's answers hold the
word. So a redraw counts the cloud in one query, however many answers the room sent, and a word still
counts once per learner. Erasing a learner deletes their rows (services/learners/personal_data.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from drip.domain import word_cloud
from drip.extensions import db
from drip.models import OpenPollWord, Reply, Sequence, Step
from drip.services.inbound import answer_hooks

WORD_LENGTH = 64  # the column's; a longer "word" (a pasted URL, a key mash) is cut there


def is_open(step: Step) -> bool:
    """Whether a step is an open poll: a poll without choices, answered in free text."""
    return step.kind == "poll" and not step.choices


def language_of(step: Step) -> str:
    """The language whose common words the cloud drops: the step's sequence's."""
    return getattr(step.sequence, "language", None) or "en"


def _answers(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if r.kind == "poll_vote" and r.choice_index is None and r.session_id and r.step_id]


def _counts(replies: list[Reply]) -> dict[tuple, int]:
    """(session, step, voter, learner, word) → how many of these replies hold the word, for open polls' answers."""
    answers = _answers(replies)
    if not answers:
        return {}
    polls = {
        step_id: language or "en"
        for step_id, kind, choices, language in db.session.execute(
            select(Step.id, Step.kind, Step.choices, Sequence.language)
            .join(Sequence, Sequence.id == Step.sequence_id)
            .where(Step.id.in_({r.step_id for r in answers}))
        )
        if kind == "poll" and not choices
    }
    counts: dict[tuple, int] = {}
    for reply in answers:
        if reply.step_id not in polls:
            continue
        voter = reply.learner_id if reply.learner_id is not None else -reply.id
        for word in {w[:WORD_LENGTH] for w in word_cloud.words_of(reply.body or "", polls[reply.step_id])}:
            key = (reply.session_id, reply.step_id, voter, reply.learner_id, word)
            counts[key] = counts.get(key, 0) + 1
    return counts


def file(reply: Reply) -> None:
    """Count a filed answer's words (flushed, the caller commits); anything but an open poll's answer is ignored."""
    file_many([reply])


def file_many(replies: list[Reply]) -> None:
    """file() for a batch of replies, in two statements at most."""
    counts = _counts(replies)
    if not counts:
        return
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(OpenPollWord.__table__).values(
        [
            {"session_id": s, "step_id": p, "voter": v, "learner_id": learner, "word": w, "answers": n}
            for (s, p, v, learner, w), n in counts.items()
        ]
    )
    db.session.execute(
        upsert.on_conflict_do_update(
            index_elements=["session_id", "step_id", "voter", "word"],
            set_={"answers": OpenPollWord.__table__.c.answers + upsert.excluded.answers},
        )
    )


def unfile(reply: Reply) -> None:
    """Stop counting an answer's words (before it is re-filed elsewhere or deleted); flushed, the caller commits."""
    keys = list(_counts([reply]))
    if not keys:
        return
    session_id, step_id, voter, _, _ = keys[0]
    mine = and_(
        OpenPollWord.session_id == session_id,
        OpenPollWord.step_id == step_id,
        OpenPollWord.voter == voter,
        OpenPollWord.word.in_([key[-1] for key in keys]),
    )
    db.session.execute(
        update(OpenPollWord)
        .where(mine)
        .values(answers=OpenPollWord.answers - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(OpenPollWord).where(mine, OpenPollWord.answers <= 0).execution_options(synchronize_session=False)
    )


def counted(session_id: int, step_id: int, top: int | None = word_cloud.TOP) -> list[dict]:
    """[{word, count}] of an open poll, most learners first (then alphabetical): one query; every word for None."""
    voters = func.count().label("voters")
    rows = db.session.execute(
        select(OpenPollWord.word, voters)
        .where(OpenPollWord.session_id == session_id, OpenPollWord.step_id == step_id)
        .group_by(OpenPollWord.word)
        .order_by(voters.desc(), OpenPollWord.word)
        .limit(top)
    ).all()
    return [{"word": word, "count": count} for word, count in rows]


def _filed(reply: Reply, now: datetime) -> None:
    file(reply)  # routing's seam: inside the inbound transaction, so the words commit with the answer


def _filed_together(replies: list[Reply], now: datetime) -> list[None]:
    file_many(replies)  # a worker's batch of texts: its open polls' words in two statements
    return [None] * len(replies)


answer_hooks.on_answer("poll_vote")(_filed)
answer_hooks.on_answers("poll_vote", _filed)(_filed_together)
