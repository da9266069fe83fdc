"""System-test harness: the real gunicorn server on a fresh database of its own (SQLite or PostgreSQL).

Used by tests/system/ and bench/load_bench.py (the residents that load it are in residents.py). Everything
stays on the loopback interface. The server is started exactly as in production
(``gunicorn -c gunicorn.conf.py app:app``, migrated with ``flask db upgrade``, seeded with ``flask seed-demo``)
in a process group of its own, so ``kill -9`` can take the master and every worker down at once.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .residents import Browser

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
LOOPBACK = "127.0.0.1"
# Generous resident limits for the load tests: 50 simulated residents share one loopback address.
LOAD_LIMITS = {
    "SUBMIT_LIMIT_PER_CLIENT": "1000000 per minute",
    "SURVEY_LIMIT_PER_CLIENT": "1000000 per minute",
    "CHECK_LIMIT_PER_CLIENT": "1000000 per minute",
}


def free_port():
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def sqlalchemy_url(url):
    """Normalise postgres:// URLs to the psycopg driver, as survey/config.py does."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# ---------------------------------------------------------------------------------------------- databases


class SqliteDatabase:
    """A SQLite file in a directory of its own."""

    kind = "sqlite"

    def __init__(self, directory):
        self.path = Path(directory) / "survey.db"
        self.url = f"sqlite:///{self.path}"

    def integrity_problems(self):
        """``PRAGMA integrity_check``, ``foreign_key_check`` and the row checks: an empty list when all is sound."""
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                integrity = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
                foreign = list(connection.exec_driver_sql("PRAGMA foreign_key_check"))
        finally:
            engine.dispose()
        problems = [] if integrity == ["ok"] else integrity
        return problems + [f"foreign key: {row}" for row in foreign] + consistency_problems(self.url)

    def drop(self):
        """Nothing to do: the temporary directory goes with the test."""


class PostgresDatabase:
    """A database of its own on a PostgreSQL server (or, without CREATEDB rights, a schema of its own)."""

    kind = "postgresql"

    def __init__(self, server_url):
        self.server_url = make_url(sqlalchemy_url(server_url))
        self.name = f"survey_system_{secrets.token_hex(4)}"
        self.schema = None
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                try:
                    connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
                    url = self.server_url.set(database=self.name)
                except Exception:  # noqa: BLE001  (no CREATEDB right: fall back to a schema)
                    self.schema = self.name
                    connection.exec_driver_sql(f'CREATE SCHEMA "{self.schema}"')
                    url = self.server_url.update_query_dict({"options": f"-csearch_path={self.schema}"})
        finally:
            admin.dispose()
        self.url = url.render_as_string(hide_password=False)

    def integrity_problems(self):
        """PostgreSQL replays its own WAL after a crash; check that it answers and that the rows hang together."""
        return consistency_problems(self.url)

    def drop(self):
        """Remove the database (or schema) again."""
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                if self.schema:
                    connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
                else:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            admin.dispose()


def consistency_problems(url):
    """Rows a half-written submission would leave: a response without answers (they are packed in its row),
    a public id stored twice, a participant counted twice in one version."""
    checks = {
        "responses without answers": "SELECT count(*) FROM response WHERE answers IS NULL OR answers NOT LIKE '[[%]]'",
        "public ids stored twice": "SELECT count(*) FROM (SELECT public_id FROM response GROUP BY public_id "
        "HAVING count(*) > 1) d",
        "participants counted twice": "SELECT count(*) FROM (SELECT version_id, participant_hash FROM response "
        "WHERE is_counted GROUP BY version_id, participant_hash HAVING count(*) > 1) d",
    }
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = {what: connection.execute(text(query)).scalar() for what, query in checks.items()}
    finally:
        engine.dispose()
    return [f"{count} {what}" for what, count in found.items() if count]


def postgres_server_url():
    """TEST_DATABASE_URL when set, else a local PostgreSQL if one answers; None when there is none."""
    candidates = (
        [os.environ.get("TEST_DATABASE_URL")]
        if os.environ.get("TEST_DATABASE_URL")
        else [
            f"postgresql+psycopg://{user}@{LOOPBACK}:5432/{name}"
            for user in ("postgres", "root")
            for name in ("test", "postgres")
        ]
    )
    for candidate in candidates:
        if candidate.startswith("sqlite"):
            continue
        engine = create_engine(sqlalchemy_url(candidate), connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return sqlalchemy_url(candidate)
        except Exception:  # noqa: BLE001,S112  (unreachable or refused: try the next one)
            continue
        finally:
            engine.dispose()
    return None


def redis_url(db_number=13):
    """A Redis database of the tests' own (SYSTEM_TEST_REDIS_URL overrides), or None when Redis is not there."""
    url = os.environ.get("SYSTEM_TEST_REDIS_URL", f"redis://{LOOPBACK}:6379/{db_number}")
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=3)
        client.ping()
        client.close()
    except Exception:  # noqa: BLE001  (not installed or not running)
        return None
    return url


def require(what, found):
    """Return ``found``; without it skip the test locally, and fail it in CI (a service must never be skipped)."""
    import pytest

    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{what} is needed for this system test and is not reachable")
    pytest.skip(f"{what} is not reachable")


def flush_redis(url):
    """Empty the tests' Redis database so earlier runs' counters do not leak in."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=3)
    try:
        client.flushdb()
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------- server


class ServerError(RuntimeError):
    """The server could not be prepared or did not come up; carries the end of its log."""


class Server:
    """One gunicorn instance (master + workers) of the real application, in its own process group."""

    def __init__(self, database, workdir, secret_key, workers=3, port=None, extra_env=None, name="server"):
        self.database, self.workdir, self.secret_key = database, Path(workdir), secret_key
        self.workers, self.port = workers, port or free_port()
        self.extra_env, self.name = dict(extra_env or {}), name
        self.process, self.log_path = None, self.workdir / f"{name}.log"
        self.workdir.mkdir(parents=True, exist_ok=True)

    @property
    def base_url(self):
        return f"http://{LOOPBACK}:{self.port}"

    def env(self):
        """The server's environment: a production configuration, on plain HTTP over loopback."""
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"TEST_DATABASE_URL", "REDIS_URL", "DATABASE_URL", "PORT", "BIND", "WEB_CONCURRENCY"}
        }
        env.update(
            {
                "DATABASE_URL": self.database.url,
                "SECRET_KEY": self.secret_key,
                "SURVEY_ENV": "production",
                "SECURE_COOKIES": "0",  # plain HTTP on loopback; production sits behind TLS
                "BIND": f"{LOOPBACK}:{self.port}",
                "WEB_CONCURRENCY": str(self.workers),
                "PYTHONUNBUFFERED": "1",
                **LOAD_LIMITS,
            }
        )
        env.update(self.extra_env)
        return env

    def flask(self, *args, timeout=120, stdin=None):
        """Run ``flask --app app …`` against this server's database; returns the CompletedProcess."""
        return subprocess.run(
            [str(BIN / "flask"), "--app", "app", *args],
            cwd=ROOT,
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def prepare(self):
        """Migrate and load the demo content, as a first deploy would."""
        self.migrate()
        seeded = self.flask("seed-demo", "--if-empty")
        if seeded.returncode:
            raise ServerError(f"seed-demo failed:\n{seeded.stdout}\n{seeded.stderr}")

    def migrate(self):
        """``flask db upgrade`` (every deploy runs it; a no-op when the schema is current). Returns its output."""
        upgraded = self.flask("db", "upgrade")
        if upgraded.returncode:
            raise ServerError(f"db upgrade failed:\n{upgraded.stdout}\n{upgraded.stderr}")
        return upgraded.stdout + upgraded.stderr

    def start(self, deadline=60):
        """Start gunicorn and wait until /healthz answers 200."""
        log = open(self.log_path, "ab")  # noqa: SIM115  (kept open for the life of the process)
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "app:app"],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.wait_healthy(deadline)
        return self

    def wait_healthy(self, deadline=60):
        """Poll /healthz until it answers 200 with status ok; raise ServerError with the log otherwise."""
        until = time.monotonic() + deadline
        while time.monotonic() < until:
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                reply = Browser(self.base_url, timeout=3).get("/healthz")
                if reply.status == 200 and '"ok"' in reply.text:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise ServerError(f"/healthz did not answer within {deadline}s:\n{self.log_tail()}")

    def worker_pids(self):
        """The pids of the master's children (the workers), read from /proc."""
        if self.process is None:
            return []
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(entry.name))
        return children

    def kill9(self):
        """SIGKILL the master and every worker at once (the whole process group); return the pids killed."""
        pids = [self.process.pid, *self.worker_pids()]
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        until = time.monotonic() + 10
        while time.monotonic() < until and any(_alive(pid) for pid in pids):
            time.sleep(0.05)
        return pids

    def stop(self):
        """Stop gracefully (SIGTERM to the master), then make sure nothing of the group is left."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def log_tail(self, lines=40):
        """The last lines of the server's log, for failure messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _alive(pid):
    """True while a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stats_check(server):
    """``flask stats check``: the rollups against a recount from the raw answers. Returns (ok, output)."""
    checked = server.flask("stats", "check")
    return checked.returncode == 0, (checked.stdout + checked.stderr).strip()
