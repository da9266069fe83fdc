"""One localised error page for every HTTP error; JSON for API and check requests."""

import math

from flask import jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import limiter
from .i18n import _, ngettext
from .ratelimit import AllowanceUsedUp, retry_after


def messages():
    """Title and advice per status code, in the current locale."""
    return {
        400: (
            _("Something in the request was not right"),
            _("The page could not use what was sent. Please go back and try again."),
        ),
        403: (_("Not allowed"), _("You do not have access to this page.")),
        404: (_("Page not found"), _("The address may be mistyped, or the page has moved.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        413: (_("Too much was sent"), _("What you sent is larger than any answer needs. Please shorten it.")),
        422: (_("Please check your answers"), _("Some answers could not be used.")),
        429: (_("Too many attempts"), _("Please wait a few minutes, then try again.")),
        500: (
            _("Something went wrong on our side"),
            _("Your answers are safe if you saw the result page. Please try again in a moment."),
        ),
    }


def render_error(status, title=None, detail=None):
    """Render the error page (or JSON for JSON clients) with ``status``."""
    default_title, default_detail = messages().get(status, messages()[400 if status < 500 else 500])
    title, detail = title or default_title, detail or default_detail
    if request.path.startswith("/api/") or request.is_json or request.accept_mimetypes.best == "application/json":
        return jsonify(error=title, detail=detail, status=status), status
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def init_app(app):
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_error(
            400,
            _("This form has expired"),
            _("For your safety the form needs to be reloaded. Go back, reload the page and send it again."),
        )

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error):
        current = limiter.current_limit
        return _retry_later(60 if current is None else retry_after(current.reset_at, current.limit))

    @app.errorhandler(AllowanceUsedUp)
    def _allowance_used_up(error):
        return _retry_later(error.retry_after)

    def _retry_later(seconds):
        """The 429 page (or JSON) saying to come back in ``seconds``, rounded up to minutes, and Retry-After."""
        minutes = math.ceil(seconds / 60)
        response, status = render_error(
            429,
            _("Too many attempts"),
            ngettext("Please try again in %(num)d minute.", "Please try again in %(num)d minutes.", minutes),
        )
        response = app.make_response((response, status))
        response.headers["Retry-After"] = str(seconds)
        return response

    @app.errorhandler(HTTPException)
    def _http(error):
        return render_error(error.code or 500)

    @app.errorhandler(InternalServerError)
    def _internal(error):
        return render_error(500)
