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


def _foreign_keys_off() -> None:
    """SQLite rebuilds the table to change its keys: with foreign keys on, dropping the old one
    would delete (or null) the rows of every table pointing at it. No-op elsewhere."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    # SQLite cannot turn them on again inside the migration's transaction: this connection is closed
    # when the migration ends instead of going back to the pool without them.
    bind.connection.detach()
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar() != 0 and bind.exec_driver_sql(
        "SELECT count(*) FROM deliveries"
    ).scalar():
        raise RuntimeError("SQLite ignored PRAGMA foreign_keys=OFF inside a transaction: run this migration alone")


def upgrade():
    _foreign_keys_off()
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
    _foreign_keys_off()
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(PROVIDER_ID)
        batch_op.create_index(PROVIDER_ID, ["provider_message_id"])
        batch_op.drop_constraint(COMPOSITE, type_="foreignkey")
        for name, (table, column) in SINGLE.items():
            batch_op.create_foreign_key(name, table, [column], ["id"], ondelete="CASCADE")
    op.drop_index(ENROLMENT_KEY, table_name="enrollments")
