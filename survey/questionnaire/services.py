"""Questionnaire services: the current version, freezing, and saving a submission exactly once."""
import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import bindparam, exists, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from ..extensions import db
from ..models import Item, QuestionnaireVersion, Response, pack_answers
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
    return [[item.id, sorted(value) if item.question_type == "multiple" else value,
             verdict.is_correct, verdict.is_positive] for item, value, verdict in scored]


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


# Built once: the lookup and the insert of every submission (their compiled forms are cached too).
_SEEN = select(
    select(Response.id).where(Response.public_id == bindparam("public_id")).scalar_subquery(),
    select(func.count()).select_from(Response).where(
        Response.version_id == bindparam("version_id"), Response.participant_hash == bindparam("participant"),
    ).scalar_subquery(),
)
_INSERT_RESPONSE = insert(Response.__table__)


def _seen(version_id, participant, public_id):
    """(id of the response stored under ``public_id`` or None, the participant's attempts on the version)."""
    return db.session.execute(
        _SEEN, {"public_id": public_id, "version_id": version_id, "participant": participant}).one()


def submit(version, community_id, participant, public_id, raw_answers, assisted=False):
    """Score and store one attempt exactly once; return the stored Response.

    Posting the same attempt again (a double tap, a retry after a dropped connection) returns the
    response already stored. The first completed attempt per participant and version is counted;
    the database's partial unique index settles a race between two first attempts. ``assisted``
    marks an attempt made in assisted mode (a community worker's shared phone).

    A first attempt costs four statements: one lookup, the response row (its answers packed in it), and
    the two rollup upserts, in one transaction; a retake reads and updates the learning gain instead.
    """
    keys = version_keys(version)
    scored = None
    for _ in range(3):
        existing_id, previous = _seen(version.id, participant, public_id)
        if existing_id is not None:
            return db.session.get(Response, existing_id)
        if scored is None:
            scored = score_answers(version, raw_answers, keys)
            answers = answer_rows(scored)
            packed = pack_answers(answers)
        columns = response_fields(version, community_id, participant, public_id, scored,
                                  sum(1 for key in keys if key.is_knowledge))
        columns.update(attempt_number=previous + 1, is_counted=previous == 0, is_assisted=bool(assisted))
        gains_before = {} if columns["is_counted"] else rollup.gain_contributions(version.id, [participant])
        try:
            response_id = db.session.execute(_INSERT_RESPONSE, {**columns, "answers": packed}).inserted_primary_key[0]
            if columns["is_counted"]:
                rollup.add_counted([(columns, answers)])
            else:
                rollup.add_gain_change(version.id, gains_before, rollup.gain_contributions(version.id, [participant]))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        return _stored(response_id, columns, packed)
    existing = find_response(public_id)
    if existing is not None:
        return existing
    raise RuntimeError("could not store the response after three tries")


def _stored(response_id, columns, packed):
    """The Response just written, put in the session without reading it back (its relationships load lazily)."""
    response = Response(id=response_id, packed_answers=packed, **columns)
    make_transient_to_detached(response)
    db.session.add(response)
    return response


def item_in_version(version, item_id):
    """Return the item if it belongs to ``version``, else None."""
    return db.session.scalar(select(Item).where(Item.id == item_id, Item.version_id == version.id))
