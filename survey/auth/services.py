"""Staff accounts: creating them, checking passwords, and login sessions that can really end."""

import re
import secrets

from sqlalchemy import bindparam, select

from .. import audit, reads
from ..extensions import db
from ..models import ROLES, Community, StaffSession, StaffUser, Street
from ..models.base import utcnow
from ..stats import cache as stats_cache
from .passwords import hash_password, needs_rehash, verify_password

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A staff-account request that cannot be carried out; the message says why."""


def password_problem(password):
    """Return why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(password) > 256:
        return "too_long"
    return None


def create_staff(username, password, role, street_code=None, community_code=None, actor=None):
    """Create an account; raise AccountError (with a short reason code) when the request is invalid."""
    if not USERNAME_PATTERN.match(username or ""):
        raise AccountError("bad_username")
    if role not in ROLES:
        raise AccountError("bad_role")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    if db.session.scalar(select(StaffUser).where(StaffUser.username == username)):
        raise AccountError("username_taken")
    staff = StaffUser(username=username, password_hash=hash_password(password), role=role)
    if role == "street":
        staff.street = db.session.scalar(select(Street).where(Street.code == (street_code or "")))
        if staff.street is None:
            raise AccountError("unknown_street")
    elif street_code:
        raise AccountError("street_only_for_street_role")
    if role == "community":
        staff.community = db.session.scalar(select(Community).where(Community.code == (community_code or "")))
        if staff.community is None:
            raise AccountError("unknown_community")
    elif community_code:
        raise AccountError("community_only_for_community_role")
    db.session.add(staff)
    db.session.flush()
    audit.record("staff.create", "staff", staff.id, {"username": username, "role": role}, staff=actor)
    db.session.commit()
    return staff


def authenticate(username, password):
    """Return the active account for these credentials, or None (same cost either way)."""
    staff = db.session.scalar(select(StaffUser).where(StaffUser.username == (username or "").strip()))
    valid = verify_password(staff.password_hash if staff else None, password or "")
    if not valid or staff is None or not staff.is_active:
        return None
    if needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    return staff


def start_session(staff):
    """Open a new login session (a fresh random id) and return the account bound to it."""
    login = StaffSession(id=secrets.token_urlsafe(32), staff_id=staff.id)
    staff.last_login_at = utcnow()
    db.session.add(login)
    audit.record("staff.login", "staff", staff.id, staff=staff)
    db.session.commit()
    staff.session_id = login.id
    return staff


# Built once; run for every staff request. One row only when the session is live and the account active; it
# brings the stats cache's stamp along, so a cached dashboard costs this one statement (survey.stats.cache).
_STAFF_COLUMNS = reads.columns(StaffUser)
_LIVE_SESSION = reads.Fixed(
    stats_cache.with_stamp(
        select(*(column for _key, column in _STAFF_COLUMNS))
        .select_from(StaffUser.__table__.join(StaffSession.__table__))
        .where(
            StaffSession.__table__.c.id == bindparam("session_id"),
            StaffSession.__table__.c.ended_at.is_(None),
            StaffUser.__table__.c.is_active.is_(True),
        )
    )
)


def load_session(session_id):
    """Return the account of a live login session, or None when it ended or the account is disabled.

    Read from the database on every request (one indexed join), so a logout, a disabled account or a
    password change ends the session at once in every process. On PostgreSQL the read needs no
    transaction (survey.reads); the account is put in ``db.session`` as a query would have loaded it.
    """
    if not isinstance(session_id, str) or len(session_id) > 64:
        return None
    row = reads.first(_LIVE_SESSION, {"session_id": session_id})
    if row is None:
        return None
    stats_cache.prime(row)
    staff = reads.attach(StaffUser, _STAFF_COLUMNS, stats_cache.without_stamp(row))
    staff.session_id = session_id
    return staff


def end_session(session_id):
    """End a login session so its cookie no longer works anywhere."""
    login = db.session.get(StaffSession, session_id) if session_id else None
    if login is not None and login.ended_at is None:
        login.ended_at = utcnow()
        audit.record("staff.logout", "staff", login.staff_id, staff=login.staff)
        db.session.commit()


def change_password(staff, current_password, new_password):
    """Change a password after checking the current one; other sessions of the account end."""
    if not verify_password(staff.password_hash, current_password):
        raise AccountError("wrong_password")
    problem = password_problem(new_password)
    if problem:
        raise AccountError(problem)
    staff.password_hash = hash_password(new_password)
    for login in db.session.scalars(
        select(StaffSession).where(StaffSession.staff_id == staff.id, StaffSession.ended_at.is_(None))
    ):
        if login.id != staff.session_id:
            login.ended_at = utcnow()
    audit.record("staff.password", "staff", staff.id, staff=staff)
    db.session.commit()
