"""What each retention sweep deleted or anonymised, per kind of record (the auditor's page lists the recent runs)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 03:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'retention_run',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('cut_off', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_retention_run_at', 'retention_run', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_retention_run_at', table_name='retention_run')
    op.drop_table('retention_run')
