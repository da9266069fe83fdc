"""Settings read from the environment; production never runs on a default secret."""

import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytz
from limits import parse_many

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """Raised when the application cannot start safely with the given settings."""


def database_url(instance_path):
    """Return the SQLAlchemy URL: ``DATABASE_URL`` or a SQLite file under instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{Path(instance_path) / 'survey.db'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(instance_path, is_production):
    """Return SECRET_KEY from the environment, or a generated one kept under instance/ in development."""
    key = os.environ.get("SECRET_KEY", "").strip()
    if key and key not in {"dev", "change-me", "secret"} and len(key) >= 16:
        return key
    if is_production:
        raise ConfigError("SECRET_KEY must be set to a long random value in production.")
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def sqlite_synchronous():
    """``SQLITE_SYNCHRONOUS``: NORMAL (the default) or FULL; anything else stops the start (survey.database)."""
    level = os.environ.get("SQLITE_SYNCHRONOUS", "").strip().upper() or "NORMAL"
    if level not in ("NORMAL", "FULL"):
        raise ConfigError("SQLITE_SYNCHRONOUS must be NORMAL or FULL.")
    return level


def timezone():
    """``TIMEZONE``: the district's IANA zone (default Asia/Shanghai), in which every day is counted
    (survey.localtime); a name the zone database does not know stops the start."""
    name = os.environ.get("TIMEZONE", "").strip() or "Asia/Shanghai"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE must name a time zone such as Asia/Shanghai; {name!r} is not one.") from None
    try:  # flask-babel formats times with pytz, which keeps its own copy of the zone database
        pytz.timezone(name)
    except pytz.UnknownTimeZoneError:
        raise ConfigError(f"TIMEZONE {name!r} is unknown to pytz (used to show times).") from None
    return name


def rate_limit(name, default):
    """A rate limit from the environment (``"300 per hour; 2000 per day"``); one the limits library cannot
    read stops the start, rather than every request it guards failing."""
    value = os.environ.get(name, default)
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(
            f"{name} must be one or more limits such as '300 per hour; 2000 per day'; {value!r} is not."
        ) from None
    return value


def load(instance_path):
    """Build the configuration mapping for a running application."""
    is_production = os.environ.get("SURVEY_ENV", "development") == "production"
    secure = os.environ.get("SECURE_COOKIES", "1" if is_production else "0") == "1"
    return {
        "IS_PRODUCTION": is_production,
        "SECRET_KEY": secret_key(instance_path, is_production),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        # No ping on every checkout: survey.database pings a pooled connection only after it sat idle.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "DATABASE_PING_AFTER_IDLE": float(os.environ.get("DATABASE_PING_AFTER_IDLE", 10)),
        "SQLITE_SYNCHRONOUS": sqlite_synchronous(),
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": timezone(),
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        # A whole questionnaire is a few kilobytes; anything far larger is not a resident.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 64 * 1024)),
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
        # The cookie is written when the session changes (an answer saved, a language chosen), not on every
        # page read: 30 days after the last change, and a survey page GET sends no new cookie.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PARTICIPANT_COOKIE_SECURE": secure,
        "HSTS": secure,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session; elderly residents are slow
        "MIN_COUNT": int(os.environ.get("MIN_COUNT", 5)),
        # How many reverse proxies stand in front (nginx: 1). Their X-Forwarded-For gives the client address
        # the rate limits key on; 0 (no proxy) ignores the header, which a client could forge.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", 0)),
        # Shared across processes and machines through Redis; without it each process counts on its own
        # (survey.ratelimit.ProcessMemoryStorage: limits' memory storage without its timer thread).
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "process-memory://",
        # No X-RateLimit-* headers: residents' pages have no use for them, and each limited response would
        # read every limit's window again from the storage (a Redis round trip each) to write them. A 429
        # still says when to come back (Retry-After, set by survey.errors).
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_SWALLOW_ERRORS": True,  # a Redis outage must not take the site down
        "LOGIN_LIMIT_PER_CLIENT": rate_limit("LOGIN_LIMIT_PER_CLIENT", "20 per 15 minutes"),
        "LOGIN_LIMIT_PER_ACCOUNT": rate_limit("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        # Residents' limits, per client address (a community centre's shared wifi is one client; see README
        # "Rate limits" for the arithmetic). RESIDENT_LIMITS_ENABLED=0 switches them off (load tests).
        "RESIDENT_LIMITS_ENABLED": os.environ.get("RESIDENT_LIMITS_ENABLED", "1") != "0",
        "SUBMIT_LIMIT_PER_CLIENT": rate_limit("SUBMIT_LIMIT_PER_CLIENT", "300 per hour; 2000 per day"),
        "SURVEY_LIMIT_PER_CLIENT": rate_limit("SURVEY_LIMIT_PER_CLIENT", "5000 per hour"),
        "CHECK_LIMIT_PER_CLIENT": rate_limit("CHECK_LIMIT_PER_CLIENT", "10000 per hour"),
        # OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
        "ARGON2_TIME_COST": 2,
        "ARGON2_MEMORY_COST": 19456,
        "ARGON2_PARALLELISM": 1,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_IMAGE_BYTES": int(os.environ.get("MAX_IMAGE_BYTES", 2 * 1024 * 1024)),
    }
