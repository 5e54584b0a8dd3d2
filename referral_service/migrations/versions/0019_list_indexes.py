"""list indexes: lists, inboxes and queues read one page through an index at any age of the database

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-06 14:00:00
"""
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

INDEXES = [
    ('handover', 'ix_handover_municipality_org_status_due',
     ['municipality_org_id', 'addressed_to', 'status', 'acknowledge_due', 'created_at', 'referral_id']),
    ('handover', 'ix_handover_owner_status_due',
     ['owner_org_id', 'addressed_to', 'status', 'acknowledge_due', 'created_at']),
    ('referral', 'ix_referral_clinic_created', ['clinic_id', 'created_at']),
    ('referral', 'ix_referral_clinic_status_created', ['clinic_id', 'status', 'created_at', 'received_on']),
    ('referral', 'ix_referral_child_welfare_org_created', ['child_welfare_org_id', 'created_at']),
    ('referral', 'ix_referral_id_shared_with_municipality', ['id', 'shared_with_municipality']),
    ('alert', 'ix_alert_user_created', ['user_id', 'created_at']),
]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
