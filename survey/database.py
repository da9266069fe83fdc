"""Engine tuning: SQLite gets WAL, a busy timeout, durable commits and enforced foreign keys."""
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import models  # noqa: F401  (register every table on the metadata)
from .questionnaire import freeze  # noqa: F401  (install the frozen-version guard)

# How long a SQLite writer waits for another process's write to finish before giving up (milliseconds).
# Writes are short (one submission is a few statements in one transaction), so waiting is always better
# than failing; it must stay well under gunicorn's worker timeout.
SQLITE_BUSY_TIMEOUT_MS = 15000


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, connection_record):
    """Set per-connection pragmas on SQLite; other engines are left alone.

    WAL lets readers run beside the one writer. synchronous=FULL syncs the WAL on every commit, so a
    submission acknowledged to a resident survives a power cut as well as a killed process (NORMAL would
    survive only the latter). Python's sqlite3 opens a transaction at the first INSERT/UPDATE/DELETE, not
    at a SELECT, so a write transaction starts with its write lock (waiting out busy_timeout) and never
    on a stale read snapshot, which SQLite would refuse at once with "database is locked".
    """
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def init_app(app):
    """Nothing to bind per app yet; the listener above is global to SQLAlchemy engines."""
    return app
