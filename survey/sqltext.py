"""Written-out SQL for the hot paths: statement texts kept per database, and values as the driver takes them.

A submission's lookup and insert and the rollups' upserts run as driver-level SQL: building and compiling
them with SQLAlchemy cost more than running them. Their text is built once per database and statement
(``text_for``). Driver-level statements bypass SQLAlchemy's types, so a date or time goes to SQLite as
the same text SQLAlchemy's ``Date`` and ``DateTime`` types store and compare (``stored``).
"""
from datetime import date, datetime

_TEXTS = {}


def text_for(dialect, key, build, keep=True):
    """The SQL ``build(dialect)`` returns, kept under ``key`` for ``dialect``'s database and built only once.

    ``keep=False`` builds it without keeping it (texts whose number of forms has no bound).
    """
    cache_key = (dialect.name, key)
    found = _TEXTS.get(cache_key)
    if found is None:
        found = build(dialect)
        if keep:
            _TEXTS[cache_key] = found
    return found


def stored(dialect, value):
    """``value`` as a driver-level statement must send it to store what SQLAlchemy's types would store.

    On SQLite a time is text in SQLAlchemy's ``DateTime`` layout (microseconds always written) and a date
    ISO text; every other value, and every value on PostgreSQL, goes as it is.
    """
    if dialect.name != "sqlite":
        return value
    if isinstance(value, datetime):  # naive UTC, as every stored time is (models.base.utcnow)
        return value.isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value
