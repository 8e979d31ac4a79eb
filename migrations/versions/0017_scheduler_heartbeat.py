"""each scheduler process records its last sweep (readiness and metrics)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 17:20:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'scheduler_heartbeat',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('started_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('beat_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sweep_seconds', sa.Double(), nullable=False),
        sa.Column('fired', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_heartbeat')),
        sa.UniqueConstraint('name', name=op.f('uq_scheduler_heartbeat_name')),
    )
    op.create_index(
        op.f('ix_scheduler_heartbeat_beat_at'), 'scheduler_heartbeat', ['beat_at'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_scheduler_heartbeat_beat_at'), table_name='scheduler_heartbeat')
    op.drop_table('scheduler_heartbeat')
