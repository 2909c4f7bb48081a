"""Issue 28: a delivery's enrolment, session and learner checked by one foreign key, not three

Revision ID: i28_delivery_keys
Revises: i24_poll_words
Create Date: 2026-12-06 20:10:00

Enrolling 10,000 learners stores 100,000 deliveries, and PostgreSQL checked each one's enrolment,
session and learner separately (three lookups a row, about a second of its CPU): one composite key
(enrollment_id, session_id, learner_id) -> enrollments (id, session_id, learner_id) checks the three
at once, and also refuses a delivery naming another session or learner than its enrolment's.
Deleting a learner or a session still removes their deliveries, through the enrolment. The provider's
message id is indexed only where there is one (never at enrolment).
"""

from alembic import op
import sqlalchemy as sa

revision = "i28_delivery_keys"
down_revision = "i24_poll_words"
branch_labels = None
depends_on = None

ENROLMENT_KEY = "ix_enrollments_id_session_learner"
SINGLE = {
    "fk_deliveries_enrollment_id_enrollments": ("enrollments", "enrollment_id"),
    "fk_deliveries_session_id_training_sessions": ("training_sessions", "session_id"),
    "fk_deliveries_learner_id_learners": ("learners", "learner_id"),
}
COMPOSITE = "fk_deliveries_enrollment_id_enrollments"
PROVIDER_ID = "ix_deliveries_provider_message_id"


def upgrade():
    # SQLite rebuilds the table here: migrations/env.py runs every migration with foreign keys off.
    op.create_index(ENROLMENT_KEY, "enrollments", ["id", "session_id", "learner_id"], unique=True)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        for name in SINGLE:
            batch_op.drop_constraint(name, type_="foreignkey")
        batch_op.create_foreign_key(
            COMPOSITE,
            "enrollments",
            ["enrollment_id", "session_id", "learner_id"],
            ["id", "session_id", "learner_id"],
            ondelete="CASCADE",
        )
        batch_op.drop_index(PROVIDER_ID)
        batch_op.create_index(
            PROVIDER_ID,
            ["provider_message_id"],
            postgresql_where=sa.text("provider_message_id IS NOT NULL"),
            sqlite_where=sa.text("provider_message_id IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(PROVIDER_ID)
        batch_op.create_index(PROVIDER_ID, ["provider_message_id"])
        batch_op.drop_constraint(COMPOSITE, type_="foreignkey")
        for name, (table, column) in SINGLE.items():
            batch_op.create_foreign_key(name, table, [column], ["id"], ondelete="CASCADE")
    op.drop_index(ENROLMENT_KEY, table_name="enrollments")
