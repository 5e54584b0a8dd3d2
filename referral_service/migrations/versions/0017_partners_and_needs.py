"""Partners and needs: an interpreter need with its language, and the child welfare service as a partner

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interpreter_needed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('interpreter_language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('child_welfare_org_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('child_welfare_basis', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('shared_with_child_welfare', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_foreign_key('fk_referral_child_welfare_org_id', 'organisation', ['child_welfare_org_id'],
                                    ['id'])


def downgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_constraint('fk_referral_child_welfare_org_id', type_='foreignkey')
        batch_op.drop_column('shared_with_child_welfare')
        batch_op.drop_column('child_welfare_basis')
        batch_op.drop_column('child_welfare_org_id')
        batch_op.drop_column('interpreter_language')
        batch_op.drop_column('interpreter_needed')
