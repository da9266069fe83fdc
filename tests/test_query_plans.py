"""The pages residents and staff open all day never scan the big tables: SQLite's query plans, asserted.

Every SELECT a page runs (captured from the engine) is explained with ``EXPLAIN QUERY PLAN`` on a
database holding simulated responses. At campaign scale the response table holds a million rows, so a
page that reads it with ``SCAN`` (even of a covering index) costs hundreds of milliseconds: the
dashboards read the rollups instead, and a community's own pages read only that community's rollup
rows (``SEARCH`` on the key), never the whole district's. SQLite runs this test in both CI stages:
PostgreSQL's planner picks sequential scans on small test tables whatever the indexes are.
"""

import re

import pytest
from sqlalchemy import event, text

from survey import create_app
from survey.api.tokens import create_token
from survey.auth.services import create_staff
from survey.demo import load_demo, simulate_responses
from survey.extensions import db, limiter

from .conftest import STAFF_PASSWORD, _config, csrf_token

BIG_TABLES = {"response", "answer", "answer_choice"}
ROLLUPS = {"stats_day", "stats_item", "stats_gain"}
SCAN = re.compile(r"^SCAN (?:TABLE )?(\w+?)(?:_\d+)?(?:\s|$)")


@pytest.fixture(scope="module")
def plans_app(tmp_path_factory):
    """A SQLite app with the demo district, 600 simulated responses, a community and a district user."""
    path = tmp_path_factory.mktemp("plans") / "survey.db"
    app = create_app(_config(f"sqlite:///{path}"))
    with app.app_context():
        db.create_all()
        load_demo()
        simulate_responses(600, seed=3)
        create_staff("plans-district", STAFF_PASSWORD, "district")
        create_staff("plans-lianhu", STAFF_PASSWORD, "community", community_code="lianhu")
        app.config["PLANS_TOKEN"] = create_token("plans-lianhu", "plans")[1]
        db.session.commit()
        limiter.reset()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _logged_in(app, username):
    client = app.test_client()
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login", data={"username": username, "password": STAFF_PASSWORD, "csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302, response.text
    return client


def _selects(app, client, path, **kwargs):
    """The SELECT statements (with their parameters) one request runs."""
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and not executemany:
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        response = client.get(path, **kwargs)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert response.status_code == 200, (path, response.status_code)
    return seen


def _plan(app, statement, parameters):
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            rows = raw.cursor().execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
        finally:
            raw.close()
    return [row[-1] for row in rows]


def _scans(app, statements):
    """``{table: [statement, …]}`` for every table some statement reads by a full scan."""
    found = {}
    for statement, parameters in statements:
        for detail in _plan(app, statement, parameters):
            match = SCAN.match(detail)
            if match:
                found.setdefault(match.group(1), []).append(" ".join(statement.split())[:200])
    return found


PAGES = {
    # name: (who, path, scoped to one community)
    "home": (None, "/", False),
    "choose": (None, "/c/lianhu", True),
    "community dashboard": ("plans-lianhu", "/admin/dashboard/community/lianhu", True),
    "community stats API": ("token", "/api/v1/communities/lianhu/stats", True),
    "district ranking": ("plans-district", "/admin/dashboard/district", False),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_pages_never_scan_the_response_tables(plans_app, name):
    who, path, scoped = PAGES[name]
    headers = {}
    if who == "token":
        client, headers = plans_app.test_client(), {"Authorization": f"Bearer {plans_app.config['PLANS_TOKEN']}"}
    elif who:
        client = _logged_in(plans_app, who)
    else:
        client = plans_app.test_client()
    # A response no cache has seen, so the page computes its figures from the database.
    with plans_app.app_context():
        simulate_responses(3, seed=len(name))
        db.session.commit()
    statements = _selects(plans_app, client, path, headers=headers)
    assert statements, f"{name} ran no SELECT at all: nothing to check"
    scans = _scans(plans_app, statements)
    forbidden = BIG_TABLES | (ROLLUPS if scoped else set())
    assert not {table: queries for table, queries in scans.items() if table in forbidden}, scans


def test_the_check_sees_a_full_scan(plans_app):
    """The plan reader itself: a query without a usable index is reported as a scan of its table."""
    with plans_app.app_context():
        statement = str(text("SELECT count(*) FROM response WHERE knowledge_total + 0 > :n"))
    scans = _scans(plans_app, [(statement.replace(":n", "?"), (0,))])
    assert "response" in scans
    searched = _scans(plans_app, [("SELECT knowledge_correct FROM response WHERE id = ?", (1,))])
    assert "response" not in searched


# Reading every response of a questionnaire version through the version's index: a scan in all but name.
WHOLE_VERSION = re.compile(r"^SEARCH (?:TABLE )?response(?:_\d+)? USING (?:COVERING )?INDEX \w+ \(version_id=\?\)$")


@pytest.mark.parametrize("query", ["since=2000-01-01", "since=2000-01-01&until=2100-12-31"])
def test_a_community_page_over_some_days_reads_only_that_community(plans_app, query):
    """With dates the figures come from the raw responses (the rollups are per day, not per answer day
    range): only the community's counted attempts in range and their participants' other attempts are read."""
    client = _logged_in(plans_app, "plans-lianhu")
    statements = _selects(plans_app, client, f"/admin/dashboard/community/lianhu?{query}")
    details = [
        (detail, " ".join(statement.split())[:160])
        for statement, parameters in statements
        for detail in _plan(plans_app, statement, parameters)
    ]
    assert any("response" in detail for detail, _ in details), "the page read no response: nothing to check"
    wide = [
        (detail, statement)
        for detail, statement in details
        if WHOLE_VERSION.match(detail) or (SCAN.match(detail) and SCAN.match(detail).group(1) in BIG_TABLES)
    ]
    assert not wide, wide
