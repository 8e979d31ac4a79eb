"""indexes for the sweeps and the candidates read

The timer sweep's claim, the escalation sweep's read and the candidates of a task each read
a handful of rows through an index instead of scanning every instance, ready step or person
(issue 5: the 1,000-department year).

Revision ID: 0011
Revises: 0010_process_drafts
Create Date: 2026-12-03 11:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010_process_drafts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_process_instance_timer', 'process_instance', ['status', 'next_timer_at'])
    op.create_index('ix_human_task_escalation', 'human_task', ['status', 'escalation', 'due_at'])
    op.create_index('ix_role_assignment_scope', 'role_assignment', ['role', 'department_id', 'unit_id'])


def downgrade():
    op.drop_index('ix_role_assignment_scope', table_name='role_assignment')
    op.drop_index('ix_human_task_escalation', table_name='human_task')
    op.drop_index('ix_process_instance_timer', table_name='process_instance')
