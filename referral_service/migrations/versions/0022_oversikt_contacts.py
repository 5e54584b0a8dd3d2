"""Oversikt's contact-person figures and deadline breaches from kept counts, filled from the steps already stored

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 17:00:00

Creates `dashboard_contact_count` (services/dashboard_contacts.py) and fills it with the code that keeps it,
under the installation's settings for the time zone and the working-day calendar: every child with a task gets
its contact-person points; and the referrals' counts get the deadline breach marks (services/dashboard_counts.py
`recount_breaches`), the rest of them being right already. An upgraded database shows the same Oversikt as
before. It reads the children in batches of 500 (about a minute per 100 000 tasks).
"""
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'dashboard_contact_count',
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('x_grain', sa.String(length=8), nullable=False),
        sa.Column('x_block', sa.Date(), nullable=False),
        sa.Column('y_grain', sa.String(length=8), nullable=False),
        sa.Column('y_block', sa.Date(), nullable=False),
        sa.Column('measure', sa.String(length=32), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('scope', 'x_grain', 'x_block', 'y_grain', 'y_block', 'measure'),
    )
    from config.settings import BaseConfig
    from referral_service.services.dashboard_contacts import rebuild_contact_counts
    from referral_service.services.dashboard_counts import recount_breaches
    from referral_service.services.dashboard_facts import CountingRules
    from referral_service.workflows.calendar import WorkingDayCalendar

    settings = BaseConfig()
    rules = CountingRules(calendar=WorkingDayCalendar(saturday_is_working_day=settings.SATURDAY_IS_WORKING_DAY),
                          timezone=ZoneInfo(settings.TIMEZONE))
    recount_breaches(op.get_bind(), rules)
    rebuild_contact_counts(op.get_bind(), rules)


def downgrade() -> None:
    op.drop_table('dashboard_contact_count')
    # The referrals' counts keep their breach entries, which the code of 0021 does not read.
