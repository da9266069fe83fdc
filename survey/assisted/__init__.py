"""Assisted mode: a community worker's phone shared by residents, one fresh anonymous participant per survey.

A staff member switches it on for one device; the device then carries a signed cookie naming the
community and, for the audit trail, the staff member. Responses only get a yes/no flag (``is_assisted``):
who helped is never stored with an answer.
"""

from dataclasses import dataclass

from flask import current_app, g, has_request_context, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..auth.roles import STATS_ROLES, can_read_community
from ..extensions import db
from ..models import Community, StaffUser

COOKIE = "assisted"
SALT = "assisted-mode"
# A working day; after that the worker switches it on again (a lost phone does not stay in assisted mode).
MAX_AGE = 60 * 60 * 12


@dataclass(frozen=True)
class AssistedMode:
    """Assisted mode as switched on for this device: for which community, by which staff member."""

    community: Community
    staff_id: int


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def may_assist(staff, community):
    """True when ``staff`` may run assisted mode for ``community`` (a statistics role covering it)."""
    return bool(
        staff is not None and staff.is_active and staff.role in STATS_ROLES and can_read_community(staff, community)
    )


_UNREAD = object()


def current():
    """This device's assisted mode, or None (also when the cookie is forged, expired or no longer allowed)."""
    found = g.get("assisted_mode", _UNREAD)
    if found is _UNREAD:
        found = g.assisted_mode = _read(request.cookies.get(COOKIE))
    return found


def _read(value):
    if not value:
        return None
    try:
        data = _serializer().loads(value, max_age=MAX_AGE)
        community = db.session.get(Community, int(data["community"]))
        staff = db.session.get(StaffUser, int(data["staff"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if community is None or not may_assist(staff, community):
        return None
    return AssistedMode(community, staff.id)


def switch_on(response, community, staff):
    """Mark this device as being in assisted mode for ``community`` (sets the signed cookie on ``response``)."""
    value = _serializer().dumps({"community": community.id, "staff": staff.id})
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    g.assisted_mode = AssistedMode(community, staff.id)
    return response


def switch_off(response):
    """End assisted mode on this device."""
    response.delete_cookie(
        COOKIE, httponly=True, samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False)
    )
    g.assisted_mode = None
    return response


def init_app(app):
    """Offer ``assisted_mode`` to every template (the banner in base.html)."""

    @app.context_processor
    def _assisted_mode():
        return {"assisted_mode": current() if has_request_context() else None}
