"""Reads that need no transaction: a request's first reads go on a kept autocommit connection.

A request that only reads (a cached dashboard or API answer: the login-session or token check, carrying
the stats cache's stamp) would otherwise cost three round trips on PostgreSQL: the BEGIN psycopg sends
before the first statement, the SELECT, and the ROLLBACK when the request's session is removed. On both
engines it would also check a connection out of the pool and begin and end the session's transaction
around one statement. ``first()`` sends such a read alone on the process's kept connection (``_Kept``),
in autocommit, so only the SELECT is sent.

That returns exactly what the same statement returns inside a transaction because:

- under READ COMMITTED (PostgreSQL's default, and the only level this is done at there) every statement
  of a transaction takes its own snapshot, so a statement alone sees what it would have seen there; on
  SQLite, Python's sqlite3 begins a transaction only at a write, so a read there was alone already;
- it is done only while ``db.session`` holds no database transaction, so the session has written
  nothing uncommitted that the statement could have seen (with ``flush=True`` pending changes are
  flushed first, as a query's autoflush would, and the read then goes through the session);
- only reads go this way, and one write that is a single statement, atomic on its own and safe to send
  twice (``alone()``: a first submission on PostgreSQL). Other writes go through ``db.session`` as
  always: it begins its own transaction on its own connection and commits or rolls back everything in it
  at once.

``attach()`` turns a row read this way into the ORM object a query would have returned, in
``db.session``, so lazy relationships and later changes work on it as usual.
"""

import logging
import os
import threading
import time
from collections import namedtuple
from contextlib import contextmanager

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.pool import QueuePool

from . import database
from .extensions import db

log = logging.getLogger(__name__)

_IN_TRANSACTION = "survey.reads.in_transaction"  # in a Session's info: it holds a database transaction


@event.listens_for(Session, "after_begin")
def _began(session, _transaction, _connection):
    session.info[_IN_TRANSACTION] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction):
    if transaction.parent is None:
        session.info.pop(_IN_TRANSACTION, None)


def _alone_reads_the_same(engine):
    """True when a statement on ``engine`` outside a transaction reads what it would inside one.

    PostgreSQL at READ COMMITTED (the level set for the engine, else the server's, known once it has
    connected); SQLite in a file, where Python's sqlite3 begins no transaction for a read anyway (survey.database).
    Only pooled engines: SQLite in memory shares its one connection (and database) with the session.
    """
    if not isinstance(engine.pool, QueuePool):
        return False
    dialect = engine.dialect
    if dialect.name == "sqlite":
        return True
    if dialect.name != "postgresql":
        return False
    level = (
        engine.get_execution_options().get("isolation_level")
        or dialect.isolation_level
        or getattr(dialect, "default_isolation_level", None)
    )
    return level == "READ COMMITTED"


def first(statement, parameters=None, flush=True):
    """The first row of one read statement (None when it has none): outside any transaction when that reads the same.

    While ``db.session`` holds no transaction and the engine reads the same outside one: on the process's
    kept autocommit connection (``_Kept``). Otherwise on ``db.session``'s connection, in its transaction.
    ``flush``: flush the session's pending changes first, as the autoflush of a session query would (the
    read then goes through the session).
    """
    session = db.session()
    if flush and session.autoflush:
        session.flush()
    engine = session.get_bind()
    fixed = statement if isinstance(statement, Fixed) else None
    if session.info.get(_IN_TRANSACTION) or not _alone_reads_the_same(engine):
        return session.connection().execute(fixed.statement if fixed else statement, parameters).first()
    if fixed is not None:
        return _kept.run(engine, lambda connection: fixed.first(connection, parameters))
    return _kept.run(engine, lambda connection: connection.execute(statement, parameters).first())


class Fixed:
    """A read statement built once and run on most requests (the login-session and token checks, the stamp).

    On the kept connection ``first()`` sends it through the driver itself, compiled once per database:
    SQLAlchemy's execution (an execution context, a result object) cost 90 µs of a 290 µs login-session
    check on PostgreSQL, a tenth of a cached dashboard. What SQLAlchemy does for these statements is done
    here too: its bind and result processors per column (on SQLite a time is stored as text and read back
    as a datetime), the engine's statement events (before and after the cursor runs it), a driver error
    raised as SQLAlchemy's, and a lost connection invalidated, so the kept connection's retry works as
    before. The row reads by position and by name. Inside the session's transaction (``first()``'s other
    path) it runs as any statement does.
    """

    def __init__(self, statement):
        self.statement = statement
        self._forms = {}

    def _form(self, dialect):
        form = self._forms.get(dialect.name)
        if form is None:
            compiled = self.statement.compile(dialect=dialect)
            if any(bind.expanding or bind.literal_execute for bind in compiled.binds.values()):
                raise ValueError("a Fixed statement takes no IN list or value written in when it runs")
            columns = self.statement.selected_columns
            binds = {
                name: processor
                for name, bind in compiled.binds.items()
                if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
            }
            results = [
                (position, processor)
                for position, column in enumerate(columns)
                if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
            ]
            required = frozenset(name for name, bind in compiled.binds.items() if bind.required)
            form = self._forms[dialect.name] = (
                compiled.string,
                compiled.positiontup if compiled.positional else None,
                required,
                compiled.construct_params(dict.fromkeys(required)),  # the statement's own values
                binds,
                results,
                namedtuple("Row", [column.key for column in columns], rename=True),
            )
        return form

    def first(self, connection, parameters=None):
        """The first row on ``connection`` (a kept or pooled autocommit connection), or None."""
        dialect = connection.dialect
        sql, order, required, defaults, binds, results, row_type = self._form(dialect)
        parameters = parameters or {}
        if not required <= parameters.keys():
            raise ValueError(f"a value is required for {', '.join(sorted(required - parameters.keys()))}")
        values = {**defaults, **parameters}
        if binds:
            values = {name: binds[name](value) if name in binds else value for name, value in values.items()}
        arguments = tuple(values[name] for name in order) if order is not None else values
        dispatch = connection.dispatch  # the statement events still fire: the write watcher, tracing, tests
        try:
            cursor = connection.connection.driver_connection.cursor()
            dispatch.before_cursor_execute(connection, cursor, sql, arguments, None, False)
            cursor.execute(sql, arguments)
            row = cursor.fetchone()
            dispatch.after_cursor_execute(connection, cursor, sql, arguments, None, False)
            cursor.close()
        except dialect.loaded_dbapi.Error as error:
            lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, None)
            if lost:
                connection.invalidate(error)
            raise DBAPIError.instance(
                sql, arguments, error, dialect.loaded_dbapi.Error, connection_invalidated=lost
            ) from error
        if row is None:
            return None
        if results:
            row = list(row)
            for position, process in results:
                row[position] = process(row[position])
        return row_type._make(row)


def alone(engine, work):
    """``work(connection)`` on the process's kept autocommit connection (a pooled one while another thread
    uses it): each statement it sends is its own transaction, with no pool checkout and no switch to
    autocommit and back (on PostgreSQL those cost about as much as a short statement).

    For one statement that is atomic on its own and safe to send twice: when the server closed the
    connection, ``work`` runs once more on a new one. ``work`` calls ``connection.commit()`` after a write,
    so the write watcher (survey.writes) tells the per-process caches.
    """
    return _kept.run(engine, work)


class _Kept:
    """One autocommit connection per process, kept between requests for ``first()``'s reads (and ``alone()``).

    Checking a connection out of the pool, switching it to autocommit, and back again on its return cost
    more than the read itself: on PostgreSQL about 170 µs against a 180 µs read, on SQLite the session's
    transaction bookkeeping was a tenth of a cached dashboard. Kept here:

    - one read at a time: another thread meanwhile reads on a pooled connection (``outside_transaction``);
    - a connection that sat idle longer than ``DATABASE_PING_AFTER_IDLE`` seconds is pinged first, as the
      pool pings one (survey.database); one that fails, or that the server closed (a restart), is replaced
      and the read made once more on the new one (a read can be repeated safely);
    - a forked child never uses or closes its parent's connection (gunicorn forks its workers), and the
      connection is closed when its engine is disposed or another engine's read comes (tests).

    psycopg prepares a statement on its fifth run on a connection. These reads run on every staff request,
    so they soon run prepared on this one connection, which roughly halves the database server's work per
    cached page (planning the stamp's subqueries costs more than running them).
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.engine = self.connection = None
        self.used_at = 0.0

    def run(self, engine, work):
        """``work(connection)`` on the kept connection, or on a pooled one while another thread holds it."""
        if not self.lock.acquire(blocking=False):
            with outside_transaction(engine) as connection:
                return work(connection)
        try:
            for attempt in (1, 2):
                connection = self._connection(engine)
                try:
                    result = work(connection)
                except DBAPIError as error:
                    lost = error.connection_invalidated or connection.invalidated
                    self.drop()  # whatever went wrong, the next use starts on a fresh connection
                    if attempt == 2 or not lost:
                        raise
                    log.warning("the kept read connection was lost (%s); running again on a new one", error.orig)
                    continue
                except BaseException:
                    self.drop()  # interrupted mid-statement: the connection's state is unknown
                    raise
                self.used_at = time.monotonic()
                return result
        finally:
            self.lock.release()

    def _connection(self, engine):
        connection = self.connection
        if connection is not None and (self.engine is not engine or connection.closed or connection.invalidated):
            self.drop()
            connection = None
        if connection is not None:
            idle_limit = database.ping_after_idle(engine)
            idle = idle_limit is not None and time.monotonic() - self.used_at > idle_limit
            if idle and not database.answers(connection.dialect, connection.connection.dbapi_connection):
                self.drop()
                connection = None
        if connection is None:
            connection = engine.connect()
            connection.execution_options(isolation_level="AUTOCOMMIT")
            self.engine, self.connection = engine, connection
        return connection

    def drop(self, engine=None):
        """Close the kept connection (only when it belongs to ``engine``, if given)."""
        if self.connection is None or (engine is not None and self.engine is not engine):
            return
        connection, self.connection, self.engine = self.connection, None, None
        try:
            if connection.invalidated:
                connection.close()
            else:
                connection.invalidate()  # closed, not pooled: it may have been idle past the pool's ping
        except Exception:  # noqa: BLE001 - a connection that is already gone has nothing left to close
            log.debug("closing the kept read connection failed", exc_info=True)

    def after_fork(self):
        """In a forked child: the parent's connection (its socket) stays the parent's; start afresh."""
        if self.connection is not None:
            _INHERITED.append(self.connection)  # never used, closed or collected here
        self.__init__()


_INHERITED = []
_kept = _Kept()
os.register_at_fork(after_in_child=_kept.after_fork)


@event.listens_for(Engine, "engine_disposed")
def _disposed(engine):
    if _kept.lock.acquire(blocking=False):
        try:
            _kept.drop(engine)
        finally:
            _kept.lock.release()


@contextmanager
def outside_transaction(engine):
    """A pooled connection of ``engine`` in autocommit: each statement on it is its own transaction.

    For ``first()`` and ``alone()`` while another thread holds the kept connection. SQLAlchemy puts the
    engine's isolation level back when the connection returns to the pool.
    """
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


class Columns(list):
    """``[(attribute, labelled column)]`` of a model, with what ``attach`` needs to know about them kept."""

    def __init__(self, model, pairs):
        super().__init__(pairs)
        mapper = inspect(model)
        self.mapper = mapper
        self.keys = tuple(key for key, _column in pairs)
        self.primary_key = tuple(
            self.keys.index(mapper.get_property_by_column(column).key) for column in mapper.primary_key
        )


def columns(model, prefix=""):
    """``[(attribute, labelled column)]`` for every column of ``model``: what to select for ``attach``."""
    return Columns(
        model, [(attr.key, attr.columns[0].label(prefix + attr.key)) for attr in inspect(model).column_attrs]
    )


def attach(model, selected, row):
    """The ``model`` instance of ``row`` (values in the order of ``selected``, from ``columns(model)``), in
    ``db.session`` as a query would have returned it but without a query: the session's own copy when it
    already holds one, else a new one whose relationships load lazily.

    The values go straight into the instance's state, as SQLAlchemy's own loading puts them (setting each
    attribute would record it as a change only for ``make_transient_to_detached`` to clear it again).
    """
    if len(row) != len(selected.keys):
        raise ValueError(f"{len(row)} values for {len(selected.keys)} columns of {model.__name__}")
    mapper = selected.mapper
    session = db.session()
    key = mapper.identity_key_from_primary_key([row[position] for position in selected.primary_key])
    existing = session.identity_map.get(key)
    if existing is not None:
        return existing
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(zip(selected.keys, row, strict=True))
    make_transient_to_detached(instance)
    session.add(instance)
    return instance
