"""Interface languages and the locale choice: explicit choice → session → Accept-Language → default."""

from functools import lru_cache

from babel import Locale
from flask import has_request_context, request, session
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

__all__ = [
    "LANGUAGES",
    "HTML_LANG",
    "N_",
    "_",
    "_l",
    "ngettext",
    "select_locale",
    "locale_code",
    "content_locales",
    "for_locale",
]

# Locale code → the language's own name, shown in the switcher.
LANGUAGES = {"zh": "中文", "en": "English"}
# Locale code → BCP 47 tag for <html lang> and hreflang.
HTML_LANG = {"zh": "zh-Hans", "en": "en"}
DEFAULT_LOCALE = "zh"


def N_(message):
    """Mark a string for extraction only; it is translated later where it is shown."""
    return message


# Parsed once: Flask-Babel would parse the chosen code again on every request.
_LOCALES = {code: Locale.parse(code) for code in LANGUAGES}
# ``str(locale)`` builds the code again on every call (babel joins its parts); ours are known by identity.
_CODES = {id(locale): code for code, locale in _LOCALES.items()}


def select_locale():
    """Pick the interface locale for this request (the default outside a request, e.g. in the CLI)."""
    if not has_request_context():
        return _LOCALES[DEFAULT_LOCALE]
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return _LOCALES[chosen]
    header = request.headers.get("Accept-Language", "")
    return _LOCALES[_best_language(header) if len(header) <= 200 else _best_language.__wrapped__(header)]


def locale_code():
    """The code of this request's locale ("zh", "en"), as ``str(get_locale())`` gives it, without rebuilding it."""
    locale = get_locale()
    return _CODES.get(id(locale)) or str(locale)


@lru_cache(maxsize=256)
def _best_language(header):
    """The best of our languages for an Accept-Language header (browsers send a few dozen distinct ones)."""
    return parse_accept_header(header, LanguageAccept).best_match(list(LANGUAGES), default=DEFAULT_LOCALE)


def content_locales(locale):
    """Order in which staff-written translations are tried: the asked locale, then the default, then any."""
    return [locale, DEFAULT_LOCALE, *[code for code in LANGUAGES if code not in (locale, DEFAULT_LOCALE)]]


def for_locale(by_locale, locale):
    """The entry of ``{locale: entry}`` for ``locale``, else the default locale's, else any; None when empty."""
    for code in content_locales(locale):
        if code in by_locale:
            return by_locale[code]
    return None
