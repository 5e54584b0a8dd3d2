"""Background work in small steps: the indexes the sweep's candidate queries use, and the reconciler's checkpoint

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 13:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

#: (index, table, columns), as declared on the models.
INDEXES = [
    ('ix_handover_status_acknowledge_due', 'handover', ['status', 'acknowledge_due']),
    ('ix_handover_status_first_contact_due', 'handover', ['status', 'first_contact_due']),
    ('ix_handover_assignee_status', 'handover', ['assignee_user_id', 'status']),
    ('ix_deadline_mark_referral_kind', 'deadline_mark', ['referral_id', 'kind']),
    ('ix_deadline_mark_handover_kind_at', 'deadline_mark', ['handover_id', 'kind', 'at']),
    ('ix_referral_status_planned_discharge', 'referral', ['status', 'planned_discharge_on']),
    ('ix_referral_status_epikrise', 'referral', ['status', 'epikrise_pending']),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.create_table(
        'reconciler_checkpoint',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('checked_until', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('reconciler_checkpoint')
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
