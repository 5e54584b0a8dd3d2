"""The family side: people who sign in with ID-porten and their sessions, guardians recorded with an identity number,
letters to the family, "Vi har ikke hørt noe", the young person's own words, sharing from 16; phones and hours of
organisations and users; the letters' written form on the referral

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 06:30:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('organisation') as batch:
        batch.add_column(sa.Column('phone', S(length=30), nullable=True))
        batch.add_column(sa.Column('contact_hours', S(length=200), nullable=True))
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('phone', S(length=30), nullable=True))
        batch.add_column(sa.Column('reachable_hours', S(length=200), nullable=True))
    with op.batch_alter_table('referral') as batch:
        batch.add_column(sa.Column('letter_language', S(length=2), nullable=False, server_default='nb'))
    op.create_table(
        'family_person',
        sa.Column('id', S(length=36), nullable=False),
        sa.Column('national_id_index', S(length=64), nullable=False),
        sa.Column('created_at', WHEN, nullable=False),
        sa.Column('last_signed_in_at', WHEN, nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_family_person_national_id_index'), 'family_person', ['national_id_index'], unique=True)
    op.create_table(
        'family_session',
        sa.Column('id_hash', S(length=64), nullable=False),
        sa.Column('person_id', S(length=36), sa.ForeignKey('family_person.id'), nullable=False),
        sa.Column('national_id_indexes', sa.JSON(), nullable=False),
        sa.Column('created_at', WHEN, nullable=False),
        sa.Column('last_seen_at', WHEN, nullable=False),
        sa.Column('ended_at', WHEN, nullable=True),
        sa.Column('ended_reason', S(length=32), nullable=True),
        sa.PrimaryKeyConstraint('id_hash'),
    )
    op.create_index(op.f('ix_family_session_person_id'), 'family_session', ['person_id'], unique=False)
    op.create_table(
        'guardian_identity',
        sa.Column('id', S(length=36), nullable=False),
        sa.Column('referral_id', S(length=36), sa.ForeignKey('referral.id'), nullable=False),
        sa.Column('child_id', S(length=36), sa.ForeignKey('child.id'), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', S(length=200), nullable=False),
        sa.Column('national_id_ciphertext', S(length=400), nullable=False),
        sa.Column('national_id_index', S(length=64), nullable=False),
        sa.Column('created_at', WHEN, nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_guardian_identity_referral_id'), 'guardian_identity', ['referral_id'], unique=False)
    op.create_index(op.f('ix_guardian_identity_child_id'), 'guardian_identity', ['child_id'], unique=False)
    op.create_index('ix_guardian_identity_index_referral', 'guardian_identity', ['national_id_index', 'referral_id'],
                    unique=False)
    op.create_table(
        'family_letter',
        sa.Column('id', S(length=36), nullable=False),
        sa.Column('referral_id', S(length=36), sa.ForeignKey('referral.id'), nullable=False),
        sa.Column('handover_id', S(length=36), sa.ForeignKey('handover.id'), nullable=True),
        sa.Column('kind', S(length=32), nullable=False),
        sa.Column('sender_org_id', S(length=36), sa.ForeignKey('organisation.id'), nullable=False),
        sa.Column('trigger_key', S(length=200), nullable=False),
        sa.Column('status', S(length=16), nullable=False),
        sa.Column('language', S(length=2), nullable=False),
        sa.Column('facts', sa.JSON(), nullable=False),
        sa.Column('audiences', sa.JSON(), nullable=False),
        sa.Column('created_at', WHEN, nullable=False),
        sa.Column('sent_at', WHEN, nullable=True),
        sa.Column('sent_by_user_id', S(length=36), sa.ForeignKey('app_user.id'), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('trigger_key'),
    )
    op.create_index(op.f('ix_family_letter_sender_org_id'), 'family_letter', ['sender_org_id'], unique=False)
    op.create_index('ix_family_letter_referral_status', 'family_letter', ['referral_id', 'status', 'created_at'],
                    unique=False)
    op.create_table(
        'family_nudge',
        sa.Column('id', S(length=36), nullable=False),
        sa.Column('referral_id', S(length=36), sa.ForeignKey('referral.id'), nullable=False),
        sa.Column('handover_id', S(length=36), sa.ForeignKey('handover.id'), nullable=True),
        sa.Column('raised_by_person_id', S(length=36), sa.ForeignKey('family_person.id'), nullable=False),
        sa.Column('raised_as', S(length=16), nullable=False),
        sa.Column('raised_at', WHEN, nullable=False),
        sa.Column('owner_org_id', S(length=36), sa.ForeignKey('organisation.id'), nullable=True),
        sa.Column('owner_user_id', S(length=36), sa.ForeignKey('app_user.id'), nullable=True),
        sa.Column('answered_at', WHEN, nullable=True),
        sa.Column('answered_by_user_id', S(length=36), sa.ForeignKey('app_user.id'), nullable=True),
        sa.Column('lead_alerted_at', WHEN, nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_family_nudge_referral_id'), 'family_nudge', ['referral_id'], unique=False)
    op.create_index('ix_family_nudge_open', 'family_nudge', ['answered_at', 'lead_alerted_at', 'raised_at'],
                    unique=False)
    op.create_table(
        'family_voice',
        sa.Column('id', S(length=36), nullable=False),
        sa.Column('referral_id', S(length=36), sa.ForeignKey('referral.id'), nullable=False),
        sa.Column('person_id', S(length=36), sa.ForeignKey('family_person.id'), nullable=False),
        sa.Column('text', S(length=4000), nullable=False),
        sa.Column('written_at', WHEN, nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_family_voice_referral_at', 'family_voice', ['referral_id', 'written_at'], unique=False)
    op.create_table(
        'family_share',
        sa.Column('child_id', S(length=36), sa.ForeignKey('child.id'), nullable=False),
        sa.Column('shared_with_guardians', sa.Boolean(), nullable=False),
        sa.Column('changed_at', WHEN, nullable=False),
        sa.PrimaryKeyConstraint('child_id'),
    )


def downgrade() -> None:
    op.drop_table('family_share')
    op.drop_index('ix_family_voice_referral_at', table_name='family_voice')
    op.drop_table('family_voice')
    op.drop_index('ix_family_nudge_open', table_name='family_nudge')
    op.drop_index(op.f('ix_family_nudge_referral_id'), table_name='family_nudge')
    op.drop_table('family_nudge')
    op.drop_index('ix_family_letter_referral_status', table_name='family_letter')
    op.drop_index(op.f('ix_family_letter_sender_org_id'), table_name='family_letter')
    op.drop_table('family_letter')
    op.drop_index('ix_guardian_identity_index_referral', table_name='guardian_identity')
    op.drop_index(op.f('ix_guardian_identity_child_id'), table_name='guardian_identity')
    op.drop_index(op.f('ix_guardian_identity_referral_id'), table_name='guardian_identity')
    op.drop_table('guardian_identity')
    op.drop_index(op.f('ix_family_session_person_id'), table_name='family_session')
    op.drop_table('family_session')
    op.drop_index(op.f('ix_family_person_national_id_index'), table_name='family_person')
    op.drop_table('family_person')
    with op.batch_alter_table('referral') as batch:
        batch.drop_column('letter_language')
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('reachable_hours')
        batch.drop_column('phone')
    with op.batch_alter_table('organisation') as batch:
        batch.drop_column('contact_hours')
        batch.drop_column('phone')
