"""admin at real scale: archive, unenrol, erase with suppression hashes, audit log, trainer's zone, soft-deleted steps

Revision ID: i13_admin
Revises: i16_security
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import drip.models.types


revision = 'i13_admin'
down_revision = 'i16_security'
branch_labels = None
depends_on = None

_COLUMNS = [
    ('trainers', sa.Column('timezone', sa.String(length=64), nullable=True)),
    ('sequences', sa.Column('archived_at', drip.models.types.UTCDateTime(), nullable=True)),
    ('training_sessions', sa.Column('archived_at', drip.models.types.UTCDateTime(), nullable=True)),
    ('enrollments', sa.Column('unenrolled_at', drip.models.types.UTCDateTime(), nullable=True)),
    ('learners', sa.Column('erased_at', drip.models.types.UTCDateTime(), nullable=True)),
    ('steps', sa.Column('deleted_at', drip.models.types.UTCDateTime(), nullable=True)),
]


def upgrade():
    for table, column in _COLUMNS:
        op.add_column(table, column)
    op.create_table('suppressed_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', drip.models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'address_hash')
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trainer_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('created_at', drip.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trainer_id'], ['trainers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_learner_id'), ['learner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_trainer_id'), ['trainer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_trainer_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_learner_id'))
    op.drop_table('audit_events')
    op.drop_table('suppressed_addresses')
    for table, column in reversed(_COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column.name)
