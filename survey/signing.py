"""Signed cookies and CSRF tokens with their signing machinery built once per secret key.

Flask builds a new itsdangerous serializer for every request that reads or writes the session cookie,
and Flask-WTF another for every CSRF token it signs. Each one test-serialises ``{}`` when it is made,
and each signature derives its HMAC key from the secret key again. None of that depends on the request,
only on the keys, so it is done here once per key (about a tenth of a resident's survey page).

The cookies and tokens are byte for byte the ones Flask and Flask-WTF make: the same serializer classes,
salts, key derivation and digests, only kept. ``SECRET_KEY_FALLBACKS`` rotation works as in Flask.
"""
import hashlib
import json
import os
from functools import lru_cache

from flask import current_app, g, session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes
from itsdangerous.timed import TimestampSigner


@lru_cache(maxsize=32)
def _derived_key(secret, salt, key_derivation, digest_method):
    return TimestampSigner(secret, salt=salt, key_derivation=key_derivation,
                           digest_method=digest_method).derive_key()


class KeyedSigner(TimestampSigner):
    """A timestamp signer that derives each secret's HMAC key once (it depends only on the secret, salt,
    derivation and digest, never on the data signed)."""

    def derive_key(self, secret_key=None):
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        return _derived_key(secret, self.salt, self.key_derivation, self.digest_method)


class SessionJSON(TaggedJSONSerializer):
    """Flask's session serializer; a payload without any tagged value is read as the plain JSON it is.

    Flask writes a tuple, bytes, Markup, a date or a UUID as a one-key object ``{" t":…}`` in compact JSON,
    so a payload without ``{" `` holds none of them, and walking it for tags (which Flask does for every
    value on every request) would change nothing. itsdangerous hands it the payload as text.
    """

    def loads(self, value):
        if '{" ' not in value:
            return json.loads(value)
        return super().loads(value)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with the signing serializer kept per key set."""

    serializer = SessionJSON()

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        # Oldest first, current key last, as Flask orders them (the last one signs).
        keys = (*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)
        return _session_serializer(keys, self.salt, self.serializer, self.key_derivation, self.digest_method)


@lru_cache(maxsize=8)
def _session_serializer(keys, salt, serializer, key_derivation, digest_method):
    """Flask's session serializer for ``keys`` (its fallbacks, then the current key, which signs)."""
    return URLSafeTimedSerializer(list(keys), salt=salt, serializer=serializer, signer=KeyedSigner,
                                  signer_kwargs={"key_derivation": key_derivation, "digest_method": digest_method})


@lru_cache(maxsize=8)
def _csrf_serializer(secret):
    """Flask-WTF's token serializer for ``secret`` (its salt, its default signer's derivation and digest)."""
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token", signer=KeyedSigner)


def csrf_field():
    """The form field (and the session and ``g`` key) of the CSRF token: ``WTF_CSRF_FIELD_NAME``."""
    return current_app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"


def csrf_token():
    """This request's signed CSRF token: what ``flask_wtf.csrf.generate_csrf()`` gives, and the same object.

    The raw token lives in the session and the signed one in ``g`` under ``csrf_field()``, exactly as
    Flask-WTF keeps them, so its form fields, ``csrf_token()`` in templates and its checks agree with this.
    """
    field = csrf_field()
    token = g.get(field)
    if token is not None:
        return token
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    if not secret:
        from flask_wtf.csrf import generate_csrf

        return generate_csrf()  # Flask-WTF's own error for a missing key
    raw = session.get(field)
    if not isinstance(raw, str):
        raw = session[field] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 - Flask-WTF's raw token
    token = _csrf_serializer(secret).dumps(raw)
    setattr(g, field, token)
    return token
