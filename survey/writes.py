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
_KEY = "survey.writes"  # in a connection's info: what its transaction wrote
_listeners = []


def on_transaction_end(listener):
    """Call ``listener(writes)`` after every transaction of this process that wrote something."""
    _listeners.append(listener)
    return listener


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(connection, _cursor, statement, _parameters, _context, _executemany):
    if statement.lstrip()[:9].upper().startswith(_READS):
        return
    match = _WRITTEN_TABLE.match(statement)
    table = match.group(1).lower() if match else None
    connection.info.setdefault(_KEY, set()).add((table, statement.lstrip()[:6].upper() == "INSERT"))


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_end(connection):
    writes = connection.info.pop(_KEY, None)
    if writes:
        for listener in _listeners:
            listener(writes)
