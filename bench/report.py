"""The targets of issue 6, checked against one run's results, and the table ``make bench`` prints."""

# Which baseline each product scenario is read against (throughput ratio = product req/s ÷ baseline req/s).
BASELINE_OF = {
    "home": "template_page",
    "survey_page": "template_page",
    "submission": "insert_{engine}",
    "community_dashboard": "template_page",
    "district_ranking": "template_page",
    "stats_api": "hello",
}
LABELS = {
    "hello": "hello (bare)",
    "template_page": "~6 KB template page (bare)",
    "insert_sqlite": "one-row insert, SQLite (bare)",
    "insert_postgresql": "one-row insert, PostgreSQL (bare)",
    "home": "home page",
    "survey_page": "survey page (part 1)",
    "submission": "full submission POST",
    "community_dashboard": "community dashboard",
    "district_ranking": "district ranking",
    "stats_api": "stats API (community)",
}


# The reference machine served a bare hello at about 4,200 req/s, a bare ~6 KB template page at 2,000
# and a bare one-row insert at 1,300 (SQLite; PostgreSQL measured 1,215 on a host as fast, 2026-12-07).
# Absolute figures (times and rates) scale with the machine's speed, which moves by half between days on the
# same shared host, and a database's writes can slow down on their own (on 2026-12-07 PostgreSQL's bare insert
# ran 3.5× slower in the afternoon than in the morning while hello ran 2.2× slower); ratios do not.
REFERENCE_HELLO_RPS = 4200
REFERENCE_RPS = {"hello": REFERENCE_HELLO_RPS, "template_page": 2000, "insert_{engine}": 1300}


def _references():
    """The reference rates as the table prints them: "hello 4,200, template page 2,000, insert 1,300"."""
    return ", ".join(f"{name.split('_{')[0].replace('_', ' ')} {rps:,}" for name, rps in REFERENCE_RPS.items())


def slowdown(result, engine=None):
    """How many times slower than the reference this run's machine was, never below 1: by its bare hello, and
    for ``engine`` by the slowest of the bare baselines measured against that engine (hello, the template page,
    the one-row insert), since the figures on an engine depend on all three."""
    slowest = 1.0
    for name, reference in REFERENCE_RPS.items():
        if engine is None and name != "hello":
            continue
        baseline = _named_baseline(result, engine, name.format(engine=engine)) or {}
        if baseline.get("rps"):
            slowest = max(slowest, reference / baseline["rps"])
    return round(slowest, 2)


def _target(name, engine, value, op, goal, unit, note="", scale=1.0):
    """One target: ``value op goal``, PASS or FAIL as measured.

    ``floor`` is the CI floor: half a ratio or rate, twice a time or size, and for a figure that depends on
    the machine's speed (``scale``: the engine's ``slowdown``) that much further again, so a slow day on the
    shared host, or a slow disk under one database, never fails CI while a real regression (twice worse than
    the target on top of it) still does.
    """
    floor = round(goal / 2 / scale if op == ">=" else goal * 2 * scale, 3)
    if value is None:
        return {
            "name": name,
            "engine": engine,
            "value": None,
            "op": op,
            "goal": goal,
            "unit": unit,
            "result": "FAIL",
            "below_half": True,
            "floor": floor,
            "note": note or "not measured",
        }
    met = value >= goal if op == ">=" else value <= goal
    below_half = value < floor if op == ">=" else value > floor
    return {
        "name": name,
        "engine": engine,
        "value": value,
        "op": op,
        "goal": goal,
        "unit": unit,
        "result": "PASS" if met else "FAIL",
        "below_half": below_half,
        "floor": floor,
        "note": note,
    }


def baseline_of(result, engine, scenario):
    """The baseline figures ``scenario`` on ``engine`` is read against: the engine's own, measured just before
    its scenarios, when the run has them; else the run's (hello, and runs made before 2026-11-28)."""
    return _named_baseline(result, engine, BASELINE_OF[scenario].format(engine=engine))


def _named_baseline(result, engine, name):
    """The bare baseline ``name``: ``engine``'s own when it has one (and an engine is given), else the run's."""
    own = (result["engines"][engine].get("baselines") or {}).get(name) if engine else None
    return own or result["baselines"].get(name)


def ratio(result, engine, scenario):
    """Throughput of ``scenario`` on ``engine`` ÷ its baseline's, or None."""
    figures = result["engines"][engine]["scenarios"].get(scenario)
    baseline = baseline_of(result, engine, scenario)
    if not figures or not baseline or not baseline["rps"]:
        return None
    return round(figures["rps"] / baseline["rps"], 3)


def targets(result):
    """Every target of the issue, per engine."""
    checks = []
    for engine, data in result["engines"].items():
        slower = slowdown(result, engine)
        scenarios = data["scenarios"]

        def latency(scenario, key, scenarios=scenarios):
            return scenarios[scenario][key] if scenario in scenarios else None

        export = data.get("export") or {}
        checks += [
            _target(
                "survey page GET ÷ bare template page", engine, ratio(result, engine, "survey_page"), ">=", 0.70, "×"
            ),
            _target("submission POST ÷ bare insert", engine, ratio(result, engine, "submission"), ">=", 0.50, "×"),
            _target("submission POST p99", engine, latency("submission", "p99_ms"), "<=", 100, "ms", scale=slower),
            _target(
                "community dashboard p50",
                engine,
                latency("community_dashboard", "p50_ms"),
                "<=",
                20,
                "ms",
                scale=slower,
            ),
            _target("community stats API p50", engine, latency("stats_api", "p50_ms"), "<=", 20, "ms", scale=slower),
            _target(
                "district ranking p50", engine, latency("district_ranking", "p50_ms"), "<=", 100, "ms", scale=slower
            ),
            _target(
                "raw export time",
                engine,
                export.get("seconds"),
                "<=",
                60,
                "s",
                f"{export.get('responses', 0):,} responses",
                scale=slower,
            ),
            _target("raw export peak memory", engine, export.get("peak_mb"), "<=", 200, "MB"),
            _simulate_target(engine, data["database"]["simulate"], slower, result.get("mode") == "full"),
        ]
    return checks


# Each batch of simulate-responses also writes its rollup sums, up to one row per community and day and one per
# community and question whatever the batch's size, so a build of a few batches reads a rate well below the
# steady one: on 2026-12-07 a quick build of 16,000 on PostgreSQL ran at 3,810/s on a host where 1,000,000 ran
# at 9,980/s.
STEADY_SIMULATE_COUNT = 100_000


def _simulate_target(engine, simulate, slower, full=False):
    """The simulate rate's target; measured over fewer than ``STEADY_SIMULATE_COUNT`` responses in a quick run
    it is ``advisory``: printed with its floor, never failing CI, since its rate is mostly fixed costs. A full
    run fails on it as on any target, so it is never marked advisory there."""
    check = _target(
        "simulate-responses rate",
        engine,
        simulate.get("rate"),
        ">=",
        20000,
        "/s",
        simulate.get("source", ""),
        scale=slower,
    )
    count = simulate.get("count")
    if not full and count is not None and count < STEADY_SIMULATE_COUNT and check["value"] is not None:
        check["advisory"] = f"{count:,} responses: too few for a steady rate"
    return check


def ci_failures(result, quick):
    """The targets that fail this run: in a full run every target missed; in a quick run (CI) every figure
    below its floor, except an advisory one."""
    if not quick:
        return [check for check in result["targets"] if check["result"] == "FAIL"]
    return [check for check in result["targets"] if check["below_half"] and not check.get("advisory")]


def harness_failures(result):
    """Problems that make the run itself invalid, whatever the speed: wrong statuses, lost submissions, recount."""
    problems = []
    groups = [("baseline", result["baselines"])]
    for engine, data in result["engines"].items():
        groups += [(f"{engine} baseline", data.get("baselines") or {}), (engine, data["scenarios"])]
    for engine, scenarios in groups:
        for name, figures in scenarios.items():
            if not figures.get("ok"):
                problems.append(f"{engine} {name}: {figures.get('problem', 'failed')}")
    for engine, data in result["engines"].items():
        if not data.get("stats_check", {}).get("ok"):
            problems.append(f"{engine}: `flask stats check` after the load: {data.get('stats_check')}")
        if not (data.get("export") or {}).get("ok"):
            problems.append(f"{engine}: the raw export failed: {data.get('export')}")
    return problems


def _row(cells, widths):
    return "  ".join(
        str(cell).rjust(width) if index else str(cell).ljust(width)
        for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
    )


def table(result):
    """The printed report: every load figure with its ratio to its baseline, then the targets."""
    lines = []
    widths = (45, 9, 8, 8, 8, 26)
    lines.append(_row(("scenario", "req/s", "p50 ms", "p99 ms", "KB/req", "ratio to baseline"), widths))

    def baseline_rows(label, baselines):
        for name, figures in baselines.items():
            lines.append(
                _row(
                    (
                        f"{label:10} {LABELS[name]}",
                        figures["rps"],
                        figures["p50_ms"],
                        figures["p99_ms"],
                        round(figures["bytes_per_request"] / 1024, 1),
                        "1.00 (baseline)",
                    ),
                    widths,
                )
            )

    baseline_rows("baseline", result["baselines"])
    for engine, data in result["engines"].items():
        own = ""
        if data.get("baselines"):
            bracketed = any("runs" in figures for figures in data["baselines"].values())
            own = (
                "; its baselines: the mean of runs just before and after"
                if bracketed
                else "; its baselines measured just before"
            )
        lines.append(
            f"-- {engine}: {data['database']['responses']:,} responses, "
            f"{data['database']['communities']} communities{own}"
        )
        baseline_rows("baseline", data.get("baselines") or {})
        for name, figures in data["scenarios"].items():
            value = ratio(result, engine, name)
            base = BASELINE_OF[name].format(engine=engine)
            lines.append(
                _row(
                    (
                        f"{engine:10} {LABELS[name]}",
                        figures["rps"],
                        figures["p50_ms"],
                        figures["p99_ms"],
                        round(figures["bytes_per_request"] / 1024, 1),
                        f"{value:.2f} of {base}" if value is not None else "—",
                    ),
                    widths,
                )
            )
        submission = data["scenarios"].get("submission")
        if submission:
            extra = submission["stored"] - submission["requests"]
            lines.append(
                f"   submissions: {submission['stored']:,} responses stored for {submission['requests']:,} "
                f"answered POSTs" + (f" (+{extra} still in flight when wrk stopped)" if extra > 0 else "")
            )
        export = data.get("export") or {}
        if export:
            lines.append(
                f"   raw export: {export.get('rows', 0):,} answer rows in {export.get('seconds')} s, "
                f"peak {export.get('peak_mb')} MB;  stats check: "
                f"{'equal to a recount' if data.get('stats_check', {}).get('ok') else 'DIFFERS'}"
            )
    lines.append("")
    lines.append(
        f"machine: bare hello at {(result['baselines'].get('hello') or {}).get('rps')} req/s, "
        f"{slowdown(result):g}× slower than the reference {REFERENCE_HELLO_RPS:,} req/s"
    )
    lines.append(
        "CI floors of times and rates allow for the slowest of each engine's bare baselines against the "
        f"reference ({_references()} req/s): "
        + ", ".join(f"{engine} {slowdown(result, engine):g}×" for engine in result["engines"])
    )
    widths = (12, 40, 12, 14, 6, 36)
    lines.append(_row(("engine", "target", "measured", "target", "result", "CI floor"), widths))
    for check in result["targets"]:
        value = "—" if check["value"] is None else f"{check['value']:g} {check['unit']}"
        floor = f"{'BELOW' if check['below_half'] else 'ok'} ({check['op']} {check['floor']:g} {check['unit']})" + (
            " advisory" if check.get("advisory") else ""
        )
        lines.append(
            _row(
                (
                    check["engine"],
                    check["name"],
                    value,
                    f"{check['op']} {check['goal']:g} {check['unit']}",
                    check["result"],
                    floor,
                ),
                widths,
            )
        )
    return "\n".join(lines)
