"""Response headers: a strict Content-Security-Policy and the usual hardening; request size limits."""
from flask import request

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


def add_security_headers(response, hsts=False):
    """Set the headers every response carries."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if hsts:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


STAFF_MAX_BODY = 4 * 1024 * 1024
STAFF_MAX_FORM_MEMORY = 1024 * 1024


def staff_body_limits():
    """Raise the request size limits for staff pages only."""
    if request.path.startswith("/admin/"):
        request.max_content_length = STAFF_MAX_BODY
        request.max_form_memory_size = STAFF_MAX_FORM_MEMORY


def init_app(app):
    """Install the header hook."""

    @app.after_request
    def _headers(response):
        return add_security_headers(response, hsts=app.config.get("HSTS", False))
