"""Forms posted after the session ended are kept, encrypted, until their user signs in again (or two hours pass)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 23:40:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'kept_form',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('fields_ciphertext', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_kept_form_user_id', 'kept_form', ['user_id'], unique=False)
    op.create_index('ix_kept_form_expires_at', 'kept_form', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_kept_form_expires_at', table_name='kept_form')
    op.drop_index('ix_kept_form_user_id', table_name='kept_form')
    op.drop_table('kept_form')
