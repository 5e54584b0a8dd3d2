"""Oversikt's counts, kept as the events happen, filled from the events already stored

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-06 14:00:00

The backfill counts every referral with the code that keeps the counts (services/dashboard_counts.py), under
the installation's settings for the time zone and the working-day calendar, so an upgraded database shows the
same Oversikt as before. It reads the referrals in batches of 500 (about a minute per 100 000 referrals).
"""
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'dashboard_count',
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('grain', sa.String(length=8), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('measure', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(length=100), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('scope', 'grain', 'day', 'measure', 'value'),
    )
    from config.settings import BaseConfig
    from referral_service.services.dashboard_counts import rebuild_counts
    from referral_service.services.dashboard_facts import CountingRules
    from referral_service.workflows.calendar import WorkingDayCalendar

    settings = BaseConfig()
    rebuild_counts(op.get_bind(), CountingRules(
        calendar=WorkingDayCalendar(saturday_is_working_day=settings.SATURDAY_IS_WORKING_DAY),
        timezone=ZoneInfo(settings.TIMEZONE)))


def downgrade() -> None:
    op.drop_table('dashboard_count')
