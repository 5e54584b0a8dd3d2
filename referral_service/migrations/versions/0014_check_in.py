"""A handover closed because the municipal help ended schedules a check-in with the family

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'check_in',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('handover_id', sa.String(length=36), nullable=False),
        sa.Column('referral_id', sa.String(length=36), nullable=False),
        sa.Column('child_id', sa.String(length=36), nullable=False),
        sa.Column('owner_org_id', sa.String(length=36), nullable=True),
        sa.Column('coordinator_user_id', sa.String(length=36), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('outcome', sa.String(length=10000), nullable=True),
        sa.Column('outcome_code', sa.String(length=24), nullable=True),
        sa.Column('cancel_reason', sa.String(length=2000), nullable=True),
        sa.Column('done_by_user_id', sa.String(length=36), nullable=True),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('escalation_level', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['child_id'], ['child.id']),
        sa.ForeignKeyConstraint(['coordinator_user_id'], ['app_user.id']),
        sa.ForeignKeyConstraint(['done_by_user_id'], ['app_user.id']),
        sa.ForeignKeyConstraint(['handover_id'], ['handover.id']),
        sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id']),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('handover_id'),
    )
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_child_id'), ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_coordinator_user_id'), ['coordinator_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index('ix_check_in_status_due_on', ['status', 'due_on'], unique=False)


def downgrade() -> None:
    op.drop_table('check_in')
