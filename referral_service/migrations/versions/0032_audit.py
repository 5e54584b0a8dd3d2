"""The access log chained with an HMAC keyed by AUDIT_KEY: a row's `mac_version` (1: the unkeyed sha256 every
row so far was chained with, 2: keyed), a denied attempt's `requested_id`, and the log's signed starting point
on its head row (first row kept after pruning, the hash it links to, the last row chained unkeyed).

The checkpoints inside the database were signed with a key derived from SECRET_KEY; they only spared walking
the rows before them, so they are dropped rather than trusted under a key of their own. The next verification
walks the whole chain once, re-seals them with AUDIT_KEY and seals the cut-over (the rows before it are the
only ones verified the old way).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 03:10:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('mac_version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('access_log_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_seq', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('first_prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      server_default=GENESIS_HASH, nullable=False))
        batch_op.add_column(sa.Column('legacy_until', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('anchor_mac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.execute("DELETE FROM access_log_checkpoint")


def downgrade() -> None:
    with op.batch_alter_table('access_log_head', schema=None) as batch_op:
        batch_op.drop_column('anchor_mac')
        batch_op.drop_column('legacy_until')
        batch_op.drop_column('first_prev_hash')
        batch_op.drop_column('first_seq')
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_column('mac_version')
        batch_op.drop_column('requested_id')
