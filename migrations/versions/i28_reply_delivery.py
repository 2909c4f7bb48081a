"""Issue 28: replies indexed by the delivery they answer

Revision ID: i28_reply_delivery
Revises: i28_delivery_keys
Create Date: 2026-12-06 20:25:00

Routing asks, for every batch of texts, which of the polls and quizzes sent to its senders were
already answered (sender_batch, lookup, the quiz verdicts): `replies.delivery_id IN (...)`. Without
an index PostgreSQL read the whole replies table for it, every batch, so routing a text cost more
the more replies every trainer had ever received.
"""

from alembic import op

revision = "i28_reply_delivery"
down_revision = "i28_delivery_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_replies_delivery_id", "replies", ["delivery_id"])


def downgrade():
    op.drop_index("ix_replies_delivery_id", table_name="replies")
