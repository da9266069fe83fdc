"""Behind a reverse proxy (TRUSTED_PROXIES=1) limits key on the client in X-Forwarded-For, never on the proxy."""

import pytest

from tests.conftest import csrf_token


def _failed_logins(client, forwarded_for, count, start=0):
    statuses = []
    for number in range(start, start + count):
        page = client.get("/admin/login")
        statuses.append(
            client.post(
                "/admin/login",
                headers={"X-Forwarded-For": forwarded_for},
                data={
                    "username": f"nobody{number}",
                    "password": "wrong password",
                    "csrf_token": csrf_token(page.text),
                },
            ).status_code
        )
    return statuses


@pytest.fixture
def proxied(monkeypatch, request):
    """The app as configured from the environment with one trusted proxy and a small per-client login limit."""
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    monkeypatch.setenv("LOGIN_LIMIT_PER_CLIENT", "2 per 15 minutes")
    return request.getfixturevalue("app")


def test_each_forwarded_client_has_its_own_allowance(proxied):
    client = proxied.test_client()
    assert _failed_logins(client, "203.0.113.5", 3) == [401, 401, 429]
    # Another resident behind the same proxy is not locked out by the first one.
    assert _failed_logins(client, "198.51.100.7", 1, start=10) == [401]


def test_without_a_trusted_proxy_the_header_is_ignored(monkeypatch, request):
    monkeypatch.setenv("LOGIN_LIMIT_PER_CLIENT", "2 per 15 minutes")
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    client = request.getfixturevalue("app").test_client()
    assert _failed_logins(client, "203.0.113.5", 2) == [401, 401]
    # A forged header does not buy a fresh allowance.
    assert _failed_logins(client, "198.51.100.7", 1, start=10) == [429]
