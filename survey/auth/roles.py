"""Who may do what: role checks for staff views and the communities each account may read."""

from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from ..extensions import login_manager
from ..models import Community

# What each kind of work needs.
CONTENT_ROLES = ("admin", "editor")
STATS_ROLES = ("admin", "district", "street", "community")
MANAGE_ROLES = ("admin",)
ALL_ROLES = ("admin", "editor", "district", "street", "community")


def roles_required(*roles):
    """Refuse the view to anonymous visitors (login page) and to roles not listed (403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            staff = current_user._get_current_object()  # one lookup through the proxy
            if not staff.is_authenticated:
                return login_manager.unauthorized()
            if staff.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

    return decorator


def community_scope(staff):
    """A SELECT of the community ids ``staff`` may read (empty for roles that read no statistics)."""
    query = select(Community.id)
    if staff.role in ("admin", "district"):
        return query
    if staff.role == "street":
        return query.where(Community.street_id == staff.street_id)
    if staff.role == "community":
        return query.where(Community.id == staff.community_id)
    return query.where(False)


def can_read_community(staff, community):
    """True when ``staff`` may read this community's figures."""
    if staff.role in ("admin", "district"):
        return True
    if staff.role == "street":
        return community.street_id == staff.street_id
    if staff.role == "community":
        return community.id == staff.community_id
    return False
