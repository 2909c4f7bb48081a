"""The admin a trainer trusts: step labels, session moderation (approve by default)

Sessions made before moderation existed keep what they did: a session whose projector showed every
question becomes `open`, one that showed only approved questions becomes `approve`. New sessions
are `approve`. An acknowledgement left at the old default text of an `approve` session is emptied,
so the learner is told what really happens ("the trainer has your question").

Revision ID: i22_admin
Revises: i24_cohort_page
"""

from alembic import op
import sqlalchemy as sa

revision = "i22_admin"
down_revision = "i24_cohort_page"
branch_labels = None
depends_on = None

_OLD_DEFAULT = "Thanks, your question is on the board."


def upgrade():
    with op.batch_alter_table("steps") as batch:
        batch.add_column(sa.Column("label", sa.String(length=80), nullable=True))
    with op.batch_alter_table("training_sessions") as batch:
        batch.add_column(sa.Column("moderation", sa.String(length=10), nullable=False, server_default="open"))
    sessions = sa.table(
        "training_sessions",
        sa.column("moderation", sa.String),
        sa.column("projector_approved_only", sa.Boolean),
        sa.column("acknowledgement", sa.Text),
    )
    op.execute(
        sessions.update().where(sessions.c.projector_approved_only == sa.true()).values(moderation="approve")
    )
    op.execute(
        sessions.update()
        .where(sessions.c.moderation == "approve", sessions.c.acknowledgement == _OLD_DEFAULT)
        .values(acknowledgement="")
    )
    with op.batch_alter_table("training_sessions") as batch:
        batch.alter_column("moderation", server_default="approve", existing_type=sa.String(length=10))
        batch.drop_column("projector_approved_only")


def downgrade():
    with op.batch_alter_table("training_sessions") as batch:
        batch.add_column(
            sa.Column("projector_approved_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    sessions = sa.table(
        "training_sessions",
        sa.column("moderation", sa.String),
        sa.column("projector_approved_only", sa.Boolean),
        sa.column("acknowledgement", sa.Text),
    )
    op.execute(sessions.update().where(sessions.c.moderation == "approve").values(projector_approved_only=True))
    op.execute(sessions.update().where(sessions.c.acknowledgement == "").values(acknowledgement=_OLD_DEFAULT))
    with op.batch_alter_table("training_sessions") as batch:
        batch.drop_column("moderation")
    with op.batch_alter_table("steps") as batch:
        batch.drop_column("label")
