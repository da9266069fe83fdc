"""Rate-limit keys: a salted hash of the client address that changes every day and is never stored."""
import hashlib
import hmac
import threading
import time
from functools import lru_cache

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter._compat import request_context  # where Flask-Limiter keeps its per-request state
from limits.storage import MemoryStorage

from . import localtime


@lru_cache(maxsize=8)
def _daily_salt(secret_key, day):
    return hmac.new(secret_key.encode(), f"ratelimit:{day}".encode(), hashlib.sha256).digest()


def client_key():
    """Key a limit on the client address, hashed with a daily salt derived from the secret key.

    The salt changes at the district's midnight (survey.localtime), so "per day" allowances start again
    when the residents' day does, not at 08:00 in Beijing. Worked out once per request: Flask-Limiter asks
    for it once per limit and again when it deducts.
    """
    environ = request.environ
    key = environ.get(_CLIENT_KEY)
    if key is None:
        day = localtime.today().isoformat()
        salt = _daily_salt(current_app.config["SECRET_KEY"], day)
        address = (request.remote_addr or "unknown").encode()
        key = environ[_CLIENT_KEY] = "c:" + hashlib.sha256(salt + address).hexdigest()[:32]
    return key


_CLIENT_KEY = "survey.ratelimit.client_key"  # where a request keeps its key (in its WSGI environ)


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


def skip_untouched_hooks(app, limiter):
    """Run Flask-Limiter's after-request and teardown hooks only on requests that met one of its limits.

    Both work on the limiter's per-request state, which it makes the first time a limit is checked. On a
    request that met none (a survey page, a dashboard, any GET here) the after-request hook would make it
    only to find nothing to deduct and no headers to add, and the teardown would make it only to empty it:
    about a twentieth of a survey page. Requests that met a limit still run both, unchanged.
    """
    after = app.after_request_funcs.get(None, [])
    for index, hook in enumerate(after):
        if getattr(hook, "func", None) is Limiter._Limiter__inject_headers and getattr(hook, "args", ()) == (limiter,):
            after[index] = _when_touched(hook, lambda response: response, "limiter_after_request")
    teardown = app.teardown_request_funcs.get(None, [])
    for index, hook in enumerate(teardown):
        if hook == limiter._Limiter__release_context:
            teardown[index] = _when_touched(hook, lambda error=None: None, "limiter_teardown")


def _when_touched(hook, otherwise, name):
    """``hook`` on a request whose limiter state exists, else ``otherwise`` (with the same arguments)."""

    def guarded(*args):
        if hasattr(request_context(), "_limiter_request_context"):
            return hook(*args)
        return otherwise(*args)

    guarded.__name__ = guarded.__qualname__ = name
    return guarded


def residents_exempt():
    """True when the residents' limits are switched off (``RESIDENT_LIMITS_ENABLED=0``, for load tests)."""
    return not current_app.config.get("RESIDENT_LIMITS_ENABLED", True)


class ProcessMemoryStorage(MemoryStorage):
    """limits' in-process storage (``process-memory://``), dropping stale counters as it goes, not on a timer.

    limits' own ``memory://`` starts a timer thread 10 ms after a hit whenever none is running, to drop
    expired counters: under a campaign push that is a new thread about every 10 ms in every worker (a
    twentieth of a submission's time). A counter is checked for expiry whenever it is read anyway, so the
    sweep only keeps stale keys (yesterday's clients) from piling up; here it runs inline, at most once
    every ``SWEEP_SECONDS``. Counts, windows and refusals are limits' own.
    """

    STORAGE_SCHEME = ["process-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri=None, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the one timer limits starts on creation
        self._sweep_lock = threading.Lock()
        self._next_sweep = time.monotonic() + self.SWEEP_SECONDS

    def _MemoryStorage__schedule_expiry(self):  # noqa: N802 - replaces limits' timer (a name-mangled method)
        now = time.monotonic()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()
        finally:
            self._sweep_lock.release()

    def __setstate__(self, state):
        super().__setstate__(state)
        self.timer.cancel()
        self._sweep_lock = threading.Lock()
