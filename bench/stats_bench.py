"""Dashboard, API and submission speed at campaign scale (issue: dashboards, stats API, exports).

Builds (or reuses) a SQLite database with N responses over M communities made by the real
``simulate_responses`` service, then times, in-process through the Flask test client:
the community dashboard, its API call, the district ranking, and resident submissions (the
scoring-and-saving service) against the same call on an empty database.

    .venv/bin/python bench/stats_bench.py --responses 1000000 --communities 500

Results go to bench/results/stats.json and are printed as a table.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_app(path):
    from survey import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "bench-secret-key-long-enough-000",
        }
    )


def prepare(app, communities, responses):
    """Schema, demo content, extra communities up to ``communities``, then simulated responses."""
    from sqlalchemy import func, select

    from survey.auth.services import create_staff
    from survey.demo import is_empty, load_demo, simulate_responses
    from survey.extensions import db
    from survey.models import Community, Response, StaffUser, Street

    with app.app_context():
        db.create_all()
        if is_empty():
            load_demo()
        have = db.session.scalar(select(func.count()).select_from(Community))
        street_number = 0
        while have < communities:
            street_number += 1
            street = Street(code=f"s-bench-{street_number}", position=100 + street_number)
            street.set_translation("zh", name=f"测试街道{street_number}")
            street.set_translation("en", name=f"Bench Street {street_number}")
            for index in range(min(10, communities - have)):
                community = Community(
                    code=f"b{street_number}-{index}", position=index, target_population=3000, target_share=0.2
                )
                community.set_translation("zh", name=f"测试社区{street_number}-{index}")
                community.set_translation("en", name=f"Bench Community {street_number}-{index}")
                street.communities.append(community)
                have += 1
            db.session.add(street)
            db.session.commit()
        stored = db.session.scalar(select(func.count()).select_from(Response))
        if stored < responses:
            started = time.perf_counter()
            simulate_responses(responses - stored, seed=stored, batch_size=2000)
            rate = (responses - stored) / (time.perf_counter() - started)
            print(f"simulated {responses - stored} responses at {rate:.0f}/s", flush=True)
        if not db.session.scalar(select(StaffUser).where(StaffUser.username == "bench")):
            create_staff("bench", "bench-password-123", "admin")


def timed(call, repeat):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1), "n": repeat}


def measure_pages(app, repeat):
    client = app.test_client()
    page = client.get("/admin/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    client.post("/admin/login", data={"username": "bench", "password": "bench-password-123", "csrf_token": token})

    def get(path):
        def call():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return call

    get("/admin/dashboard/district")()  # warm caches
    # As gunicorn.conf.py does before forking its workers: the app's own objects leave the cyclic collector.
    import gc

    gc.collect()
    gc.freeze()
    results = {
        "community_dashboard": timed(get("/admin/dashboard/community/lianhu"), repeat),
        "district_ranking": timed(get("/admin/dashboard/district"), repeat),
    }
    if "api.community_stats" in app.view_functions:
        results["community_api"] = timed(get("/api/v1/communities/lianhu/stats"), repeat)
    return results


def submitter(app):
    """A callable that stores one complete, valid attempt through the real service (in ``app``)."""
    from survey.extensions import db
    from survey.questionnaire import services
    from tests.test_stats import raw_answers

    counter = iter(range(10**9))

    def call():
        with app.app_context():
            version = services.current_version()
            services.submit(
                version,
                1,
                services.participant_hash(f"bench-{next(counter)}-{time.time()}"),
                services.new_public_id(),
                raw_answers(version, [True, False, True]),
            )
            db.session.remove()

    return call


def measure_submissions(full, empty, repeat):
    """Submissions on the full and the empty database, interleaved so machine noise hits both alike."""
    calls = {"full": submitter(full), "empty": submitter(empty)}
    samples = {"full": [], "empty": []}
    for index in range(repeat * 2):
        name = ("full", "empty")[index % 2] if (index // 2) % 2 == 0 else ("empty", "full")[index % 2]
        started = time.perf_counter()
        calls[name]()
        samples[name].append((time.perf_counter() - started) * 1000)
    return {
        name: {"p50_ms": round(statistics.median(values), 1), "max_ms": round(max(values), 1), "n": len(values)}
        for name, values in samples.items()
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--communities", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--db", default=str(ROOT / "bench" / "results" / "tmp" / "stats-bench.db"))
    args = parser.parse_args()
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    full = build_app(args.db)
    prepare(full, args.communities, args.responses)
    empty_path = Path(args.db).with_name("stats-bench-empty.db")
    if empty_path.exists():
        empty_path.unlink()
    empty = build_app(empty_path)
    prepare(empty, args.communities, 0)
    pages = measure_pages(full, args.repeat)
    submissions = measure_submissions(full, empty, args.repeat * 10)
    submit_full, submit_empty = submissions["full"], submissions["empty"]
    result = {
        "responses": args.responses,
        "communities": args.communities,
        **pages,
        "submission_full_db": submit_full,
        "submission_empty_db": submit_empty,
        "submission_slowdown": round(submit_full["p50_ms"] / submit_empty["p50_ms"] - 1, 3),
        "targets": {
            "community_dashboard_p50_ms": 100,
            "community_api_p50_ms": 100,
            "district_ranking_p50_ms": 300,
            "submission_slowdown_max": 0.20,
        },
    }
    out = ROOT / "bench" / "results" / "stats.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'measure':28} {'p50 ms':>8} {'max ms':>8}")
    for name in (
        "community_dashboard",
        "community_api",
        "district_ranking",
        "submission_full_db",
        "submission_empty_db",
    ):
        if name in result:
            print(f"{name:28} {result[name]['p50_ms']:8.1f} {result[name]['max_ms']:8.1f}")
    print(f"submission slowdown on the full database: {result['submission_slowdown']:+.1%}")
    empty_path.unlink(missing_ok=True)
    os.environ.pop("DATABASE_URL", None)


if __name__ == "__main__":
    main()
