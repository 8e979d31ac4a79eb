"""a grade changed against its band keeps who approved it and the approval's reference

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calibration_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('approval_ref', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('calibration_entry', schema=None) as batch_op:
        batch_op.drop_column('approval_ref')
        batch_op.drop_column('approved_by')
