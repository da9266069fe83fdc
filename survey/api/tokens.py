"""API tokens: made on the server, shown once, stored as a SHA-256 hash, revoked by their owner."""

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select, update

from .. import audit, reads
from ..extensions import db
from ..models import ApiToken, StaffUser
from ..models.base import utcnow
from ..stats import cache as stats_cache

TOKEN_PREFIX = "cs_"  # noqa: S105 - not a secret: lets scanners and people recognise a Civic Survey token
NAME_PATTERN = re.compile(r"^[\w.@ -]{1,64}$")
# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token request that cannot be carried out; the message is a short reason code."""


def hash_token(token):
    """The stored form of a token: hex SHA-256 (tokens are 32 random bytes, so no slow hash is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _staff(username):
    staff = db.session.scalar(select(StaffUser).where(StaffUser.username == (username or "").strip()))
    if staff is None:
        raise TokenError("unknown_user")
    return staff


def live_tokens(staff_id, name=None):
    """The staff member's tokens that are not revoked (optionally only those with ``name``)."""
    query = select(ApiToken).where(ApiToken.staff_id == staff_id, ApiToken.revoked_at.is_(None))
    if name is not None:
        query = query.where(ApiToken.name == name)
    return db.session.scalars(query.order_by(ApiToken.id)).all()


def create_token(username, name=None):
    """Make a token for ``username``; return ``(ApiToken, secret)`` — the secret exists only in this return value."""
    staff = _staff(username)
    if not staff.is_active:
        raise TokenError("inactive_user")
    if name is None:
        taken = {token.name for token in live_tokens(staff.id)}
        name = next(f"token-{number}" for number in range(1, len(taken) + 2) if f"token-{number}" not in taken)
    name = name.strip()
    if not NAME_PATTERN.match(name):
        raise TokenError("bad_name")
    if live_tokens(staff.id, name):
        raise TokenError("name_taken")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(staff_id=staff.id, name=name, token_hash=hash_token(secret))
    db.session.add(token)
    db.session.flush()
    audit.record("api_token.create", "api_token", token.id, {"name": name, "username": staff.username}, staff=staff)
    db.session.commit()
    return token, secret


def revoke(tokens, actor=None):
    """Revoke the given live tokens (one audit entry each); return how many were revoked."""
    now, count = utcnow(), 0
    for token in tokens:
        if token.revoked_at is None:
            token.revoked_at = now
            audit.record("api_token.revoke", "api_token", token.id, {"name": token.name}, staff=actor or token.staff)
            count += 1
    db.session.commit()
    return count


def revoke_by_name(username, name=None, everything=False):
    """Revoke the live token(s) of ``username`` called ``name``, or all of them; return how many."""
    staff = _staff(username)
    tokens = live_tokens(staff.id, None if everything else name)
    if not tokens:
        raise TokenError("no_live_tokens" if everything else "no_such_token")
    return revoke(tokens, actor=staff)


def own_tokens(staff_id):
    """Every token of a staff member, newest first, for their token page."""
    return db.session.scalars(
        select(ApiToken).where(ApiToken.staff_id == staff_id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()


# Built once; run for every API request: the token and its staff member in one row, with the stats cache's
# stamp (a cached answer then costs this one statement: survey.stats.cache).
_STAFF_COLUMNS = reads.columns(StaffUser, prefix="staff_")
_BY_HASH = reads.Fixed(
    stats_cache.with_stamp(
        select(
            ApiToken.__table__.c.id,
            ApiToken.__table__.c.revoked_at,
            ApiToken.__table__.c.last_used_at,
            *(column for _key, column in _STAFF_COLUMNS),
        )
        .select_from(ApiToken.__table__.join(StaffUser.__table__))
        .where(ApiToken.__table__.c.token_hash == bindparam("token_hash"))
    )
)


def authenticate(secret):
    """Return the active staff member a live token belongs to, or None; note when it was last used.

    The check is one read, outside a transaction on PostgreSQL (survey.reads); noting the use (at most
    once a minute) is a write of its own, committed through ``db.session`` before the account is returned.
    """
    if not secret or len(secret) > 200 or not secret.isascii():
        return None
    row = reads.first(_BY_HASH, {"token_hash": hash_token(secret)})
    if row is None or row.revoked_at is not None or not row.staff_is_active:
        return None
    stats_cache.prime(row)
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        db.session.commit()
    return reads.attach(StaffUser, _STAFF_COLUMNS, stats_cache.without_stamp(row)[3:])
