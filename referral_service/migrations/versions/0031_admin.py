"""The administration log: role changes, users created and deactivated, organisations and referral-right grants

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 03:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'admin_event',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_user_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('target_kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('target_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_admin_event_at', 'admin_event', ['at'], unique=False)
    op.create_index('ix_admin_event_actor_user_id', 'admin_event', ['actor_user_id'], unique=False)
    op.create_index('ix_admin_event_target_id', 'admin_event', ['target_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_admin_event_target_id', table_name='admin_event')
    op.drop_index('ix_admin_event_actor_user_id', table_name='admin_event')
    op.drop_index('ix_admin_event_at', table_name='admin_event')
    op.drop_table('admin_event')
