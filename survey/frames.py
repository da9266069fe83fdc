"""Page frames kept per process: a page's frame rendered once, then only this request's CSRF token put in.

A staff page's frame (the header, the staff bar with its navigation, the display and logout forms) is the
same for every request of one person on one address, in one language and display mode, except for the
CSRF token in its forms. ``frame()`` renders it through Jinja the first time, a second time with a
stand-in token, and keeps the second cut where the stand-in appears — but only if putting the real token
back gives exactly the first rendering. Later requests join the pieces with their own token, which is
never stored. Anything rarer than a plain page view (a flashed message, assisted mode, templates being
edited) is rendered every time.

The key holds everything else the frame shows: see ``frame_key``. Entries live in the application object
(tests' applications never share one), at most ``MAX_FRAMES`` of them, least recently used dropped first.
"""

import logging
from collections import OrderedDict
from contextlib import contextmanager

from flask import current_app, g, request, session

from . import assisted
from .campaign import campaign_settings
from .i18n import locale_code
from .public import prefs
from .signing import csrf_field, csrf_token

log = logging.getLogger(__name__)
MAX_FRAMES = 2048
STAND_IN = "csrfF9qStandIn"
_EXTENSION = "survey.frames"
_UNCACHEABLE = object()


@contextmanager
def csrf_token_as(token):
    """Make ``csrf_token()`` give ``token`` for a while (this request keeps its real one)."""
    name = csrf_field()
    real = g.get(name)
    setattr(g, name, token)
    try:
        yield
    finally:
        if real is None:
            g.pop(name, None)  # none was made yet: the next call makes one, as Flask-WTF would
        else:
            setattr(g, name, real)


def frame_key(*parts):
    """The key of this request's frame, with the caller's ``parts`` (e.g. who is looking); None: render it.

    Besides ``parts`` a frame shows the language's strings, the display preferences, the site name and
    links back to this address (the language switch, the navigation's current entry).
    """
    if "_flashes" in session or assisted.current() is not None or current_app.jinja_env.auto_reload:
        return None
    return (
        *parts,
        locale_code(),
        request.script_root,
        request.full_path,
        tuple(sorted(prefs.read().items())),
        campaign_settings().site_name,
    )


def _frames():
    app = current_app._get_current_object()
    found = app.extensions.get(_EXTENSION)
    if found is None:
        found = app.extensions[_EXTENSION] = OrderedDict()
    return found


def frame(key, render):
    """``render()`` (a page as text, holding this request's CSRF token), from the kept frame of ``key`` if any."""
    if key is None:
        return render()
    frames = _frames()
    pieces = frames.get(key)
    if pieces is _UNCACHEABLE:
        return render()
    if pieces is not None:
        frames.move_to_end(key)
        return csrf_token().join(pieces)
    html = render()
    with csrf_token_as(STAND_IN):
        pieces = tuple(render().split(STAND_IN))
    if csrf_token().join(pieces) != html:
        log.warning("page frame %s: the kept frame differs from the rendered one; rendering it", key)
        pieces = _UNCACHEABLE
    frames[key] = pieces
    while len(frames) > MAX_FRAMES:
        frames.popitem(last=False)
    return html
