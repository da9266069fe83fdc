"""Staff accounts: login, logout, password change, rate limits, argon2id, the create-staff command."""

from sqlalchemy import select

from survey.extensions import db
from survey.models import AuditEntry, StaffSession, StaffUser
from tests.conftest import STAFF_PASSWORD, csrf_token


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")
    page = client.get(response.headers["Location"], headers={"Accept-Language": "zh-CN"})
    assert "请登录" in page.text


def test_login_and_logout(auth, client):
    response = auth.as_role("editor")
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    out = auth.logout()
    assert out.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_login_returns_to_the_page_asked_for_but_never_off_site(auth, client, make_staff):
    make_staff("admin")
    page = client.get("/admin/login?next=/admin/settings")
    response = client.post(
        "/admin/login",
        data={
            "username": "admin",
            "password": STAFF_PASSWORD,
            "next": "/admin/settings",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.headers["Location"] == "/admin/settings"
    auth.logout()
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={
            "username": "admin",
            "password": STAFF_PASSWORD,
            "next": "//evil.example/x",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.headers["Location"] == "/admin/"


def test_wrong_password_is_refused_with_a_message(auth, client, make_staff):
    make_staff("admin")
    response = auth.login("admin", "wrong password!")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert auth.login("nobody", "wrong password!").status_code == 401
    assert client.get("/admin/").status_code == 302


def test_login_without_csrf_token_is_refused(client, make_staff):
    make_staff("admin")
    response = client.post("/admin/login", data={"username": "admin", "password": STAFF_PASSWORD})
    assert response.status_code == 400


def test_a_new_session_at_login_and_logout_really_ends_it(auth, client, app):
    client.get("/")
    before = client.get_cookie("session")
    auth.as_role("admin")
    logged_in = client.get_cookie("session").value
    assert before is None or before.value != logged_in
    auth.logout()
    # A copy of the old cookie (stolen, or kept by another tab) no longer works.
    client.set_cookie("session", logged_in)
    assert client.get("/admin/").status_code == 302
    with app.app_context():
        sessions = db.session.scalars(select(StaffSession)).all()
        assert len(sessions) == 1 and sessions[0].ended_at is not None


def test_passwords_are_hashed_with_argon2id(make_staff, app):
    make_staff("editor")
    with app.app_context():
        stored = db.session.scalar(select(StaffUser.password_hash))
    assert stored.startswith("$argon2id$") and STAFF_PASSWORD not in stored


def test_production_argon2_parameters_follow_owasp(tmp_path):
    from survey.config import load

    config = load(tmp_path)
    assert config["ARGON2_MEMORY_COST"] >= 19456 and config["ARGON2_TIME_COST"] >= 2


def test_change_password_ends_other_sessions(auth, client, app):
    auth.as_role("admin")
    other = app.test_client()
    page = other.get("/admin/login")
    other.post(
        "/admin/login", data={"username": "admin", "password": STAFF_PASSWORD, "csrf_token": csrf_token(page.text)}
    )
    assert other.get("/admin/").status_code == 200
    page = client.get("/admin/password")
    response = client.post(
        "/admin/password",
        data={
            "current_password": STAFF_PASSWORD,
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 302
    auth.logout()
    assert auth.login("admin", "a brand new secret").status_code == 302


def test_change_password_refusals(auth, client):
    auth.as_role("admin")
    page = client.get("/admin/password", headers={"Accept-Language": "en"})
    token = csrf_token(page.text)
    wrong = client.post(
        "/admin/password",
        headers={"Accept-Language": "en"},
        data={
            "current_password": "nope nope nope",
            "new_password": "another secret!",
            "confirm": "another secret!",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 422 and "The current password is wrong." in wrong.text
    short = client.post(
        "/admin/password",
        headers={"Accept-Language": "en"},
        data={"current_password": STAFF_PASSWORD, "new_password": "short", "confirm": "short", "csrf_token": token},
    )
    assert short.status_code == 422 and "Use at least 10 characters." in short.text


def test_failed_logins_are_rate_limited_per_account(auth, client, make_staff, app):
    make_staff("admin")
    for _ in range(5):
        assert auth.login("admin", "wrong password!").status_code == 401
    blocked = auth.login("admin", STAFF_PASSWORD)
    assert blocked.status_code == 429
    assert "请在" in blocked.text and "分钟后再试" in blocked.text
    assert int(blocked.headers["Retry-After"]) > 0
    # Another client guessing the same account is blocked too; another account is not.
    make_staff("editor")
    assert auth.login("editor", STAFF_PASSWORD).status_code == 302


def test_failed_logins_are_rate_limited_per_client(auth, client, make_staff, app):
    app.config["LOGIN_LIMIT_PER_CLIENT"] = "3 per 15 minutes"
    for number in range(3):
        assert auth.login(f"user{number}", "wrong password!").status_code == 401
    page = auth.login("someone", "wrong password!")
    assert page.status_code == 429
    page = client.get("/admin/login", headers={"Accept-Language": "en"})
    assert page.status_code == 200  # looking at the form is never limited


def test_disabled_account_cannot_log_in_and_its_sessions_end(auth, client, app, make_staff):
    make_staff("editor")
    other = app.test_client()
    page = other.get("/admin/login")
    other.post(
        "/admin/login", data={"username": "editor", "password": STAFF_PASSWORD, "csrf_token": csrf_token(page.text)}
    )
    auth.as_role("admin")
    with app.app_context():
        editor_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "editor"))
    page = client.get("/admin/staff")
    response = client.post(f"/admin/staff/{editor_id}/active", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert other.get("/admin/").status_code == 302
    auth.logout()
    assert auth.login("editor").status_code == 401


def test_create_staff_reads_the_password_from_stdin(runner, app):
    result = runner.invoke(
        args=["create-staff", "--username", "clerk1", "--role", "community", "--community", "lianhu"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long enough password" not in result.output
    with app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == "clerk1"))
        assert staff.community.code == "lianhu" and staff.password_hash.startswith("$argon2id$")
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.create"))


def test_create_staff_refuses_bad_arguments(runner, app):
    cases = [
        (["--username", "s1x", "--role", "street"], "--street"),
        (["--username", "s1x", "--role", "street", "--street", "nowhere"], "--street"),
        (["--username", "c1x", "--role", "community", "--community", "atlantis"], "--community"),
        (["--username", "e1x", "--role", "editor", "--community", "lianhu"], "--community is only"),
        (["--username", "x", "--role", "admin"], "username"),
        (["--username", "r1x", "--role", "king"], "Invalid value for '--role'"),
        (["--username", "p1x", "--role", "admin", "--password", "secret"], "No such option"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["create-staff", *args], input="a long enough password\n")
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
    short = runner.invoke(args=["create-staff", "--username", "shorty", "--role", "admin"], input="short\n")
    assert short.exit_code == 2 and "at least 10" in short.output
    with app.app_context():
        assert db.session.scalars(select(StaffUser)).all() == []


def test_admin_creates_accounts_in_the_browser(auth, client, app):
    auth.as_role("admin")
    page = client.get("/admin/staff", headers={"Accept-Language": "en"})
    token = csrf_token(page.text)
    bad = client.post(
        "/admin/staff",
        headers={"Accept-Language": "en"},
        data={
            "username": "clerk2",
            "role": "community",
            "community": "",
            "password": "a long enough password",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422 and "Choose the community this account covers." in bad.text
    good = client.post(
        "/admin/staff",
        data={
            "username": "clerk2",
            "role": "community",
            "community": "lianhu",
            "password": "a long enough password",
            "csrf_token": token,
        },
    )
    assert good.status_code == 302
    taken = client.post(
        "/admin/staff",
        headers={"Accept-Language": "en"},
        data={"username": "clerk2", "role": "editor", "password": "a long enough password", "csrf_token": token},
    )
    assert "This username is taken." in taken.text
