"""Written-out SQL for the hot paths: statement texts kept per database, and values as the driver takes them.

A submission's lookup and insert and the rollups' upserts run as driver-level SQL: building and compiling
them with SQLAlchemy cost more than running them. Their text is built once per database and statement
(``text_for``). Driver-level statements bypass SQLAlchemy's types, so a date or time goes to SQLite as
the same text SQLAlchemy's ``Date`` and ``DateTime`` types store and compare (``stored``).
"""

from datetime import date, datetime

from sqlalchemy import exc

from . import writes

_TEXTS = {}


def run(connection, statement, parameters):
    """Run driver-level ``statement`` in ``connection``'s transaction; return a cursor over its rows.

    On SQLite it goes straight to the driver's cursor: through ``exec_driver_sql`` each statement also
    paid for an execution context, a result object and the statement events, more than SQLite took to
    run it. The write watcher (``survey.writes``) is told as the event would tell it, and a driver error is
    raised as SQLAlchemy's (``IntegrityError``, ``OperationalError`` …), as callers expect. Other databases
    keep ``exec_driver_sql``, with SQLAlchemy's handling of a lost connection.
    """
    if connection.dialect.name != "sqlite":
        return connection.exec_driver_sql(statement, parameters)
    if not connection.in_transaction():
        connection.begin()  # as SQLAlchemy's execute would, so that the connection's commit commits it
    writes.note(connection, statement)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(statement, parameters)
    except connection.dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(statement, parameters, error, connection.dialect.loaded_dbapi.Error) from error
    return cursor


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
