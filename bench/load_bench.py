"""Submissions under load on the real server (issue 5): sent, acknowledged, stored, lost, doubled, 5xx.

Starts gunicorn with the repository's gunicorn.conf.py on a fresh database (a SQLite file, and a PostgreSQL
database of its own when one is reachable), drives simulated residents through the whole survey (each with
their own cookies and CSRF token; some retake, some double-tap the final button), then compares what they
were shown with the database and runs ``flask stats check``. With ``--kill-after N`` it kills the master and
the workers with SIGKILL after N acknowledged submissions, restarts like a deploy, and carries on.

    .venv/bin/python bench/load_bench.py --submissions 2000 --concurrency 50 --workers 4
    .venv/bin/python bench/load_bench.py --database sqlite --submissions 2000 --kill-after 1000

Prints one line of counts per database and writes bench/results/load.json. Loopback only; every request
has a timeout and each run a deadline. Exits 1 when anything was lost, doubled or answered with a 5xx.
"""

import argparse
import json
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.system.harness import (  # noqa: E402  (after the path set-up above)
    PostgresDatabase,
    Server,
    SqliteDatabase,
    postgres_server_url,
    stats_check,
)
from tests.system.residents import LoadPlan, Tally, run_load, verify  # noqa: E402


def run_one(database, args, workdir):
    """Prepare, start, load (and maybe kill and restart) one server; return the result record."""
    secret_key = secrets.token_hex(32)
    server = Server(database, workdir, secret_key, workers=args.workers, name=f"bench-{database.kind}")
    server.prepare()
    server.start()
    tally, residents = Tally(), []
    started = time.monotonic()
    record = {"database": database.kind, "workers": args.workers, "concurrency": args.concurrency}
    try:
        if args.kill_after:
            stop = threading.Event()
            plan = LoadPlan(submissions=args.submissions, concurrency=args.concurrency, deadline=args.deadline)
            load = threading.Thread(
                target=run_load,
                args=([server.base_url], plan),
                kwargs={"tally": tally, "stop": stop, "residents": residents},
            )
            load.start()
            # Kill once enough are acknowledged and some final submissions are on their way.
            while (
                len(tally.acknowledged) < args.kill_after or tally.sent - len(tally.acknowledged) < 3
            ) and load.is_alive():
                time.sleep(0.01)
            stop.set()  # from now on a dropped connection ends a resident quietly
            killed = server.kill9()
            load.join(60)
            before = len(tally.acknowledged)
            record.update(killed_processes=len(killed), acknowledged_before_kill=before)
            server.migrate()
            record["integrity_problems_after_kill"] = database.integrity_problems()
            record["stats_check_after_kill"] = stats_check(server)[0]
            server.start()
            cut_off = [resident for resident in residents if resident.pending]
            for resident in cut_off:  # they press "submit" again (or reload the result page)
                resident.resume()
            record["resubmitted_after_kill"] = len(cut_off)
            remaining = max(0, args.submissions - tally.sent)
            run_load(
                [server.base_url],
                LoadPlan(submissions=remaining, concurrency=args.concurrency, deadline=args.deadline, seed=2),
                tally=tally,
                residents=residents,
            )
        else:
            run_load(
                [server.base_url],
                LoadPlan(submissions=args.submissions, concurrency=args.concurrency, deadline=args.deadline),
                tally=tally,
                residents=residents,
            )
        elapsed = time.monotonic() - started
        count = verify(database, secret_key, tally, residents)
        checked, output = stats_check(server)
    finally:
        server.stop()
    record.update(
        sent=count.sent,
        acknowledged=count.acknowledged,
        stored=count.stored,
        lost=count.lost,
        doubled=count.doubled,
        server_errors=count.server_errors,
        requests=tally.requests,
        seconds=round(elapsed, 1),
        submissions_per_second=round(count.acknowledged / elapsed, 2),
        stats_check=checked,
        problems=count.problems[:20],
        journey_errors=tally.journey_errors[:20],
    )
    print(
        f"{count.line()} in {elapsed:.0f}s ({count.acknowledged / elapsed:.1f} submissions/s, "
        f"{tally.requests} requests); stats check: {output}",
        flush=True,
    )
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--kill-after", type=int, default=0, help="kill -9 after this many acknowledged")
    parser.add_argument("--deadline", type=float, default=1800, help="seconds allowed per load run")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "load.json"))
    args = parser.parse_args()

    records = []
    with tempfile.TemporaryDirectory(prefix="load-bench-") as workdir:
        if args.database in {"sqlite", "both"}:
            records.append(run_one(SqliteDatabase(workdir), args, workdir))
        if args.database in {"postgresql", "both"}:
            server_url = postgres_server_url()
            if server_url is None:
                print("[postgresql] no PostgreSQL reachable (set TEST_DATABASE_URL); skipped", flush=True)
            else:
                database = PostgresDatabase(server_url)
                try:
                    records.append(run_one(database, args, workdir))
                finally:
                    database.drop()
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(
        json.dumps({"runs": records, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, indent=2)
    )
    bad = [
        record
        for record in records
        if record["lost"]
        or record["doubled"]
        or record["server_errors"]
        or record["problems"]
        or record["journey_errors"]
        or not record["stats_check"]
        or (not args.kill_after and record["acknowledged"] != record["sent"])
    ]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
