"""Rate-limit keys: a salted hash of the client address that changes every day and is never stored."""
import hashlib
import hmac
from functools import lru_cache

from flask import current_app, request

from . import localtime


@lru_cache(maxsize=8)
def _daily_salt(secret_key, day):
    return hmac.new(secret_key.encode(), f"ratelimit:{day}".encode(), hashlib.sha256).digest()


def client_key():
    """Key a limit on the client address, hashed with a daily salt derived from the secret key.

    The salt changes at the district's midnight (survey.localtime), so "per day" allowances start again
    when the residents' day does, not at 08:00 in Beijing.
    """
    day = localtime.today().isoformat()
    salt = _daily_salt(current_app.config["SECRET_KEY"], day)
    address = (request.remote_addr or "unknown").encode()
    return "c:" + hashlib.sha256(salt + address).hexdigest()[:32]


def account_key():
    """Key a limit on the username being tried (case-folded), so guessing one account is slowed everywhere."""
    username = (request.form.get("username") or "").strip().casefold()[:64]
    return "a:" + hashlib.sha256(username.encode()).hexdigest()[:32]


def configured(name):
    """A limit value read from the configuration at request time, so tests and operators can change it."""
    return lambda: current_app.config[name]


def drop_idle_auto_check(app, limiter):
    """Remove Flask-Limiter's before-request check when no default or application limit is configured.

    Limits here are opt-in per route, and a decorated route checks its own limits when it runs; the
    app-wide hook would only look for default and application limits, of which there are none, on every
    request (a tenth of a survey page's time). Any such limit configured keeps the hook.
    """
    if limiter.limit_manager.default_limits or limiter.limit_manager.application_limits:
        return
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)


def residents_exempt():
    """True when the residents' limits are switched off (``RESIDENT_LIMITS_ENABLED=0``, for load tests)."""
    return not current_app.config.get("RESIDENT_LIMITS_ENABLED", True)
