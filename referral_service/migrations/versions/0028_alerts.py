"""A referral's unread alerts through an index: they are cleared when the referral ends, and the inbox counts a
group's unread alerts, without reading every alert

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 23:50:00
"""
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_alert_referral_read', 'alert', ['referral_id', 'read_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_alert_referral_read', table_name='alert')
