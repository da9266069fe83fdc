"""Every staff route × every role: refused with 403 (or the login page for anonymous visitors) unless allowed."""

import pytest
from werkzeug.routing import IntegerConverter

from survey.models import ROLES
from tests.conftest import csrf_token

# Routes open to any logged-in staff member, checked with login_required.
ANY_STAFF = {"auth.logout", "auth.password"}
PUBLIC = {"auth.login"}


def staff_rules(app):
    """(rule, endpoint, methods, allowed roles) for every route under /admin/."""
    rules = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint in PUBLIC:
            continue
        view = app.view_functions[rule.endpoint]
        allowed = set(ROLES) if rule.endpoint in ANY_STAFF else getattr(view, "allowed_roles", None)
        assert allowed is not None, f"{rule.endpoint} has no role check"
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        rules.append((rule, rule.endpoint, methods, set(allowed)))
    return rules


def fill(rule):
    """A concrete URL for a rule, with harmless argument values."""
    values = {}
    for name in rule.arguments:
        values[name] = 1 if isinstance(rule._converters[name], IntegerConverter) else "x"
    url = rule.rule
    for name, value in values.items():
        url = url.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        url = url.replace(f"<path:{name}>", str(value)).replace(f"<string:{name}>", str(value))
    return url


def test_every_staff_route_declares_who_may_use_it(app):
    assert len(staff_rules(app)) >= 5


def test_anonymous_visitors_are_sent_to_login_everywhere(app, client):
    token = csrf_token(client.get("/admin/login").text)
    for rule, endpoint, methods, _ in staff_rules(app):
        url = fill(rule)
        for method in methods:
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            assert response.status_code == 302, (endpoint, method, response.status_code)
            assert "/admin/login" in response.headers["Location"], endpoint


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_refused_what_it_does_not_cover(app, client, auth, role):
    auth.as_role(role)
    token = csrf_token(client.get("/admin/").text)
    checked = 0
    for rule, endpoint, methods, allowed in staff_rules(app):
        url = fill(rule)
        for method in methods:
            if endpoint == "auth.logout":
                continue
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            if role in allowed:
                assert response.status_code != 403, (role, endpoint, method)
                assert response.status_code < 500, (role, endpoint, method, response.status_code)
            else:
                assert response.status_code == 403, (role, endpoint, method, response.status_code)
                checked += 1
    if role != "admin":
        assert checked > 0
