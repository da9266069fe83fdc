"""Rate-limit keys: a salted hash of the client address that changes every day and is never stored."""
import hashlib
import hmac
from datetime import UTC, datetime

from flask import current_app, request


def client_key():
    """Key a limit on the client address, hashed with a daily salt derived from the secret key."""
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    salt = hmac.new(current_app.config["SECRET_KEY"].encode(), f"ratelimit:{day}".encode(), hashlib.sha256).digest()
    address = (request.remote_addr or "unknown").encode()
    return "c:" + hashlib.sha256(salt + address).hexdigest()[:32]


def account_key():
    """Key a limit on the username being tried (case-folded), so guessing one account is slowed everywhere."""
    username = (request.form.get("username") or "").strip().casefold()[:64]
    return "a:" + hashlib.sha256(username.encode()).hexdigest()[:32]


def configured(name):
    """A limit value read from the configuration at request time, so tests and operators can change it."""
    return lambda: current_app.config[name]


def residents_exempt():
    """True when the residents' limits are switched off (``RESIDENT_LIMITS_ENABLED=0``, for load tests)."""
    return not current_app.config.get("RESIDENT_LIMITS_ENABLED", True)
