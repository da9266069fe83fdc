"""Rate limits: their keys, the residents' allowances, and how long a refusal asks to wait.

- Keys: a salted hash of the client address that changes every day and is never stored (``client_key``).
- ``Allowance``: a resident's allowance of stored responses, used up only by what the site actually
  stores, and refused with ``AllowanceUsedUp`` (a 429 saying when to come back).
- ``retry_after``: the wait a 429 asks for, the same for Flask-Limiter's limits and the allowances.
"""

import hashlib
import hmac
import logging
import math
import threading
import time
from functools import lru_cache

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter._compat import request_context  # where Flask-Limiter keeps its per-request state
from limits import parse_many
from limits.storage import MemoryStorage
from werkzeug.exceptions import TooManyRequests

from . import localtime

log = logging.getLogger(__name__)


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


class AllowanceUsedUp(TooManyRequests):
    """A resident's allowance (``Allowance``) is used up: a 429 that says when to come back (``retry_after``,
    seconds)."""

    def __init__(self, retry_after):
        super().__init__()
        self.retry_after = retry_after


@lru_cache(maxsize=32)
def _parsed(limit_string):
    """The rate limits of a limit string such as ``"300 per hour; 2000 per day"`` (limits' own parser)."""
    return tuple(parse_many(limit_string))


class Allowance:
    """A per-client allowance of the residents' answer-saving POSTs, checked by the view itself.

    Flask-Limiter's route decorators resolve, filter and evaluate their limits on every request through
    machinery made for any limit on any route: on a resident's final submission that was 1.16M of 6.49M
    instructions (18%), far more than counting. These allowances count with the limiter's own strategy on
    its own storage (in the process, or Redis when ``REDIS_URL`` is set): the same fixed windows of
    ``limits``, keyed on the same salted client hash (``client_key``). They follow the same switches
    (``RATELIMIT_ENABLED``, and ``RESIDENT_LIMITS_ENABLED`` for load tests), let a request through when the
    storage fails and ``RATELIMIT_SWALLOW_ERRORS`` says so, and refuse with the same localised 429 and
    Retry-After (``AllowanceUsedUp``). ``config_name`` names the limit string in the configuration, read on
    every request so tests and operators can change it.
    """

    def __init__(self, limiter, config_name, scope):
        self.limiter, self.config_name, self.scope = limiter, config_name, scope

    def _limits(self):
        """``(limits, identifiers)`` for this request, or None when the allowance does not apply."""
        config = current_app.config
        if not self.limiter.enabled or residents_exempt():
            return None
        return _parsed(config[self.config_name]), (config.get("RATELIMIT_KEY_PREFIX") or "", client_key(), self.scope)

    def use(self):
        """Count this request against the allowance; refuse it (``AllowanceUsedUp``) when that goes over."""
        self._each(self.limiter.limiter.hit)

    def check(self):
        """Refuse this request when the allowance is used up, without counting it (``count`` does, once the
        action it limits has happened)."""
        self._each(self.limiter.limiter.test)

    def count(self):
        """Count one use of the allowance (an action done after ``check``)."""
        found = self._limits()
        if found is not None:
            limits, identifiers = found
            for limit in limits:
                self._storage(self.limiter.limiter.hit, limit, identifiers)

    def _each(self, allowed):
        found = self._limits()
        if found is None:
            return
        limits, identifiers = found
        for limit in limits:
            if not self._storage(allowed, limit, identifiers):
                raise AllowanceUsedUp(self._retry_after(limit, identifiers))

    @staticmethod
    def _storage(operation, limit, identifiers):
        """``operation(limit, *identifiers)``; a storage failure counts as allowed when errors are swallowed."""
        try:
            return operation(limit, *identifiers)
        except Exception:
            if not current_app.config.get("RATELIMIT_SWALLOW_ERRORS", False):
                raise
            log.exception("rate-limit storage failed; the request goes through")
            return True

    def _retry_after(self, limit, identifiers):
        """Whole seconds until ``limit``'s window for this client starts again (``retry_after``)."""
        try:
            reset_at = self.limiter.limiter.get_window_stats(limit, *identifiers).reset_time
        except Exception:
            log.exception("rate-limit storage failed reading a window")
            reset_at = time.time() + limit.get_expiry()
        return retry_after(reset_at, limit)


def retry_after(reset_at, limit):
    """Whole seconds, at least one, until ``reset_at`` (when ``limit``'s window starts again), never more than
    the limit's own window (a reset time may be rounded up by a second)."""
    return max(1, math.ceil(min(reset_at - time.time(), limit.get_expiry())))


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
