"""Template globals: languages, the current locale and safe rendering of staff Markdown."""

from flask import current_app, g, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale, get_translations
from flask_login import current_user
from markupsafe import Markup

from .i18n import HTML_LANG, LANGUAGES, N_, _, _l

# The staff navigation: (endpoint, label, roles). Entries whose endpoint does not exist are left out.
STAFF_NAV = [
    ("admin.index", _l("Staff home"), ("admin", "editor", "district", "street", "community")),
    ("dashboard.index", _l("Dashboard"), ("admin", "district", "street", "community")),
    ("posters.index", _l("Posters"), ("admin", "district", "street", "community")),
    ("assisted.index", _l("Assisted mode"), ("admin", "district", "street", "community")),
    ("pages_admin.index", _l("Pages"), ("admin", "editor")),
    ("bank.index", _l("Question bank"), ("admin", "editor")),
    ("communities_admin.index", _l("Communities"), ("admin",)),
    ("admin.settings", _l("Settings"), ("admin",)),
    ("admin.staff", _l("Staff accounts"), ("admin",)),
    ("admin.audit_log", _l("Audit log"), ("admin",)),
    ("tokens.index", _l("API tokens"), ("admin", "editor", "district", "street", "community")),
]


def _is_current(endpoint):
    blueprint = endpoint.split(".")[0]
    if blueprint == "admin":  # the admin blueprint holds several entries
        return request.endpoint == endpoint
    return request.blueprint == blueprint


def staff_nav():
    """The staff navigation entries the current user may use: (url, label, is_current)."""
    user = current_user._get_current_object()  # once: every use of the proxy looks the user up again
    if not user.is_authenticated:
        return []
    views = current_app.view_functions
    return [
        (url_for(endpoint), label, _is_current(endpoint))
        for endpoint, label, roles in STAFF_NAV
        if user.role in roles and endpoint in views
    ]


def _cached_translations():
    """The request's translations with a per-request cache: big tables repeat the same few strings."""
    cache = g.get("_gettext_cache")
    if cache is None:
        translations = get_translations()
        cache = g._gettext_cache = ({}, translations)
    return cache


def cached_gettext(message):
    """``gettext`` for templates, memoised for the request."""
    memo, translations = _cached_translations()
    if message not in memo:
        memo[message] = translations.ugettext(message)
    return memo[message]


def grouped(value):
    """A whole number with thousands separators, e.g. 12345 → "12,345" (the same in Chinese and English)."""
    return f"{value:,}"


def percent(value, digits=1):
    """A share as a percentage, e.g. 0.8093 → "80.9%" (the same pattern in Chinese and English)."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def rate_display(rate, points=False):
    """A Rate as shown in tables and cards: a percentage, percentage points, "—" or "too few responses"."""
    if rate.value is None:
        if rate.suppressed:
            return Markup('<span class="suppressed">%s</span>') % cached_gettext(N_("too few responses"))
        return "—"
    if points:
        unit = cached_gettext(N_("pts"))  # outside the f-string, where the extractor can see it
        return f"{rate.value * 100:+.1f} {unit}"
    return percent(rate.value)


def init_app(app):
    """Register context processors and filters."""
    from .content import render_markdown

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(
        gettext=cached_gettext,
        ngettext=lambda singular, plural, n: get_translations().ungettext(singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["grouped"] = grouped
    app.jinja_env.filters["rate_display"] = rate_display

    from .campaign import campaign_settings

    @app.context_processor
    def _globals():
        campaign = campaign_settings()
        locale = get_locale()
        code = locale.language if locale is not None else "zh"
        return {
            "languages": LANGUAGES,
            "campaign": campaign,
            "site_name": campaign.site_name or _("Civic Survey"),
            "staff_nav": staff_nav,
            "format_date": format_date,
            "format_datetime": format_datetime,
            "format_decimal": format_decimal,
            "format_percent": format_percent,
            "locale_code": code,
            "html_lang": HTML_LANG.get(code, code),
            "language_url": lambda lang: url_for("public.set_language", code=lang, next=request.full_path.rstrip("?")),
        }
