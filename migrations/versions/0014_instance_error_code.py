"""an instance in error keeps the kind of its failure, to say it in the reader's language

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 12:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_code', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('error_code')
