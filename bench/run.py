"""``make bench`` / ``make bench-quick``: the site under load at campaign scale, read as ratios to bare Flask.

One run: builds (or reuses) a database of N simulated responses over M communities on SQLite, and on
PostgreSQL when ``DATABASE_URL`` names one; serves a bare baseline app and then the product with gunicorn
and the repo's gunicorn.conf.py on loopback; drives each with wrk (2 threads, 32 connections, bounded in
time); streams the raw export and checks the statistics against a recount; writes bench/results/*.json
and prints every figure as a ratio to its baseline with the issue's targets.

    .venv/bin/python -m bench.run                 # full: 1,000,000 responses, 10 s per scenario
    .venv/bin/python -m bench.run --quick         # CI: 50,000 responses, 2 s per scenario, fails only below half
"""

import argparse
import json
import multiprocessing
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import report
from .dataset import FLASK, ROOT, TMP, PostgresStore, SqliteStore, product_env, schema_key, simulate
from .load import CONNECTIONS, WARMUP_CONNECTIONS, Server, judge, measure, request, run_wrk
from .residents import Residents, api_token, count_responses, product_app, staff_cookie

RESULTS = ROOT / "bench" / "results"
# The product's residents' and login limits would stop a load test from one address; raised, not switched
# off, so the limiter's own cost stays in the measurement.
SERVER_LIMITS = {
    "SUBMIT_LIMIT_PER_CLIENT": "10000000 per hour",
    "SURVEY_LIMIT_PER_CLIENT": "10000000 per hour",
    "CHECK_LIMIT_PER_CLIENT": "10000000 per hour",
    "LOGIN_LIMIT_PER_CLIENT": "1000 per hour",
    "LOGIN_LIMIT_PER_ACCOUNT": "1000 per hour",
}


STARTED = time.perf_counter()


def log(message):
    """Progress on standard error (with the seconds since the start), so standard output is just the table."""
    print(f"{time.perf_counter() - STARTED:6.1f}s {message}", file=sys.stderr, flush=True)


def parse_args(argv=None):
    """Command-line options; --quick changes the defaults."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI mode: small, short, fails only below half a target")
    parser.add_argument("--responses", type=int, help="responses in the database (1,000,000; quick 50,000)")
    parser.add_argument("--communities", type=int, default=500)
    parser.add_argument("--duration", type=int, help="seconds per timed scenario (10; quick 2)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up (4 connections) before each scenario")
    parser.add_argument(
        "--build-budget",
        type=float,
        help="seconds simulate-responses may take per database; fewer responses are built when it "
        "is slower (quick: 15; full: no limit)",
    )
    parser.add_argument(
        "--rate-probe",
        type=int,
        help="responses simulated into the working copy to measure the rate when the database "
        "comes from the cache (100,000)",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL server URL (default: DATABASE_URL when it names PostgreSQL)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--rebuild", action="store_true", help="ignore cached databases")
    parser.add_argument(
        "--advisory",
        nargs="*",
        metavar="ENGINE",
        help="print the targets of these engines (all when none is named) but fail on them only "
        "when the run is broken (CI, for an engine whose targets are not met yet)",
    )
    parser.add_argument("--output", type=Path, help="JSON file (bench/results/bench.json; quick bench-quick.json)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.responses = args.responses or (50_000 if quick else 1_000_000)
    # Quick: 2 s keeps the whole run (both engines, databases built) within two minutes on this host.
    args.duration = args.duration or (2 if quick else 10)
    args.build_budget = args.build_budget if args.build_budget is not None else (15 if quick else None)
    # Enough responses that the command's start (scoring every possible answer once) does not dominate, and
    # five of its batches: with more than one, a second process makes them while the first writes them.
    args.rate_probe = args.rate_probe if args.rate_probe is not None else 100_000
    args.output = args.output or RESULTS / ("bench-quick.json" if quick else "bench.json")
    if args.no_postgres or not re.match(r"postgres(ql)?(\+\w+)?://", args.postgres or ""):
        args.postgres = ""
    return args


def stores(args):
    """The database stores of this run: SQLite always, PostgreSQL when a server was named."""
    key = schema_key()
    found = {"sqlite": SqliteStore(args.responses, args.communities, key)}
    if args.postgres:
        found["postgresql"] = PostgresStore(args.postgres, args.responses, args.communities, key)
    return found


def prepare_database(store, args):
    """Build or reuse the golden database; return its description."""
    meta = None if args.rebuild else store.meta()
    if meta is not None and meta["stored"] < meta["requested"]:
        # Cut to the build budget when simulate was slow: build again, so it grows once simulate is fast.
        log(f"[{store.engine}] the cached database has {meta['stored']:,} of {meta['requested']:,} responses")
        meta = None
    if meta is None:
        log(
            f"[{store.engine}] building {args.responses:,} responses over {args.communities} communities "
            "(migrations, demo content, then flask simulate-responses)…"
        )
        meta = store.build(args.responses, args.communities, args.build_budget, log)
        simulated = {
            "rate": meta["rate"],
            "count": meta["stored"],
            "seconds": meta["seconds"],
            "source": "measured while building",
        }
        cached = False
    else:
        log(f"[{store.engine}] reusing the cached database of {meta['stored']:,} responses")
        simulated, cached = None, True
    return {
        "requested": meta["requested"],
        "responses": meta["stored"],
        "communities": args.communities,
        "cached": cached,
        "simulate": simulated,
        "built_at_rate": meta["rate"],
    }


def _baseline_server(store=None):
    """The bare app's server, with a fresh SQLite file and, for ``store`` on PostgreSQL, its baseline database."""
    sqlite_path = TMP / "baseline.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    env = dict(os.environ, BASELINE_SQLITE_PATH=str(sqlite_path))
    env.pop("DATABASE_URL", None)
    if store is not None and store.engine == "postgresql":
        env["BASELINE_POSTGRES_URL"] = store.baseline_url()
    return Server("baseline", "baseline_app:app", env, chdir=ROOT / "bench", ready_path="/hello")


def measure_baselines(args):
    """The bare app's hello, served by the same gunicorn config: how fast the machine is (the ratios read against
    each engine's own baselines, ``measure_engine_baselines``)."""
    with _baseline_server() as server:
        log("[baseline] hello")
        return {"hello": measure(server, "/hello", "get.lua", args.duration, args.warmup, 200)}


def measure_engine_baselines(server, engine, args):
    """The bare template page and one-row insert on ``engine`` (``server``: the bare app's), measured just before
    that engine's scenarios; ``bracket`` measures each again just after the scenario read against it.

    Each product figure is divided by these. Measured at the start of the run instead, they were minutes
    older than the later engine's figures, and the shared host's speed moves within minutes: the survey
    page, which makes no query, came out 0.711 and 0.697 of one template page measurement on the two
    engines in one run.
    """
    log(f"[{engine}] baselines: template page, one-row insert")
    return {"template_page": _template_page(server, args), f"insert_{engine}": _insert(server, engine, args)}


def _template_page(server, args):
    return measure(server, "/page", "get.lua", args.duration, args.warmup, 200)


def _insert(server, engine, args):
    return measure(
        server, f"/insert/{engine}", "post.lua", args.duration, args.warmup, 201, args=["name=resident&value=42"]
    )


def bracket(before, after):
    """One baseline from its runs just before and just after the product's scenario (an A-B-A design).

    The shared host's speed drifts by a fifth within minutes (a bare template page measured 2,643 and then
    2,052 req/s four minutes apart, on one engine and the other, on 2026-12-07), so a ratio against one
    run before the scenario moved with it. Against the mean of the two runs around it, a steady drift
    cancels out. Both runs are kept under ``runs``; the baseline is broken when either is.
    """
    runs = [before, after]
    figures = {
        key: round(sum(run[key] for run in runs) / len(runs), 1 if key == "rps" else 2)
        for key in ("rps", "p50_ms", "p90_ms", "p99_ms", "max_ms")
    }
    problems = [run["problem"] for run in runs if run.get("problem")]
    return {
        **figures,
        "requests": sum(run["requests"] for run in runs),
        "seconds": round(sum(run["seconds"] for run in runs), 2),
        "bytes_per_request": before["bytes_per_request"],
        "ok": all(run["ok"] for run in runs),
        **({"problem": "; ".join(problems)} if problems else {}),
        "runs": runs,
    }


def settled_count(url, timeout=60):
    """Responses stored, once the count stops changing (the last requests of a run are still being stored)."""
    count, deadline = count_responses(url), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.3)
        again = count_responses(url)
        if again == count:
            break
        count = again
    return count


def measure_submissions(server, residents, url, args, insert_rps):
    """Distinct residents' final submissions; every request must store exactly one response."""
    path = server.base + residents.submit_path
    check_cookie, check_body = residents.submission()
    before = count_responses(url)
    status, headers, body = request(
        "POST", path, check_body, {"Cookie": check_cookie, "Content-Type": "application/x-www-form-urlencoded"}
    )
    if status != 302 or "/survey/result/" not in (headers.get("Location") or "") or count_responses(url) != before + 1:
        snippet = re.sub(r"\s+", " ", body)[:300]
        return {
            "ok": False,
            "requests": 0,
            "stored": 0,
            "rps": 0,
            "p50_ms": 0,
            "p99_ms": 0,
            "p90_ms": 0,
            "max_ms": 0,
            "bytes_per_request": 0,
            "statuses": {str(status): 1},
            "socket_errors": {},
            "problem": f"a prepared submission was not stored (status {status}): {snippet}",
        }
    warm_file, timed_file = TMP / "submissions-warmup.txt", TMP / "submissions.txt"
    size = int(max(insert_rps, 200) * args.duration * 1.5) + 500
    for attempt in range(2):
        started = time.perf_counter()
        if args.warmup:
            residents.write_submissions(warm_file, int(max(insert_rps, 200) * args.warmup * 1.5) + 200)
        residents.write_submissions(timed_file, size)
        log(f"  prepared {size:,} distinct submissions in {time.perf_counter() - started:.1f} s")
        if args.warmup:
            run_wrk(path, "submit.lua", args.warmup, connections=WARMUP_CONNECTIONS, args=[warm_file, 2])
            server.drain()
        before = settled_count(url)
        figures = run_wrk(path, "submit.lua", args.duration, args=[timed_file, 2])
        server.drain()  # requests still in flight when wrk stopped are stored too
        figures["stored"] = settled_count(url) - before
        if not figures["wrapped"] or attempt:
            break
        size = int(figures["requests"] * 1.5) + 500
        log(f"  ran out of prepared submissions; again with {size:,}")
    judge(figures, 302)
    extra = figures["stored"] - figures["requests"]
    # wrk counts answered requests; up to one per connection was still in flight when it stopped, and is stored.
    if figures["ok"] and (figures["wrapped"] or not 0 <= extra <= CONNECTIONS):
        figures["ok"] = False
        figures["problem"] = (
            f"{figures['stored']} responses stored for {figures['requests']} answered POSTs "
            f"(prepared submissions repeated {figures['wrapped']} time(s))"
        )
    for leftover in (warm_file, timed_file):
        leftover.unlink(missing_ok=True)
    return figures


def export(url, engine):
    """``flask export`` as a child process: wall time and that process's peak resident memory."""
    target = TMP / f"export-{engine}.csv"
    started = time.perf_counter()
    child = subprocess.Popen(
        [*FLASK, "export", "--output", str(target), "--force"],
        cwd=ROOT,
        env=product_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    match = re.search(r"Wrote (\d+) answers", output)
    size = target.stat().st_size if target.exists() else 0
    target.unlink(missing_ok=True)
    return {
        "ok": child.returncode == 0 and bool(match),
        "seconds": round(seconds, 2),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "rows": int(match.group(1)) if match else 0,
        "file_mb": round(size / 2**20, 1),
        "responses": count_responses(url),
        **({} if child.returncode == 0 else {"output": output[-500:]}),
    }


def stats_check(url):
    """``flask stats check``: the pre-aggregated numbers still equal a recount from the raw answers."""
    started = time.perf_counter()
    child = subprocess.run(
        [*FLASK, "stats", "check"], cwd=ROOT, env=product_env(url), capture_output=True, text=True, check=False
    )
    return {
        "ok": child.returncode == 0,
        "seconds": round(time.perf_counter() - started, 2),
        "output": (child.stdout + child.stderr).strip()[-500:],
    }


def measure_engine(engine, store, database, args):
    """Everything on one database engine: rate probe, its baselines, load scenarios, recount, export."""
    url = store.fresh_copy()
    try:
        if database["simulate"] is None:
            # About five seconds' worth at the rate seen when the database was built, within --rate-probe.
            count = min(args.rate_probe, max(1000, int((database["built_at_rate"] or 200) * 5) // 1000 * 1000))
            log(f"[{engine}] simulate-responses rate: {count:,} more into the working copy")
            probe = simulate(url, count, seed=int(time.time()))
            database["simulate"] = {**probe, "source": f"{probe['count']:,} added to the cached database"}
        app = product_app(url)
        token = api_token(app, "bench-lianhu")
        residents = Residents(app)
        env = product_env(url, SURVEY_ENV="production", SECURE_COOKIES="0", **SERVER_LIMITS)
        scenarios = {}
        with _baseline_server(store) as bare, Server(engine, "app:app", env) as server:
            baselines = measure_engine_baselines(bare, engine, args)
            district, community = staff_cookie(server.base, "bench-district"), staff_cookie(server.base, "bench-lianhu")
            gets = [
                ("home", "/", []),
                ("survey_page", "/survey/section/1", [f"Cookie: {residents.survey_page_cookie()}"]),
                ("community_dashboard", "/admin/dashboard/community/lianhu", [f"Cookie: {community}"]),
                ("district_ranking", "/admin/dashboard/district", [f"Cookie: {district}"]),
                ("stats_api", "/api/v1/communities/lianhu/stats", [f"Authorization: Bearer {token}"]),
            ]
            for name, path, headers in gets[:2]:
                log(f"[{engine}] {name}")
                scenarios[name] = measure(server, path, "get.lua", args.duration, args.warmup, 200, headers)
            log(f"[{engine}] template page again, after the survey page")
            baselines["template_page"] = bracket(baselines["template_page"], _template_page(bare, args))
            log(f"[{engine}] submission")
            scenarios["submission"] = measure_submissions(
                server, residents, url, args, baselines[f"insert_{engine}"]["rps"]
            )
            log(f"[{engine}] one-row insert again, after the submission")
            baselines[f"insert_{engine}"] = bracket(baselines[f"insert_{engine}"], _insert(bare, engine, args))
            for name, path, headers in gets[2:]:
                log(f"[{engine}] {name}")
                scenarios[name] = measure(server, path, "get.lua", args.duration, args.warmup, 200, headers)
            server_errors = server.errors()
        log(f"[{engine}] stats check and raw export")
        result = {
            "database": database,
            "baselines": baselines,
            "scenarios": scenarios,
            "server_tracebacks": server_errors,
            "stats_check": stats_check(url),
            "export": export(url, engine),
        }
        database["responses_after_load"] = result["export"]["responses"]
        return result
    finally:
        store.drop_copy()


def wrk_version(output):
    """The version line of ``wrk -v`` (it prints that line, then its usage), or "" when there is none."""
    return next((line.strip() for line in output.splitlines() if line.startswith("wrk ")), "")


def machine():
    """What the figures were measured on."""
    wrk = subprocess.run([report_wrk(), "-v"], capture_output=True, text=True, check=False)
    return {
        "cpus": multiprocessing.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": wrk_version(wrk.stdout + wrk.stderr),
        "gunicorn_workers": int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count()))),
    }


def report_wrk():
    """The wrk executable (the import is here so --help works without wrk)."""
    from .load import wrk_path

    return wrk_path()


def main(argv=None):
    """Run the benchmark; exit 1 on a broken run, or (full mode) a missed target, or (quick) one below half."""
    args = parse_args(argv)
    started = time.perf_counter()
    TMP.mkdir(parents=True, exist_ok=True)
    by_engine = stores(args)
    result = {
        "mode": "quick" if args.quick else "full",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "responses": args.responses,
            "communities": args.communities,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "wrk": f"-t2 -c{CONNECTIONS}",
            "server_env": SERVER_LIMITS,
            "rate_limit_storage": "redis" if os.environ.get("REDIS_URL") else "memory",
        },
        "baselines": {},
        "engines": {},
    }
    databases = {engine: prepare_database(store, args) for engine, store in by_engine.items()}
    result["baselines"] = measure_baselines(args)
    for engine, store in by_engine.items():
        result["engines"][engine] = measure_engine(engine, store, databases[engine], args)
    result["targets"] = report.targets(result)
    result["problems"] = report.harness_failures(result)
    result["seconds"] = round(time.perf_counter() - started, 1)
    failing = report.ci_failures(result, args.quick)
    advisory = set(by_engine) if args.advisory == [] else set(args.advisory or ())
    result["advisory"] = sorted(advisory)
    result["passed"] = not result["problems"] and not [check for check in failing if check["engine"] not in advisory]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(report.table(result))
    for problem in result["problems"]:
        print(f"BROKEN RUN: {problem}")
    verdict = "below half a target (CI floor)" if args.quick else "target missed"
    for check in failing:
        note = ", advisory only" if check["engine"] in advisory else ""
        print(f"FAIL ({verdict}{note}): {check['engine']} {check['name']}")
    print(f"{result['mode']} run in {result['seconds']} s; results in {args.output}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
