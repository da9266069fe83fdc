"""Fixtures for the system tests: a fresh database of the suite's engine, real gunicorn servers, a report line.

The engine follows the rest of the suite: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set
(CI runs both). The scale-out test (test_scale_out.py) brings its own PostgreSQL database and Redis.
"""

import os
import secrets

import pytest

from .harness import PostgresDatabase, Server, SqliteDatabase


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "system: starts the real gunicorn server and loads it (slow; runs in make test and CI)"
    )


@pytest.fixture
def secret_key():
    """One SECRET_KEY per test, shared by every instance the test starts."""
    return secrets.token_hex(32)


@pytest.fixture
def suite_database(tmp_path):
    """A fresh, empty database on the suite's engine, removed afterwards."""
    url = os.environ.get("TEST_DATABASE_URL")
    database = PostgresDatabase(url) if url and not url.startswith("sqlite") else SqliteDatabase(tmp_path)
    yield database
    database.drop()


@pytest.fixture
def servers(tmp_path, secret_key, request):
    """``servers(database, workers=3, **env)`` starts nothing yet; every server made here is stopped afterwards."""
    made = []

    def make(database, workers=3, name=None, **env):
        server = Server(
            database, tmp_path, secret_key, workers=workers, extra_env=env, name=name or f"server{len(made) + 1}"
        )
        made.append(server)
        return server

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for server in made:
        server.stop()
        if failed:
            print(f"--- {server.name} log (last lines) ---\n{server.log_tail()}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def announce(capsys):
    """Print a line straight to the terminal (the closing counts), even when output is captured."""

    def say(line):
        with capsys.disabled():
            print(f"\n{line}")

    return say
