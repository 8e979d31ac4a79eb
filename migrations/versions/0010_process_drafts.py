"""process drafts

The web modeler's work in progress: one draft per process key, published through the
definitions upload as a new version.

Revision ID: 0010_process_drafts
Revises: 0009
Create Date: 2026-12-03 10:50:00

"""
from alembic import op
import sqlalchemy as sa
import app.models.types

# revision identifiers, used by Alembic.
revision = '0010_process_drafts'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('process_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=100), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['person.id'], name=op.f('fk_process_draft_updated_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_draft')),
    sa.UniqueConstraint('process_key', name=op.f('uq_process_draft_process_key'))
    )


def downgrade():
    op.drop_table('process_draft')
