"""The handover trigger is stored on the event that fires it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

#: The lifecycle's trigger table as it stood at this revision, to fill in the events already stored.
TRIGGERS_AT_THIS_REVISION = (
    ("submitted", "reject", "rejected"),
    ("information_requested", "reject", "rejected"),
    ("in_treatment", "discharge", "discharged"),
    ("accepted", "withdraw", "withdrawn"),
    ("in_treatment", "withdraw", "withdrawn"),
)


def upgrade() -> None:
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handover_trigger', sa.String(length=32), nullable=True))
    for from_status, action, trigger in TRIGGERS_AT_THIS_REVISION:
        op.execute(sa.text("UPDATE referral_event SET handover_trigger = :trigger "
                           "WHERE from_status = :from_status AND action = :action")
                   .bindparams(trigger=trigger, from_status=from_status, action=action))
    op.create_index('ix_referral_event_handover_trigger_at', 'referral_event', ['at'], unique=False,
                    postgresql_where=sa.text('handover_trigger IS NOT NULL'),
                    sqlite_where=sa.text('handover_trigger IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_referral_event_handover_trigger_at', table_name='referral_event')
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.drop_column('handover_trigger')
