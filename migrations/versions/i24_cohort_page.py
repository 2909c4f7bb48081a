"""Issue 24, the cohort page: personal links and views per enrolment, the page's settings per
session, and learners' votes on live questions

Revision ID: i24_cohort_page
Revises: i25_media
Create Date: 2026-12-06 13:40:00

"""

import secrets

from alembic import op
import sqlalchemy as sa

import drip.models.types


revision = "i24_cohort_page"
down_revision = "i25_media"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("cohort_token", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("cohort_views", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("cohort_viewed_at", drip.models.types.UTCDateTime(), nullable=True))
        batch.create_unique_constraint(batch.f("uq_enrollments_cohort_token"), ["cohort_token"])
    # Every existing enrolment gets its link now, so `cohort_url` works for sessions already running.
    enrollments = sa.table("enrollments", sa.column("id", sa.Integer), sa.column("cohort_token", sa.String))
    conn = op.get_bind()
    for (enrollment_id,) in conn.execute(sa.select(enrollments.c.id)).all():
        conn.execute(
            enrollments.update()
            .where(enrollments.c.id == enrollment_id)
            .values(cohort_token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table("training_sessions") as batch:
        batch.add_column(sa.Column("cohort_publish", sa.String(length=10), server_default="approved", nullable=False))
        batch.add_column(sa.Column("cohort_days_after", sa.Integer(), server_default="90", nullable=False))
    with op.batch_alter_table("live_questions") as batch:
        batch.add_column(sa.Column("votes", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "question_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", drip.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"], ["live_questions.id"], name=op.f("fk_question_votes_question_id_live_questions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_question_votes_learner_id_learners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_votes")),
        sa.UniqueConstraint("question_id", "learner_id", name=op.f("uq_question_votes_question_id_learner_id")),
    )
    with op.batch_alter_table("question_votes") as batch:
        batch.create_index(batch.f("ix_question_votes_learner_id"), ["learner_id"], unique=False)


def downgrade():
    with op.batch_alter_table("question_votes") as batch:
        batch.drop_index(batch.f("ix_question_votes_learner_id"))
    op.drop_table("question_votes")
    with op.batch_alter_table("live_questions") as batch:
        batch.drop_column("votes")
    with op.batch_alter_table("training_sessions") as batch:
        batch.drop_column("cohort_days_after")
        batch.drop_column("cohort_publish")
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_constraint(batch.f("uq_enrollments_cohort_token"), type_="unique")
        batch.drop_column("cohort_viewed_at")
        batch.drop_column("cohort_views")
        batch.drop_column("cohort_token")
