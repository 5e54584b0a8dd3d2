"""Heartbeats of the workers and the scheduler, for /ready and /metrics

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07 09:30:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'service_heartbeat',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('service_heartbeat')
