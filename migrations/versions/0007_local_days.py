"""local days: the daily rollup counts each response on the district's day, not the UTC day

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 18:00:00

Times are stored as naive UTC. Until now a response counted on the UTC day of its time, so a resident
answering at 07:30 in Beijing on 27 November was counted on 26 November. The district's zone is the
``TIMEZONE`` setting (default Asia/Shanghai, read as survey/config.py reads it). The upgrade recomputes
``stats_day`` from the counted responses with local days, a range of response ids at a time; the
downgrade recomputes it with UTC days. ``stats_item`` and ``stats_gain`` have no day and stay as they are.
An empty ``stats_day`` (rollups never built: ``flask --app app stats rebuild`` builds them all) stays empty.
"""
import json
import os
from datetime import UTC
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Response ids per batch: a batch's rows are all that is held of the responses at once.
BATCH_IDS = 20000
# Rows per insert into stats_day.
INSERT_ROWS = 1000
DAY_SUMS = ('participants', 'scored_attempts', 'score_sum', 'score_squares', 'knowledge_correct',
            'knowledge_answers', 'assisted')

response = sa.table(
    'response', sa.column('id', sa.Integer), sa.column('version_id', sa.Integer),
    sa.column('community_id', sa.Integer), sa.column('is_counted', sa.Boolean),
    sa.column('knowledge_correct', sa.Integer), sa.column('knowledge_total', sa.Integer),
    sa.column('submitted_at', sa.DateTime), sa.column('is_assisted', sa.Boolean), sa.column('answers', sa.Text),
)
stats_day = sa.table(
    'stats_day', sa.column('version_id', sa.Integer), sa.column('community_id', sa.Integer),
    sa.column('day', sa.Date), *(sa.column(name, sa.Float if name.startswith('score_') else sa.Integer)
                                 for name in DAY_SUMS),
)


def _district_zone():
    """The ``TIMEZONE`` setting as the application reads it (survey/config.py), kept here unchanged."""
    return ZoneInfo(os.environ.get('TIMEZONE', '').strip() or 'Asia/Shanghai')


def _id_ranges(connection):
    low, high = connection.execute(sa.select(sa.func.min(response.c.id), sa.func.max(response.c.id))).one()
    if low is None:
        return []
    return [(start, start + BATCH_IDS - 1) for start in range(low, high + 1, BATCH_IDS)]


def _recount_days(zone):
    """Replace ``stats_day`` with the sums of the counted responses, each on its day in ``zone``.

    The sums are the web path's (survey/stats/rollup.py ``counted_sums`` at this revision): an attempt's
    score is correct / total when it has knowledge items; the knowledge answers are its answers with an
    ``is_correct`` (read from the packed answers, ``[[item_id, value, is_correct, is_positive], ...]``).
    """
    connection = op.get_bind()
    if connection.execute(sa.select(sa.func.count()).select_from(stats_day)).scalar() == 0:
        return
    days = {}
    for low, high in _id_ranges(connection):
        for version_id, community_id, moment, right, total, helped, packed in connection.execute(
            sa.select(response.c.version_id, response.c.community_id, response.c.submitted_at,
                      response.c.knowledge_correct, response.c.knowledge_total, response.c.is_assisted,
                      response.c.answers)
            .where(response.c.id.between(low, high), response.c.is_counted.is_(True))
        ):
            key = (version_id, community_id, moment.replace(tzinfo=UTC).astimezone(zone).date())
            row = days.get(key)
            if row is None:
                row = days[key] = dict.fromkeys(DAY_SUMS, 0)
            row['participants'] += 1
            row['assisted'] += 1 if helped else 0
            if total:
                score = right / total
                row['scored_attempts'] += 1
                row['score_sum'] += score
                row['score_squares'] += score * score
            for _, _, is_correct, _ in json.loads(packed or '[]'):
                if is_correct is not None:
                    row['knowledge_answers'] += 1
                    row['knowledge_correct'] += 1 if is_correct else 0
    connection.execute(stats_day.delete())
    rows = [{'version_id': version_id, 'community_id': community_id, 'day': day,
             **sums, 'score_sum': float(sums['score_sum']), 'score_squares': float(sums['score_squares'])}
            for (version_id, community_id, day), sums in sorted(days.items())]
    for start in range(0, len(rows), INSERT_ROWS):
        connection.execute(stats_day.insert(), rows[start:start + INSERT_ROWS])


def upgrade():
    _recount_days(_district_zone())


def downgrade():
    _recount_days(UTC)
