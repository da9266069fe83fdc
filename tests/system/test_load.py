"""Under load, on the real server: every acknowledged submission is stored exactly once and counted right."""

import os
import time

import pytest

from .harness import stats_check
from .residents import LoadPlan, run_load, verify

pytestmark = pytest.mark.system

# CI runs at least 500; bench/load_bench.py runs 2,000 and more.
SUBMISSIONS = int(os.environ.get("SYSTEM_TEST_SUBMISSIONS", 500))
DEADLINE = float(os.environ.get("SYSTEM_TEST_DEADLINE", 240))


def test_every_acknowledged_submission_is_stored_exactly_once(suite_database, servers, secret_key, announce):
    """50 residents, each with their own cookies and CSRF token, some double-tapping and some retaking."""
    server = servers(suite_database, workers=3)
    server.prepare()
    server.start()
    started = time.monotonic()
    tally, residents = run_load([server.base_url], LoadPlan(submissions=SUBMISSIONS, deadline=DEADLINE))
    elapsed = time.monotonic() - started
    count = verify(suite_database, secret_key, tally, residents)
    announce(
        f"{count.line()} in {elapsed:.0f}s ({tally.requests} requests, "
        f"{count.acknowledged / elapsed:.1f} submissions/s)"
    )

    assert tally.journey_errors == []
    assert count.sent == SUBMISSIONS
    assert count.acknowledged == count.sent
    assert count.stored == count.acknowledged
    assert (count.lost, count.doubled, count.server_errors) == (0, 0, 0)
    assert count.problems == []
    checked, output = stats_check(server)
    assert checked, output
