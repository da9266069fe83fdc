"""Dashboard figures: which version and dates, rankings, trends and the weakest questions."""

from datetime import timedelta

from .. import localtime
from ..campaign import get_campaign
from ..stats.services import scope_stats
from ..stats.trend import daily
from .charts import trend_chart

# Sortable ranking columns: key → how to read the value from Stats (None sorts last).
RANKING_KEYS = {
    "participants": lambda s: s.participants,
    "target_progress": lambda s: s.target_progress,
    "participation_rate": lambda s: s.participation_rate.value,
    "knowledge_awareness": lambda s: s.knowledge_awareness.value,
    "campaign_awareness": lambda s: s.campaign_awareness.value,
    "support": lambda s: s.support.value,
    "satisfaction": lambda s: s.satisfaction.value,
    "average_score": lambda s: s.average_score.value,
    "learning_gain": lambda s: s.learning_gain.value,
}


def ranking(rows, key, descending=True):
    """Sort [(unit, Stats)] by a RANKING_KEYS column; suppressed values always last."""
    read = RANKING_KEYS[key]
    present = [row for row in rows if read(row[1]) is not None]
    missing = [row for row in rows if read(row[1]) is None]
    present.sort(key=lambda row: read(row[1]), reverse=descending)
    return present + missing


def most_missed(stats, limit=5):
    """Knowledge questions with the lowest correct rate first (suppressed ones left out)."""
    rated = [(item, rate) for item, rate in stats.questions if rate.value is not None]
    rated.sort(key=lambda pair: (pair[1].value, pair[0].position))
    return rated[:limit]


def trend(version_id, community_ids, since, until, target, marker_label="", today=None):
    """Two charts (cumulative participants against the target; daily knowledge awareness) and their table."""
    campaign = get_campaign()
    rows = daily(version_id, community_ids, since, until)
    today = today or localtime.today()
    first_day = since or (rows[0][0] if rows else today - timedelta(days=14))
    last_day = max(filter(None, [until, campaign.inspection_date, today, rows[-1][0] if rows else None]))
    if until is None and campaign.inspection_date and campaign.inspection_date < first_day:
        last_day = today
    total, cumulative, awareness, table = 0, [], [], []
    for day, people, correct, answers in rows:
        total += people
        cumulative.append((day, total))
        share = correct / answers if answers else None
        if share is not None:
            awareness.append((day, share * 100))
        table.append((day, people, total, share))
    people_chart = trend_chart(
        [("line-people", cumulative)],
        first_day,
        last_day,
        max([total, 1]),
        lambda v: f"{v:.0f}",
        target=target,
        marker=campaign.inspection_date,
        marker_label=marker_label,
    )
    awareness_chart = trend_chart(
        [("line-awareness", awareness)],
        first_day,
        last_day,
        100,
        lambda v: f"{v:.0f}%",
        marker=campaign.inspection_date,
        marker_label=marker_label,
    )
    return people_chart, awareness_chart, table


def stats_for(version_id, community_ids, since=None, until=None, detail="community"):
    """Shortcut used by the views and exports."""
    return scope_stats(version_id, community_ids, since, until, detail)
