"""Questionnaire services: the current version, freezing, and saving a submission exactly once."""
import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import exists, func, insert, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Answer, AnswerChoice, Item, QuestionnaireVersion, Response
from ..models.base import utcnow
from ..stats import rollup
from .scoring import InvalidAnswer, coerce, key_for, score


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
    """The scoring keys of a version's items, in questionnaire order."""
    return [key_for(item) for item in version.items]


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
    """Plain rows for ``score_answers`` output: ``(answer fields, [option ids ticked])`` per answered item."""
    rows = []
    for item, value, verdict in scored:
        fields = {"item_id": item.id, "option_id": None, "text": None,
                  "is_correct": verdict.is_correct, "is_positive": verdict.is_positive}
        ticked = []
        if item.question_type == "fillin":
            fields["text"] = value
        elif item.question_type == "multiple":
            ticked = sorted(value)
        else:
            fields["option_id"] = value
        rows.append((fields, ticked))
    return rows


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


def build_response(version, community_id, participant, public_id, scored):
    """Make (not add) a Response with its answers from ``score_answers`` output."""
    response = Response(**response_fields(version, community_id, participant, public_id, scored))
    for fields, ticked in answer_rows(scored):
        answer = Answer(**fields)
        answer.choices = [AnswerChoice(item_id=fields["item_id"], option_id=option_id) for option_id in ticked]
        response.answers.append(answer)
    return response


def bulk_store(entries):
    """Insert many scored responses in three statements; ``entries`` are ``(response columns, answer_rows)``.

    Used by the simulator: the same scoring and the same rows as a web submission, written in batches.
    """
    if not entries:
        return 0
    version_id = entries[0][0]["version_id"]
    retaking = list({columns["participant_hash"] for columns, _ in entries if not columns.get("is_counted")})
    gains_before = rollup.gain_contributions(version_id, retaking)
    # Core statements on the tables (not ORM bulk inserts): one executemany each. Ids are read back
    # by public id, which works on every engine (RETURNING with executemany goes row by row on SQLite).
    response_table = Response.__table__
    db.session.execute(insert(response_table), [columns for columns, _ in entries])
    public_ids = [columns["public_id"] for columns, _ in entries]
    id_of = dict(db.session.execute(
        select(Response.public_id, Response.id).where(Response.public_id.in_(public_ids))).all())
    ids = [id_of[public_id] for public_id in public_ids]
    answers, choices = [], []
    for response_id, (_, rows) in zip(ids, entries, strict=True):
        for fields, ticked in rows:
            answers.append({**fields, "response_id": response_id})
            choices.extend({"response_id": response_id, "item_id": fields["item_id"], "option_id": option_id}
                           for option_id in ticked)
    db.session.execute(insert(Answer.__table__), answers)
    if choices:
        db.session.execute(insert(AnswerChoice.__table__), choices)
    rollup.add_counted(entries)
    rollup.add_gain_change(version_id, gains_before, rollup.gain_contributions(version_id, retaking))
    return len(ids)


def find_response(public_id):
    """Return the response with this public id, or None."""
    return db.session.scalar(select(Response).where(Response.public_id == public_id))


def submit(version, community_id, participant, public_id, raw_answers, assisted=False):
    """Score and store one attempt exactly once; return the stored Response.

    Posting the same attempt again (a double tap, a retry after a dropped connection) returns the
    response already stored. The first completed attempt per participant and version is counted;
    the database's partial unique index settles a race between two first attempts. ``assisted``
    marks an attempt made in assisted mode (a community worker's shared phone).
    """
    existing = find_response(public_id)
    if existing is not None:
        return existing
    scored = score_answers(version, raw_answers)
    for _ in range(3):
        previous = db.session.scalar(
            select(func.count())
            .select_from(Response)
            .where(Response.version_id == version.id, Response.participant_hash == participant)
        )
        response = build_response(version, community_id, participant, public_id, scored)
        response.is_assisted = bool(assisted)
        response.attempt_number = previous + 1
        response.is_counted = previous == 0
        gains_before = {} if response.is_counted else rollup.gain_contributions(version.id, [participant])
        db.session.add(response)
        try:
            db.session.flush()
            if response.is_counted:
                rollup.add_counted([(_rollup_columns(response), answer_rows(scored))])
            else:
                rollup.add_gain_change(version.id, gains_before, rollup.gain_contributions(version.id, [participant]))
            db.session.commit()
            return response
        except IntegrityError:
            db.session.rollback()
            existing = find_response(public_id)
            if existing is not None:
                return existing
    raise RuntimeError("could not store the response after three tries")


def _rollup_columns(response):
    return {"version_id": response.version_id, "community_id": response.community_id,
            "submitted_at": response.submitted_at, "is_counted": response.is_counted,
            "is_assisted": response.is_assisted,
            "knowledge_correct": response.knowledge_correct, "knowledge_total": response.knowledge_total}


def item_in_version(version, item_id):
    """Return the item if it belongs to ``version``, else None."""
    return db.session.scalar(select(Item).where(Item.id == item_id, Item.version_id == version.id))
