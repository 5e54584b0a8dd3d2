"""The used states of OpenID Connect sign-ins (their hashes), so a replayed pre-callback cookie is refused

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 04:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'oidc_used_state',
        sa.Column('state_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('state_hash'),
    )
    op.create_index('ix_oidc_used_state_used_at', 'oidc_used_state', ['used_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_oidc_used_state_used_at', table_name='oidc_used_state')
    op.drop_table('oidc_used_state')
