"""A discharge without an epikrise is remembered until BUP records it as sent

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 16:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('epikrise_pending', sa.Boolean(), nullable=False, server_default=sa.false()))
    # Referrals discharged before: their discharge event says whether the epikrise was sent.
    op.execute("UPDATE referral SET epikrise_pending = true WHERE status = 'discharged' AND id IN ("
               "SELECT referral_id FROM referral_event WHERE action = 'discharge' "
               "AND CAST(data AS TEXT) LIKE '%\"epikrise_sent\": false%')")


def downgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_column('epikrise_pending')
