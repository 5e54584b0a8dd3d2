"""Alert e-mail retried over hours: an outbox row waits for its next attempt; an alert keeps its retry window,
next attempt and when its e-mail was given up

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 09:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('outbox_message') as batch:
        batch.add_column(sa.Column('next_attempt_at', WHEN, nullable=True))
        batch.drop_index('ix_outbox_pending')
        batch.create_index('ix_outbox_pending', ['dispatched_at', 'created_at', 'next_attempt_at'], unique=False)
    with op.batch_alter_table('alert') as batch:
        batch.add_column(sa.Column('email_retry_until', WHEN, nullable=True))
        batch.add_column(sa.Column('email_next_attempt_at', WHEN, nullable=True))
        batch.add_column(sa.Column('email_failed_at', WHEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert') as batch:
        batch.drop_column('email_failed_at')
        batch.drop_column('email_next_attempt_at')
        batch.drop_column('email_retry_until')
    with op.batch_alter_table('outbox_message') as batch:
        batch.drop_index('ix_outbox_pending')
        batch.create_index('ix_outbox_pending', ['dispatched_at', 'created_at'], unique=False)
        batch.drop_column('next_attempt_at')
