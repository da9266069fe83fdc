"""What each transaction wrote, told to the per-process caches when it ends (``on_transaction_end``).

Every statement through SQLAlchemy in this process is seen here (ORM flushes, Core statements and raw
SQL alike), so a cache learns of a change however it was made. A transaction that wrote something ends
by calling each listener with its writes: a set of ``(table, is_insert)``, ``table`` lower-case or None
when the statement did not name one plainly (a caller should then assume anything changed). A rollback
counts too: nothing reached the database, but a copy read inside the transaction may have seen it.
"""

import re

from sqlalchemy import event
from sqlalchemy.engine import Engine

# Statements that change no data. Anything else counts as a write (a guess the safe way round).
_READS = ("SELECT", "PRAGMA", "EXPLAIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "SHOW")
_WRITTEN_TABLE = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.I)
# The writes inside a WITH statement (PostgreSQL's data-modifying common table expressions); an upsert's own
# "DO UPDATE SET" is not one.
_WRITE_IN_WITH = re.compile(r'\b(INSERT\s+INTO|(?<!DO )UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.I)
_KEY = "survey.writes"  # in a connection's info: what its transaction wrote
_listeners = []


def on_transaction_end(listener):
    """Call ``listener(writes)`` after every transaction of this process that wrote something."""
    _listeners.append(listener)
    return listener


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(connection, _cursor, statement, _parameters, _context, _executemany):
    note(connection, statement)


def note(connection, statement):
    """Record what ``statement``, about to run on ``connection``, writes (for a statement sent past
    SQLAlchemy's execute, ``survey.sqltext.run``; every other one is seen by the event above)."""
    head = statement.lstrip()[:9].upper()
    if head.startswith(_READS):
        return
    if head.startswith("WITH"):
        found = {(table.lower(), verb[:6].upper() == "INSERT") for verb, table in _WRITE_IN_WITH.findall(statement)}
        if found:
            connection.info.setdefault(_KEY, set()).update(found)
        return
    match = _WRITTEN_TABLE.match(statement)
    table = match.group(1).lower() if match else None
    connection.info.setdefault(_KEY, set()).add((table, head[:6] == "INSERT"))


def written(connection):
    """What the transaction open on ``connection`` has written so far (empty when nothing)."""
    return connection.info.get(_KEY, set())


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_end(connection):
    writes = connection.info.pop(_KEY, None)
    if writes:
        for listener in _listeners:
            listener(writes)
