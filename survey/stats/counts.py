"""Additive counts per community, read with SQL aggregates; every metric is a function of them.

Because every field is a sum, the counts of a street or the district are the sums of its communities'
counts, so roll-ups never disagree with the communities they contain.
"""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Float, and_, case, cast, func, select
from sqlalchemy.orm import aliased, joinedload, lazyload, selectinload

from ..extensions import db
from ..localtime import local_dates
from ..models import Item, Response, StatsDay, StatsGain, StatsItem, split_packed

# Responses decoded per batch in a recount (a server-side cursor on PostgreSQL: memory stays flat).
ANSWER_BATCH = 10_000


@dataclass
class ItemCounts:
    """Answers to one item: how many, how many correct, how many positive."""

    answered: int = 0
    correct: int = 0
    scored: int = 0
    positive: int = 0
    rated: int = 0

    def add(self, other):
        """Add another ItemCounts into this one."""
        self.answered += other.answered
        self.correct += other.correct
        self.scored += other.scored
        self.positive += other.positive
        self.rated += other.rated


@dataclass
class Counts:
    """The raw sums behind every metric, for one community or any set of them."""

    participants: int = 0
    score_sum: float = 0.0
    score_squares: float = 0.0
    scored_attempts: int = 0
    gain_sum: float = 0.0
    gain_squares: float = 0.0
    gain_participants: int = 0
    # Of ``participants``, those who answered in assisted mode (a community worker's shared phone).
    assisted: int = 0
    # Per item (only where a page shows questions) and per category (knowledge, each metric): ItemCounts.
    items: dict = field(default_factory=lambda: defaultdict(ItemCounts))
    categories: dict = field(default_factory=lambda: defaultdict(ItemCounts))

    def add(self, other):
        """Add another Counts into this one (a roll-up)."""
        self.participants += other.participants
        self.score_sum += other.score_sum
        self.score_squares += other.score_squares
        self.scored_attempts += other.scored_attempts
        self.gain_sum += other.gain_sum
        self.gain_squares += other.gain_squares
        self.gain_participants += other.gain_participants
        self.assisted += other.assisted
        for item_id, item_counts in other.items.items():
            self.items[item_id].add(item_counts)
        for name, category_counts in other.categories.items():
            self.categories[name].add(category_counts)
        return self


def category(kind, metric):
    """Which headline rate an item feeds: "knowledge", a metric name, "participation", or None."""
    if kind == "knowledge":
        return "knowledge"
    if kind == "participation":
        return "participation"
    return metric


def rollup(counts):
    """Sum an iterable of Counts."""
    total = Counts()
    for part in counts:
        total.add(part)
    return total


def _score():
    return case(
        (Response.knowledge_total > 0, cast(Response.knowledge_correct, Float) / Response.knowledge_total), else_=None
    )


def _window(query, since, until):
    """Limit counted attempts to the local days [since, until] (dates, inclusive): from local midnight of
    ``since`` to local midnight after ``until``, in UTC as the times are stored (survey.localtime)."""
    start, end = local_dates(since, until)
    if start is not None:
        query = query.where(Response.submitted_at >= start)
    if end is not None:
        query = query.where(Response.submitted_at < end)
    return query


def _scoped(query, community_ids):
    return query if community_ids is None else query.where(Response.community_id.in_(community_ids))


def community_counts(version_id, community_ids=None, since=None, until=None, with_items=True):
    """Return ``{community_id: Counts}`` over counted attempts of one version.

    Without a date range the pre-aggregated rollups are read (a few thousand rows at most); with one,
    the raw responses are aggregated (three grouped queries). Both give the same numbers — tested.
    ``community_ids`` is a collection or a SELECT of ids (None: every community).
    """
    if since is None and until is None:
        return defaultdict(Counts, rollup_counts(version_id, community_ids, with_items))
    return defaultdict(Counts, raw_counts(version_id, community_ids, since, until))


def rollup_counts(version_id, community_ids=None, with_items=True):
    """``{community_id: Counts}`` from the rollup tables (per-item counts only when ``with_items``)."""
    result = defaultdict(Counts)

    def scoped(query, model):
        query = query.where(model.version_id == version_id)
        return query if community_ids is None else query.where(model.community_id.in_(community_ids))

    for community_id, people, scored, total, squares, assisted in db.session.execute(
        scoped(
            select(
                StatsDay.community_id,
                func.sum(StatsDay.participants),
                func.sum(StatsDay.scored_attempts),
                func.sum(StatsDay.score_sum),
                func.sum(StatsDay.score_squares),
                func.sum(StatsDay.assisted),
            ).group_by(StatsDay.community_id),
            StatsDay,
        )
    ):
        counts = result[community_id]
        counts.participants, counts.scored_attempts = int(people or 0), int(scored or 0)
        counts.assisted = int(assisted or 0)
        counts.score_sum, counts.score_squares = float(total or 0), float(squares or 0)
    sums = (
        func.sum(StatsItem.answered),
        func.sum(StatsItem.correct),
        func.sum(StatsItem.scored),
        func.sum(StatsItem.positive),
        func.sum(StatsItem.rated),
    )
    for community_id, kind, metric, *numbers in db.session.execute(
        scoped(
            select(StatsItem.community_id, Item.kind, Item.metric, *sums)
            .join(Item, Item.id == StatsItem.item_id)
            .group_by(StatsItem.community_id, Item.kind, Item.metric),
            StatsItem,
        )
    ):
        name = category(kind, metric)
        if name is not None:
            result[community_id].categories[name].add(ItemCounts(*(int(n or 0) for n in numbers)))
    if with_items:
        item_columns = (
            StatsItem.community_id,
            StatsItem.item_id,
            StatsItem.answered,
            StatsItem.correct,
            StatsItem.scored,
            StatsItem.positive,
            StatsItem.rated,
        )
        for community_id, item_id, *numbers in db.session.execute(scoped(select(*item_columns), StatsItem)):
            result[community_id].items[item_id] = ItemCounts(*numbers)
    gain_columns = (StatsGain.community_id, StatsGain.participants, StatsGain.gain_sum, StatsGain.gain_squares)
    for community_id, people, gain_sum, gain_squares in db.session.execute(scoped(select(*gain_columns), StatsGain)):
        counts = result[community_id]
        counts.gain_participants, counts.gain_sum, counts.gain_squares = people, gain_sum, gain_squares
    return {community_id: counts for community_id, counts in result.items() if counts.participants}


def item_totals(version_id, community_ids, group_by_street=False):
    """Per-item sums over a set of communities from the rollups: ``{item_id: ItemCounts}``, or
    ``{street_id: {item_id: ItemCounts}}`` when ``group_by_street``."""
    from ..models import Community

    keys = [StatsItem.item_id]
    query = select(
        StatsItem.item_id,
        func.sum(StatsItem.answered),
        func.sum(StatsItem.correct),
        func.sum(StatsItem.scored),
        func.sum(StatsItem.positive),
        func.sum(StatsItem.rated),
    )
    if group_by_street:
        query = query.add_columns(Community.street_id).join(Community, Community.id == StatsItem.community_id)
        keys.append(Community.street_id)
    query = query.where(StatsItem.version_id == version_id).group_by(*keys)
    if community_ids is not None:
        query = query.where(StatsItem.community_id.in_(community_ids))
    result = defaultdict(dict) if group_by_street else {}
    for item_id, *numbers in db.session.execute(query):
        counts = ItemCounts(*(int(n or 0) for n in numbers[:5]))
        if group_by_street:
            result[numbers[5]][item_id] = counts
        else:
            result[item_id] = counts
    return result


def raw_counts(version_id, community_ids=None, since=None, until=None):
    """``{community_id: Counts}`` aggregated from raw responses and answers."""
    counted = and_(Response.version_id == version_id, Response.is_counted.is_(True))
    result = defaultdict(Counts)
    score = _score()
    query = (
        select(
            Response.community_id,
            func.count(),
            func.sum(score),
            func.sum(score * score),
            func.count(score),
            func.sum(case((Response.is_assisted.is_(True), 1), else_=0)),
        )
        .where(counted)
        .group_by(Response.community_id)
    )
    for community_id, participants, score_sum, squares, scored, assisted in db.session.execute(
        _window(_scoped(query, community_ids), since, until)
    ):
        counts = result[community_id]
        counts.participants, counts.scored_attempts = participants, scored
        counts.assisted = int(assisted or 0)
        counts.score_sum, counts.score_squares = float(score_sum or 0), float(squares or 0)

    answers = select(Response.community_id, Response.packed_answers).where(counted)
    for (community_id,), per_item in tally_answers(
        db.session.connection(), _window(_scoped(answers, community_ids), since, until)
    ).items():
        result[community_id].items.update(per_item)
    kinds = dict(
        (
            (item_id, category(kind, metric))
            for item_id, kind, metric in db.session.execute(
                select(Item.id, Item.kind, Item.metric).where(Item.version_id == version_id)
            )
        )
    )
    for counts in result.values():
        for item_id, item_counts in counts.items.items():
            if kinds.get(item_id) is not None:
                counts.categories[kinds[item_id]].add(item_counts)

    for community_id, gain_sum, gain_squares, gain_n in db.session.execute(
        _gain_query(version_id, community_ids, since, until)
    ):
        counts = result[community_id]
        counts.gain_sum, counts.gain_squares, counts.gain_participants = (
            float(gain_sum or 0),
            float(gain_squares or 0),
            gain_n,
        )
    return dict(result)


def tally_answers(connection, query, batch_rows=ANSWER_BATCH):
    """Count the packed answers of the responses ``query`` selects: ``{key: {item_id: ItemCounts}}``.

    ``query`` selects some key columns and then ``Response.packed_answers`` last; the key is the tuple of
    the other columns. Rows are fetched ``batch_rows`` at a time (never all in memory). Each response's
    answers are counted by their packed text (``split_packed`` and ``Counter.update``, both in C), and
    each distinct text is decoded once per key at the end.
    """
    tallies = defaultdict(Counter)
    result = connection.execute(query.execution_options(yield_per=batch_rows))
    for batch in result.partitions():
        for row in batch:
            tallies[tuple(row[:-1])].update(split_packed(row[-1]))
    return {key: decode_tally(tally) for key, tally in tallies.items()}


def decode_tally(tally):
    """``{item_id: ItemCounts}`` of a ``Counter`` of packed answer elements (each distinct one decoded once)."""
    per_item, loads = defaultdict(ItemCounts), json.loads
    for element, number in tally.items():
        item_id, _, correct, positive = loads("[" + element + "]")
        counts = per_item[item_id]
        counts.answered += number
        if correct is not None:
            counts.scored += number
            counts.correct += number if correct else 0
        if positive is not None:
            counts.rated += number
            counts.positive += number if positive else 0
    return per_item


def _gain_query(version_id, community_ids, since, until):
    """Per community: sum of (latest score − first score) over participants with two or more attempts.

    The first score is the counted attempt's (a participant's first); the latest may lie outside the dates.
    For the whole version every participant is read once, grouped. For some communities or some days only
    the counted attempts in range are read, and each one's latest attempt is found through the participant
    index: a week's figures at a million responses then read that week's residents, not every resident.
    """
    latest = aliased(Response)
    first_score = _score()
    latest_score = case(
        (latest.knowledge_total > 0, cast(latest.knowledge_correct, Float) / latest.knowledge_total), else_=None
    )
    gain = latest_score - first_score
    query = select(Response.community_id, func.sum(gain), func.sum(gain * gain), func.count(gain))
    if community_ids is None and since is None and until is None:
        attempts = (
            select(Response.participant_hash, func.max(Response.id).label("latest_id"))
            .where(Response.version_id == version_id)
            .group_by(Response.participant_hash)
            .having(func.count() >= 2)
            .subquery()
        )
        query = query.join(attempts, attempts.c.participant_hash == Response.participant_hash).join(
            latest, latest.id == attempts.c.latest_id
        )
    else:
        others = aliased(Response)
        newest = (
            select(func.max(others.id))
            .where(others.participant_hash == Response.participant_hash, others.version_id == version_id)
            .scalar_subquery()
        )
        # Two or more attempts: the newest is not the counted first one.
        query = query.join(latest, latest.id == newest).where(latest.id != Response.id)
    query = query.where(Response.version_id == version_id, Response.is_counted.is_(True)).group_by(
        Response.community_id
    )
    return _window(_scoped(query, community_ids), since, until)


def version_items(version_id):
    """The version's items (kind, metric, position) keyed by id, for turning item counts into metrics."""
    query = (
        select(Item)
        .where(Item.version_id == version_id)
        .options(
            lazyload(Item.options),
            lazyload(Item.accepted_answers),
            selectinload(Item.translations),
            joinedload(Item.page),
        )
    )
    return {item.id: item for item in db.session.scalars(query).unique()}
