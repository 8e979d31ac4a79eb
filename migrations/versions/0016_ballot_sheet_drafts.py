"""a voter's unfinished ballot sheet (测评表) is kept as a draft

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 12:45:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ballot_sheet_draft',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('voter_id', sa.Integer(), nullable=False),
        sa.Column(
            'marks',
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=False,
        ),
        sa.Column('saved_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['voter_id'], ['person.id'], name=op.f('fk_ballot_sheet_draft_voter_id_person')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_sheet_draft')),
        sa.UniqueConstraint('voter_id', name=op.f('uq_ballot_sheet_draft_voter_id')),
    )


def downgrade():
    op.drop_table('ballot_sheet_draft')
