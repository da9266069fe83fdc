"""Headers, no inline script, secrets."""
import re
from pathlib import Path

import pytest

from survey.config import ConfigError, secret_key


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
