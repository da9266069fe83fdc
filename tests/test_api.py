"""The statistics API: JSON shape, the service's numbers, tokens, and the 401/403/404 matrix."""

import hashlib

import pytest
from sqlalchemy import select

from survey.api.openapi import RATE_NAMES
from survey.extensions import db
from survey.models import ApiToken, AuditEntry, StaffUser
from survey.questionnaire.services import current_version
from survey.stats.services import scope_stats
from tests.conftest import SurveyDriver, csrf_token


@pytest.fixture
def answered(app):
    """Six residents of Lianhu and one of Binhe have answered."""
    for _number in range(6):
        SurveyDriver(app, app.test_client()).complete("lianhu")
    SurveyDriver(app, app.test_client()).complete("binhe")
    return app


@pytest.fixture
def token(runner, make_staff):
    """Make a staff account of a role and a token for it: ``token("street")`` → the secret."""

    def make(role, username=None, name=None):
        make_staff(role, username)
        args = ["create-token", "--username", username or role] + (["--name", name] if name else [])
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    return make


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def service_stats(app, community_ids=None):
    with app.app_context():
        return scope_stats(current_version().id, community_ids)


def test_stats_json_has_every_metric_and_equals_the_service(answered, client, token):
    response = client.get("/api/v1/stats?lang=en", headers=bearer(token("admin")))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["version"]["number"] == 1 and data["lang"] == "en" and data["min_count"] == 5
    assert data["since"] is None and data["until"] is None
    with answered.app_context(), answered.test_request_context(headers={"Accept-Language": "en"}):
        result = scope_stats(current_version().id, None)
        assert [c["code"] for c in data["communities"]] == [c.code for c, _ in result.communities]
        for (community, stats), entry in zip(result.communities, data["communities"], strict=True):
            assert entry["name"] == community.tr("name", "en")
            assert entry["street"]["code"] == community.street.code
            assert entry["participants"] == stats.participants
            assert entry["population"] == stats.population
            assert entry["target"] == stats.target
            assert entry["rates"] == {name: rate.as_dict() for name, rate in stats.rate_fields()}
            assert [(q["item_id"], q["position"], q["text"], q["rate"]) for q in entry["questions"]] == [
                (item.id, item.position, item.tr("text", "en"), rate.as_dict()) for item, rate in stats.questions
            ]
        assert [s["code"] for s in data["streets"]] == [street.code for street, _ in result.streets]
        for (_street, stats), entry in zip(result.streets, data["streets"], strict=True):
            assert entry["participants"] == stats.participants
            assert entry["rates"] == {name: rate.as_dict() for name, rate in stats.rate_fields()}
        assert data["district"]["participants"] == result.district.participants == 7
        assert data["district"]["rates"] == {name: r.as_dict() for name, r in result.district.rate_fields()}
    lianhu = next(c for c in data["communities"] if c["code"] == "lianhu")
    assert lianhu["participants"] == 6
    assert lianhu["rates"]["knowledge_awareness"]["value"] == 1.0
    assert set(lianhu["rates"]["support"]) == {"value", "low", "high", "n"}
    binhe = next(c for c in data["communities"] if c["code"] == "binhe")
    assert binhe["participants"] == 1
    assert binhe["rates"]["knowledge_awareness"]["value"] is None  # one resident: suppressed
    assert binhe["rates"]["knowledge_awareness"]["n"] > 0


def test_community_route_gives_the_community_its_street_and_the_district(answered, client, token):
    data = client.get("/api/v1/communities/lianhu/stats", headers=bearer(token("community"))).get_json()
    assert data["community"]["code"] == "lianhu" and data["community"]["participants"] == 6
    assert data["street"]["code"] == "s-hehua" and data["street"]["participants"] == 6
    assert data["district"]["participants"] == 7
    expected = service_stats(answered, None)
    lianhu = next(s for c, s in expected.communities if c.code == "lianhu")
    assert data["community"]["rates"] == {name: rate.as_dict() for name, rate in lianhu.rate_fields()}
    assert [q["number"] for q in data["community"]["questions"]] == list(range(1, len(lianhu.questions) + 1))


def test_session_callers_see_only_their_scope(answered, auth, client):
    auth.as_role("community")
    data = client.get("/api/v1/stats").get_json()
    assert [c["code"] for c in data["communities"]] == ["lianhu"]
    assert [s["code"] for s in data["streets"]] == ["s-hehua"]
    assert data["district"]["participants"] == 7  # the district aggregate, without its communities


def test_street_token_sees_its_street_only(answered, client, token):
    data = client.get("/api/v1/stats", headers=bearer(token("street"))).get_json()
    codes = {c["code"] for c in data["communities"]}
    assert "lianhu" in codes and "taoyuan" in codes and "binhe" not in codes
    assert [s["code"] for s in data["streets"]] == ["s-hehua"]


def test_language_from_parameter_or_accept_language(client, token):
    secret = token("admin")
    zh = client.get("/api/v1/communities/lianhu/stats?lang=zh", headers=bearer(secret)).get_json()
    en = client.get("/api/v1/communities/lianhu/stats", headers={**bearer(secret), "Accept-Language": "en"}).get_json()
    assert zh["community"]["name"] == "莲湖社区" and zh["lang"] == "zh"
    assert en["community"]["name"] == "Lianhu Community" and en["lang"] == "en"
    assert zh["community"]["questions"][0]["text"] != en["community"]["questions"][0]["text"]


def test_date_filters_limit_the_count(answered, client, token):
    secret = token("admin")
    future = client.get("/api/v1/stats?since=2999-01-01", headers=bearer(secret)).get_json()
    assert future["district"]["participants"] == 0 and future["since"] == "2999-01-01"
    past = client.get("/api/v1/stats?until=2000-01-01&version=1", headers=bearer(secret)).get_json()
    assert past["district"]["participants"] == 0
    everything = client.get("/api/v1/stats?since=2000-01-01&until=2999-12-31", headers=bearer(secret)).get_json()
    assert everything["district"]["participants"] == 7


@pytest.mark.parametrize(
    "query",
    [
        "since=tomorrow",
        "since=2026-02-30",
        "until=2026-1-1",
        "since=20260101",
        "since=2021-01-01&until=2020-01-01",
        "version=abc",
        "version=-1",
        "version=%C2%B2",
        "lang=fr",
        "lang=" + "x" * 500,
    ],
)
def test_bad_parameters_are_400_json(client, token, query):
    response = client.get(f"/api/v1/stats?{query}", headers=bearer(token("admin")))
    assert response.status_code == 400, query
    assert response.is_json and response.get_json()["status"] == 400 and response.get_json()["detail"]


def test_no_credentials_is_401_with_a_bearer_challenge(client):
    for path in ["/api/v1/stats", "/api/v1/communities/lianhu/stats", "/api/v1/communities/atlantis/stats"]:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.is_json and response.get_json()["status"] == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer cs_not-a-real-token",
        "Bearer ",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer",
        "bearer " + "x" * 5000,
        "Bearer 令牌",
    ],
)
def test_unknown_or_malformed_tokens_are_401(client, header, auth):
    auth.as_role("admin")  # a valid session does not rescue a bad token
    response = client.get("/api/v1/stats", headers={"Authorization": header})
    assert response.status_code == 401
    assert 'error="invalid' in response.headers["WWW-Authenticate"]


def test_revoked_token_and_disabled_account_are_401(app, client, token, runner):
    secret = token("district")
    assert client.get("/api/v1/stats", headers=bearer(secret)).status_code == 200
    assert runner.invoke(args=["revoke-token", "--username", "district", "--all"]).exit_code == 0
    assert client.get("/api/v1/stats", headers=bearer(secret)).status_code == 401
    other = token("street")
    with app.app_context():
        db.session.scalar(select(StaffUser).where(StaffUser.username == "street")).is_active = False
        db.session.commit()
    assert client.get("/api/v1/stats", headers=bearer(other)).status_code == 401


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("community", "/api/v1/communities/lianhu/stats", 200),
        ("community", "/api/v1/communities/taoyuan/stats", 403),
        ("community", "/api/v1/communities/binhe/stats", 403),
        ("community", "/api/v1/communities/atlantis/stats", 404),
        ("community", "/api/v1/stats", 200),
        ("street", "/api/v1/communities/taoyuan/stats", 200),
        ("street", "/api/v1/communities/binhe/stats", 403),
        ("district", "/api/v1/communities/binhe/stats", 200),
        ("admin", "/api/v1/communities/binhe/stats", 200),
        ("admin", "/api/v1/communities/atlantis/stats", 404),
        ("admin", "/api/v1/communities/" + "x" * 300 + "/stats", 404),
        ("admin", "/api/v1/stats?version=99", 404),
        ("editor", "/api/v1/stats", 403),
        ("editor", "/api/v1/communities/lianhu/stats", 403),
    ],
)
@pytest.mark.parametrize("credential", ["token", "session"])
def test_access_matrix(client, token, auth, role, path, status, credential):
    if credential == "token":
        response = client.get(path, headers=bearer(token(role)))
    else:
        auth.as_role(role)
        response = client.get(path)
    assert response.status_code == status
    assert response.is_json


def test_token_is_printed_once_and_only_its_hash_is_stored(app, runner, make_staff):
    make_staff("street")
    result = runner.invoke(args=["create-token", "--username", "street", "--name", "report robot"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("cs_") and len(secret) >= 40
    assert "cannot be shown again" in result.stderr
    with app.app_context():
        stored = db.session.scalars(select(ApiToken)).one()
        assert stored.name == "report robot" and stored.revoked_at is None and stored.last_used_at is None
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        values = [getattr(stored, column.key) for column in ApiToken.__table__.columns]
        assert secret not in [str(value) for value in values]
        assert not any(secret in (entry.detail or "") for entry in db.session.scalars(select(AuditEntry)))
    again = runner.invoke(args=["create-token", "--username", "street", "--name", "report robot"])
    assert again.exit_code == 2 and "already has a live token" in again.output
    second = runner.invoke(args=["create-token", "--username", "street"])
    assert second.exit_code == 0 and second.stdout.strip() != secret


def test_using_a_token_records_when(app, client, token):
    secret = token("admin")
    client.get("/api/v1/stats", headers=bearer(secret))
    with app.app_context():
        assert db.session.scalars(select(ApiToken)).one().last_used_at is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-token", "--username", "nobody"], "no staff account"),
        (["create-token", "--username", "admin", "--name", "bad/name"], "--name must be"),
        (["create-token", "--username", "admin", "--name", "x" * 65], "--name must be"),
        (["revoke-token", "--username", "admin"], "exactly one of"),
        (["revoke-token", "--username", "admin", "--name", "a", "--all"], "exactly one of"),
        (["revoke-token", "--username", "admin", "--name", "missing"], "no live token"),
        (["revoke-token", "--username", "admin", "--all"], "no live tokens"),
        (["revoke-token", "--username", "nobody", "--all"], "no staff account"),
        (["create-token"], "Missing option"),
    ],
)
def test_token_commands_refuse_bad_arguments(runner, make_staff, args, message):
    make_staff("admin")
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert message in result.output


def test_revoke_by_name_leaves_other_tokens(client, token, runner):
    first = token("admin", name="first")
    second = runner.invoke(args=["create-token", "--username", "admin", "--name", "second"]).stdout.strip()
    result = runner.invoke(args=["revoke-token", "--username", "admin", "--name", "first"])
    assert result.exit_code == 0 and "Revoked 1 token" in result.output
    assert client.get("/api/v1/stats", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/stats", headers=bearer(second)).status_code == 200


def test_token_page_lists_own_tokens_and_revokes_them(app, client, auth, token, runner):
    secret = token("community", name="weekly report")
    token("street", name="someone-else")
    auth.login("community")
    page = client.get("/admin/tokens/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "weekly report" in page.text and "someone else" not in page.text and secret not in page.text
    with app.app_context():
        own = db.session.scalar(select(ApiToken).where(ApiToken.name == "weekly report")).id
        other = db.session.scalar(select(ApiToken).where(ApiToken.name == "someone-else")).id
    assert client.post(f"/admin/tokens/{own}/revoke").status_code == 400  # no CSRF token
    form = {"csrf_token": csrf_token(page.text)}
    assert client.post(f"/admin/tokens/{other}/revoke", data=form).status_code == 404
    response = client.post(f"/admin/tokens/{own}/revoke", data=form)
    assert response.status_code == 302
    assert client.get("/api/v1/stats", headers=bearer(secret)).status_code == 401
    page = client.get("/admin/tokens/", headers={"Accept-Language": "en"})
    assert "Revoked" in page.text
    with app.app_context():
        assert db.session.get(ApiToken, other).revoked_at is None


def test_api_is_get_only_and_errors_are_json(client, token):
    secret = token("admin")
    response = client.post("/api/v1/stats", headers=bearer(secret))
    assert response.status_code == 405 and response.is_json
    assert client.get("/api/v1/nothing-here", headers=bearer(secret)).is_json


def test_openapi_describes_both_routes(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/stats", "/communities/{code}/stats"}
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path in document["paths"].values():
        assert {"200", "400", "401", "403", "404"} <= set(path["get"]["responses"])
    assert list(RATE_NAMES) == [name for name, _ in service_stats(app).district.rate_fields()]
