"""Issue 23: a trainer's own phone, the only number test texts go to

Revision ID: i23_trainer_phone
Revises: i24_question_order
Create Date: 2026-12-06 14:40:00

"""

from alembic import op
import sqlalchemy as sa

revision = "i23_trainer_phone"
down_revision = "i24_question_order"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("trainers") as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("trainers") as batch_op:
        batch_op.drop_column("phone")
