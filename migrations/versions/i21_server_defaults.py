"""Issue 21: the server defaults the models declare, where a table was created without one

Revision ID: i21_server_defaults
Revises: i23_trainer_phone
Create Date: 2026-12-06 14:35:00

The models now declare the server defaults the migrations gave trainers.is_operator,
trainers.session_version, inbound_messages.sender_verified and provider_events.attempts;
inbound_receipts.attempts (the same mixin column) was created without one, and gets it here.
"""

from alembic import op
import sqlalchemy as sa

revision = "i21_server_defaults"
down_revision = "i23_trainer_phone"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("inbound_receipts") as batch_op:
        batch_op.alter_column("attempts", existing_type=sa.Integer(), existing_nullable=False, server_default="0")


def downgrade():
    with op.batch_alter_table("inbound_receipts") as batch_op:
        batch_op.alter_column("attempts", existing_type=sa.Integer(), existing_nullable=False, server_default=None)
