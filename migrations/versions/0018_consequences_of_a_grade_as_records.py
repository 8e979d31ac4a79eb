"""consequences of a grade as records

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 17:47:23.345789

"""
from alembic import op
import sqlalchemy as sa
import app.models.types
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('consequence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('plan', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('recorded_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checked_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_consequence_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['checked_by_id'], ['person.id'], name=op.f('fk_consequence_checked_by_id_person')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_consequence_department_id_department')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_consequence_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_consequence_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consequence'))
    )
    with op.batch_alter_table('consequence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consequence_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consequence_person_id'), ['person_id'], unique=False)
        batch_op.create_index('uq_consequence_subject', ['campaign_id', 'kind', 'department_id'], unique=True)




def downgrade():

    with op.batch_alter_table('consequence', schema=None) as batch_op:
        batch_op.drop_index('uq_consequence_subject')
        batch_op.drop_index(batch_op.f('ix_consequence_person_id'))
        batch_op.drop_index(batch_op.f('ix_consequence_department_id'))

    op.drop_table('consequence')

