"""Display preferences (large text, high contrast), kept in a cookie and rendered as classes on <html>.

The server writes the cookie and renders the classes, so the choice works without JavaScript and
the page never flashes from one scheme to the other. ``prefs.js`` only saves a reload.
"""

from flask import current_app, has_request_context, request
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import HiddenField
from wtforms.validators import AnyOf, Optional

from ..i18n import _l
from ..signing import csrf_field, csrf_token

COOKIE = "display"
MAX_AGE = 365 * 24 * 3600
SETTINGS = ("large", "contrast")
# The cookie lists the settings explicitly chosen, e.g. "large=on&contrast=off" (no quoting needed).
# "contrast" left unset follows the device's own "prefers-contrast: more" (see site.css).


class DisplayForm(FlaskForm):
    """The header's two toggle buttons: each sends the state it switches to ("on" or "off")."""

    large = HiddenField(_l("Large text"), validators=[Optional(), AnyOf(("on", "off"))])
    contrast = HiddenField(_l("High contrast"), validators=[Optional(), AnyOf(("on", "off"))])
    next = HiddenField()


def read(cookies=None):
    """The explicit choices in the cookie: ``{"large": True/False, "contrast": True/False}`` (absent = unset)."""
    raw = (cookies if cookies is not None else request.cookies).get(COOKIE, "")
    chosen = {}
    for part in raw[:100].split("&"):
        name, _sep, value = part.partition("=")
        if name in SETTINGS and value in ("on", "off"):
            chosen[name] = value == "on"
    return chosen


def serialise(chosen):
    """The cookie value for ``chosen`` (settings in a fixed order)."""
    return "&".join(f"{name}={'on' if chosen[name] else 'off'}" for name in SETTINGS if name in chosen)


def apply(form, chosen):
    """``chosen`` updated with the settings the submitted form names."""
    updated = dict(chosen)
    for name in SETTINGS:
        value = form[name].data
        if value in ("on", "off"):
            updated[name] = value == "on"
    return updated


def remember(response, chosen):
    """Set the long-lived display cookie on ``response``."""
    response.set_cookie(
        COOKIE,
        serialise(chosen),
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


def html_classes(chosen):
    """Classes for <html>: ``text-large`` and ``contrast-high`` / ``contrast-normal`` (an explicit "off")."""
    classes = []
    if chosen.get("large"):
        classes.append("text-large")
    if "contrast" in chosen:
        classes.append("contrast-high" if chosen["contrast"] else "contrast-normal")
    return " ".join(classes)


# DisplayForm's two hidden fields as it renders them with base.html's own ids (the page's own form has a
# csrf_token field too). Written out so that every page does not build a form only to print them; a test
# compares them with the form's rendering.
_HIDDEN_FIELDS = Markup(
    '<input id="display-csrf-token" name="{name}" type="hidden" value="%s">\n'
    '        <input id="display-next" name="next" type="hidden" value="%s">'
)


def hidden_fields(next_url):
    """DisplayForm's CSRF and ``next`` fields for this request (``next_url``: the page to come back to)."""
    field = csrf_field()
    return _HIDDEN_FIELDS.replace("{name}", field) % (csrf_token(), next_url)


def template_globals():
    """What base.html needs to draw the toggles and the <html> classes."""
    if not has_request_context():  # e.g. a template rendered by a CLI command
        return {}
    chosen = read()
    return {
        "display_prefs": {"large": chosen.get("large", False), "contrast": chosen.get("contrast", False)},
        "display_classes": html_classes(chosen),
        "display_hidden_fields": hidden_fields,
    }
