"""Per-process snapshots of the few rows every page reads: the published questionnaire and the campaign settings.

Every resident page needs them, and they change a few times a year, so each process keeps a read-only
copy instead of querying on every request. A snapshot is refreshed:

- at once in the process that changed it: the end of any transaction that wrote to one of the
  ``WATCHED_TABLES`` (an ORM flush, a Core or raw statement alike; see survey.writes) drops every
  snapshot of this process;
- within ``MAX_AGE`` seconds everywhere else (other gunicorn workers, other machines, a CLI command in
  another process): a snapshot older than that is read again. ``SNAPSHOT_MAX_AGE`` in the configuration
  overrides the bound (0 reads on every use).

So another process serves the previous questionnaire for at most ``MAX_AGE`` seconds after a publish; a
resident who started on it is sent back to the start, as for any change (see questionnaire.views).
Snapshots are kept per application object, so test applications never share one.
"""

import time

from flask import current_app, g

from . import writes

MAX_AGE = 1.0
WATCHED_TABLES = frozenset({"questionnaire_version", "campaign", "campaign_translation"})
_EXTENSION = "survey.snapshots"

# Bumped by every commit that touched a watched table; a snapshot taken under another generation is stale.
_generation = 0


def get(name, load):
    """The snapshot called ``name``: ``load()``'s result, taken again once stale (see the module docstring).

    Within one request (one application context) the same snapshot is given every time unless this process
    commits a change meanwhile, so the parts of a page never disagree about it.
    """
    seen = g.setdefault("_snapshots", {})
    entry = seen.get(name)
    if entry is not None and entry[0] == _generation:
        return entry[1]
    app = current_app._get_current_object()
    cache = app.extensions.get(_EXTENSION)
    if cache is None:
        cache = app.extensions[_EXTENSION] = {}
    now = time.monotonic()
    entry = cache.get(name)
    if entry is not None and entry[0] == _generation and now - entry[1] <= app.config.get("SNAPSHOT_MAX_AGE", MAX_AGE):
        generation, value = entry[0], entry[2]
    else:
        generation = _generation  # read before loading, so a change committed meanwhile is not hidden
        value = load()
        cache[name] = (generation, now, value)
    seen[name] = (generation, value)
    return value


def invalidate():
    """Drop every snapshot of this process (for all applications)."""
    global _generation
    _generation += 1


@writes.on_transaction_end
def _after_writes(written):
    # A statement whose table could not be read (None) may have touched one: drop the snapshots to be safe.
    if any(table in WATCHED_TABLES or table is None for table, _ in written):
        invalidate()
