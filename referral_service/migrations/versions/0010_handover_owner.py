"""Every handover names the organisation that owns it, and why

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 15:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_org_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('owner_reason', sa.Enum('municipal_consent', 'no_municipal_consent',
                                                              'municipality_not_connected', name='ownerreason',
                                                              native_enum=False, create_constraint=False,
                                                              length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_handover_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_foreign_key('fk_handover_owner_org_id', 'organisation', ['owner_org_id'], ['id'])
    # Existing tasks: the municipality owns what is addressed to it; the referring organisation the rest.
    op.execute("UPDATE handover SET owner_org_id = municipality_org_id, owner_reason = 'municipal_consent' "
               "WHERE addressed_to = 'municipality'")
    op.execute("UPDATE handover SET owner_org_id = (SELECT referrer_org_id FROM referral "
               "WHERE referral.id = handover.referral_id), owner_reason = CASE WHEN (SELECT shared_with_municipality "
               "FROM referral WHERE referral.id = handover.referral_id) THEN 'municipality_not_connected' "
               "ELSE 'no_municipal_consent' END WHERE addressed_to = 'referrer'")


def downgrade() -> None:
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.drop_constraint('fk_handover_owner_org_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_handover_owner_org_id'))
        batch_op.drop_column('owner_reason')
        batch_op.drop_column('owner_org_id')
