"""Figures and rendered dashboard fragments, kept per process while the data they come from is unchanged.

An entry is served only while all three of these hold, otherwise it is computed again:

1. **The data stamp is the same.** One indexed statement per request reads the newest response id, how
   many responses sit among the newest ``WINDOW`` ids, and the newest audit-log id. Every stored response
   changes the first; a response that commits after a newer one (possible on PostgreSQL, where ids are
   handed out before commit) changes the second; every staff change made through the site (community
   targets and names, campaign settings, questionnaire publish, staff accounts, …) writes an audit entry
   in its own transaction, so it changes the third — in every process at once.
2. **No write was committed in this process since.** Any commit through SQLAlchemy in this process
   (ORM, Core or a driver-level statement: the engine's events see them all) that wrote something other
   than login sessions, token use and the audit log drops every entry of this process, so a change shows
   on the next request here even when it is not audited. (Entries that no response can change, such as
   the directory of names and targets, ask for ``responses=False`` and outlive writes that only add
   responses.)
3. **The entry is at most ``MAX_AGE`` seconds old** (``STATS_CACHE_MAX_AGE`` in the configuration; 0
   turns the cache off). This bounds what the stamp cannot see from another process: ``flask stats
   rebuild`` or other command-line and direct database changes that write no audit entry, and a
   PostgreSQL response committed more than ``WINDOW`` ids late.

Entries live in the application object (``app.extensions``), so two applications in one process (the
tests) never share one, in an LRU capped at ``MAX_BYTES`` of estimated size and ``MAX_ENTRIES`` entries.
Pages and API answers are stored as UTF-8 bytes, so an entry's size is its length: about 20 KB for a
community page, 17 KB for its API answer, 330 KB for the district ranking. Measured on the benchmark's
500 communities: every community page and API answer in both languages plus a dozen sortings of the
district page come to 41 MB estimated (45 MB as traced by tracemalloc), under the default cap of 64 MB
per process; past the cap the least recently used entries go.

Rollups (survey.stats.services) use one more rule: when only responses were added since an entry was
read (the audit id and the "structural" generation are unchanged, and it was read in full less than
``MAX_AGE`` seconds ago), it is brought up to date by reading again only the communities those responses
touch, instead of every community; the figures are the same as a full read (tested).

Nothing per-user is stored: callers cache the figures and the inner part of a page, never anything that
holds a CSRF token, and check the viewer's access before they look anything up.
"""

import sys
import time
from collections import OrderedDict

from flask import current_app
from sqlalchemy import func, literal_column, select

from .. import reads, writes
from ..models import AuditEntry, Response

MAX_AGE = 10.0
MAX_BYTES = 64 * 2**20
MAX_ENTRIES = 4096
# Late commits among the newest WINDOW response ids change the stamp (see the module docstring). Every staff
# request counts them, and PostgreSQL checks each of those rows in the table itself while they are newer
# than the last vacuum, as the newest always are during a campaign: 256 cost a cached dashboard about 250
# row visits and twice the server's time, measured after 4,000 submissions. A response stored 64 ids late
# (64 others stored while it waited to commit) is still caught within MAX_AGE.
WINDOW = 64
_EXTENSION = "survey.stats.cache"

# Bumped by every commit in this process that wrote anything; entries made under another value are stale.
_generation = 0
# Bumped by the same commits, except those that only added responses (see ``invalidate``).
_structural = 0


class StatsCache:
    """An LRU of ``key → (made_with, made_at, size, value)`` with a size and an entry cap."""

    def __init__(self, max_bytes=MAX_BYTES, max_entries=MAX_ENTRIES):
        self.entries = OrderedDict()
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self.size = 0

    def get(self, key, made_with, max_age):
        """``(value, None)`` when the entry under ``key`` was made with ``made_with`` at most ``max_age``
        seconds ago; else ``(None, stale value or None)``, and the entry is dropped."""
        entry = self.entries.get(key)
        if entry is None:
            return None, None
        if entry[0] != made_with or time.monotonic() - entry[1] > max_age:
            self.drop(key)
            return None, entry[3]
        self.entries.move_to_end(key)
        return entry[3], None

    def put(self, key, made_with, value, size):
        """Store ``value`` (``size`` bytes, estimated); drop the least recently used entries over the caps."""
        self.drop(key)
        if size > self.max_bytes:
            return
        self.entries[key] = (made_with, time.monotonic(), size, value)
        self.size += size
        while self.size > self.max_bytes or len(self.entries) > self.max_entries:
            self.drop(next(iter(self.entries)))

    def drop(self, key):
        """Forget ``key`` if present."""
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= entry[2]

    def clear(self):
        """Forget everything."""
        self.entries.clear()
        self.size = 0


def store():
    """This application's cache (made on first use)."""
    app = current_app._get_current_object()
    found = app.extensions.get(_EXTENSION)
    if found is None:
        found = app.extensions[_EXTENSION] = StatsCache(
            app.config.get("STATS_CACHE_MAX_BYTES", MAX_BYTES), app.config.get("STATS_CACHE_MAX_ENTRIES", MAX_ENTRIES)
        )
    return found


def _stamp_columns():
    newest = select(func.max(Response.id)).scalar_subquery()
    # At most WINDOW ids can lie in the window; the LIMIT keeps PostgreSQL on a plain index range scan (it
    # cannot estimate the range before running, and planned a parallel scan costing milliseconds).
    # WINDOW is written into the SQL, not sent as a parameter: with a parameter in the LIMIT, PostgreSQL
    # planned the prepared statement again on every run (its custom plan looked cheaper than the generic
    # one), which cost more than running it: 294 against 138 µs for the login check carrying the stamp.
    window_size = literal_column(str(int(WINDOW)))
    window = select(Response.id).where(Response.id > newest - window_size).limit(window_size).subquery()
    late = select(func.count()).select_from(window).scalar_subquery()
    audited = select(func.max(AuditEntry.id)).scalar_subquery()
    return newest.label("stamp_newest"), late.label("stamp_late"), audited.label("stamp_audited")


# Built once: building the statement cost more than running it (about 30 µs on SQLite).
STAMP_COLUMNS = _stamp_columns()
_STAMP = reads.Fixed(select(*STAMP_COLUMNS))


def data_stamp():
    """What the cached figures depend on, in one indexed statement (see the module docstring).

    Like any read of the session's connection it flushes nothing; on PostgreSQL, when the session holds
    no transaction yet, it is read outside one (survey.reads: no BEGIN and ROLLBACK for a cache hit).
    """
    return tuple(reads.first(_STAMP, flush=False))  # an aggregate: always one row


def with_stamp(statement):
    """``statement`` with the stamp's columns added after its own, for a request's first read to bring along.

    Every staff request starts with one read (the login-session or API-token check); carrying the stamp in
    it makes a cached dashboard or API answer one statement (one round trip on PostgreSQL) instead of two.
    Give the row to ``prime``; ``without_stamp(row)`` is the statement's own part of it.
    """
    return statement.add_columns(*STAMP_COLUMNS)


def without_stamp(row):
    """The values of a ``with_stamp`` row that its statement selected itself."""
    return row[: len(row) - len(STAMP_COLUMNS)]


def prime(row):
    """Use the stamp in a ``with_stamp`` row for the rest of this request (read at the same moment as the row).

    As with a stamp read by ``stamp()``, a write this process commits later in the request makes it stale,
    and it is read again at its next use.
    """
    from flask import g, has_request_context

    if has_request_context():
        g._stats_stamp = (_generation, tuple(row[len(row) - len(STAMP_COLUMNS) :]))


def stamp():
    """The stamp for this request: read once, then reused by every lookup of the request."""
    from flask import g, has_request_context

    if has_request_context():
        found = g.get("_stats_stamp")
        if found is None or found[0] != _generation:
            found = g._stats_stamp = (_generation, data_stamp())
        return found[1]
    return data_stamp()


def _made_with(responses):
    if responses:
        return _generation, stamp()
    return _structural, stamp()[2]


def cached(key, compute, size=None, refresh=None, responses=True):
    """The value for ``key``: from the cache while valid, else ``compute()`` stored for next time.

    ``size(value)`` estimates the bytes an entry holds (default: ``sys.getsizeof`` of a string, else 64 KB).
    ``refresh(stale value)`` may bring a stale entry up to date more cheaply than ``compute()`` (None: it
    cannot). ``responses=False`` is for values that no response changes (names, targets): they are kept
    while only responses are added, and follow every other change like the rest.
    """
    max_age = current_app.config.get("STATS_CACHE_MAX_AGE", MAX_AGE)
    if max_age <= 0:
        return compute()
    cache = store()
    made_with = _made_with(responses)  # read before computing: a change committed meanwhile makes it stale
    value, stale = cache.get(key, made_with, max_age)
    if value is not None:
        return value
    value = refresh(stale) if refresh is not None and stale is not None else None
    if value is None:
        value = compute()
    if made_with == _made_with(responses):
        cache.put(key, made_with, value, size(value) if size else _size(value))
    return value


def viewer_scope(staff):
    """What about a viewer can change what they are shown: role and the street or community it covers."""
    return staff.role, staff.street_id, staff.community_id


def _size(value):
    if isinstance(value, (str, bytes)):
        return sys.getsizeof(value)
    return 64 * 1024


def invalidate(additive_only=False):
    """Make every entry of this process stale (every application).

    ``additive_only``: the write only added responses (and their rollup sums), so a stale rollup entry may
    still be brought up to date from the responses added since (see survey.stats.services).
    """
    global _generation, _structural
    _generation += 1
    if not additive_only:
        _structural += 1


def structural_generation():
    """Changes with every write in this process other than adding responses."""
    return _structural


# Writes the figures never depend on: login sessions, API tokens (their last use), the audit log (the stamp
# reads it). Writes that only add responses and their rollup sums: they change the stamp's newest id.
IGNORED_TABLES = frozenset({"staff_session", "api_token", "audit_entry"})
ADDITIVE_TABLES = frozenset({"response", "stats_day", "stats_item", "stats_gain"})


@writes.on_transaction_end
def _after_writes(written):
    relevant = {(table, is_insert) for table, is_insert in written if table not in IGNORED_TABLES}
    if relevant:
        invalidate(additive_only=all(table in ADDITIVE_TABLES and is_insert for table, is_insert in relevant))
