"""The benchmark's databases: a cached "golden" database per size and schema, and a fresh working copy per run.

A golden database is built once (the migrations, the demo content, the extra communities of
``stats_bench.prepare``, the bench's staff accounts, then responses through the product's CLI
``simulate-responses``), then reused while responses, communities and the schema (the migrations, the demo content
and the rollup code) stay the same. Every run works on a copy, so the responses the load test adds
never leak into the next run. On PostgreSQL the golden database is a separate database on the server
``DATABASE_URL`` names (``civic_bench_<key>``) and the copy is ``CREATE DATABASE … TEMPLATE``; the
database named in ``DATABASE_URL`` itself is never written.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TMP = ROOT / "bench" / "results" / "tmp"
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
# The bench's own throwaway databases only: the driver signs residents' cookies with this key.
SECRET_KEY = "bench-secret-key-not-for-production-0123456789"  # noqa: S105
STAFF_PASSWORD = "bench-password-123"  # noqa: S105 (stats_bench.py's admin uses the same)
# (username, role, community code): who logs in to the dashboards during the load test.
STAFF = [("bench-district", "district", None), ("bench-lianhu", "community", "lianhu")]
SIMULATED = re.compile(r"Stored (\d+) responses in ([\d.]+) s \((\d+)/s\)")


def schema_key():
    """A short hash of what shapes a built database: migrations, demo content and the rollup code."""
    digest = hashlib.sha256()
    files = sorted((ROOT / "migrations" / "versions").glob("*.py"))
    files += [ROOT / "survey" / "demo_data.py", ROOT / "survey" / "stats" / "rollup.py"]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def product_env(url, **extra):
    """Environment for the product's CLI and server on database ``url``."""
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET_KEY, FLASK_APP="app", PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


def flask(url, *args, stdin=None, check=True):
    """Run ``flask --app app ARGS`` on database ``url``; return the completed process."""
    result = subprocess.run(
        [*FLASK, *args], cwd=ROOT, env=product_env(url), input=stdin, capture_output=True, text=True, check=False
    )
    if check and result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def simulate(url, count, seed):
    """``flask simulate-responses --count COUNT``; return ``{count, seconds, rate}`` from its own report."""
    started = time.perf_counter()
    output = flask(url, "simulate-responses", "--count", str(count), "--seed", str(seed)).stdout
    wall = time.perf_counter() - started
    match = SIMULATED.search(output)
    if not match:
        raise RuntimeError(f"unexpected simulate-responses output: {output!r}")
    stored, seconds = int(match.group(1)), float(match.group(2))
    return {
        "count": stored,
        "seconds": round(seconds, 2),
        "rate": round(stored / seconds) if seconds else None,
        "wall_seconds": round(wall, 2),
    }


def _schema_and_content(url, communities):
    """Migrations, the demo content (seed-demo's ``load_demo``), communities up to ``communities`` and staff.

    In this process rather than four CLI calls: each ``flask`` start costs a second or more here, and
    only simulate-responses' own rate is being measured.
    """
    from flask_migrate import upgrade

    from survey import create_app
    from survey.auth.services import create_staff
    from survey.extensions import db

    from .stats_bench import prepare

    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    prepare(app, communities, 0)  # load_demo when empty, extra streets and communities, the "bench" admin
    with app.app_context():
        for username, role, community_code in STAFF:
            create_staff(username, STAFF_PASSWORD, role, community_code=community_code)
        db.session.remove()
        db.engine.dispose()


def sqlalchemy_url(url):
    """The URL with the driver the product uses (psycopg 3 for PostgreSQL)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def build(url, responses, communities, budget=None, log=print):
    """Fill an empty database at ``url``; return the simulate figures (``requested`` and what was stored).

    With ``budget`` (seconds), a first slice measures simulate-responses' rate and the count is cut
    to what fits in the budget, so a slow simulator shrinks the quick run instead of blowing its time.
    """
    _schema_and_content(url, communities)
    target, runs = responses, []
    if budget is not None and responses > 2000:
        probe = max(2000, responses // 25)
        runs.append(simulate(url, probe, seed=1))
        rate = runs[-1]["rate"] or 1
        fits = probe + int(rate * max(0.0, budget - runs[-1]["wall_seconds"]))
        target = min(responses, max(probe, fits // 1000 * 1000))
        if target < responses:
            log(
                f"  simulate-responses runs at {rate}/s: building {target:,} responses instead of {responses:,} "
                f"to stay within {budget:.0f} s"
            )
    done = sum(run["count"] for run in runs)
    if target > done:
        runs.append(simulate(url, target - done, seed=2))
    stored = sum(run["count"] for run in runs)
    seconds = sum(run["seconds"] for run in runs)
    return {
        "requested": responses,
        "stored": stored,
        "seconds": round(seconds, 2),
        "rate": round(stored / seconds) if seconds else None,
    }


class SqliteStore:
    """Golden SQLite files under bench/results/tmp/, copied for each run."""

    engine = "sqlite"

    def __init__(self, responses, communities, key):
        self.key = key
        self.name = f"golden-sqlite-{responses}-{communities}-{key}"
        self.golden = TMP / f"{self.name}.db"
        self.meta_path = TMP / f"{self.name}.json"
        self.work = TMP / "work-sqlite.db"

    def meta(self):
        """The build record of a usable golden database, or None."""
        if self.golden.exists() and self.meta_path.exists():
            return json.loads(self.meta_path.read_text())
        return None

    def build(self, responses, communities, budget, log):
        """Build the golden database (under a temporary name until it is complete)."""
        TMP.mkdir(parents=True, exist_ok=True)
        for stale in TMP.glob("golden-sqlite-*"):
            if stale.name.split(".")[0].rsplit("-", 1)[-1] != self.key:
                stale.unlink()  # built for an older schema: never usable again (other sizes stay)
        partial = TMP / f"{self.name}.partial.db"
        for path in TMP.glob(f"{partial.name}*"):
            path.unlink()
        figures = build(f"sqlite:///{partial}", responses, communities, budget, log)
        with sqlite3.connect(partial) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ("-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        partial.rename(self.golden)
        self.meta_path.write_text(json.dumps(figures))
        return figures

    def fresh_copy(self):
        """Replace the working copy with the golden database; return its URL.

        The copy is flushed to disk before any load: otherwise the first checkpoint of the timed writes
        would also flush the whole copied gigabyte, and the kernel's writeback of it would run under load.
        """
        self.drop_copy()
        shutil.copyfile(self.golden, self.work)
        os.sync()
        return f"sqlite:///{self.work}"

    def drop_copy(self):
        """Delete the working copy (and the lock file its writers queue on, survey.database.one_writer)."""
        from survey.database import WRITER_LOCK_SUFFIX

        for suffix in ("", "-wal", "-shm", WRITER_LOCK_SUFFIX):
            Path(f"{self.work}{suffix}").unlink(missing_ok=True)


class PostgresStore:
    """Golden databases on the PostgreSQL server of ``DATABASE_URL``, copied with CREATE DATABASE … TEMPLATE."""

    engine = "postgresql"

    def __init__(self, server_url, responses, communities, key):
        from sqlalchemy.engine import make_url

        self.server = make_url(sqlalchemy_url(server_url))
        self.golden_name = f"civic_bench_{hashlib.sha256(f'{responses}-{communities}-{key}'.encode()).hexdigest()[:12]}"
        self.work_name = "civic_bench_work"
        self.key = key
        self.meta_path = TMP / f"golden-postgresql-{responses}-{communities}-{key}.json"

    def url(self, database):
        """SQLAlchemy URL of ``database`` on the server."""
        return self.server.set(database=database).render_as_string(hide_password=False)

    def _admin(self, statement, parameters=None, database=None):
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that); return its rows."""
        import psycopg

        server = self.server.set(drivername="postgresql")
        conninfo = (server.set(database=database) if database else server).render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as connection:
            cursor = connection.execute(statement, parameters)
            return cursor.fetchall() if cursor.description else []

    def _exists(self, name):
        return bool(self._admin("SELECT 1 FROM pg_database WHERE datname = %s", (name,)))

    def _drop(self, name):
        self._admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        self._admin(f'DROP DATABASE IF EXISTS "{name}"')

    def meta(self):
        """The build record of a usable golden database, or None."""
        if self.meta_path.exists() and self._exists(self.golden_name):
            meta = json.loads(self.meta_path.read_text())
            if meta.get("server") == self.url(""):
                return meta
        return None

    def build(self, responses, communities, budget, log):
        """Build the golden database; the build record is written only once it is complete."""
        TMP.mkdir(parents=True, exist_ok=True)
        self.meta_path.unlink(missing_ok=True)
        self._drop_stale()
        self._drop(self.golden_name)
        self._admin(f'CREATE DATABASE "{self.golden_name}"')
        figures = build(self.url(self.golden_name), responses, communities, budget, log)
        self._admin("VACUUM ANALYZE", database=self.golden_name)
        # Written out now: PostgreSQL's checkpointer would otherwise spread the gigabyte just built over the
        # next minutes, under the SQLite engine's load (one such run read a 248 ms SQLite submission p99,
        # against 50-56 ms in runs without it).
        self._checkpoint()
        self.meta_path.write_text(json.dumps({**figures, "server": self.url(""), "database": self.golden_name}))
        return figures

    def _drop_stale(self):
        """Drop golden databases no build record of the current schema names (they can never be reused)."""
        records = TMP.glob(f"golden-postgresql-*-{self.key}.json")
        keep = {json.loads(path.read_text()).get("database") for path in records}
        for (name,) in self._admin("SELECT datname FROM pg_database WHERE datname LIKE 'civic\\_bench\\_%'"):
            if name not in keep and name not in (self.work_name, "civic_bench_baseline"):
                self._drop(name)
        for path in TMP.glob("golden-postgresql-*.json"):
            if not path.name.endswith(f"-{self.key}.json"):
                path.unlink()

    def fresh_copy(self):
        """Replace the working database with a copy of the golden one; return its URL."""
        self._drop(self.work_name)
        self._admin(f'CREATE DATABASE "{self.work_name}" TEMPLATE "{self.golden_name}"')
        self._checkpoint()  # written out before any load, as the SQLite copy is
        return self.url(self.work_name)

    def _checkpoint(self):
        """Write every changed page out to disk now (a checkpoint needs the right to run one)."""
        try:
            self._admin("CHECKPOINT")
        except Exception as error:  # noqa: BLE001  (a server that refuses only leaves the writeback to run later)
            print(f"CHECKPOINT refused ({error}); the database is written back while the load runs", file=sys.stderr)
        os.sync()

    def drop_copy(self):
        """Drop the working database."""
        self._drop(self.work_name)

    def baseline_url(self):
        """A fresh, empty database for the bare insert baseline."""
        name = "civic_bench_baseline"
        self._drop(name)
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)
