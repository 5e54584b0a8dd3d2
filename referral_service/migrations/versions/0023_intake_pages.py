"""intake pages: BUP's Inntak reads a page of each section through an index; the growing-up sweep reads only the
young people turning 17½ or 18 and the referrals received lately

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 17:30:00
"""
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

INDEXES = [
    ('referral', 'ix_referral_clinic_status_urgency_due', ['clinic_id', 'status', 'urgency', 'assessment_due']),
    ('referral', 'ix_referral_clinic_status_care_start', ['clinic_id', 'status', 'care_start_due']),
    ('referral', 'ix_referral_child_status', ['child_id', 'status', 'id']),
    ('referral', 'ix_referral_status_received', ['status', 'received_on', 'child_id', 'id']),
    ('child', 'ix_child_birth_date', ['birth_date', 'id']),
]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
