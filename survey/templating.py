"""Template globals: languages, the current locale and safe rendering of staff Markdown."""
from flask import request, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale

from .i18n import HTML_LANG, LANGUAGES


def init_app(app):
    """Register context processors and filters."""
    from .content import render_markdown

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.add_extension("jinja2.ext.i18n")

    @app.context_processor
    def _globals():
        locale = get_locale()
        code = locale.language if locale is not None else "zh"
        return {
            "languages": LANGUAGES,
            "format_date": format_date,
            "format_datetime": format_datetime,
            "format_decimal": format_decimal,
            "format_percent": format_percent,
            "locale_code": code,
            "html_lang": HTML_LANG.get(code, code),
            "language_url": lambda lang: url_for(
                "public.set_language", code=lang, next=request.full_path.rstrip("?")
            ),
        }
