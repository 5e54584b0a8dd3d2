"""The request id on outbox rows: the web request (or task) that wrote a row, carried into the task that handles it

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 09:30:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message') as batch:
        batch.add_column(sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_message') as batch:
        batch.drop_column('request_id')
