"""Languages: a learner's language, a sequence's language, a step's translations

Revision ID: i26_languages
Revises: i12_lurker
"""

from alembic import op
import sqlalchemy as sa

revision = "i26_languages"
down_revision = "i12_lurker"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("learners") as batch:
        batch.add_column(sa.Column("language", sa.String(length=35), nullable=True))
    with op.batch_alter_table("sequences") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=False, server_default="en"))
    with op.batch_alter_table("steps") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("steps") as batch:
        batch.drop_column("translations")
    with op.batch_alter_table("sequences") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("learners") as batch:
        batch.drop_column("language")
