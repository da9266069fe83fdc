"""assisted responses: a flag on each response and a count in the daily rollup

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:00:00

Existing responses were all answered without assistance, so the flag starts false and the
rollup count starts at zero; no rebuild is needed.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_assisted', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('stats_day', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assisted', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade():
    with op.batch_alter_table('stats_day', schema=None) as batch_op:
        batch_op.drop_column('assisted')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('is_assisted')
