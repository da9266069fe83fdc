"""compact answers: each response keeps its answers packed in response.answers; the answer tables go

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 13:30:00

Writing thirty-odd answer rows (and their index entries) per response was most of the cost of storing
one. The answers now live in the response row as compact JSON, ``[[item_id, value, is_correct,
is_positive], ...]`` sorted by item id, where ``value`` is the option id, the sorted list of ticked
option ids, or the fill-in text (see survey/models/response.py). The upgrade packs every existing
answer and ticked option, a range of response ids at a time; the downgrade unpacks them back into
rows (with new answer ids: nothing refers to them). The rollups count the same answers either way.
"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# Response ids per batch: a few hundred thousand answer rows at most in memory at once.
BATCH_IDS = 5000

response = sa.table('response', sa.column('id', sa.Integer), sa.column('answers', sa.Text))
answer = sa.table(
    'answer', sa.column('response_id', sa.Integer), sa.column('item_id', sa.Integer),
    sa.column('option_id', sa.Integer), sa.column('text', sa.Text), sa.column('is_correct', sa.Boolean),
    sa.column('is_positive', sa.Boolean),
)
answer_choice = sa.table(
    'answer_choice', sa.column('response_id', sa.Integer), sa.column('item_id', sa.Integer),
    sa.column('option_id', sa.Integer),
)


def _pack(rows):
    """The packed form (the model's ``pack_answers``, kept here so this revision never changes)."""
    return json.dumps(sorted(rows), ensure_ascii=False, separators=(',', ':'))


def _id_ranges(connection):
    low, high = connection.execute(sa.select(sa.func.min(response.c.id), sa.func.max(response.c.id))).one()
    if low is None:
        return []
    return [(start, start + BATCH_IDS - 1) for start in range(low, high + 1, BATCH_IDS)]


def upgrade():
    op.add_column('response', sa.Column('answers', sa.Text(), server_default='[]', nullable=False))
    connection = op.get_bind()
    for low, high in _id_ranges(connection):
        ticked = {}
        for response_id, item_id, option_id in connection.execute(
            sa.select(answer_choice.c.response_id, answer_choice.c.item_id, answer_choice.c.option_id)
            .where(answer_choice.c.response_id.between(low, high))
        ):
            ticked.setdefault((response_id, item_id), []).append(option_id)
        packed = {}
        for response_id, item_id, option_id, text, is_correct, is_positive in connection.execute(
            sa.select(answer.c.response_id, answer.c.item_id, answer.c.option_id, answer.c.text,
                      answer.c.is_correct, answer.c.is_positive)
            .where(answer.c.response_id.between(low, high))
        ):
            # The precedence the result page always used: text, then ticked options, then the one option.
            options = ticked.get((response_id, item_id))
            value = text if text is not None else sorted(options) if options else option_id
            packed.setdefault(response_id, []).append([item_id, value, is_correct, is_positive])
        if packed:
            connection.execute(
                response.update().where(response.c.id == sa.bindparam('response_id'))
                .values(answers=sa.bindparam('packed')),
                [{'response_id': response_id, 'packed': _pack(rows)} for response_id, rows in packed.items()],
            )
    op.drop_table('answer_choice')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_item_id'))
    op.drop_table('answer')


def downgrade():
    op.create_table('answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('is_correct', sa.Boolean(), nullable=True),
    sa.Column('is_positive', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_answer_item_id_item')),
    sa.ForeignKeyConstraint(['option_id'], ['option.id'], name=op.f('fk_answer_option_id_option')),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_answer_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    sa.UniqueConstraint('response_id', 'item_id', name=op.f('uq_answer_response_id'))
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_item_id'), ['item_id'], unique=False)
    op.create_table('answer_choice',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['option_id'], ['option.id'], name=op.f('fk_answer_choice_option_id_option')),
    sa.ForeignKeyConstraint(['response_id', 'item_id'], ['answer.response_id', 'answer.item_id'], name='fk_answer_choice_answer', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'item_id', 'option_id', name=op.f('pk_answer_choice'))
    )
    connection = op.get_bind()
    for low, high in _id_ranges(connection):
        rows, choices = [], []
        for response_id, packed in connection.execute(
            sa.select(response.c.id, response.c.answers).where(response.c.id.between(low, high))
            .order_by(response.c.id)
        ):
            for item_id, value, is_correct, is_positive in json.loads(packed or '[]'):
                row = {'response_id': response_id, 'item_id': item_id, 'option_id': None, 'text': None,
                       'is_correct': is_correct, 'is_positive': is_positive}
                if isinstance(value, list):
                    choices.extend({'response_id': response_id, 'item_id': item_id, 'option_id': option_id}
                                   for option_id in value)
                elif isinstance(value, str):
                    row['text'] = value
                else:
                    row['option_id'] = value
                rows.append(row)
        if rows:
            connection.execute(answer.insert(), rows)
        if choices:
            connection.execute(answer_choice.insert(), choices)
    if connection.dialect.name == 'sqlite':
        # Natively: rebuilding the table (batch mode) would drop it, and the cascade would empty `answer`.
        op.execute('ALTER TABLE response DROP COLUMN answers')
    else:
        op.drop_column('response', 'answers')
