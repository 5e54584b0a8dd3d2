"""BUP can plan a discharge; the handover opens ahead of the date

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_discharge_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_column('planned_discharge_on')
