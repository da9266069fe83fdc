"""Two gunicorn instances sharing one PostgreSQL and one Redis behave as one site."""

import random
import secrets

import pytest

from .harness import PostgresDatabase, Server, flush_redis, postgres_server_url, redis_url, require, stats_check
from .residents import Browser, LoadPlan, Resident, Tally, parse_form, run_load, verify

pytestmark = pytest.mark.system

STAFF_PASSWORD = "scale-out staff password"


@pytest.fixture(scope="module")
def secret_key():
    """One SECRET_KEY for both instances (module-wide: the instances are shared by this module's tests)."""
    return secrets.token_hex(32)


@pytest.fixture(scope="module")
def postgres_database():
    database = PostgresDatabase(require("PostgreSQL", postgres_server_url()))
    yield database
    database.drop()


@pytest.fixture(scope="module")
def instances(postgres_database, secret_key, tmp_path_factory):
    """Instances A and B: same database, same Redis, same SECRET_KEY, different ports."""
    redis = require("Redis", redis_url())
    flush_redis(redis)
    limits = {
        "REDIS_URL": redis,
        "LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",
        "LOGIN_LIMIT_PER_CLIENT": "50 per 15 minutes",
    }
    workdir = tmp_path_factory.mktemp("scale-out")
    first = Server(postgres_database, workdir, secret_key, workers=2, extra_env=limits, name="instance-a")
    second = Server(postgres_database, workdir, secret_key, workers=2, extra_env=limits, name="instance-b")
    try:
        first.prepare()
        second.migrate()  # the second deploy finds the schema current
        first.start()
        second.start()
        yield first, second
    finally:
        for server in (first, second):
            server.stop()
        flush_redis(redis)


def test_a_retake_on_the_other_instance_is_the_same_participant(instances, postgres_database, secret_key):
    first, second = instances
    tally = Tally()
    resident = Resident(0, first.base_url, tally, random.Random(5), "lianhu")
    first_id = resident.take_survey()
    resident.browser = _moved(resident.browser, second.base_url)
    assert resident.browser.get(f"/survey/result/{first_id}").status == 200  # B shows A's result to its owner
    retake_id = resident.take_survey()
    assert retake_id != first_id
    count = verify(postgres_database, secret_key, tally, [resident])
    # Two stored attempts of one participant, exactly one counted (verify checks both).
    assert (count.stored, count.lost, count.doubled, count.problems) == (2, 0, 0, [])

    # The same under load: every resident's retake goes to the other instance.
    many, residents = run_load(
        [first.base_url, second.base_url],
        LoadPlan(submissions=120, concurrency=20, retake_share=0.6, seed=3, deadline=240),
    )
    count = verify(postgres_database, secret_key, _merged(tally, many), [resident, *residents])
    assert many.journey_errors == []
    assert (count.lost, count.doubled, count.server_errors, count.problems) == (0, 0, 0, [])
    assert count.stored == count.acknowledged == count.sent
    checked, output = stats_check(first)
    assert checked, output


def test_login_limit_counts_failures_on_both_instances(instances):
    first, second = instances
    created = first.flask("create-staff", "--username", "shared1", "--role", "admin", stdin=STAFF_PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    statuses = []
    for attempt in range(6):  # the account allows 5 failures per 15 minutes, wherever they happen
        server = (first, second)[attempt % 2]
        statuses.append(_log_in(Browser(server.base_url), "shared1", "wrong password!").status)
    assert statuses == [401] * 5 + [429]
    # Now locked on both instances, even with the right password.
    assert _log_in(Browser(first.base_url), "shared1", STAFF_PASSWORD).status == 429
    assert _log_in(Browser(second.base_url), "shared1", STAFF_PASSWORD).status == 429


def test_staff_session_and_csrf_work_across_instances(instances):
    first, second = instances
    created = first.flask("create-staff", "--username", "shared2", "--role", "admin", stdin=STAFF_PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    staff = Browser(first.base_url)
    login_page = staff.get("/admin/login")
    on_b = _moved(staff, second.base_url)
    # The login form from A is accepted by B; the session B opens is honoured by A.
    logged_in = on_b.post(
        "/admin/login",
        {"username": "shared2", "password": STAFF_PASSWORD, "csrf_token": parse_form(login_page.text).csrf, "next": ""},
    )
    assert logged_in.status == 302
    staff.cookies = on_b.cookies
    settings = staff.get("/admin/settings")
    assert settings.status == 200
    form = parse_form(settings.text)
    changed = {**form.inputs, "site_name_en": "Scale-out District"}
    # A wrong CSRF token is refused on B; A's token is accepted there and the change is visible on A.
    assert on_b.post("/admin/settings", {**changed, "csrf_token": "forged"}).status == 400
    saved = on_b.post("/admin/settings", changed)
    assert saved.status == 302, saved.text[:500]
    assert 'value="Scale-out District"' in staff.get("/admin/settings").text
    # Logging out on B ends the session on A too.
    logout_token = parse_form(staff.get("/admin/").text).csrf
    assert on_b.post("/admin/logout", {"csrf_token": logout_token}).status == 302
    after = _moved(on_b, first.base_url).get("/admin/settings")
    assert after.status == 302 and "/admin/login" in after.location


def _log_in(browser, username, password):
    page = browser.get("/admin/login")
    return browser.post(
        "/admin/login",
        {"username": username, "password": password, "csrf_token": parse_form(page.text).csrf, "next": ""},
    )


def _moved(browser, base_url):
    """The same browser (shared cookie jar) talking to another instance."""
    moved = browser.clone()
    moved.host, moved.port = "127.0.0.1", int(base_url.rsplit(":", 1)[1])
    moved.cookies = browser.cookies
    return moved


def _merged(first, second):
    merged = Tally()
    for tally in (first, second):
        merged.sent += tally.sent
        merged.acknowledged += tally.acknowledged
        merged.server_errors += tally.server_errors
        merged.requests += tally.requests
    return merged
