"""Daily figures for the trend chart: participants and knowledge awareness per day."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select

from ..extensions import db
from ..models import Answer, Response


def _as_date(value):
    if isinstance(value, date):
        return value if not isinstance(value, datetime) else value.date()
    return date.fromisoformat(str(value)[:10])


def daily(version_id, community_ids=None, since=None, until=None):
    """Return ``[(day, participants, knowledge_correct, knowledge_answers)]`` for counted attempts, by day."""
    day = func.date(Response.submitted_at)
    counted = [Response.version_id == version_id, Response.is_counted.is_(True)]
    if community_ids is not None:
        counted.append(Response.community_id.in_(community_ids))
    if since is not None:
        counted.append(Response.submitted_at >= datetime.combine(since, time.min))
    if until is not None:
        counted.append(Response.submitted_at < datetime.combine(until + timedelta(days=1), time.min))
    people = dict(
        (_as_date(d), n) for d, n in db.session.execute(select(day, func.count()).where(*counted).group_by(day))
    )
    knowledge = {
        _as_date(d): (int(correct or 0), n)
        for d, correct, n in db.session.execute(
            select(day, func.sum(case((Answer.is_correct.is_(True), 1), else_=0)), func.count(Answer.is_correct))
            .join(Answer, Answer.response_id == Response.id)
            .where(*counted)
            .group_by(day)
        )
    }
    return [(d, people.get(d, 0), *knowledge.get(d, (0, 0))) for d in sorted(set(people) | set(knowledge))]
