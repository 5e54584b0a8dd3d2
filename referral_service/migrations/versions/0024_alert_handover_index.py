"""A task's unread alerts through an index: settling them as the task moves on no longer reads every alert

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 17:45:00
"""
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_alert_handover_read', 'alert', ['handover_id', 'read_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_alert_handover_read', table_name='alert')
