"""How a submission reaches the database: one statement on PostgreSQL, the write watcher reading it, and
SQLite's commit level."""

import re
import sqlite3

import pytest
from flask import current_app
from sqlalchemy import event, func, select, text

from survey import config, database, reads, writes
from survey.extensions import db
from survey.models import Response, StatsDay, StatsItem
from survey.questionnaire import services
from survey.questionnaire.structure import frozen_view
from survey.stats import cache
from survey.stats.counts import raw_counts, rollup_counts

from .test_submission import all_right


@pytest.fixture
def postgres(ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no data-modifying WITH; this runs in the PostgreSQL stage")


class Statements:
    """Every statement the engine sends, and whether a transaction was open on the driver's connection."""

    def __init__(self):
        self.sent = []

    def __call__(self, connection, cursor, statement, parameters, context, executemany):
        status = connection.connection.dbapi_connection.info.transaction_status
        self.sent.append((statement.split(None, 1)[0].upper(), status.name))


@pytest.fixture
def statements(ctx):
    watcher = Statements()
    event.listen(db.engine, "before_cursor_execute", watcher)
    yield watcher
    event.remove(db.engine, "before_cursor_execute", watcher)


def _submit(version, community, participant, public_id=None):
    return services.submit(
        version,
        community.id,
        services.participant_hash(participant),
        public_id or services.new_public_id(),
        all_right(version),
    )


def _recount_equals_rollups(version_id):
    fast, slow = rollup_counts(version_id), raw_counts(version_id)
    assert set(fast) == set(slow) and fast
    for community_id, counts in fast.items():
        assert dict(counts.items) == dict(slow[community_id].items)
        assert counts.participants == slow[community_id].participants
        assert abs(counts.score_sum - slow[community_id].score_sum) < 1e-9


def test_a_first_attempt_is_one_statement_outside_any_transaction(postgres, version, community, statements):
    view, raw, community_id = frozen_view(version), all_right(version), community.id  # as the survey view has them
    db.session.commit()  # nothing of the fixtures' own reads stays open
    statements.sent.clear()
    response = services.submit(view, community_id, services.participant_hash("first"), services.new_public_id(), raw)
    assert statements.sent == [("WITH", "IDLE")]  # no BEGIN before it, nothing after it
    db.session.expire_all()
    stored = db.session.get(Response, response.id)
    assert stored.is_counted and stored.attempt_number == 1 and len(stored.answers) == len(version.items)
    day = db.session.scalar(select(StatsDay).where(StatsDay.community_id == community.id))
    assert day.participants == 1
    items = db.session.scalar(select(func.count()).select_from(StatsItem).where(StatsItem.community_id == community.id))
    assert items == len(version.items)
    _recount_equals_rollups(version.id)


def test_a_first_attempt_goes_on_the_kept_connection_and_survives_losing_it(postgres, version, community, monkeypatch):
    from sqlalchemy import create_engine

    _submit(version, community, "opens-the-kept-connection")
    view, raw, community_id = frozen_view(version), all_right(version), community.id  # as the survey view has them
    db.session.commit()
    taken = []

    def checked_out(*_args):
        taken.append(1)

    event.listen(db.engine, "checkout", checked_out)
    try:
        services.submit(view, community_id, services.participant_hash("second"), services.new_public_id(), raw)
    finally:
        event.remove(db.engine, "checkout", checked_out)
    assert taken == []  # no pooled connection: no checkout, no switch to autocommit and back
    db.session.commit()
    warned = []
    monkeypatch.setattr(reads.log, "warning", lambda message, *args: warned.append(message % args))
    current_app.config["DATABASE_PING_AFTER_IDLE"] = 3600  # no ping first: the write itself must fail
    kept_pid = reads._kept.connection.connection.dbapi_connection.info.backend_pid
    killer = create_engine(current_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with killer.begin() as connection:
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": kept_pid})
    finally:
        killer.dispose()
    before = db.session.scalar(select(func.count()).select_from(Response))
    response = _submit(version, community, "after-a-restart")
    assert response.is_counted and response.attempt_number == 1
    assert db.session.scalar(select(func.count()).select_from(Response)) == before + 1  # stored once
    assert any("was lost" in message for message in warned), warned
    _recount_equals_rollups(version.id)


def test_a_double_tap_and_a_retake_on_postgresql(postgres, version, community, statements):
    first = _submit(version, community, "again", public_id="a" * 32)
    again = _submit(version, community, "again", public_id="a" * 32)
    assert again.id == first.id
    retake = _submit(version, community, "again")
    assert (retake.is_counted, retake.attempt_number) == (False, 2)
    # The retake's statement wrote nothing; the transactional path stored it and its learning gain.
    assert db.session.scalar(select(func.count()).select_from(Response)) == 2
    assert db.session.scalar(select(func.sum(StatsDay.participants))) == 1
    _recount_equals_rollups(version.id)


def test_a_lost_race_falls_back_to_the_transaction(postgres, version, community, monkeypatch):
    """Another first attempt of the same resident commits between this statement's read and its insert."""
    original = services._first_attempt

    def race(columns, answers, packed):
        other = {**columns, "public_id": "b" * 32}
        original(other, answers, "[]")  # the other attempt wins
        return original(columns, answers, packed)  # now the unique index refuses this one

    monkeypatch.setattr(services, "_first_attempt", lambda *args: race(*args))
    response = _submit(version, community, "racer")
    assert (response.is_counted, response.attempt_number) == (False, 2)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 2


def test_the_write_watcher_reads_a_with_statement():
    class Connection:
        info = {}

    connection = Connection()
    writes._note_write(connection, None, "WITH x AS (SELECT 1) SELECT * FROM x", None, None, False)
    assert writes.written(connection) == set()
    sql = (
        'WITH s AS (INSERT INTO response (id) SELECT 1 RETURNING id), d AS (INSERT INTO "stats_day" (a) '
        "SELECT 1 FROM s ON CONFLICT (a) DO UPDATE SET a = stats_day.a + excluded.a) SELECT 1"
    )
    writes._note_write(connection, None, sql, None, None, False)
    assert writes.written(connection) == {("response", True), ("stats_day", True)}
    writes._note_write(connection, None, "WITH s AS (UPDATE community SET name = 'x') SELECT 1", None, None, False)
    assert ("community", False) in writes.written(connection)


def test_a_first_attempt_keeps_cached_rollups_refreshable(postgres, version, community):
    _submit(version, community, "warm")
    structural = cache.structural_generation()
    _submit(version, community, "next")
    assert cache.structural_generation() == structural  # only responses and their sums were added


def test_sqlite_commits_at_normal_unless_told_full(tmp_path, monkeypatch):
    path = tmp_path / "sync.db"
    for wanted, level in ((None, 1), ("full", 2), ("NORMAL", 1)):
        if wanted is None:
            monkeypatch.delenv("SQLITE_SYNCHRONOUS", raising=False)
        else:
            monkeypatch.setenv("SQLITE_SYNCHRONOUS", wanted)
        connection = sqlite3.connect(path)
        try:
            database._tune_sqlite(connection, None)
            assert connection.execute("PRAGMA synchronous").fetchone()[0] == level
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            # The WAL is copied back every 10,000 pages (not SQLite's 1,000) and then cut back to 64 MB.
            assert connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 10_000
            assert connection.execute("PRAGMA journal_size_limit").fetchone()[0] == 64 * 2**20
        finally:
            connection.close()


def test_an_unknown_sqlite_synchronous_level_stops_the_start(monkeypatch, tmp_path):
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "OFF")
    with pytest.raises(config.ConfigError, match="SQLITE_SYNCHRONOUS"):
        config.load(tmp_path)
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "full")
    assert config.load(tmp_path)["SQLITE_SYNCHRONOUS"] == "FULL"


def test_the_submission_time_is_stored_as_the_orm_stores_it(version, community):
    """The insert is driver-level SQL; SQLite keeps times as text, which must sort and read back like the ORM's."""
    response = _submit(version, community, "clock")
    raw = db.session.scalar(text("SELECT CAST(submitted_at AS TEXT) FROM response WHERE id = :id"), {"id": response.id})
    db.session.expire_all()
    stored = db.session.get(Response, response.id)
    assert stored.submitted_at == response.submitted_at
    if db.engine.dialect.name == "sqlite":
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", raw)
