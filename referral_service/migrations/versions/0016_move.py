"""A family that moves takes its handover with it: a referral's tasks form a chain (the old one closed as
transferred, linked to the one that continues it), so a referral may now have more than one task.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

#: The first release's unique constraints were unnamed; SQLite's batch mode names them by this convention.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_on_referral_id() -> str:
    return 'handover_referral_id_key' if op.get_bind().dialect.name == 'postgresql' else 'uq_handover_referral_id'


def upgrade() -> None:
    with op.batch_alter_table('handover', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(_unique_on_referral_id(), type_='unique')
        batch_op.create_index(batch_op.f('ix_handover_referral_id'), ['referral_id'], unique=False)
        batch_op.add_column(sa.Column('transferred_from_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('transferred_to_id', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint('uq_handover_transferred_from_id', ['transferred_from_id'])
        batch_op.create_foreign_key('fk_handover_transferred_from_id', 'handover', ['transferred_from_id'], ['id'])
        batch_op.create_foreign_key('fk_handover_transferred_to_id', 'handover', ['transferred_to_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.drop_constraint('fk_handover_transferred_to_id', type_='foreignkey')
        batch_op.drop_constraint('fk_handover_transferred_from_id', type_='foreignkey')
        batch_op.drop_constraint('uq_handover_transferred_from_id', type_='unique')
        batch_op.drop_column('transferred_to_id')
        batch_op.drop_column('transferred_from_id')
        batch_op.drop_index(batch_op.f('ix_handover_referral_id'))
        batch_op.create_unique_constraint('uq_handover_referral_id', ['referral_id'])
