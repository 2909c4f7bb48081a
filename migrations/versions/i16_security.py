"""Security: session versions, operators, unverified email senders; login failures move to Redis

Revision ID: i16_security
Revises: i11_quiz
"""

from alembic import op
import sqlalchemy as sa

import drip.models.types

revision = "i16_security"
down_revision = "i11_quiz"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("trainers") as batch:
        batch.add_column(sa.Column("is_operator", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))
        # Failed logins are counted in Redis now (atomically, per address too).
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("sender_verified", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("sender_verified")
    with op.batch_alter_table("trainers") as batch:
        batch.add_column(sa.Column("locked_until", drip.models.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_column("session_version")
        batch.drop_column("is_operator")
