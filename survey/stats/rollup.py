"""Keeping the pre-aggregated counts (survey/models/rollup.py) in step with every stored response.

A response counts on the district's local day (survey.localtime), never the UTC day its time is stored in.
"""

from collections import Counter, defaultdict
from datetime import date
from itertools import chain
from operator import itemgetter

from sqlalchemy import delete, func, select

from .. import sqltext
from ..extensions import db
from ..localtime import day_finder
from ..models import Response, StatsDay, StatsGain, StatsItem, split_packed
from .counts import ANSWER_BATCH, decode_tally

DAY_SUMS = (
    "participants",
    "scored_attempts",
    "score_sum",
    "score_squares",
    "knowledge_correct",
    "knowledge_answers",
    "assisted",
)
ITEM_SUMS = ("answered", "scored", "correct", "rated", "positive")
GAIN_SUMS = ("participants", "gain_sum", "gain_squares")
# Rows per upsert statement on SQLite: well under its limit on bound parameters.
UPSERT_ROWS = 1000


def _upsert_sql(dialect, model, keys, sums, count):
    """The upsert adding ``count`` rows into ``model``: insert new keys, add the sums into existing rows.

    Written out rather than built with SQLAlchemy, because building and compiling an upsert cost more
    than running it. SQLite: ``INSERT … VALUES (?, …) × count ON CONFLICT …``. PostgreSQL: one array per
    column, ``INSERT … SELECT * FROM unnest(%s::integer[], …) ON CONFLICT …``: the same text for any
    number of rows, so the driver parses it once and the server can keep it prepared.
    """
    postgres = dialect.name == "postgresql"

    def build(dialect):
        quote = dialect.identifier_preparer.quote
        table, columns = quote(model.__tablename__), [*keys, *sums]
        if postgres:
            arrays = ", ".join(f"%s::{model.__table__.c[name].type.compile(dialect)}[]" for name in columns)
            rows = f"SELECT * FROM unnest({arrays})"  # noqa: S608  (names and types from the model)
        else:
            rows = "VALUES " + ", ".join(["(" + ", ".join(["?"] * len(columns)) + ")"] * count)
        return (
            f"INSERT INTO {table} ({', '.join(map(quote, columns))}) {rows} "  # noqa: S608
            + on_conflict_add(dialect, model, keys, sums)
        )

    # The web path's sizes are kept; a batch's odd sizes are not worth keeping.
    return sqltext.text_for(
        dialect, ("upsert", model.__tablename__, None if postgres else count), build, keep=postgres or count <= 64
    )


def on_conflict_add(dialect, model, keys, sums):
    """The ``ON CONFLICT`` clause of an upsert into ``model`` that adds the new ``sums`` into an existing row."""
    quote = dialect.identifier_preparer.quote
    table = quote(model.__tablename__)
    return f"ON CONFLICT ({', '.join(map(quote, keys))}) DO UPDATE SET " + ", ".join(
        f"{quote(name)} = {table}.{quote(name)} + excluded.{quote(name)}" for name in sums
    )


def _upsert(model, keys, sums, rows, connection=None):
    """Add ``rows`` ({column: value}) into ``model``: insert new keys, add the sums into existing rows."""
    _upsert_values(model, keys, sums, list(map(itemgetter(*keys, *sums), rows)), connection)


def _upsert_values(model, keys, sums, values, connection=None):
    """Add ``values`` (tuples of the ``keys`` then the ``sums``) into ``model`` in the session's transaction
    (``connection``: the session's, when the caller has it at hand).

    Rows go in key order (concurrent writers lock rows in the same order, so they never deadlock): on
    PostgreSQL in one statement, on SQLite in one per ``UPSERT_ROWS`` rows (its limit on parameters).
    """
    if not values:
        return
    connection = connection or db.session.connection()
    dialect = connection.dialect
    values = sorted(values)
    if dialect.name == "postgresql":
        connection.exec_driver_sql(
            _upsert_sql(dialect, model, keys, sums, None), tuple(list(column) for column in zip(*values, strict=True))
        )
        return
    dated = [index for index, value in enumerate(values[0]) if isinstance(value, date)]
    if dated:  # as SQLAlchemy's Date type stores them
        values = [
            tuple(sqltext.stored(dialect, value) if index in dated else value for index, value in enumerate(row))
            for row in values
        ]
    for start in range(0, len(values), UPSERT_ROWS):
        chunk = values[start : start + UPSERT_ROWS]
        sqltext.run(connection, _upsert_sql(dialect, model, keys, sums, len(chunk)), tuple(chain.from_iterable(chunk)))


def _score(correct, total):
    return correct / total if total else None


def add_attempts(day, correct, total, assisted=False, times=1):
    """Count ``times`` counted attempts with this knowledge score (``correct`` of ``total``) into a day's sums.

    The one place a day's participants, assisted attempts and score sums grow: the web path (one attempt),
    a rebuild (attempts grouped by score) and ``simulate-responses`` all add through it.
    """
    day["participants"] += times
    if assisted:
        day["assisted"] += times
    score = _score(correct, total)
    if score is not None:
        day["scored_attempts"] += times
        day["score_sum"] += times * score
        day["score_squares"] += times * score * score


def counted_sums(entries):
    """The sums of counted attempts, ``(days, items)`` as ``add_sums`` takes them: ``entries`` are (response
    columns, stored answers) as built by the services; attempts not counted are skipped.

    Stored answers are ``[item_id, value, is_correct, is_positive]`` lists (``services.answer_rows``).
    """
    days, items = defaultdict(lambda: dict.fromkeys(DAY_SUMS, 0)), defaultdict(lambda: dict.fromkeys(ITEM_SUMS, 0))
    local_day = day_finder()
    for columns, answers in entries:
        if not columns.get("is_counted"):
            continue
        version_id, community_id = columns["version_id"], columns["community_id"]
        day = days[(version_id, community_id, local_day(columns["submitted_at"]))]
        add_attempts(day, columns["knowledge_correct"], columns["knowledge_total"], columns.get("is_assisted"))
        for item_id, _, is_correct, is_positive in answers:
            item = items[(version_id, community_id, item_id)]
            item["answered"] += 1
            if is_correct is not None:
                item["scored"] += 1
                item["correct"] += int(is_correct)
                day["knowledge_answers"] += 1
                day["knowledge_correct"] += int(is_correct)
            if is_positive is not None:
                item["rated"] += 1
                item["positive"] += int(is_positive)
    return days, items


def add_sums(days, items, connection=None):
    """Add pre-summed counts: ``days`` {(version, community, day): DAY_SUMS}, ``items`` {(version, community,
    item): ITEM_SUMS} (dicts of the sums by name), in the session's transaction (``connection``: the
    session's, when the caller has it at hand)."""
    _upsert_values(
        StatsDay,
        ["version_id", "community_id", "day"],
        DAY_SUMS,
        [(*key, *_DAY_VALUES(sums)) for key, sums in days.items()],
        connection,
    )
    _upsert_values(
        StatsItem,
        ["version_id", "community_id", "item_id"],
        ITEM_SUMS,
        [(*key, *_ITEM_VALUES(sums)) for key, sums in items.items()],
        connection,
    )


_DAY_VALUES, _ITEM_VALUES = itemgetter(*DAY_SUMS), itemgetter(*ITEM_SUMS)


def gain_contributions(version_id, participant_hashes):
    """Per participant with two or more attempts: (community of the counted attempt, latest − first score)."""
    if not participant_hashes:
        return {}
    attempts = defaultdict(list)
    for chunk_start in range(0, len(participant_hashes), 500):
        chunk = list(participant_hashes)[chunk_start : chunk_start + 500]
        for row in db.session.execute(
            select(
                Response.participant_hash,
                Response.id,
                Response.is_counted,
                Response.community_id,
                Response.knowledge_correct,
                Response.knowledge_total,
            ).where(Response.version_id == version_id, Response.participant_hash.in_(chunk))
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
    _upsert(
        StatsGain,
        ["version_id", "community_id"],
        GAIN_SUMS,
        [{"version_id": version_id, "community_id": c, **row} for c, row in sums.items()],
    )


def rebuild(version_id=None):
    """Recompute every rollup from the raw responses (after a restore, or to repair).

    The counted responses are read once, ``ANSWER_BATCH`` at a time (a server-side cursor on PostgreSQL),
    and each one's local day is found in Python (SQLite knows no time zones): the attempts are counted per
    (version, community, day, knowledge correct, knowledge total, assisted) and their answers per (version,
    community, day) by packed text, as ``counts.tally_answers`` does; each distinct text is decoded once at
    the end. Memory holds those tallies, never the responses, so it does not grow with their number.
    """
    for model in (StatsDay, StatsItem, StatsGain):
        query = delete(model)
        if version_id is not None:
            query = query.where(model.version_id == version_id)
        db.session.execute(query)
    counted = [Response.is_counted.is_(True)]
    if version_id is not None:
        counted.append(Response.version_id == version_id)
    local_day = day_finder()
    attempts = Counter()  # (version, community, day, knowledge correct, knowledge total, assisted) -> how many
    tallies = defaultdict(Counter)  # (version, community, day) -> how often each packed answer was given
    query = select(
        Response.version_id,
        Response.community_id,
        Response.submitted_at,
        Response.knowledge_correct,
        Response.knowledge_total,
        Response.is_assisted,
        Response.packed_answers,
    ).where(*counted)
    result = db.session.connection().execute(query.execution_options(yield_per=ANSWER_BATCH))
    for batch in result.partitions():
        keys = []
        for version, community, moment, right, total, helped, packed in batch:
            day = local_day(moment)
            keys.append((version, community, day, right, total, helped))
            tallies[(version, community, day)].update(split_packed(packed))
        attempts.update(keys)
    days = {}
    for (v, c, d, right, total, helped), number in attempts.items():
        row = days.get((v, c, d))
        if row is None:
            row = days[(v, c, d)] = {"version_id": v, "community_id": c, "day": d, **dict.fromkeys(DAY_SUMS, 0)}
        add_attempts(row, right, total, helped, times=number)
    items = defaultdict(lambda: dict.fromkeys(ITEM_SUMS, 0))
    for (v, c, d), tally in tallies.items():
        row = days[(v, c, d)]
        for item_id, sums in decode_tally(tally).items():
            row["knowledge_answers"] += sums.scored
            row["knowledge_correct"] += sums.correct
            item = items[(v, c, item_id)]
            for name in ITEM_SUMS:
                item[name] += getattr(sums, name)
    for row in days.values():
        row["score_sum"], row["score_squares"] = float(row["score_sum"]), float(row["score_squares"])
    _upsert(StatsDay, ["version_id", "community_id", "day"], DAY_SUMS, list(days.values()))
    _upsert(
        StatsItem,
        ["version_id", "community_id", "item_id"],
        ITEM_SUMS,
        [{"version_id": v, "community_id": c, "item_id": i, **sums} for (v, c, i), sums in items.items()],
    )
    versions = (
        [version_id] if version_id is not None else db.session.scalars(select(Response.version_id).distinct()).all()
    )
    for version in versions:
        repeaters = db.session.scalars(
            select(Response.participant_hash)
            .where(Response.version_id == version)
            .group_by(Response.participant_hash)
            .having(func.count() >= 2)
        ).all()
        add_gain_change(version, {}, gain_contributions(version, repeaters))
    db.session.commit()
