"""FHIR Subscriptions (R4 backport, rest-hook): the subscriptions and the notifications owed to them

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07 12:45:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'fhir_subscription',
        sa.Column('id', S(length=36), nullable=False),
        sa.Column('organisation_id', S(length=36), nullable=False),
        sa.Column('created_by_user_id', S(length=36), nullable=False),
        sa.Column('endpoint', S(length=2000), nullable=False),
        sa.Column('filter_kind', S(length=16), nullable=True),
        sa.Column('filter_value', S(length=36), nullable=True),
        sa.Column('status', S(length=16), nullable=False),
        sa.Column('error', S(length=500), nullable=True),
        sa.Column('events_count', sa.Integer(), nullable=False),
        sa.Column('reason', S(length=500), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', WHEN, nullable=False),
        sa.Column('updated_at', WHEN, nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.ForeignKeyConstraint(['created_by_user_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_fhir_subscription_status_filter', 'fhir_subscription',
                    ['status', 'filter_kind', 'filter_value'], unique=False)
    op.create_index('ix_fhir_subscription_created_by_user_id', 'fhir_subscription', ['created_by_user_id'],
                    unique=False)
    op.create_index('ix_fhir_subscription_organisation_id', 'fhir_subscription', ['organisation_id'], unique=False)
    op.create_table(
        'fhir_subscription_notification',
        sa.Column('id', S(length=36), nullable=False),
        sa.Column('subscription_id', S(length=36), nullable=False),
        sa.Column('change_id', S(length=36), nullable=False),
        sa.Column('task_id', S(length=36), nullable=False),
        sa.Column('event_number', sa.Integer(), nullable=False),
        sa.Column('occurred_at', WHEN, nullable=False),
        sa.Column('state', S(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', S(length=500), nullable=True),
        sa.Column('retry_until', WHEN, nullable=True),
        sa.Column('delivered_at', WHEN, nullable=True),
        sa.Column('failed_at', WHEN, nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
        sa.ForeignKeyConstraint(['subscription_id'], ['fhir_subscription.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('subscription_id', 'change_id', name='uq_fhir_notification_change'),
    )
    op.create_index('ix_fhir_notification_state_created', 'fhir_subscription_notification',
                    ['state', 'created_at'], unique=False)
    op.create_index('ix_fhir_subscription_notification_subscription_id', 'fhir_subscription_notification',
                    ['subscription_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_fhir_subscription_notification_subscription_id', table_name='fhir_subscription_notification')
    op.drop_index('ix_fhir_notification_state_created', table_name='fhir_subscription_notification')
    op.drop_table('fhir_subscription_notification')
    op.drop_index('ix_fhir_subscription_organisation_id', table_name='fhir_subscription')
    op.drop_index('ix_fhir_subscription_created_by_user_id', table_name='fhir_subscription')
    op.drop_index('ix_fhir_subscription_status_filter', table_name='fhir_subscription')
    op.drop_table('fhir_subscription')
