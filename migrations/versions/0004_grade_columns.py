"""grade columns wide enough for every grade key

`basically_competent` (基本称职, 19 characters) did not fit the VARCHAR(16) grade columns of
department results and the calibration log; PostgreSQL refused it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

COLUMNS = {
    'department_result': ('band_grade', 'grade'),
    'calibration_entry': ('from_grade', 'to_grade'),
}


def upgrade():
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.String(length=16),
                    type_=sa.String(length=32),
                    existing_nullable=False,
                )


def downgrade():
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.String(length=32),
                    type_=sa.String(length=16),
                    existing_nullable=False,
                )
