"""Response headers: a strict Content-Security-Policy and the usual hardening; request size limits."""

from flask import request
from werkzeug.routing import IntegerConverter

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS_HEADER = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def add_security_headers(response, hsts=False):
    """Set the headers every response carries (keeping any a view has set itself)."""
    headers = response.headers
    # One pass over the few headers present: each ``setdefault`` would search them (and raise inside) again.
    present = {name.lower() for name, _value in headers.items()}
    for name, value in (*SECURITY_HEADERS, HSTS_HEADER) if hsts else SECURITY_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    return response


STAFF_MAX_BODY = 4 * 1024 * 1024
STAFF_MAX_FORM_MEMORY = 1024 * 1024


def staff_body_limits():
    """Raise the request size limits for staff pages only."""
    if request.path.startswith("/admin/"):
        request.max_content_length = STAFF_MAX_BODY
        request.max_form_memory_size = STAFF_MAX_FORM_MEMORY


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in every route, bounded to what an id column can hold: a larger number is simply not found.

    Without the bound, /admin/tokens/99999999999999999999/revoke reached the database and SQLite refused to
    bind the number (a 500); no row can have such an id on either engine (PostgreSQL ids are 32-bit).
    """

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app):
    """Install the header hook and the bounded integer converter (before any blueprint adds its rules)."""
    app.url_map.converters["int"] = DatabaseIdConverter

    @app.after_request
    def _headers(response):
        return add_security_headers(response, hsts=app.config.get("HSTS", False))
