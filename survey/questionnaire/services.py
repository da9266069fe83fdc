"""Questionnaire services: the current version, freezing, and saving a submission exactly once."""

import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from .. import database, reads, sqltext, writes
from ..extensions import db
from ..models import Item, QuestionnaireVersion, Response, StatsDay, StatsItem, pack_answers
from ..models.base import utcnow
from ..stats import rollup
from .scoring import InvalidAnswer, coerce, key_for, score
from .structure import VersionView, frozen_view


class VersionFrozen(RuntimeError):
    """Raised when something tries to change a questionnaire version that already has responses."""


class IncompleteSubmission(ValueError):
    """Raised when required items are unanswered; ``item_ids`` lists them."""

    def __init__(self, item_ids):
        super().__init__(f"unanswered required items: {sorted(item_ids)}")
        self.item_ids = set(item_ids)


def current_version():
    """Return the published questionnaire version residents get, or None."""
    return db.session.scalars(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.status == "published")
        .order_by(QuestionnaireVersion.number.desc())
        .limit(1)
    ).first()


def has_responses(version_id):
    """True once any response refers to the version."""
    return db.session.scalar(select(exists().where(Response.version_id == version_id)))


def ensure_editable(version):
    """Refuse any change to a version with responses (rates are per version, so answers must keep their meaning)."""
    if version.id is not None and has_responses(version.id):
        raise VersionFrozen(f"questionnaire version {version.number} has responses and cannot change")


def new_participant_token():
    """Return a fresh random participant token for the resident's cookie."""
    return secrets.token_urlsafe(32)


def participant_hash(token):
    """Return the keyed hash stored in place of the participant token."""
    key = current_app.config.get("PARTICIPANT_KEY") or current_app.config["SECRET_KEY"]
    return hmac.new(key.encode(), b"participant:" + token.encode(), hashlib.sha256).hexdigest()


def new_public_id():
    """Return a random id for a new attempt (its result URL and double-submit key)."""
    return secrets.token_hex(16)


def version_keys(version):
    """The scoring keys of a version's items, in questionnaire order (kept with a frozen version's view)."""
    view = version if isinstance(version, VersionView) else frozen_view(version)
    return view.keys if view is not None else [key_for(item) for item in version.items]


def score_answers(version, raw_answers, keys=None):
    """Coerce and score a ``{item_id: raw}`` mapping against the version; raise InvalidAnswer or IncompleteSubmission.

    Returns ``[(item key, value, Scored)]`` for answered items, in questionnaire order. Pass ``keys``
    (from ``version_keys``) to score many attempts without rebuilding them.
    """
    keys = keys if keys is not None else version_keys(version)
    known = {key.id for key in keys}
    unknown = [item_id for item_id in raw_answers if item_id not in known]
    if unknown:
        raise InvalidAnswer(f"items not in version {version.number}: {sorted(map(str, unknown))}")
    scored, missing = [], set()
    for key in keys:
        value = coerce(key, raw_answers.get(key.id))
        if value is None:
            if key.is_required:
                missing.add(key.id)
            continue
        scored.append((key, value, score(key, value)))
    if missing:
        raise IncompleteSubmission(missing)
    return scored


def answer_rows(scored):
    """Stored answers for ``score_answers`` output: ``[item_id, value, is_correct, is_positive]`` per answered item.

    ``value`` is the option id, the sorted option ids of a multiple choice, or the text (see ``pack_answers``).
    """
    return [
        [item.id, sorted(value) if item.question_type == "multiple" else value, verdict.is_correct, verdict.is_positive]
        for item, value, verdict in scored
    ]


def response_fields(version, community_id, participant, public_id, scored, knowledge_total=None):
    """The Response columns that follow from a scored attempt."""
    if knowledge_total is None:
        knowledge_total = sum(1 for item in version.items if item.is_knowledge)
    return {
        "public_id": public_id,
        "version_id": version.id,
        "community_id": community_id,
        "participant_hash": participant,
        "knowledge_correct": sum(1 for item, _, verdict in scored if item.is_knowledge and verdict.is_correct),
        "knowledge_total": knowledge_total,
        "submitted_at": utcnow(),
    }


def find_response(public_id):
    """Return the response with this public id, or None."""
    return db.session.scalar(select(Response).where(Response.public_id == public_id))


def _stored_id(public_id):
    """The id of the response with this public id, or None."""
    return db.session.scalar(select(Response.id).where(Response.public_id == public_id))


_RESPONSE_COLUMNS = (
    "public_id",
    "version_id",
    "community_id",
    "participant_hash",
    "attempt_number",
    "is_counted",
    "knowledge_correct",
    "knowledge_total",
    "submitted_at",
    "is_assisted",
    "answers",
)


def _sql(dialect, name):
    """The text of one of a submission's statements (``seen``, ``insert``, ``first_attempt``) for ``dialect``.

    Run as driver-level SQL they cost a quarter of the same statements built with SQLAlchemy (about 50
    against 190 µs each on SQLite).
    """
    return sqltext.text_for(dialect, ("submission", name), _SQL_BUILDERS[name])


def _named(dialect):
    """How the driver names a bound value: ``%(name)s`` (psycopg) or ``:name`` (sqlite3)."""
    return "%({})s".format if dialect.name == "postgresql" else ":{}".format


def _seen_sql(dialect):
    response, named = dialect.identifier_preparer.quote(Response.__tablename__), _named(dialect)
    return (
        f"SELECT (SELECT id FROM {response} WHERE public_id = {named('public_id')}) AS existing, "  # noqa: S608
        f"(SELECT count(*) FROM {response} WHERE version_id = {named('version_id')} "
        f"AND participant_hash = {named('participant_hash')}) AS previous"
    )


def _insert_sql(dialect):
    quote, named = dialect.identifier_preparer.quote, _named(dialect)
    returning = " RETURNING id" if dialect.name == "postgresql" else ""
    return (
        f"INSERT INTO {quote(Response.__tablename__)} ({', '.join(map(quote, _RESPONSE_COLUMNS))}) "  # noqa: S608
        f"VALUES ({', '.join(map(named, _RESPONSE_COLUMNS))}){returning}"
    )


def _response_parameters(dialect, columns, packed):
    """The insert's values, the time as SQLAlchemy's DateTime would store it."""
    return {**columns, "submitted_at": sqltext.stored(dialect, columns["submitted_at"]), "answers": packed}


def _seen(connection, version_id, participant, public_id):
    """(id of the response stored under ``public_id`` or None, the participant's attempts on the version)."""
    return tuple(
        sqltext.run(
            connection,
            _sql(connection.dialect, "seen"),
            {"public_id": public_id, "version_id": version_id, "participant_hash": participant},
        ).fetchone()
    )


def _insert_response(connection, columns, packed):
    """Insert the response row in the session's transaction; return its id."""
    dialect = connection.dialect
    result = sqltext.run(connection, _sql(dialect, "insert"), _response_parameters(dialect, columns, packed))
    return result.fetchone()[0] if dialect.name == "postgresql" else result.lastrowid


def submit(version, community_id, participant, public_id, raw_answers, assisted=False):
    """Score and store one attempt exactly once (``store``); return the stored Response."""
    response_id, columns, packed = _store(version, community_id, participant, public_id, raw_answers, assisted)
    if columns is None:
        return db.session.get(Response, response_id)
    return _stored(response_id, columns, packed)


def store(version, community_id, participant, public_id, raw_answers, assisted=False):
    """Score and store one attempt exactly once; return the stored response's id.

    For a caller that only needs to know it is stored (the survey's last part redirects to the result by
    its public id): no Response object is made for it.
    """
    return _store(version, community_id, participant, public_id, raw_answers, assisted)[0]


def _store(version, community_id, participant, public_id, raw_answers, assisted):
    """Score and store one attempt exactly once: ``(response id, its columns, its packed answers)`` when this
    call wrote it, ``(response id, None, None)`` when it was already stored.

    Posting the same attempt again (a double tap, a retry after a dropped connection) returns the
    response already stored. The first completed attempt per participant and version is counted;
    the database's partial unique index settles a race between two first attempts. ``assisted``
    marks an attempt made in assisted mode (a community worker's shared phone).

    A first attempt writes the response row (its answers packed in it) and the two rollup upserts. On
    PostgreSQL that is one statement (``_first_attempt``): one round trip, atomic on its own. Elsewhere,
    and for a retake (which reads and updates the learning gain), the lookup and writes run as separate
    statements in one transaction; on SQLite its writes queue behind the other processes' (``database.one_writer``).
    """
    keys = version_keys(version)
    try:
        scored = score_answers(version, raw_answers, keys)
    except (InvalidAnswer, IncompleteSubmission):
        existing_id = _stored_id(public_id)  # a retry of an attempt already stored keeps its response
        if existing_id is not None:
            return existing_id, None, None
        raise
    answers = answer_rows(scored)
    packed = pack_answers(answers)
    knowledge_total = sum(1 for key in keys if key.is_knowledge)
    if _one_statement_possible():
        columns = response_fields(version, community_id, participant, public_id, scored, knowledge_total)
        columns.update(attempt_number=1, is_counted=True, is_assisted=bool(assisted))
        try:
            existing_id, _, response_id = _first_attempt(columns, answers, packed)
        except IntegrityError:  # another first attempt or the same one won a race: the loop below sorts it out
            existing_id = response_id = None
        if existing_id is not None:
            return existing_id, None, None
        if response_id is not None:
            return response_id, columns, packed
    for _ in range(3):
        connection = db.session.connection()
        existing_id, previous = _seen(connection, version.id, participant, public_id)
        if existing_id is not None:
            return existing_id, None, None
        columns = response_fields(version, community_id, participant, public_id, scored, knowledge_total)
        columns.update(attempt_number=previous + 1, is_counted=previous == 0, is_assisted=bool(assisted))
        gains_before = {} if columns["is_counted"] else rollup.gain_contributions(version.id, [participant])
        sums = rollup.counted_sums([(columns, answers)]) if columns["is_counted"] else None  # before the lock
        with database.one_writer(connection):  # until the commit or the rollback
            try:
                response_id = _insert_response(connection, columns, packed)
                if sums is not None:
                    rollup.add_sums(*sums, connection=connection)
                else:
                    rollup.add_gain_change(
                        version.id, gains_before, rollup.gain_contributions(version.id, [participant])
                    )
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                continue
        return response_id, columns, packed
    existing_id = _stored_id(public_id)
    if existing_id is not None:
        return existing_id, None, None
    raise RuntimeError("could not store the response after three tries")


def _one_statement_possible():
    """True on PostgreSQL when the request's session holds no write of its own (it is never mixed in)."""
    if db.engine.dialect.name != "postgresql":
        return False
    session = db.session()
    if session.new or session.dirty or session.deleted:
        return False
    return not session.in_transaction() or not writes.written(session.connection())


def _first_attempt_sql(dialect):
    """PostgreSQL: look up the attempt and the participant's earlier ones, and only when neither exists store
    the response and add it into the day's and the items' rollups — one statement.

    Returns one row: (id of a response already stored under the public id, the participant's attempts on
    the version before this one, the new response's id or None when nothing was written).
    """
    quote = dialect.identifier_preparer.quote
    response, day, item = (quote(model.__tablename__) for model in (Response, StatsDay, StatsItem))

    def names(columns):
        return ", ".join(map(quote, columns))

    def params(columns):
        return ", ".join(f"%({name})s" for name in columns)

    item_types = {name: StatsItem.__table__.c[name].type.compile(dialect) for name in ("item_id", *rollup.ITEM_SUMS)}
    arrays = ", ".join(f"%(item_{name})s::{kind}[]" for name, kind in item_types.items())
    day_columns = ("version_id", "community_id", "day", *rollup.DAY_SUMS)
    # Names from the models, values bound.
    return (
        f"WITH seen AS ({_seen_sql(dialect)}), "  # noqa: S608
        f"stored AS (INSERT INTO {response} ({names(_RESPONSE_COLUMNS)}) SELECT {params(_RESPONSE_COLUMNS)} "
        f"FROM seen WHERE existing IS NULL AND previous = 0 RETURNING id), "
        f"day_sums AS (INSERT INTO {day} ({names(day_columns)}) SELECT {params(f'day_{n}' for n in day_columns)} "
        f"FROM stored {rollup.on_conflict_add(dialect, StatsDay, day_columns[:3], rollup.DAY_SUMS)}), "
        f"item_sums AS (INSERT INTO {item} ({names(('version_id', 'community_id', *item_types))}) "
        f"SELECT %(version_id)s, %(community_id)s, sums.* FROM unnest({arrays}) AS sums "
        f"WHERE EXISTS (SELECT FROM stored) "
        f"{rollup.on_conflict_add(dialect, StatsItem, ('version_id', 'community_id', 'item_id'), rollup.ITEM_SUMS)}) "
        f"SELECT seen.existing, seen.previous, (SELECT id FROM stored) FROM seen"
    )


_SQL_BUILDERS = {"seen": _seen_sql, "insert": _insert_sql, "first_attempt": _first_attempt_sql}


def _first_attempt(columns, answers, packed):
    """Run ``_first_attempt_sql`` outside any transaction (one statement is atomic on its own, and needs no
    BEGIN and COMMIT round trips), on the process's kept connection (``reads.alone``: sending it twice after
    a lost connection stores it once, by its public id); return its row. Raises IntegrityError when a race
    lost."""
    days, items = rollup.counted_sums([(columns, answers)])
    (((_, _, day), day_sums),) = days.items()
    rows = sorted(items.items())  # rows in key order, as every writer of the rollups locks them
    parameters = {
        **columns,
        "answers": packed,
        "day_version_id": columns["version_id"],
        "day_community_id": columns["community_id"],
        "day_day": day,
        **{f"day_{name}": value for name, value in day_sums.items()},
        "item_item_id": [item_id for (_, _, item_id), _ in rows],
        **{f"item_{name}": [sums[name] for _, sums in rows] for name in rollup.ITEM_SUMS},
    }

    def store(connection):
        row = connection.exec_driver_sql(_sql(connection.dialect, "first_attempt"), parameters).one()
        connection.commit()  # nothing to commit in autocommit; tells the write watcher (survey.writes)
        return row

    return reads.alone(db.engine, store)


def _stored(response_id, columns, packed):
    """The Response just written, put in the session without reading it back (its relationships load lazily)."""
    response = Response(id=response_id, packed_answers=packed, **columns)
    make_transient_to_detached(response)
    db.session.add(response)
    return response


def item_in_version(version, item_id):
    """Return the item if it belongs to ``version``, else None."""
    return db.session.scalar(select(Item).where(Item.id == item_id, Item.version_id == version.id))
