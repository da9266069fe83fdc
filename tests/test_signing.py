"""Session cookies and CSRF tokens signed with kept serializers (survey.signing) stay what Flask makes."""

import datetime
import uuid

import pytest
from flask import flash, session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf, validate_csrf
from markupsafe import Markup
from wtforms import ValidationError

from survey.signing import SessionInterface, SessionJSON, csrf_token

from .conftest import csrf_token as token_in
from .conftest import forged


def _stock_cookie(app, data, secret_key=None):
    """A session cookie as stock Flask writes it (Flask's own interface), signed with ``secret_key``."""
    stock = SecureCookieSessionInterface()
    original = app.secret_key
    app.secret_key = secret_key or original
    try:
        return stock.get_signing_serializer(app).dumps(data)
    finally:
        app.secret_key = original


def test_a_cookie_from_before_the_upgrade_keeps_its_language_and_message(app, client):
    # A resident who chose English and has a message waiting when the site is upgraded keeps both.
    cookie = _stock_cookie(app, {"lang": "en", "_flashes": [("info", "Your answers were already received.")]})
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    page = client.get("/survey/", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in page.text
    assert "Your answers were already received." in page.text


def test_cookies_written_now_are_read_by_stock_flask(app, client):
    client.get("/language/en?next=/")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie)["lang"] == "en"


def test_a_rotated_secret_key_still_reads_cookies_signed_with_the_old_one_only_while_it_is_a_fallback(app, client):
    old_cookie = _stock_cookie(app, {"lang": "en"}, secret_key="the-previous-secret-key-of-the-site")
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], old_cookie)
    app.config["SECRET_KEY_FALLBACKS"] = ["the-previous-secret-key-of-the-site"]
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "zh-CN"}).text
    app.config["SECRET_KEY_FALLBACKS"] = []
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], old_cookie)  # the page above signed it afresh
    assert '<html lang="zh-Hans">' in client.get("/", headers={"Accept-Language": "zh-CN"}).text


def test_a_cookie_signed_with_another_key_is_ignored(app, client):
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], _stock_cookie(app, {"lang": "en"}, secret_key="x" * 40))
    assert '<html lang="zh-Hans">' in client.get("/", headers={"Accept-Language": "zh-CN"}).text


@pytest.mark.parametrize(
    "value",
    [
        {"lang": "en", "attempt": {"answers": {"3": [1, 2], "4": "不知道"}, "section": 2}},
        {"_flashes": [("info", "Saved.")], "when": datetime.datetime(2026, 11, 27, 8, 30, tzinfo=datetime.UTC)},
        {"m": Markup("<b>x</b>"), "b": b"\x00\x01", "u": uuid.UUID(int=7), "t": (1, "a")},
        {" t": "a key that looks like a tag", "text": 'an answer typed as {" t": 1}'},
    ],
)
def test_the_session_serializer_reads_what_flask_writes(app, value):
    with app.app_context():
        written = TaggedJSONSerializer().dumps(value)
        assert SessionJSON().loads(written) == TaggedJSONSerializer().loads(written) == value


def test_the_app_signs_sessions_with_the_kept_serializer(app):
    assert isinstance(app.session_interface, SessionInterface)
    assert app.session_interface.get_signing_serializer(app) is app.session_interface.get_signing_serializer(app)
    app.secret_key = "another-secret-key-that-is-long-enough"
    assert app.session_interface.get_signing_serializer(app).loads(_stock_cookie(app, {"lang": "en"}))["lang"] == "en"


def test_the_csrf_token_is_flask_wtfs_own(app):
    with app.test_request_context("/"):
        token = csrf_token()
        assert generate_csrf() == token  # one token per request, shared with Flask-WTF's forms
        validate_csrf(token)  # Flask-WTF accepts it
        raw = session["csrf_token"]
    with app.test_request_context("/"):
        session["csrf_token"] = raw
        validate_csrf(csrf_token())
        validate_csrf(token)  # the earlier page's token is still good in the same session
        app.secret_key = "another-secret-key-that-is-long-enough"
        with pytest.raises(ValidationError):
            validate_csrf(token)


def test_a_form_posted_with_the_pages_token_is_accepted_and_a_forged_one_refused(client):
    token = token_in(client.get("/c/lianhu").text)
    refused = client.post("/survey/start", data={"csrf_token": forged(token), "community": "lianhu"})
    assert refused.status_code == 400
    ok = client.post("/survey/start", data={"csrf_token": token, "community": "lianhu"})
    assert ok.status_code == 302


def test_a_flashed_message_written_by_this_app_is_shown_once(app):
    @app.get("/test-flash")
    def _flash():
        flash("Saved.", "info")
        return "ok"

    client = app.test_client()
    client.get("/test-flash")
    assert "Saved." in client.get("/privacy").text
    assert "Saved." not in client.get("/privacy").text


def test_a_long_accept_language_header_is_still_understood(client):
    header = ", ".join(f"x{i}-YY;q=0.{i % 9 + 1}" for i in range(60)) + ", en;q=1.0"
    assert len(header) > 200
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": header}).text
    assert '<html lang="zh-Hans">' in client.get("/", headers={"Accept-Language": "fr, zh-TW;q=0.5"}).text


def test_functions_made_per_request_do_not_pile_up(app):
    for number in range(3000):
        app.ensure_sync(lambda number=number: number)
    assert len(app._sync_functions) <= app._SYNC_KEPT


def test_every_method_flask_wtf_protects_is_still_checked_and_safe_ones_pass(app):
    @app.route("/test-methods", methods=["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])
    def _methods():
        return "ok"

    client = app.test_client()
    for method in ("GET", "HEAD", "OPTIONS"):
        assert client.open("/test-methods", method=method).status_code == 200, method
    token = token_in(client.get("/c/lianhu").text)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert client.open("/test-methods", method=method).status_code == 400, method
        forged_header = {"X-CSRFToken": forged(token)}
        assert client.open("/test-methods", method=method, headers=forged_header).status_code == 400, method
        assert client.open("/test-methods", method=method, headers={"X-CSRFToken": token}).status_code == 200, method


def test_a_page_that_only_reads_the_session_sends_no_cookie_but_varies_on_it(client):
    token = token_in(client.get("/c/lianhu").text)
    client.post("/survey/start", data={"csrf_token": token, "community": "lianhu"})
    client.get("/survey/section/1")  # the first read of a part may still note something (Flask-Login's "_fresh")
    page = client.get("/survey/section/1")
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers
    assert "Cookie" in page.headers.get("Vary", "")
    answered = client.post("/survey/section/1", data={"csrf_token": token, "back": "1"})
    assert "Set-Cookie" in answered.headers  # a change is still written


def _session_cookie(app, client):
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def test_a_staff_cookie_read_again_keeps_its_login_and_the_same_cookie_altered_is_refused(app, client, auth):
    auth.as_role("community")
    client.get("/admin/")  # shows (and uses up) the welcome message
    cookie = _session_cookie(app, client)
    for _ in range(3):  # the first read checks the signature; the next ones find the cookie already checked
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
        page = client.get("/admin/")
        assert page.status_code == 200
        assert 'action="/admin/logout"' in page.text
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], forged(cookie))
    refused = client.get("/admin/")
    assert refused.status_code == 302
    assert "/admin/login" in refused.headers["Location"]


def test_a_cookie_already_read_is_refused_once_it_is_older_than_the_session_lifetime(app, client, auth, monkeypatch):
    import time

    auth.as_role("community")
    client.get("/admin/")
    cookie = _session_cookie(app, client)
    assert client.get("/admin/").status_code == 200  # read, and kept as checked
    lifetime = app.permanent_session_lifetime.total_seconds()
    later = time.time() + lifetime + 5
    monkeypatch.setattr(time, "time", lambda: later)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    expired = client.get("/admin/")
    assert expired.status_code == 302
    assert "/admin/login" in expired.headers["Location"]


def test_an_older_cookie_of_a_survey_in_progress_still_resumes_where_it_was(app, client):
    token = token_in(client.get("/c/lianhu").text)
    client.post("/survey/start", data={"csrf_token": token, "community": "lianhu"})
    assert "/survey/section/1" in client.get("/survey/").text
    on_part_one = _session_cookie(app, client)
    client.get("/survey/section/2")  # the attempt now notes part 2
    assert "/survey/section/2" in client.get("/survey/").text
    # The same browser sends the older cookie again (a page restored from its cache): it resumes at part 1,
    # as that cookie says, not at part 2 as another request's copy of the attempt says.
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], on_part_one)
    assert "/survey/section/1" in client.get("/survey/").text
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], on_part_one)
    assert "/survey/section/1" in client.get("/survey/").text
