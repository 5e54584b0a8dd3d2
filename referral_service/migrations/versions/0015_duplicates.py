"""Two referrals of one child become one: the referral that ends links to the one it was merged into

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.String(length=36), nullable=True))
        batch_op.create_foreign_key('fk_referral_merged_into_id', 'referral', ['merged_into_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_constraint('fk_referral_merged_into_id', type_='foreignkey')
        batch_op.drop_column('merged_into_id')
