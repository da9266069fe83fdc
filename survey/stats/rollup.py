"""Keeping the pre-aggregated counts (survey/models/rollup.py) in step with every stored response."""
from collections import defaultdict

from sqlalchemy import Float, case, cast, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import Answer, Response, StatsDay, StatsGain, StatsItem

DAY_SUMS = ("participants", "scored_attempts", "score_sum", "score_squares", "knowledge_correct",
            "knowledge_answers", "assisted")
ITEM_SUMS = ("answered", "scored", "correct", "rated", "positive")
GAIN_SUMS = ("participants", "gain_sum", "gain_squares")


def _upsert(model, keys, sums, rows):
    """Add ``rows`` into ``model``: insert new keys, add the sums into existing rows (one statement)."""
    if not rows:
        return
    table = model.__table__
    dialect = db.session.get_bind().dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={name: table.c[name] + statement.excluded[name] for name in sums}
    )
    db.session.execute(statement, rows)


def _score(correct, total):
    return correct / total if total else None


def add_counted(entries):
    """Add counted attempts: ``entries`` are (response columns, answer rows) as built by the services."""
    days, items = defaultdict(lambda: dict.fromkeys(DAY_SUMS, 0)), defaultdict(lambda: dict.fromkeys(ITEM_SUMS, 0))
    for columns, rows in entries:
        if not columns.get("is_counted"):
            continue
        version_id, community_id = columns["version_id"], columns["community_id"]
        day = days[(version_id, community_id, columns["submitted_at"].date())]
        day["participants"] += 1
        day["assisted"] += int(bool(columns.get("is_assisted")))
        score = _score(columns["knowledge_correct"], columns["knowledge_total"])
        if score is not None:
            day["scored_attempts"] += 1
            day["score_sum"] += score
            day["score_squares"] += score * score
        for fields, _ in rows:
            item = items[(version_id, community_id, fields["item_id"])]
            item["answered"] += 1
            if fields["is_correct"] is not None:
                item["scored"] += 1
                item["correct"] += int(fields["is_correct"])
                day["knowledge_answers"] += 1
                day["knowledge_correct"] += int(fields["is_correct"])
            if fields["is_positive"] is not None:
                item["rated"] += 1
                item["positive"] += int(fields["is_positive"])
    _upsert(StatsDay, ["version_id", "community_id", "day"], DAY_SUMS,
            [{"version_id": v, "community_id": c, "day": d, **sums} for (v, c, d), sums in days.items()])
    _upsert(StatsItem, ["version_id", "community_id", "item_id"], ITEM_SUMS,
            [{"version_id": v, "community_id": c, "item_id": i, **sums} for (v, c, i), sums in items.items()])


def gain_contributions(version_id, participant_hashes):
    """Per participant with two or more attempts: (community of the counted attempt, latest − first score)."""
    if not participant_hashes:
        return {}
    attempts = defaultdict(list)
    for chunk_start in range(0, len(participant_hashes), 500):
        chunk = list(participant_hashes)[chunk_start:chunk_start + 500]
        for row in db.session.execute(
            select(Response.participant_hash, Response.id, Response.is_counted, Response.community_id,
                   Response.knowledge_correct, Response.knowledge_total)
            .where(Response.version_id == version_id, Response.participant_hash.in_(chunk))
        ):
            attempts[row.participant_hash].append(row)
    result = {}
    for participant, rows in attempts.items():
        first = next((row for row in rows if row.is_counted), None)
        latest = max(rows, key=lambda row: row.id)
        if len(rows) < 2 or first is None:
            continue
        first_score = _score(first.knowledge_correct, first.knowledge_total)
        latest_score = _score(latest.knowledge_correct, latest.knowledge_total)
        if first_score is not None and latest_score is not None:
            result[participant] = (first.community_id, latest_score - first_score)
    return result


def add_gain_change(version_id, before, after):
    """Apply the change in learning-gain contributions of some participants (from ``gain_contributions``)."""
    sums = defaultdict(lambda: dict.fromkeys(GAIN_SUMS, 0))
    for community_id, gain in after.values():
        row = sums[community_id]
        row["participants"] += 1
        row["gain_sum"] += gain
        row["gain_squares"] += gain * gain
    for community_id, gain in before.values():
        row = sums[community_id]
        row["participants"] -= 1
        row["gain_sum"] -= gain
        row["gain_squares"] -= gain * gain
    _upsert(StatsGain, ["version_id", "community_id"], GAIN_SUMS,
            [{"version_id": version_id, "community_id": c, **row} for c, row in sums.items()])


def rebuild(version_id=None):
    """Recompute every rollup from the raw responses with SQL aggregates (after a restore, or to repair)."""
    from .trend import _as_date

    for model in (StatsDay, StatsItem, StatsGain):
        query = delete(model)
        if version_id is not None:
            query = query.where(model.version_id == version_id)
        db.session.execute(query)
    counted = [Response.is_counted.is_(True)]
    if version_id is not None:
        counted.append(Response.version_id == version_id)
    day = func.date(Response.submitted_at)
    score = case((Response.knowledge_total > 0, cast(Response.knowledge_correct, Float) / Response.knowledge_total),
                 else_=None)
    assisted = func.sum(case((Response.is_assisted.is_(True), 1), else_=0))
    days = {}
    for v, c, d, people, scored, total, squares, helped in db.session.execute(
        select(Response.version_id, Response.community_id, day, func.count(), func.count(score), func.sum(score),
               func.sum(score * score), assisted)
        .where(*counted).group_by(Response.version_id, Response.community_id, day)
    ):
        days[(v, c, _as_date(d))] = {"version_id": v, "community_id": c, "day": _as_date(d), "participants": people,
                                     "scored_attempts": scored, "score_sum": float(total or 0),
                                     "score_squares": float(squares or 0), "knowledge_correct": 0,
                                     "knowledge_answers": 0, "assisted": int(helped or 0)}
    items = defaultdict(lambda: dict.fromkeys(ITEM_SUMS, 0))
    for v, c, d, item_id, answered, scored, correct, rated, positive in db.session.execute(
        select(Response.version_id, Response.community_id, day, Answer.item_id, func.count(),
               func.count(Answer.is_correct), func.sum(case((Answer.is_correct.is_(True), 1), else_=0)),
               func.count(Answer.is_positive), func.sum(case((Answer.is_positive.is_(True), 1), else_=0)))
        .join(Response, Answer.response_id == Response.id).where(*counted)
        .group_by(Response.version_id, Response.community_id, day, Answer.item_id)
    ):
        row = days[(v, c, _as_date(d))]
        row["knowledge_answers"] += scored
        row["knowledge_correct"] += int(correct or 0)
        for name, value in zip(ITEM_SUMS, (answered, scored, int(correct or 0), rated, int(positive or 0)),
                               strict=True):
            items[(v, c, item_id)][name] += value
    _upsert(StatsDay, ["version_id", "community_id", "day"], DAY_SUMS, list(days.values()))
    _upsert(StatsItem, ["version_id", "community_id", "item_id"], ITEM_SUMS,
            [{"version_id": v, "community_id": c, "item_id": i, **sums} for (v, c, i), sums in items.items()])
    versions = [version_id] if version_id is not None else db.session.scalars(
        select(Response.version_id).distinct()).all()
    for version in versions:
        repeaters = db.session.scalars(
            select(Response.participant_hash).where(Response.version_id == version)
            .group_by(Response.participant_hash).having(func.count() >= 2)
        ).all()
        add_gain_change(version, {}, gain_contributions(version, repeaters))
    db.session.commit()
