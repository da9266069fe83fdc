"""Shared fixtures: an app on a fresh database with the demo content, clients, and survey helpers."""

import os
import re
import shutil

import pytest
from sqlalchemy import MetaData, select

from survey import create_app
from survey.auth.services import create_staff
from survey.demo import load_demo
from survey.extensions import db, limiter
from survey.models import Community, QuestionnaireVersion
from survey.questionnaire.services import current_version

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")


def _config(database_uri):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "SERVER_NAME": None,
        # Cheap hashing in tests; production uses OWASP's argon2id parameters (see survey/config.py).
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "RATELIMIT_STORAGE_URI": "process-memory://",  # what a site without REDIS_URL uses
    }


def _normalise_url(url):
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file with the schema and demo content, built once and copied for each test."""
    if TEST_DATABASE_URL:
        return None
    path = tmp_path_factory.mktemp("template") / "survey.db"
    app = create_app(_config(f"sqlite:///{path}"))
    with app.app_context():
        db.create_all()
        load_demo()
        db.engine.dispose()
    return path


def drop_every_table():
    """Drop every table in the app's database, not only today's models (inside an app context).

    A table of an older schema (the migration tests build one; an earlier run may have left one) would
    otherwise keep foreign keys to today's tables, and ``db.drop_all()`` could not drop those.
    """
    existing = MetaData()
    existing.reflect(bind=db.engine)
    existing.drop_all(bind=db.engine)


def demo_app(sqlite_template, directory, **settings):
    """A fresh application holding the demo district: a copy of the template in ``directory``, or PostgreSQL.

    ``settings`` are configuration values of its own (a rate-limit storage, a limit)."""
    if TEST_DATABASE_URL:
        app = create_app({**_config(_normalise_url(TEST_DATABASE_URL)), **settings})
        with app.app_context():
            drop_every_table()
            db.create_all()
            load_demo()
    else:
        path = directory / "survey.db"
        shutil.copy(sqlite_template, path)
        app = create_app({**_config(f"sqlite:///{path}"), **settings})
    with app.app_context():
        limiter.reset()
    return app


def close_app(app):
    """Release the application's database connections."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(sqlite_template, tmp_path):
    """An application on its own database holding the demo district and questionnaire version 1."""
    app = demo_app(sqlite_template, tmp_path)
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    """A test client (CSRF protection on, as in production)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for ``flask`` commands."""
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context, for service tests without HTTP."""
    with app.app_context():
        yield


@pytest.fixture
def version(ctx):
    """The published demo questionnaire version."""
    return current_version()


@pytest.fixture
def community(ctx):
    """The first demo community."""
    return db.session.scalars(select(Community).order_by(Community.id)).first()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html):
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def forged(signed):
    """``signed`` (an itsdangerous token) with one character of its signature changed, so it no longer verifies.

    The signature's last character carries base64 padding bits, so changing it, or writing over its end, can
    leave the signature's bytes as they were (1 time in about a thousand); a character in its middle cannot.
    """
    head, _, signature = signed.rpartition(".")
    assert head and len(signature) > 2, "not a signed token"
    middle = len(signature) // 2
    swapped = "B" if signature[middle] == "A" else "A"
    return f"{head}.{signature[:middle]}{swapped}{signature[middle + 1 :]}"


def right_answers(app, wrong_item_ids=()):
    """Form data answering every item correctly (or positively), except the listed items answered wrong."""
    with app.app_context():
        version = current_version()
        answers = {}
        for item in version.items:
            name = f"item-{item.id}"
            wrong = item.id in wrong_item_ids
            if item.question_type == "fillin":
                answers[name] = "wrong answer" if wrong else item.accepted_answers[0].text
            elif item.question_type == "multiple":
                chosen = [o.id for o in item.options if o.is_correct != wrong]
                answers[name] = [str(option_id) for option_id in chosen]
            elif item.is_knowledge:
                answers[name] = str(next(o.id for o in item.options if o.is_correct != wrong))
            else:
                answers[name] = str(item.options[0].id)
        sections = [[f"item-{item.id}" for item in section.items] for section in version.sections]
    return answers, sections


class SurveyDriver:
    """Walks the survey through the test client like a resident with a real browser would."""

    def __init__(self, app, client):
        self.app, self.client = app, client

    def start(self, community_code="lianhu"):
        page = self.client.get(f"/c/{community_code}")
        assert page.status_code == 200
        response = self.client.post(
            "/survey/start", data={"community": community_code, "csrf_token": csrf_token(page.text)}
        )
        assert response.status_code == 302, response.text
        return response

    def post_section(self, number, data, button="forward"):
        page = self.client.get(f"/survey/section/{number}")
        payload = dict(data, csrf_token=csrf_token(page.text))
        payload[button] = "x"
        return self.client.post(f"/survey/section/{number}", data=payload)

    def complete(self, community_code="lianhu", wrong_item_ids=()):
        """Answer every section and return the final POST's response (a redirect to the result)."""
        self.start(community_code)
        answers, sections = right_answers(self.app, wrong_item_ids)
        response = None
        for number, names in enumerate(sections, start=1):
            response = self.post_section(number, {name: answers[name] for name in names})
            assert response.status_code == 302, response.text
        return response


@pytest.fixture
def survey(app, client):
    """A SurveyDriver bound to the test client."""
    return SurveyDriver(app, client)


def version_count():
    """Number of questionnaire versions (inside an app context)."""
    return len(db.session.scalars(select(QuestionnaireVersion)).all())


STAFF_PASSWORD = "correct horse battery"
STAFF_SCOPES = {
    "admin": {},
    "editor": {},
    "district": {},
    "street": {"street_code": "s-hehua"},
    "community": {"community_code": "lianhu"},
}


@pytest.fixture
def make_staff(app):
    """Create a staff account: ``make_staff("street")`` (username defaults to the role)."""

    def make(role, username=None, **scope):
        with app.app_context():
            staff = create_staff(username or role, STAFF_PASSWORD, role, **(scope or STAFF_SCOPES[role]))
            return staff.id

    return make


class StaffLogin:
    """Logs a test client in as a staff member, through the real login form."""

    def __init__(self, client, make_staff):
        self.client, self.make_staff = client, make_staff

    def login(self, username, password=STAFF_PASSWORD):
        page = self.client.get("/admin/login")
        return self.client.post(
            "/admin/login", data={"username": username, "password": password, "csrf_token": csrf_token(page.text)}
        )

    def as_role(self, role, username=None):
        self.make_staff(role, username)
        response = self.login(username or role)
        assert response.status_code == 302, response.text
        return response

    def logout(self):
        page = self.client.get("/admin/")
        return self.client.post("/admin/logout", data={"csrf_token": csrf_token(page.text)})


@pytest.fixture
def auth(client, make_staff):
    """Log the test client in: ``auth.as_role("editor")``."""
    return StaffLogin(client, make_staff)
