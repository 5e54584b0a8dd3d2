"""The accounts that signed in from a network address lately: a flood of wrong passwords from a shared address
slows that address down for everyone but them

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 04:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_in_address',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('last_signed_in_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index(op.f('ix_sign_in_address_last_signed_in_at'), 'sign_in_address', ['last_signed_in_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sign_in_address_last_signed_in_at'), table_name='sign_in_address')
    op.drop_table('sign_in_address')
