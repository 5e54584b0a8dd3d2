"""A closed handover says how it ended as a code (followed up, help ended, declined, transferred)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_code', sa.String(length=24), nullable=True))
    # Tasks closed before the code existed were followed up in the municipality.
    op.execute("UPDATE handover SET outcome_code = 'followed_up' WHERE status = 'closed'")


def downgrade() -> None:
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.drop_column('outcome_code')
