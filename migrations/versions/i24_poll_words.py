"""Issue 24: open polls' words kept as answers are filed, so the word cloud is one query

Revision ID: i24_poll_words
Revises: i21_server_defaults
Create Date: 2026-12-06 17:10:00

Each (session, poll step, voter, word) row holds how many of the voter's answers hold the word; the
answers already given are counted here, as services/board/poll_words.py counts new ones.
"""

from alembic import op
import sqlalchemy as sa

from drip.domain.word_cloud import words_of

revision = "i24_poll_words"
down_revision = "i21_server_defaults"
branch_labels = None
depends_on = None

WORD_LENGTH = 64


def upgrade():
    words = op.create_table(
        "open_poll_words",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("training_sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("step_id", sa.Integer(), sa.ForeignKey("steps.id", ondelete="CASCADE"), nullable=False),
        sa.Column("voter", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), sa.ForeignKey("learners.id", ondelete="CASCADE"), nullable=True),
        sa.Column("word", sa.String(length=WORD_LENGTH), nullable=False),
        sa.Column("answers", sa.Integer(), server_default="1", nullable=False),
        sa.UniqueConstraint("session_id", "step_id", "voter", "word"),
    )
    op.create_index("ix_open_poll_words_learner_id", "open_poll_words", ["learner_id"])
    _count_the_answers_given(words)


def _count_the_answers_given(words) -> None:
    connection = op.get_bind()
    meta = sa.MetaData()
    steps = sa.Table("steps", meta, autoload_with=connection)
    sequences = sa.Table("sequences", meta, autoload_with=connection)
    replies = sa.Table("replies", meta, autoload_with=connection)
    polls = {
        step_id: language or "en"
        for step_id, choices, language in connection.execute(
            sa.select(steps.c.id, steps.c.choices, sequences.c.language)
            .join(sequences, sequences.c.id == steps.c.sequence_id)
            .where(steps.c.kind == "poll")
        )
        if not choices
    }
    if not polls:
        return
    counts: dict[tuple, int] = {}
    learners: dict[int, int | None] = {}
    for reply_id, session_id, step_id, learner_id, body in connection.execute(
        sa.select(replies.c.id, replies.c.session_id, replies.c.step_id, replies.c.learner_id, replies.c.body).where(
            replies.c.kind == "poll_vote",
            replies.c.choice_index.is_(None),
            replies.c.session_id.is_not(None),
            replies.c.step_id.in_(list(polls)),
        )
    ):
        voter = learner_id if learner_id is not None else -reply_id
        learners[voter] = learner_id
        for word in {w[:WORD_LENGTH] for w in words_of(body or "", polls[step_id])}:
            counts[(session_id, step_id, voter, word)] = counts.get((session_id, step_id, voter, word), 0) + 1
    rows = [
        {"session_id": s, "step_id": p, "voter": v, "learner_id": learners[v], "word": w, "answers": n}
        for (s, p, v, w), n in counts.items()
    ]
    for start in range(0, len(rows), 5000):
        connection.execute(words.insert(), rows[start : start + 5000])


def downgrade():
    op.drop_index("ix_open_poll_words_learner_id", table_name="open_poll_words")
    op.drop_table("open_poll_words")
