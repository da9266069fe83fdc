"""Reads that need no transaction: on PostgreSQL a request's first reads are sent without BEGIN and ROLLBACK.

A request that only reads (a cached dashboard or API answer: the login-session or token check, then the
stats cache's stamp) would otherwise cost four round trips on PostgreSQL: the BEGIN psycopg sends before
the first statement, the two SELECTs, and the ROLLBACK when the request's session is removed.
``connection()`` gives such a read a pooled connection in autocommit instead, so only the SELECT is sent.

That returns exactly what the same statement returns inside a transaction because:

- under READ COMMITTED (PostgreSQL's default, and the only level this is done at) every statement of a
  transaction takes its own snapshot, so a statement alone sees what it would have seen there;
- it is done only while ``db.session`` holds no database transaction, so the session has written
  nothing uncommitted that the statement could have seen (with ``flush=True`` pending changes are
  flushed first, as a query's autoflush would, and the read then goes through the session);
- only reads go this way. Writes later in the request go through ``db.session`` as always: it begins
  its own transaction on its own connection and commits or rolls back everything in it at once.

The pool sees an ordinary checkout and checkin (the idle ping and reset on return apply as to any
connection; psycopg sends no ROLLBACK for a connection with no transaction open), and SQLAlchemy puts
the connection back to the engine's isolation level when it returns to the pool. SQLite and any other
engine read through the session as before: there a transaction's start and end cost no round trip.

``attach()`` turns a row read this way into the ORM object a query would have returned, in
``db.session``, so lazy relationships and later changes work on it as usual.
"""

from contextlib import contextmanager

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from .extensions import db

_IN_TRANSACTION = "survey.reads.in_transaction"  # in a Session's info: it holds a database transaction


@event.listens_for(Session, "after_begin")
def _began(session, _transaction, _connection):
    session.info[_IN_TRANSACTION] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction):
    if transaction.parent is None:
        session.info.pop(_IN_TRANSACTION, None)


def _alone_reads_the_same(engine):
    """True when a statement on ``engine`` outside a transaction reads what it would inside one: PostgreSQL
    at READ COMMITTED (the level set for the engine, else the server's, known once it has connected)."""
    dialect = engine.dialect
    if dialect.name != "postgresql":
        return False
    level = (
        engine.get_execution_options().get("isolation_level")
        or dialect.isolation_level
        or getattr(dialect, "default_isolation_level", None)
    )
    return level == "READ COMMITTED"


@contextmanager
def connection(flush=True):
    """A connection to run one read statement on: outside any transaction when that reads the same.

    On PostgreSQL at READ COMMITTED while ``db.session`` holds no transaction: a pooled connection in
    autocommit, returned to the pool afterwards. Otherwise ``db.session``'s connection, in its
    transaction. ``flush``: flush the session's pending changes first, as the autoflush of a session
    query would (the read then goes through the session).
    """
    session = db.session()
    if flush and session.autoflush:
        session.flush()
    engine = session.get_bind()
    if session.info.get(_IN_TRANSACTION) or not _alone_reads_the_same(engine):
        yield session.connection()
        return
    with outside_transaction(engine) as read:
        # psycopg prepares a statement on its fifth run on a connection. These reads run on every staff
        # request, so they soon run prepared, which roughly halves the database server's work per cached page
        # (planning the stamp's subqueries costs more than running them). A ROLLBACK later on the same
        # connection makes psycopg drop every prepared statement (DEALLOCATE ALL: one more round trip then);
        # they are prepared again after five more runs.
        yield read


@contextmanager
def outside_transaction(engine):
    """A pooled connection of ``engine`` in autocommit: each statement on it is its own transaction.

    For ``connection()``'s reads, and for a write that is one statement and atomic on its own (a first
    submission on PostgreSQL, survey.questionnaire.services), so no BEGIN and COMMIT are sent around it.
    SQLAlchemy puts the engine's isolation level back when the connection returns to the pool.
    """
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


def columns(model, prefix=""):
    """``[(attribute, labelled column)]`` for every column of ``model``: what to select for ``attach``."""
    return [(attr.key, attr.columns[0].label(prefix + attr.key)) for attr in inspect(model).column_attrs]


def attach(model, selected, row):
    """The ``model`` instance of ``row`` (values in the order of ``selected``, from ``columns(model)``), in
    ``db.session`` as a query would have returned it but without a query: the session's own copy when it
    already holds one, else a new one whose relationships load lazily."""
    values = {key: value for (key, _column), value in zip(selected, row, strict=True)}
    mapper = inspect(model)
    session = db.session()
    key = mapper.identity_key_from_primary_key(
        [values[mapper.get_property_by_column(column).key] for column in mapper.primary_key]
    )
    existing = session.identity_map.get(key)
    if existing is not None:
        return existing
    instance = mapper.class_manager.new_instance()
    for name, value in values.items():
        setattr(instance, name, value)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance
