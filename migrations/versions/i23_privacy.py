"""Issue 23, privacy: erased learners' opted-out addresses are kept as keyed hashes (HMAC), not plain SHA-256

Revision ID: i23_privacy
Revises: i22_admin
Create Date: 2026-12-06 13:50:00

"""

from alembic import op
import sqlalchemy as sa
from flask import current_app

from drip.domain.address_hash import key_from, keyed

# revision identifiers, used by Alembic.
revision = "i23_privacy"
down_revision = "i22_admin"
branch_labels = None
depends_on = None

suppressed = sa.table("suppressed_addresses", sa.column("id", sa.Integer), sa.column("address_hash", sa.String))


def upgrade():
    # A stored hash is the plain SHA-256 the keyed hash is computed from: re-key each one in place.
    connection = op.get_bind()
    rows = connection.execute(sa.select(suppressed.c.id, suppressed.c.address_hash)).all()
    if not rows:
        return
    key = key_from(current_app.config)
    for row_id, plain in rows:
        connection.execute(
            sa.update(suppressed).where(suppressed.c.id == row_id).values(address_hash=keyed(plain, key))
        )


def downgrade():
    # A keyed hash cannot be turned back into the plain one: downgrading keeps them (and older code
    # no longer matches them, so erased learners' opt-outs would not apply to re-enrolled addresses).
    pass
