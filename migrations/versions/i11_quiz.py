"""Quiz steps, follow-ups for silence, and deliveries that re-ask or follow up a step.

Revision ID: i11_quiz
Revises: i14_webtier
"""

import sqlalchemy as sa
from alembic import op

revision = "i11_quiz"
down_revision = "i14_webtier"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("explain", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("retry_after", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("follow_up", sa.JSON(), nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=12), server_default="step", nullable=False))
        batch_op.add_column(sa.Column("attempt", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint("uq_deliveries_enrollment_id_step_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_deliveries_enrollment_id_step_id_purpose_attempt", ["enrollment_id", "step_id", "purpose", "attempt"]
        )


def downgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_deliveries_enrollment_id_step_id_purpose_attempt", type_="unique")
        batch_op.execute("DELETE FROM deliveries WHERE purpose <> 'step'")
        batch_op.create_unique_constraint("uq_deliveries_enrollment_id_step_id", ["enrollment_id", "step_id"])
        batch_op.drop_column("attempt")
        batch_op.drop_column("purpose")
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.drop_column("follow_up")
        batch_op.drop_column("retry_after")
        batch_op.drop_column("explain")
        batch_op.drop_column("answer")
