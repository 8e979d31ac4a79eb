"""calibration log entries keep their reasons' kinds and values, to show them in the reader's language

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:20:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calibration_entry', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'reason_parts',
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                nullable=True,
            )
        )


def downgrade():
    with op.batch_alter_table('calibration_entry', schema=None) as batch_op:
        batch_op.drop_column('reason_parts')
