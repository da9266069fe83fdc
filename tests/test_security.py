"""Headers, no inline script, secrets."""

import re
from pathlib import Path

import pytest

from survey import create_app
from survey.config import ConfigError, secret_key
from survey.extensions import db

from .conftest import _config, csrf_token


@pytest.mark.parametrize("path", ["/", "/survey/", "/privacy", "/nope"])
def test_strict_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_templates_have_no_inline_script_or_style():
    for template in Path(__file__).resolve().parent.parent.joinpath("templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        assert " style=" not in text, template


def test_production_refuses_a_missing_or_default_secret(tmp_path, monkeypatch):
    for value in ["", "dev", "change-me", "short"]:
        monkeypatch.setenv("SECRET_KEY", value)
        with pytest.raises(ConfigError):
            secret_key(tmp_path, is_production=True)


def test_development_generates_and_keeps_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = secret_key(tmp_path, is_production=False)
    assert len(first) >= 32 and secret_key(tmp_path, is_production=False) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_staff_markdown_is_sanitised():
    from survey.content import render_markdown

    html = str(render_markdown('hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="alert(1)">'))
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


# ---------------------------------------------------------------- every kind of response, TLS settings, secrets
def _assert_hardened(response):
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer", "strict-origin-when-cross-origin"}
    assert response.headers["X-Frame-Options"] == "DENY"


def test_every_kind_of_response_is_hardened(client, auth):
    responses = [
        client.get("/static/css/site.css"),
        client.get("/healthz"),
        client.get("/api/v1/stats"),
        client.get("/api/v1/openapi.json"),
        client.post("/survey/check", json={}),
        client.post("/survey/start"),
    ]
    auth.as_role("admin")
    responses += [client.get("/admin/"), client.get("/admin/dashboard/district"), client.get("/admin/staff")]
    for response in responses:
        _assert_hardened(response)
        response.close()  # the static file's handle


@pytest.fixture
def app_with_env(app, monkeypatch):
    """Build another app on the same database after the test set environment variables."""

    built = []

    def build(**environment):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        overrides = _config(app.config["SQLALCHEMY_DATABASE_URI"])
        del overrides["SECRET_KEY"]  # the secret comes from the environment or instance/, as in production
        built.append(create_app(overrides))
        return built[-1]

    yield build
    for other in built:  # close their database connections (PostgreSQL warns about open ones)
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def _cookies_and_headers(app):
    """Walk the survey start over HTTPS; return every Set-Cookie line and the last response."""
    client = app.test_client()
    page = client.get("/c/lianhu", base_url="https://localhost")
    # Over HTTPS, CSRF protection also wants a same-site Referer (which Referrer-Policy: same-origin sends).
    started = client.post(
        "/survey/start",
        base_url="https://localhost",
        headers={"Referer": "https://localhost/c/lianhu"},
        data={"community": "lianhu", "csrf_token": csrf_token(page.text)},
    )
    assert started.status_code == 302
    return page.headers.getlist("Set-Cookie") + started.headers.getlist("Set-Cookie"), started


def test_tls_setting_on_gives_hsts_and_secure_cookies(app_with_env):
    secure_app = app_with_env(SECURE_COOKIES="1")
    cookies, response = _cookies_and_headers(secure_app)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    names = {line.split("=", 1)[0] for line in cookies}
    assert {"session", "participant"} <= names
    for line in cookies:
        assert "; Secure" in line and "; HttpOnly" in line and "SameSite=Lax" in line, line


def test_tls_setting_off_sends_no_hsts_and_plain_cookies(app_with_env):
    plain_app = app_with_env(SECURE_COOKIES="0")
    cookies, response = _cookies_and_headers(plain_app)
    assert "Strict-Transport-Security" not in response.headers
    assert cookies and all("; Secure" not in line for line in cookies)


def test_production_defaults_to_tls_settings(app_with_env):
    production = app_with_env(SURVEY_ENV="production", SECRET_KEY="a-long-random-production-secret-0123456789")
    assert production.config["SECRET_KEY"] == "a-long-random-production-secret-0123456789"
    assert production.config["IS_PRODUCTION"]
    assert production.config["SESSION_COOKIE_SECURE"] and production.config["HSTS"]
    assert production.config["PARTICIPANT_COOKIE_SECURE"] and production.config["REMEMBER_COOKIE_SECURE"]


@pytest.mark.parametrize("value", [None, "", "dev", "change-me", "secret", "too-short"])
def test_production_app_refuses_to_start_without_a_real_secret(app_with_env, monkeypatch, value):
    if value is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", value)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        app_with_env(SURVEY_ENV="production")


def test_development_app_uses_the_secret_generated_under_instance(app_with_env, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    development = app_with_env(SURVEY_ENV="development")
    kept = Path(development.instance_path) / "secret_key"
    assert kept.is_file() and kept.stat().st_mode & 0o077 == 0
    assert development.config["SECRET_KEY"] == kept.read_text().strip() and len(kept.read_text().strip()) >= 32
