"""Engine tuning: SQLite gets WAL, a busy timeout and enforced foreign keys; a pooled connection that sat
idle is checked before use."""

import fcntl
import logging
import os
import threading
import time
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, OperationalError

from . import models  # noqa: F401  (register every table on the metadata)
from .questionnaire import freeze  # noqa: F401  (install the frozen-version guard)

# How long a SQLite writer waits for another process's write to finish before giving up (milliseconds).
# Writes are short (one submission is a few statements in one transaction), so waiting is always better
# than failing; it must stay well under gunicorn's worker timeout.
SQLITE_BUSY_TIMEOUT_MS = 15000
# How hard SQLite pushes each commit to the disk (``SQLITE_SYNCHRONOUS`` in the environment; see _tune_sqlite).
SQLITE_SYNCHRONOUS_LEVELS = ("NORMAL", "FULL")
# WAL pages written before SQLite copies them back into the database file (its default is 1,000), and the
# size the WAL file is cut back to after that copy. Every submission rewrites the same few pages (the
# day's and the items' rollup rows, the ends of the response indexes); copying back ten times less often
# copies each of them once instead of ten times: a submission's commit took 155 µs instead of 216.
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000
SQLITE_JOURNAL_SIZE_LIMIT_BYTES = 64 * 2**20
# Writes through ``one_writer`` in one process between two checkpoints it runs itself (``_Writers.written``).
SQLITE_CHECKPOINT_EVERY_WRITES = 200
# The file beside a SQLite database that its writers queue on (one_writer).
WRITER_LOCK_SUFFIX = "-writers"
log = logging.getLogger(__name__)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, connection_record):
    """Set per-connection pragmas on SQLite; other engines are left alone.

    WAL lets readers run beside the one writer. In WAL mode ``synchronous=NORMAL`` (the default here, and
    SQLite's own advice for WAL) keeps every committed submission through a killed or crashed process and
    never corrupts the file; only a power cut or an operating-system crash can take back the last commits
    before the WAL's next sync. ``SQLITE_SYNCHRONOUS=FULL`` syncs the WAL on every commit so that those
    survive too, at about 0.3 ms (a disk flush) per submission. PostgreSQL, the production store, always
    flushes its log at commit. Python's sqlite3 opens a transaction at the first INSERT/UPDATE/DELETE, not
    at a SELECT, so a write transaction starts with its write lock (waiting out busy_timeout) and never
    on a stale read snapshot, which SQLite would refuse at once with "database is locked".
    """
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={sqlite_synchronous()}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={SQLITE_JOURNAL_SIZE_LIMIT_BYTES}")
    cursor.close()


def sqlite_synchronous():
    """The ``synchronous`` level from ``SQLITE_SYNCHRONOUS``: NORMAL or FULL (``survey.config`` refuses any
    other value when the application starts; a connection opened without it gets NORMAL)."""
    level = os.environ.get("SQLITE_SYNCHRONOUS", "").strip().upper()
    return level if level in SQLITE_SYNCHRONOUS_LEVELS else "NORMAL"


def ping_after_idle(engine):
    """Seconds a connection of ``engine`` may sit idle before it is pinged before use; None for SQLite."""
    if engine.dialect.name == "sqlite":
        return None
    from flask import current_app

    return current_app.config.get("DATABASE_PING_AFTER_IDLE", 10)


def answers(dialect, dbapi_connection):
    """True when a driver connection still answers ``dialect``'s ping (a pooled one, or the kept read one)."""
    try:
        return bool(dialect.do_ping(dbapi_connection))
    except dialect.loaded_dbapi.Error:
        return False


def init_app(app):
    """Check pooled connections that sat idle longer than ``DATABASE_PING_AFTER_IDLE`` seconds before use.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip to PostgreSQL on every
    request, about a tenth of a dashboard's time there. A connection in steady use has just answered, so
    only one that sat idle (across a database restart, or a firewall dropping quiet connections) is pinged;
    a dead one is replaced before the request uses it (SQLAlchemy's documented pessimistic recipe, raising
    ``DisconnectionError`` from the checkout event). SQLite needs no ping: its "connection" is a file.
    """
    from .extensions import db

    with app.app_context():
        limits = [(engine, ping_after_idle(engine)) for engine in db.engines.values()]
    for engine, idle_limit in limits:
        if idle_limit is not None:
            _ping_idle_connections(engine, idle_limit)
    return app


def _ping_idle_connections(engine, idle_limit):
    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < idle_limit:
            return
        if not answers(engine.dialect, dbapi_connection):
            raise DisconnectionError("the pooled connection no longer answers")


class _Writers:
    """This process's side of the queue of SQLite writers (``one_writer``): per database file, a thread lock
    and an open lock file, made on first use and never shared with a forked child."""

    def __init__(self):
        self.guard = threading.Lock()
        self.files = {}  # database path: (threading.Lock, lock file descriptor or None)
        self.counts = {}  # database path: writes through one_writer in this process

    def of(self, path):
        with self.guard:
            found = self.files.get(path)
            if found is None:
                try:
                    descriptor = os.open(f"{path}{WRITER_LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                except OSError:  # a read-only directory: writers fall back on SQLite's busy timeout alone
                    log.warning("cannot open the SQLite writers' lock file beside %s", path, exc_info=True)
                    descriptor = None
                found = self.files[path] = (threading.Lock(), descriptor)
            return found

    def written(self, engine, path):
        """Count one web write to ``path``; every ``SQLITE_CHECKPOINT_EVERY_WRITES`` of them, copy the WAL back
        into the database (``checkpoint``), after the writers' lock is let go.

        SQLite's own automatic checkpoint runs inside the commit that crosses its threshold: under
        ``one_writer`` that held every other writer for 50 ms at a million responses (430 ms for the first
        one after a start) once every ~900 submissions, the whole tail of the submissions' latency. Copying
        a little every few hundred writes, outside the lock, keeps the WAL well under that threshold, which
        stays as the backstop for the command line's bulk writers.
        """
        with self.guard:
            count = self.counts[path] = self.counts.get(path, 0) + 1
        if count % SQLITE_CHECKPOINT_EVERY_WRITES == 0:
            checkpoint(engine)

    def after_fork(self):
        """In a forked child: the parent's lock files are the parent's (a shared one would not exclude it)."""
        for _, descriptor in self.files.values():
            if descriptor is not None:
                os.close(descriptor)
        self.__init__()


_writers = _Writers()
os.register_at_fork(after_in_child=_writers.after_fork)


@contextmanager
def one_writer(connection):
    """Around a SQLite write transaction (its first write to its commit): wait for this machine's other
    writers of the same database file in a kernel queue, not in SQLite's busy handler.

    SQLite lets one connection write at a time and makes the others retry: its busy handler sleeps 1, 2,
    5, 10 … ms between tries, so two workers submitting at once lost at least a millisecond per clash,
    longer than a whole submission takes to write; under 32 concurrent residents there was about one
    sleep per submission. A ``flock`` on a file beside the database wakes the next writer as soon as the
    lock is let go (and the kernel lets go of a dead process's lock). Writers that do not take part (the
    command line's bulk inserts) still meet SQLite's busy timeout, as before. Other engines, and SQLite
    in memory, pass straight through.
    """
    path = connection.engine.url.database if connection.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        yield
        return
    lock, descriptor = _writers.of(path)
    with lock:
        if descriptor is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if descriptor is not None:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
    _writers.written(connection.engine, path)


def checkpoint(engine):
    """Copy what the WAL holds back into the database file as far as no reader needs it (``PASSIVE``: it
    waits for nobody, and other connections go on reading and writing meanwhile)."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    except OperationalError:  # another process is copying at this moment: it does the work
        log.debug("WAL checkpoint skipped", exc_info=True)
