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
import time
from functools import lru_cache

from flask import current_app, g, request, session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes
from itsdangerous.timed import TimestampSigner


@lru_cache(maxsize=32)
def _derived_key(secret, salt, key_derivation, digest_method):
    return TimestampSigner(secret, salt=salt, key_derivation=key_derivation, digest_method=digest_method).derive_key()


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
    # Flask names SHA-1 through a Python function (so FIPS builds fail late), which sends every signature
    # through the standard library's pure-Python HMAC; naming the OpenSSL constructor itself gives the same
    # bytes through OpenSSL's HMAC.
    digest_method = staticmethod(hashlib.sha1)

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        return _session_serializer(_keys(app), self.salt, self.serializer, self.key_derivation, self.digest_method)

    def open_session(self, app, request):
        """Flask's, with a cookie verified once per process: the same text is then read without its signature.

        A staff member's cookie stays the same from page to page until the session changes, and so does a
        resident's while only reading a part; every page checked its signature again (HMAC, inflating:
        about 50 of a cached dashboard's 700 µs in process). A cookie is kept only after its signature checked
        out, by its exact text, as the JSON it carries and the time it was signed: its age is still held
        to the session's lifetime, one byte changed is another text (checked afresh), and each request
        parses the JSON into a session of its own.
        """
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        # The session serializer's twin for these keys that gives a checked cookie's JSON text unparsed.
        reader = _session_serializer(_keys(app), self.salt, _JSONText, self.key_derivation, self.digest_method)
        verified = _verified_cookies(reader)
        kept = verified.get(value)
        if kept is not None and 0 <= int(time.time()) - kept[0] <= max_age:
            return self.session_class(self.serializer.loads(kept[1]))
        try:
            text, signed_at = reader.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            verified.pop(value, None)  # a kept cookie that has expired since goes too
            return self.session_class()
        data = self.serializer.loads(text)
        if len(verified) >= MAX_VERIFIED_COOKIES:
            verified.clear()
        verified[value] = (int(signed_at.timestamp()), text)
        return self.session_class(data)

    def save_session(self, app, session, response):
        """Flask's, answering the common case first: a session read but not changed only adds ``Vary: Cookie``.

        Flask works out all seven cookie settings before it looks whether a cookie is to be sent at all.
        """
        if session and not self.should_set_cookie(app, session):
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def _keys(app):
    """The session's keys, oldest first and the current key last, as Flask orders them (the last one signs)."""
    return (*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)


# At most this many verified cookies per process (with their JSON, 1–4 KB each), all forgotten when full.
MAX_VERIFIED_COOKIES = 2048


class _JSONText:
    """A pass-through for itsdangerous: a verified payload is given back as the JSON text it is."""

    @staticmethod
    def loads(text):
        return text

    @staticmethod
    def dumps(value):  # itsdangerous asks once whether this gives text; nothing is signed with it
        return json.dumps(value)


@lru_cache(maxsize=8)
def _verified_cookies(reader):
    """``{cookie text: (signed at, JSON text)}`` of the cookies ``reader`` (one set of keys) verified."""
    return {}


@lru_cache(maxsize=16)
def _session_serializer(keys, salt, serializer, key_derivation, digest_method):
    """Flask's session serializer for ``keys`` (its fallbacks, then the current key, which signs), or with
    ``serializer=_JSONText`` its twin that reads a cookie's JSON text without parsing it."""
    return URLSafeTimedSerializer(
        list(keys),
        salt=salt,
        serializer=serializer,
        signer=KeyedSigner,
        signer_kwargs={"key_derivation": key_derivation, "digest_method": digest_method},
    )


@lru_cache(maxsize=8)
def _csrf_serializer(secret):
    """Flask-WTF's token serializer for ``secret``: its salt and its signer's key derivation and digest (SHA-1,
    named as OpenSSL's constructor, see ``SessionInterface.digest_method``)."""
    return URLSafeTimedSerializer(
        secret, salt="wtf-csrf-token", signer=KeyedSigner, signer_kwargs={"digest_method": hashlib.sha1}
    )


def csrf_field(config=None):
    """The form field (and the session and ``g`` key) of the CSRF token: ``WTF_CSRF_FIELD_NAME`` in ``config``
    (the application's by default)."""
    return (current_app.config if config is None else config).get("WTF_CSRF_FIELD_NAME") or "csrf_token"


def csrf_token():
    """This request's signed CSRF token: what ``flask_wtf.csrf.generate_csrf()`` gives, and the same object.

    The raw token lives in the session and the signed one in ``g`` under ``csrf_field()``, exactly as
    Flask-WTF keeps them, so its form fields, ``csrf_token()`` in templates and its checks agree with this.
    """
    config = current_app.config
    field = csrf_field(config)
    kept = g._get_current_object()  # read and written below: one lookup of the request's ``g``
    token = getattr(kept, field, None)
    if token is not None:
        return token
    secret = config.get("WTF_CSRF_SECRET_KEY") or config.get("SECRET_KEY")
    if not secret:
        from flask_wtf.csrf import generate_csrf

        return generate_csrf()  # Flask-WTF's own error for a missing key
    raw = session.get(field)
    if not isinstance(raw, str):
        raw = session[field] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 - Flask-WTF's raw token
    token = _csrf_serializer(secret).dumps(raw)
    setattr(kept, field, token)
    return token


def check_unsafe_methods_only(app):
    """Run Flask-WTF's app-wide CSRF hook only for the methods it protects (``WTF_CSRF_METHODS``).

    The hook looks the view up among the exempt ones before it looks at the method, so every GET paid for
    that search only to be let through (a twentieth of a survey page). A POST, PUT, PATCH or DELETE runs
    it exactly as before.
    """
    hooks = app.before_request_funcs.get(None, [])
    for index, hook in enumerate(hooks):
        if getattr(hook, "__module__", None) == "flask_wtf.csrf" and hook.__name__ == "csrf_protect":
            hooks[index] = _unsafe_methods_only(hook, app.config)


def _unsafe_methods_only(hook, config):
    def csrf_protect():
        if request.method in config["WTF_CSRF_METHODS"]:
            return hook()
        return None

    return csrf_protect
