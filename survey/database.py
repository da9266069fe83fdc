"""Engine tuning: SQLite gets WAL, a busy timeout and enforced foreign keys."""
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import models  # noqa: F401  (register every table on the metadata)
from .questionnaire import freeze  # noqa: F401  (install the frozen-version guard)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, connection_record):
    """Set per-connection pragmas on SQLite; other engines are left alone."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app):
    """Nothing to bind per app yet; the listeners above are global to SQLAlchemy engines."""
    return app
