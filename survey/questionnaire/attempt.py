"""The attempt in progress, kept in the signed session cookie so any server process can continue it."""

from flask import current_app, request, session

from .services import new_participant_token, new_public_id

PARTICIPANT_COOKIE = "participant"
PARTICIPANT_MAX_AGE = 60 * 60 * 24 * 365 * 2


def start(version, community, assisted=False):
    """Begin a fresh attempt and return it (``assisted``: started in assisted mode, see survey/assisted)."""
    # "section": where the resident is, so coming back resumes there; part 1's GET then writes no cookie.
    attempt = {"id": new_public_id(), "version": version.id, "community": community.id, "answers": {}, "section": 1}
    if assisted:
        attempt["assisted"] = True
    session["attempt"] = attempt
    session.permanent = True
    return attempt


def current():
    """Return the attempt in progress, or None."""
    attempt = session.get("attempt")
    return attempt if isinstance(attempt, dict) and "id" in attempt else None


def store_answers(attempt, answers):
    """Merge ``{item_id: value}`` into the attempt (JSON-safe values: int, list of ints, str)."""
    stored = dict(attempt.get("answers", {}))
    for item_id, value in answers.items():
        if value is None:
            stored.pop(str(item_id), None)
        else:
            stored[str(item_id)] = sorted(value) if isinstance(value, (set, frozenset)) else value
    attempt["answers"] = stored
    session["attempt"] = attempt


def visit(attempt, number):
    """Remember the section the resident is on, so coming back to the survey resumes there."""
    if attempt.get("section") != number:
        attempt["section"] = number
        session["attempt"] = attempt


def answers(attempt):
    """Return the attempt's answers keyed by integer item id."""
    return {int(item_id): value for item_id, value in attempt.get("answers", {}).items()}


def finish(public_id):
    """Forget the finished attempt, remember its result (the stored response's public id) for the 'your last
    result' link."""
    session.pop("attempt", None)
    session["last_result"] = public_id


def participant_token():
    """Return the participant token from the cookie, or None when this browser has none yet."""
    token = request.cookies.get(PARTICIPANT_COOKIE, "")
    return token if 20 <= len(token) <= 100 else None


def ensure_participant_cookie(response, token):
    """Set the long-lived participant cookie on ``response`` (HttpOnly, SameSite=Lax)."""
    response.set_cookie(
        PARTICIPANT_COOKIE,
        token,
        max_age=PARTICIPANT_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("PARTICIPANT_COOKIE_SECURE", False),
    )
    return response


def token_or_new():
    """Return ``(token, is_new)`` for this browser."""
    token = participant_token()
    return (token, False) if token else (new_participant_token(), True)


def last_result():
    """Return the public id of this browser's last finished attempt, or None."""
    return session.get("last_result")


def forget():
    """Drop the attempt in progress."""
    session.pop("attempt", None)


def new_resident(response):
    """Make this device a new anonymous participant: no attempt in progress, no last result, a fresh cookie."""
    session.pop("attempt", None)
    session.pop("last_result", None)
    return ensure_participant_cookie(response, new_participant_token())
