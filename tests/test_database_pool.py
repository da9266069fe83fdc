"""Pooled PostgreSQL connections: pinged only after sitting idle, and a dead one is replaced, never a 500."""

import pytest
from sqlalchemy import create_engine, text

from survey import database
from survey.extensions import db


@pytest.fixture
def postgres_app(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no connection to lose: this runs in the PostgreSQL stage")
    return app


def _kill_other_connections(app):
    """What a database restart does to the pool: every server process of the app's connections ends."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.begin() as connection:
            killed = connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        engine.dispose()
    return killed


def test_a_connection_that_died_while_idle_is_replaced_before_use(postgres_app, client, monkeypatch):
    assert client.get("/healthz").get_json()["database"] == "ok"  # a pooled connection, now idle
    assert _kill_other_connections(postgres_app) >= 1
    later = database.time.monotonic() + 3600
    monkeypatch.setattr(database.time, "monotonic", lambda: later)
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json()["database"] == "ok"
    assert client.get("/").status_code == 200


def test_a_connection_in_steady_use_is_not_pinged(postgres_app, client, monkeypatch):
    pings = []
    with postgres_app.app_context():
        dialect = db.engine.dialect
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda connection: pings.append(1) or real_ping(connection))
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
    assert pings == []
    later = database.time.monotonic() + 3600
    monkeypatch.setattr(database.time, "monotonic", lambda: later)
    assert client.get("/healthz").status_code == 200
    assert pings == [1]
