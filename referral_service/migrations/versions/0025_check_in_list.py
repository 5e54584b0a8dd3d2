"""The check-ins list through an index: each owner's check-ins of one status in the list's order (soonest due
first), so a page reads its own rows and not every check-in of ten years; it replaces the index on the owner alone

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 20:45:00
"""
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_check_in_owner_status_due', 'check_in',
                    ['owner_org_id', 'status', 'due_on', 'created_at', 'id'], unique=False)
    op.drop_index('ix_check_in_owner_org_id', table_name='check_in')


def downgrade() -> None:
    op.create_index('ix_check_in_owner_org_id', 'check_in', ['owner_org_id'], unique=False)
    op.drop_index('ix_check_in_owner_status_due', table_name='check_in')
