"""A user's HPR number (Health Personnel Register), which HelseID's sign-in names the user by

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 03:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('app_user', sa.Column('hpr_number', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=True))
    op.create_index('ix_app_user_hpr_number', 'app_user', ['hpr_number'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('app_user') as batch_op:
        batch_op.drop_index('ix_app_user_hpr_number')
        batch_op.drop_column('hpr_number')
