"""Issue 24: the board and projector order questions by time or by votes, per session

Revision ID: i24_question_order
Revises: i23_privacy
Create Date: 2026-12-06 13:55:00

"""

from alembic import op
import sqlalchemy as sa


revision = "i24_question_order"
down_revision = "i23_privacy"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("training_sessions") as batch:
        batch.add_column(sa.Column("question_order", sa.String(length=10), server_default="time", nullable=False))


def downgrade():
    with op.batch_alter_table("training_sessions") as batch:
        batch.drop_column("question_order")
