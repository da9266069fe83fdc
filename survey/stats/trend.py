"""Daily figures for the trend chart: participants and knowledge awareness per day."""

from datetime import date, datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import StatsDay


def _as_date(value):
    if isinstance(value, date):
        return value if not isinstance(value, datetime) else value.date()
    return date.fromisoformat(str(value)[:10])


def daily(version_id, community_ids=None, since=None, until=None):
    """Return ``[(day, participants, knowledge_correct, knowledge_answers)]`` for counted attempts, by day."""
    query = (
        select(
            StatsDay.day,
            func.sum(StatsDay.participants),
            func.sum(StatsDay.knowledge_correct),
            func.sum(StatsDay.knowledge_answers),
        )
        .where(StatsDay.version_id == version_id)
        .group_by(StatsDay.day)
        .order_by(StatsDay.day)
    )
    if community_ids is not None:
        query = query.where(StatsDay.community_id.in_(community_ids))
    if since is not None:
        query = query.where(StatsDay.day >= since)
    if until is not None:
        query = query.where(StatsDay.day <= until)
    return [
        (_as_date(day), int(people or 0), int(correct or 0), int(answers or 0))
        for day, people, correct, answers in db.session.execute(query)
    ]
