"""The statistics API: JSON for a staff session or an ``Authorization: Bearer`` token, scoped like the dashboards."""

from flask import Blueprint, abort, current_app, g, jsonify, request
from flask_babel import force_locale, get_locale
from flask_login import current_user

from ..auth.roles import STATS_ROLES, can_read_community, community_scope
from ..extensions import csrf
from ..i18n import _
from ..stats import cache as stats_cache
from ..stats.services import find_community, scope_stats
from . import serialise, tokens
from .openapi import openapi_document
from .params import BadParameter, UnknownVersion, parse_filters, parse_lang

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# CSRF is checked below for cookie-authenticated requests only: a bearer token is not sent by browsers on their own.
csrf.exempt(bp)
# Longer query strings (sum of names and values) are answered without a cache entry.
MAX_QUERY = 512


class Unauthorized(Exception):
    """No usable credentials; ``error`` is the RFC 6750 error code (None when none were offered)."""

    def __init__(self, error=None):
        super().__init__(error)
        self.error = error


def _bearer():
    """The token of an ``Authorization: Bearer`` header, "" for another or malformed header, None without one."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@bp.before_request
def _authenticate():
    """Find the caller: a bearer token wins over the session cookie; cookie requests keep CSRF protection."""
    if request.endpoint == "api.openapi":
        return None
    token = _bearer()
    if token is not None:
        g.api_staff = tokens.authenticate(token) if token else None
        if g.api_staff is None:
            raise Unauthorized("invalid_token" if token else "invalid_request")
        return None
    csrf.protect()  # a no-op for GET; any future unsafe method sent with a cookie needs its token
    if not current_user.is_authenticated:
        raise Unauthorized()
    g.api_staff = current_user
    return None


def _error(status, detail, title=None):
    response = jsonify(error=title or detail, detail=detail, status=status)
    response.status_code = status
    return response


@bp.errorhandler(Unauthorized)
def _unauthorized(error):
    response = _error(
        401, _("Log in, or send a valid API token as 'Authorization: Bearer <token>'."), _("Not logged in")
    )
    challenge = 'Bearer realm="api"'
    if error.error:
        challenge += f', error="{error.error}"'
    response.headers["WWW-Authenticate"] = challenge
    return response


@bp.errorhandler(BadParameter)
def _bad_parameter(error):
    return _error(400, str(error), _("Something in the request was not right"))


@bp.errorhandler(UnknownVersion)
def _unknown_version(error):
    return _error(404, _("There is no such questionnaire version."), _("Not found"))


@bp.after_request
def _private(response):
    """Figures are for one staff member: never cached by a proxy or the browser."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Authorization, Cookie, Accept-Language"
    return response


def _caller():
    staff = g.api_staff
    if staff.role not in STATS_ROLES:
        abort(403)
    return staff


def _respond(name, place_code, staff, build):
    """The JSON for this request in its language, from the stats cache while the data is unchanged.

    Called after the caller's access was checked. The key holds the endpoint and unit, the caller's role and
    scope, the language and the whole query string; the body is cached as the bytes sent.
    """
    lang = parse_lang(request.args.get("lang"))
    if lang is None:
        locale = get_locale()
        lang = locale.language if locale is not None else "zh"

    def render():
        filters = parse_filters(request.args)
        with force_locale(lang):
            return current_app.json.response(build(filters, lang)).get_data()

    args = tuple(sorted(request.args.items(multi=True)))
    if sum(len(key) + len(value) for key, value in args) > MAX_QUERY:
        body = render()
    else:
        body = stats_cache.cached(("api", name, place_code, stats_cache.viewer_scope(staff), lang, args), render)
    return current_app.response_class(body, mimetype=current_app.json.mimetype)


@bp.get("/stats")
def stats():
    """Every community the caller may read, their streets and the district aggregate."""
    staff = _caller()
    scope = community_scope(staff)
    return _respond(
        "stats",
        None,
        staff,
        lambda filters, lang: serialise.scope_json(
            filters, scope_stats(filters.version.id, scope, filters.since, filters.until), lang
        ),
    )


@bp.get("/communities/<code>/stats")
def community_stats(code):
    """One community's figures, with its street and the district to compare."""
    staff = _caller()
    place = find_community(code)
    if place is None:
        abort(404)
    if not can_read_community(staff, place):
        abort(403)
    return _respond(
        "community",
        place.code,
        staff,
        lambda filters, lang: serialise.single_json(
            filters, scope_stats(filters.version.id, [place.id], filters.since, filters.until), lang
        ),
    )


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 description of this API (public: it holds no figures)."""
    return jsonify(openapi_document())
