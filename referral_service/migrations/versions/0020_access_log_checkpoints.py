"""Access-log checkpoints: signed marks up to which the chain was verified, so `audit verify` starts there

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-06 14:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_log_checkpoint',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('entry_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )


def downgrade() -> None:
    op.drop_table('access_log_checkpoint')
