"""Issue 28: enrolments lose their index on session_id alone

Revision ID: i28_enrolment_index
Revises: i28_reply_delivery
Create Date: 2026-12-06 23:25:00

The unique (session_id, learner_id) already serves every lookup by session. The single-column index
misled the check of a delivery's foreign key: PostgreSQL plans that check once per connection, and
a plan made while `enrollments` held a few hundred rows (a fresh database, an import enrolling a
chunk at a time) chose `session_id = $2` and then walked every enrolment of the session for each
delivery: 100,000 deliveries took 43 s of the server's CPU instead of 2.4 (bench/README.md).
"""

from alembic import op

revision = "i28_enrolment_index"
down_revision = "i28_reply_delivery"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_enrollments_session_id", table_name="enrollments")


def downgrade():
    op.create_index("ix_enrollments_session_id", "enrollments", ["session_id"])
