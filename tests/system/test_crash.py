"""kill -9 of gunicorn's master and workers mid-stream: nothing acknowledged is lost, and a plain restart serves."""

import os
import threading
import time

import pytest

from .harness import stats_check
from .residents import LoadPlan, Tally, run_load, verify

pytestmark = pytest.mark.system

# Acknowledged submissions before the kill, and submissions after the restart (CI: at least 500 in all).
BEFORE_KILL = int(os.environ.get("SYSTEM_TEST_KILL_AFTER", 250))
AFTER_RESTART = int(os.environ.get("SYSTEM_TEST_AFTER_RESTART", 250))
DEADLINE = float(os.environ.get("SYSTEM_TEST_DEADLINE", 240))
IN_FLIGHT = 3  # final submissions posted and not yet acknowledged when the kill comes


def test_kill_9_mid_stream_loses_nothing_acknowledged(suite_database, servers, secret_key, announce):
    server = servers(suite_database, workers=3)
    server.prepare()
    server.start()
    tally, residents, stop = Tally(), [], threading.Event()
    load = threading.Thread(
        target=run_load,
        args=([server.base_url], LoadPlan(submissions=BEFORE_KILL * 4, deadline=DEADLINE)),
        kwargs={"tally": tally, "stop": stop, "residents": residents},
    )
    load.start()
    until = time.monotonic() + DEADLINE
    # Kill once enough are acknowledged AND final submissions are on their way, one of them stored with its
    # result page not yet shown (so the kill falls between waves of residents on neither side).
    while (
        (
            len(tally.acknowledged) < BEFORE_KILL
            or tally.sent - len(tally.acknowledged) < IN_FLIGHT
            or not any(resident.pending and resident.pending[0] == "get" for resident in list(residents))
        )
        and load.is_alive()
        and time.monotonic() < until
    ):
        time.sleep(0.005)
    assert len(tally.acknowledged) >= BEFORE_KILL, tally.journey_errors[:5]
    assert tally.journey_errors == []
    stop.set()  # from now on a dropped connection ends a resident quietly
    sent_at_kill = tally.sent
    killed = server.kill9()
    load.join(60)
    assert not load.is_alive()
    acknowledged_before_kill = list(tally.acknowledged)  # nothing can be acknowledged by a dead server
    # Master and every worker are gone; residents in the middle of a request saw their connection drop.
    assert len(killed) == 1 + 3
    assert not any(_running(pid) for pid in killed)
    assert tally.connection_errors > 0, "the kill did not land mid-stream"
    assert tally.sent > len(acknowledged_before_kill), "no submission was on its way when the kill came"
    assert tally.journey_errors == []

    # A deploy-style restart: migrations (a no-op now), then gunicorn; no repair step in between.
    migrated = server.migrate()
    assert "Running upgrade" not in migrated
    assert suite_database.integrity_problems() == []
    checked, output = stats_check(server)
    assert checked, output
    server.start()
    count_after_crash = verify(suite_database, secret_key, tally, residents)
    assert count_after_crash.lost == 0
    assert count_after_crash.doubled == 0
    assert count_after_crash.problems == []
    in_flight = count_after_crash.stored - count_after_crash.acknowledged
    assert 0 <= in_flight <= count_after_crash.sent - count_after_crash.acknowledged

    # Residents cut off after pressing "submit" press it again (or reload the result): each attempt is
    # stored once, whether or not it had been committed before the kill.
    cut_off = [resident for resident in residents if resident.pending]
    assert cut_off
    for resident in cut_off:
        resident.resume()
    count_after_resume = verify(suite_database, secret_key, tally, residents)
    assert count_after_resume.sent == count_after_resume.acknowledged == count_after_resume.stored
    assert (count_after_resume.lost, count_after_resume.doubled, count_after_resume.problems) == (0, 0, [])

    # The site serves the same load again.
    run_load(
        [server.base_url],
        LoadPlan(submissions=AFTER_RESTART, deadline=DEADLINE, seed=2),
        tally=tally,
        residents=residents,
    )
    count = verify(suite_database, secret_key, tally, residents)
    announce(
        f"{count.line()} (kill -9 after {len(acknowledged_before_kill)} acknowledged of {sent_at_kill} "
        f"sent, {tally.connection_errors} requests cut off; {in_flight} submissions stored but not "
        f"acknowledged before {len(cut_off)} residents pressed again)"
    )
    assert tally.journey_errors == []
    assert count.acknowledged == len(acknowledged_before_kill) + len(cut_off) + AFTER_RESTART
    assert count.sent == count.acknowledged == count.stored
    assert (count.lost, count.doubled, count.server_errors) == (0, 0, 0)
    assert count.problems == []
    assert suite_database.integrity_problems() == []
    checked, output = stats_check(server)
    assert checked, output


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
