"""Reads outside a transaction (survey/reads.py).

On PostgreSQL a cached dashboard or API hit sends one SELECT and nothing else (no BEGIN, no ROLLBACK): the
login-session or token check, carrying the stats cache's stamp along. It is seen on the wire through libpq's
own trace of every pooled connection. The login-session and token checks still end a session at once in
every process, writes later in a request stay in one transaction, and the account the checks return
behaves like one a query loaded (on both engines).
"""

import re

import pytest
from sqlalchemy import create_engine, event, select, text, update
from sqlalchemy.exc import DBAPIError

from survey import create_app, database, reads
from survey.api import tokens
from survey.auth import services
from survey.extensions import db
from survey.models import ApiToken, Response, StaffSession, StaffUser
from survey.stats import cache
from tests.conftest import STAFF_PASSWORD, TEST_DATABASE_URL, _config, _normalise_url, csrf_token
from tests.test_stats_cache import answered, outside_write  # noqa: F401 (a fixture)

DASHBOARD = "/admin/dashboard/community/lianhu"
API = "/api/v1/communities/lianhu/stats"
# The campaign and questionnaire snapshots are read again after a second (survey/snapshots.py); a test
# that counts statements must not meet that.
STEADY = {"SNAPSHOT_MAX_AGE": 3600}


class Wire:
    """What the application sends to PostgreSQL: libpq's trace of each pooled connection, read back."""

    MESSAGE = re.compile(r"^([FB])\t\d+\t(\w+)\t?(.*?)(?=^[FB]\t|\Z)", re.M | re.S)

    def __init__(self, engine, path):
        self.engine, self.path, self.offset = engine, path, 0
        self.file = open(path, "w")  # kept open until every traced connection is untraced
        self.traced = []
        event.listen(engine, "checkout", self._trace)

    def _trace(self, dbapi_connection, _record, _proxy):
        if not any(dbapi_connection is traced for traced in self.traced):
            from psycopg.pq import Trace

            dbapi_connection.pgconn.trace(self.file.fileno())
            dbapi_connection.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS | Trace.REGRESS_MODE)
            self.traced.append(dbapi_connection)

    def sent(self):
        """``[(message, text)]`` sent since the last call (Query, Parse, Bind, Execute, Sync, …)."""
        with open(self.path) as trace:
            trace.seek(self.offset)
            chunk = trace.read()
            self.offset = trace.tell()
        return [(kind, body.strip()) for side, kind, body in self.MESSAGE.findall(chunk) if side == "F"]

    def close(self):
        event.remove(self.engine, "checkout", self._trace)
        for connection in self.traced:
            if not connection.closed:
                connection.pgconn.untrace()
        self.file.close()


def round_trips(sent):
    """Each simple Query, and each Sync closing an extended-protocol statement, waits for the server."""
    return sum(1 for kind, _body in sent if kind in ("Query", "Sync"))


def statements(sent):
    """The SQL sent, in order (simple queries and parsed statements), whitespace collapsed."""
    found = []
    for kind, body in sent:
        if kind in ("Query", "Parse"):
            # Query "sql" | Parse "statement name" "sql" parameter-count parameter-types
            match = re.match(r'"(.*)"$' if kind == "Query" else r'"[^"]*" "(.*)" \d+', body, re.S)
            found.append(" ".join(match.group(1).split()))
    return found


def is_login_check(sql):
    return "FROM staff_user JOIN staff_session" in sql


def is_token_check(sql):
    return "FROM api_token JOIN staff_user" in sql


def is_stamp(sql):
    return "max(response.id)" in sql and "max(audit_entry.id)" in sql


def is_login_check_with_stamp(sql):
    return is_login_check(sql) and is_stamp(sql)


def is_token_check_with_stamp(sql):
    return is_token_check(sql) and is_stamp(sql)


def without_tokens(html):
    """A page with its CSRF tokens (new in every response) taken out."""
    for token in set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', html)):
        html = html.replace(token, "TOKEN")
    return html


@pytest.fixture
def postgres_app(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite sends nothing over a wire: this runs in the PostgreSQL stage")
    app.config.update(STEADY)
    return app


@pytest.fixture
def wire(postgres_app, tmp_path):
    with postgres_app.app_context():
        engine = db.engine
    found = Wire(engine, tmp_path / "libpq.trace")
    yield found
    found.close()


@pytest.fixture
def other_process(postgres_app):
    """A second application on the same database, with nothing shared: another worker process."""
    other = create_app(_config(_normalise_url(TEST_DATABASE_URL)))
    other.config.update(STEADY)
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def login(client, username="community"):
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login", data={"username": username, "password": STAFF_PASSWORD, "csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302, response.text


def change_password(client, page):
    """Post the password form of ``page`` (the account's own), changing it to a new secret."""
    return client.post(
        "/admin/password",
        data={
            "current_password": STAFF_PASSWORD,
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
            "csrf_token": csrf_token(page.text),
        },
    )


def same_cookie(source, target):
    target.set_cookie("session", source.get_cookie("session").value)


# --- PostgreSQL: what a cached hit sends ---------------------------------------------------------------


def test_a_cached_dashboard_hit_sends_one_select_and_nothing_else(postgres_app, wire, auth, client):
    auth.as_role("community")
    assert client.get(DASHBOARD).status_code == 200  # shows the welcome message once
    with postgres_app.app_context():
        cache.store().clear()
    computed = client.get(DASHBOARD)  # read in a transaction, as every read was before
    assert computed.status_code == 200
    wire.sent()
    generation = cache._generation
    for _ in range(3):
        hit = client.get(DASHBOARD)
        sent = wire.sent()
        assert hit.status_code == 200 and without_tokens(hit.text) == without_tokens(computed.text)
        sql = statements(sent)
        assert len(sql) == 1 and is_login_check_with_stamp(sql[0]), sql
        assert round_trips(sent) == 1, sent
    assert cache._generation == generation  # the statement watcher saw no write


def test_a_cached_api_hit_sends_one_select_and_nothing_else(wire, client, make_staff, postgres_app):
    make_staff("district")
    with postgres_app.app_context():
        _token, secret = tokens.create_token("district")
    bearer = {"Authorization": f"Bearer {secret}"}
    first = client.get(API, headers=bearer)
    assert first.status_code == 200
    wire.sent()
    for _ in range(3):  # last use was noted a moment ago: nothing to write
        hit = client.get(API, headers=bearer)
        sent = wire.sent()
        assert hit.status_code == 200 and hit.data == first.data
        sql = statements(sent)
        assert len(sql) == 1 and is_token_check_with_stamp(sql[0]), sql
        assert round_trips(sent) == 1, sent


def test_the_api_over_a_session_cookie_sends_one_select_too(wire, auth, client):
    auth.as_role("district")
    first = client.get(API)
    assert first.status_code == 200
    wire.sent()
    hit = client.get(API)
    sql = statements(wire.sent())
    assert hit.data == first.data and len(sql) == 1 and is_login_check_with_stamp(sql[0]), sql


def test_noting_a_tokens_use_is_its_own_committed_transaction(wire, client, make_staff, postgres_app):
    make_staff("district")
    with postgres_app.app_context():
        token, secret = tokens.create_token("district")
        token_id = token.id
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get(API, headers=bearer).status_code == 200
    outside_write(postgres_app, update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=None))
    wire.sent()
    generation = cache._generation
    assert client.get(API, headers=bearer).status_code == 200
    sql = statements(wire.sent())
    assert is_token_check_with_stamp(sql[0]) and sql[1].startswith("BEGIN")
    assert sql[2].startswith("UPDATE api_token SET") and sql[3] == "COMMIT" and len(sql) == 4, sql
    assert cache._generation == generation  # a token's use changes no figure
    with postgres_app.app_context():
        assert db.session.get(ApiToken, token_id).last_used_at is not None


def test_a_cache_miss_reads_and_ends_in_a_transaction(wire, auth, client, postgres_app):
    auth.as_role("community")
    wire.sent()
    assert client.get(DASHBOARD).status_code == 200
    sql = statements(wire.sent())
    assert is_login_check_with_stamp(sql[0]) and sql[1].startswith("BEGIN"), sql[:2]
    assert sql[-1] == "ROLLBACK" and not any(s.startswith(("UPDATE", "INSERT", "DELETE")) for s in sql)


def test_reads_outside_a_transaction_run_prepared_and_still_answer_after_a_rollback(wire, auth, client):
    """psycopg prepares a statement on its fifth run: the login check with its stamp then skips planning. A
    page read in a transaction (ending with ROLLBACK, on a pooled connection) leaves the kept connection's
    prepared statements alone; the next hits still answer the same."""
    auth.as_role("community")
    client.get(DASHBOARD)  # shows (and uses up) the welcome message
    first = without_tokens(client.get(DASHBOARD).text)  # a token signed in another second differs
    for _ in range(8):
        assert client.get(DASHBOARD).status_code == 200
    wire.sent()
    assert without_tokens(client.get(DASHBOARD).text) == first
    sent = wire.sent()
    assert not any(kind == "Parse" for kind, _ in sent) and round_trips(sent) == 1, sent  # prepared: bind + run
    assert client.get("/admin/").status_code == 200  # reads in a transaction, ends with ROLLBACK
    for _ in range(8):
        assert without_tokens(client.get(DASHBOARD).text) == first


@pytest.mark.usefixtures("answered")
def test_the_prepared_login_check_runs_on_a_generic_plan(postgres_app, auth, client):
    """PostgreSQL plans a prepared statement once, unless a custom plan for each run's parameters looks
    cheaper: then it plans it again on every run, which cost more than running it (a parameter in the
    stamp's LIMIT did that once the response table was large). Every pooled connection that ran the check
    reuses its generic plan."""
    table = Response.__table__
    copied = [column.name for column in table.columns if column.name not in ("id", "public_id", "participant_hash")]
    with postgres_app.app_context():  # 50,000 more responses, as a district has before inspection day
        db.session.execute(
            text(
                f"INSERT INTO response (public_id, participant_hash, {', '.join(copied)}) "  # noqa: S608
                f"SELECT md5('copy' || g), md5('resident' || g), {', '.join('r.' + name for name in copied)} "
                "FROM response AS r CROSS JOIN generate_series(1, 50000) AS g "
                "WHERE r.id = (SELECT min(id) FROM response WHERE is_counted)"
            )
        )
        db.session.execute(text("ANALYZE response"))
        db.session.commit()
    auth.as_role("community")
    for _ in range(12):
        assert client.get(DASHBOARD).status_code == 200
    with postgres_app.app_context():
        pool = db.engine.pool
        held = [db.engine.connect() for _ in range(pool.checkedin())]
        try:
            plans = [
                row
                for connection in [*held, reads._kept.connection]
                for row in connection.exec_driver_sql(
                    "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
                ).all()
                if is_login_check_with_stamp(" ".join(row.statement.split()))
            ]
        finally:
            for connection in held:
                connection.close()
    assert plans, "the login check was never prepared"
    for _statement, generic, custom in plans:
        assert generic >= 1 and custom <= 5, (generic, custom)


def test_a_pooled_connection_goes_back_to_transactions_after_a_read(postgres_app, auth, client):
    auth.as_role("community")
    assert client.get(DASHBOARD).status_code == 200
    assert client.get(DASHBOARD).status_code == 200
    with postgres_app.app_context():
        pool = db.engine.pool
        assert pool.checkedout() == 1  # only the kept read connection (survey.reads)
        connection = db.session.connection().connection.dbapi_connection
        assert connection is not reads._kept.connection.connection.dbapi_connection
        assert connection.autocommit is False and connection.prepare_threshold is not None
        db.session.execute(select(StaffUser.id)).all()
        assert connection.info.transaction_status.name == "INTRANS"
        db.session.remove()


def test_a_connection_that_died_while_idle_is_replaced_before_a_cached_hit(postgres_app, auth, client, monkeypatch):
    auth.as_role("community")
    assert client.get(DASHBOARD).status_code == 200
    engine = create_engine(postgres_app.config["SQLALCHEMY_DATABASE_URI"])
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
    assert killed >= 1
    later = database.time.monotonic() + 3600
    monkeypatch.setattr(database.time, "monotonic", lambda: later)
    assert client.get(DASHBOARD).status_code == 200


# --- PostgreSQL: a check still ends at once in every process ------------------------------------------


def test_a_logout_ends_the_session_in_another_process_at_once(postgres_app, other_process, auth, client):
    auth.as_role("community")
    elsewhere = other_process.test_client()
    same_cookie(client, elsewhere)
    for _ in range(2):  # the second of each is a cached hit
        assert client.get(DASHBOARD).status_code == 200
        assert elsewhere.get(DASHBOARD).status_code == 200
    assert auth.logout().status_code == 302
    refused = elsewhere.get(DASHBOARD)
    assert refused.status_code == 302 and "/admin/login" in refused.location
    with other_process.app_context():
        assert db.session.scalar(select(StaffSession.ended_at)) is not None


def test_a_disabled_account_is_refused_at_once_in_every_process(postgres_app, other_process, auth, client):
    auth.as_role("community")
    elsewhere = other_process.test_client()
    same_cookie(client, elsewhere)
    assert elsewhere.get(DASHBOARD).status_code == 200
    assert elsewhere.get(DASHBOARD).status_code == 200
    outside_write(postgres_app, update(StaffUser).values(is_active=False))
    assert elsewhere.get(DASHBOARD).status_code == 302
    assert client.get(DASHBOARD).status_code == 302


def test_a_password_change_ends_other_sessions_in_another_process(postgres_app, other_process, auth, client):
    auth.as_role("community")
    elsewhere = other_process.test_client()
    login(elsewhere)
    assert elsewhere.get(DASHBOARD).status_code == 200
    assert elsewhere.get(DASHBOARD).status_code == 200
    page = client.get("/admin/password")
    response = change_password(client, page)
    assert response.status_code == 302
    assert elsewhere.get(DASHBOARD).status_code == 302
    assert client.get(DASHBOARD).status_code == 200


def test_a_revoked_token_is_refused_in_another_process_at_once(postgres_app, other_process, client, make_staff):
    make_staff("district")
    with postgres_app.app_context():
        _token, secret = tokens.create_token("district")
    bearer = {"Authorization": f"Bearer {secret}"}
    elsewhere = other_process.test_client()
    for _ in range(2):
        assert client.get(API, headers=bearer).status_code == 200
        assert elsewhere.get(API, headers=bearer).status_code == 200
    with postgres_app.app_context():
        assert tokens.revoke_by_name("district", everything=True) == 1
    refused = elsewhere.get(API, headers=bearer)
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


# --- PostgreSQL: writes after a read outside a transaction stay atomic --------------------------------


def test_a_password_change_after_the_check_is_one_transaction(wire, auth, client):
    auth.as_role("community")
    page = client.get("/admin/password")
    wire.sent()
    response = change_password(client, page)
    assert response.status_code == 302
    sql = statements(wire.sent())
    assert is_login_check(sql[0]) and sql[1].startswith("BEGIN"), sql
    commit = sql.index("COMMIT")
    writes = [number for number, statement in enumerate(sql) if statement.startswith(("UPDATE", "INSERT"))]
    assert writes and all(1 < number < commit for number in writes), sql
    assert "UPDATE staff_user SET password_hash" in " ".join(sql[:commit])


def test_a_failed_write_after_the_check_leaves_nothing_behind(postgres_app, auth, client, monkeypatch):
    auth.as_role("community")
    other = postgres_app.test_client()
    login(other)
    real_record = services.audit.record

    def fail_after_flushing(*args, **kwargs):
        real_record(*args, **kwargs)
        db.session.flush()  # the new hash and the other session's end have reached the database
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services.audit, "record", fail_after_flushing)
    page = client.get("/admin/password")
    with pytest.raises(RuntimeError):
        client.post(
            "/admin/password",
            data={
                "current_password": STAFF_PASSWORD,
                "new_password": "a brand new secret",
                "confirm": "a brand new secret",
                "csrf_token": csrf_token(page.text),
            },
        )
    monkeypatch.undo()
    assert other.get(DASHBOARD).status_code == 200  # its session was not ended
    client.get("/admin/")
    auth.logout()
    assert auth.login("community").status_code == 302  # the old password still works


# --- Both engines: the account the check returns ------------------------------------------------------


def test_the_account_is_in_the_session_as_a_query_would_have_loaded_it(app, auth, client):
    auth.as_role("community")
    with app.app_context():
        session_id = db.session.scalar(select(StaffSession.id))
        db.session.remove()
        staff = services.load_session(session_id)
        assert staff.username == "community" and staff.get_id() == session_id and staff.is_authenticated
        assert staff in db.session and not db.session.dirty and not db.session.new
        assert staff.community.code == "lianhu" and staff.street is None  # lazy relationships load
        assert services.load_session(session_id) is staff  # the session's own copy the second time
        staff.last_login_at = None
        assert list(db.session.dirty) == [staff]
        db.session.rollback()


def test_the_check_sees_its_own_transactions_uncommitted_end(app, auth, client):
    auth.as_role("community")
    with app.app_context():
        session_id = db.session.scalar(select(StaffSession.id))
        db.session.execute(update(StaffSession).values(ended_at=StaffSession.created_at))
        assert services.load_session(session_id) is None  # read in the open transaction, as before
        db.session.rollback()
        staff = services.load_session(session_id)
        assert staff is not None
        staff.is_active = False  # not flushed yet: the check flushes first, as a query's autoflush did
        assert services.load_session(session_id) is None
        db.session.rollback()


def test_the_token_check_returns_the_account_in_the_session(app, make_staff):
    make_staff("street")
    with app.app_context():
        token, secret = tokens.create_token("street")
        token_id = token.id
        db.session.remove()
        staff = tokens.authenticate(secret)
        assert staff.username == "street" and staff in db.session and not db.session.dirty
        assert staff.street.code == "s-hehua"
        assert db.session.get(ApiToken, token_id).last_used_at is not None
        assert tokens.authenticate(secret) is staff
        assert tokens.authenticate(secret + "x") is None


# --- Both engines: the kept read connection ---------------------------------------------------------------


@pytest.fixture
def steady(app):
    app.config.update(STEADY)
    return app


def checkouts(app):
    """A list that grows by one for every connection checked out of ``app``'s pool from now on."""
    with app.app_context():
        engine = db.engine
    found = []
    event.listen(engine, "checkout", lambda *_args: found.append(1))
    return found


def test_cached_hits_check_nothing_out_of_the_pool(steady, auth, client):
    auth.as_role("community")
    first = client.get(DASHBOARD)  # welcome message, figures computed in a transaction
    page = client.get(DASHBOARD)
    taken = checkouts(steady)
    for _ in range(3):
        hit = client.get(DASHBOARD)
        assert hit.status_code == 200 and without_tokens(hit.text) == without_tokens(page.text)
    assert taken == [] and first.status_code == 200


def test_a_read_while_the_kept_connection_is_busy_uses_a_pooled_one(steady, auth, client):
    auth.as_role("community")
    client.get(DASHBOARD)
    page = client.get(DASHBOARD)
    taken = checkouts(steady)
    assert reads._kept.lock.acquire(blocking=False)  # another thread of this process is reading on it
    try:
        hit = client.get(DASHBOARD)
    finally:
        reads._kept.lock.release()
    assert hit.status_code == 200 and without_tokens(hit.text) == without_tokens(page.text)
    assert len(taken) == 1


def test_a_logout_is_seen_by_the_next_read_on_the_kept_connection(steady, auth, client):
    auth.as_role("community")
    assert client.get(DASHBOARD).status_code == 200
    auth.logout()
    assert client.get(DASHBOARD).status_code == 302  # to the login page


def test_a_forked_worker_leaves_its_parents_connection_alone(steady, auth, client):
    auth.as_role("community")
    assert client.get(DASHBOARD).status_code == 200
    parents = reads._kept.connection
    assert parents is not None
    reads._kept.after_fork()  # what os.fork runs in the child
    try:
        assert reads._kept.connection is None and not parents.closed and parents in reads._INHERITED
        assert client.get(DASHBOARD).status_code == 200
        assert reads._kept.connection is not parents  # the child opened its own
    finally:
        reads._INHERITED.remove(parents)
        parents.close()


def test_disposing_the_engine_closes_the_kept_connection(steady, auth, client):
    auth.as_role("community")
    assert client.get(DASHBOARD).status_code == 200
    kept = reads._kept.connection
    with steady.app_context():
        db.engine.dispose()
    assert reads._kept.connection is None and kept.invalidated
    assert client.get(DASHBOARD).status_code == 200


def test_a_kept_connection_the_server_closed_is_replaced_and_the_read_made_again(
    postgres_app, auth, client, monkeypatch
):
    postgres_app.config["DATABASE_PING_AFTER_IDLE"] = 3600  # no ping first: the read itself must fail
    warned = []
    monkeypatch.setattr(reads.log, "warning", lambda message, *args: warned.append(message % args))
    auth.as_role("community")
    page = client.get(DASHBOARD)
    page = client.get(DASHBOARD)
    engine = create_engine(postgres_app.config["SQLALCHEMY_DATABASE_URI"])
    kept_pid = reads._kept.connection.connection.dbapi_connection.info.backend_pid
    try:
        with engine.begin() as connection:
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": kept_pid})
    finally:
        engine.dispose()
    hit = client.get(DASHBOARD)  # the read fails on the closed connection and is made again on a new one
    assert hit.status_code == 200 and without_tokens(hit.text) == without_tokens(page.text)
    assert any("kept read connection was lost" in message for message in warned), warned
    assert reads._kept.connection.connection.dbapi_connection.info.backend_pid != kept_pid


def test_a_read_that_fails_leaves_the_next_one_a_fresh_connection(steady, auth, client, monkeypatch):
    auth.as_role("community")
    assert client.get(DASHBOARD).status_code == 200
    kept = reads._kept.connection
    with steady.app_context():
        broken = select(text("no_such_column")).select_from(StaffUser)
        with pytest.raises(DBAPIError):
            reads.first(broken)
    assert reads._kept.connection is None and kept.invalidated
    assert client.get(DASHBOARD).status_code == 200


# --- Both engines: fixed statements sent through the driver ---------------------------------------------------


def test_a_fixed_read_gives_what_sqlalchemy_gives_by_position_and_by_name(steady, auth, client):
    auth.as_role("community")
    with steady.app_context():
        session_id = db.session.scalar(select(StaffSession.id))
        db.session.remove()
        fast = reads.first(services._LIVE_SESSION, {"session_id": session_id})
        assert not db.session.info.get(reads._IN_TRANSACTION)  # it went on the kept connection
        slow = db.session.execute(services._LIVE_SESSION.statement, {"session_id": session_id}).first()
        db.session.rollback()
    assert tuple(fast) == tuple(slow) and fast._fields == tuple(slow._fields)
    # SQLite stores times as text and booleans as integers: they come back as Python's own types.
    assert [type(value) for value in fast] == [type(value) for value in slow]
    assert fast.username == "community" and fast.is_active is True and fast.last_login_at.year >= 2026
    assert fast.stamp_newest == slow.stamp_newest


def test_a_fixed_read_refuses_a_missing_value_and_a_failing_one_leaves_a_fresh_connection(steady, auth, client):
    auth.as_role("community")
    assert client.get(DASHBOARD).status_code == 200
    kept = reads._kept.connection
    with steady.app_context():
        with pytest.raises(ValueError, match="session_id"):
            reads.first(services._LIVE_SESSION, {})
        with pytest.raises(ValueError, match="IN list"):  # its SQL would only be complete when it runs
            reads.first(reads.Fixed(select(StaffUser.id).where(StaffUser.id.in_([1, 2]))))
        with pytest.raises(DBAPIError):
            reads.first(reads.Fixed(select(text("no_such_column")).select_from(StaffUser)))
    assert reads._kept.connection is None and kept.invalidated
    assert client.get(DASHBOARD).status_code == 200
