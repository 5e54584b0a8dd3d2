"""The check-in carries its task's addressee and municipality and the referral's municipal sharing, so the
check-ins list and its count test need-to-know on the check-in's own row (at ten years a large municipality's
count tested the task and referral of thousands of check-ins, one by one)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 22:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.add_column(sa.Column('addressed_to', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('municipality_org_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('shared_with_municipality', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    check_in = sa.table('check_in', sa.column('handover_id'), sa.column('referral_id'), sa.column('addressed_to'),
                        sa.column('municipality_org_id'), sa.column('shared_with_municipality'))
    handover = sa.table('handover', sa.column('id'), sa.column('addressed_to'), sa.column('municipality_org_id'))
    referral = sa.table('referral', sa.column('id'), sa.column('shared_with_municipality'))
    task = sa.select(handover).where(handover.c.id == check_in.c.handover_id)
    op.get_bind().execute(check_in.update().values(
        addressed_to=task.with_only_columns(handover.c.addressed_to).scalar_subquery(),
        municipality_org_id=task.with_only_columns(handover.c.municipality_org_id).scalar_subquery(),
        shared_with_municipality=sa.select(referral.c.shared_with_municipality)
        .where(referral.c.id == check_in.c.referral_id).scalar_subquery()))


def downgrade() -> None:
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_column('shared_with_municipality')
        batch_op.drop_column('municipality_org_id')
        batch_op.drop_column('addressed_to')
