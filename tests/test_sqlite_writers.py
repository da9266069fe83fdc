"""SQLite writers queue on a lock file beside the database (survey.database.one_writer): across processes,
across threads, never through a descriptor a forked child inherited, and never left held."""

import fcntl
import os
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey import database
from survey.extensions import db
from survey.models import Response
from survey.questionnaire import services

from .test_submission import submit

HOLD_IN_ANOTHER_PROCESS = """
import fcntl, os, sys, time
descriptor = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(descriptor, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
print("released", time.time(), flush=True)
fcntl.flock(descriptor, fcntl.LOCK_UN)
"""


@pytest.fixture
def sqlite_file(ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL queues its writers itself")
    return db.engine.url.database


def lock_path(path):
    return f"{path}{database.WRITER_LOCK_SUFFIX}"


def free_in_another_descriptor(path):
    """True when a fresh descriptor of the lock file can take it at once (nobody holds it)."""
    descriptor = os.open(lock_path(path), os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)  # closing lets go of a lock taken here
    return True


def test_a_submission_waits_for_another_processs_write_then_is_stored(sqlite_file, version, community):
    db.session.commit()
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_IN_ANOTHER_PROCESS, lock_path(sqlite_file), "0.5"],
        stdout=subprocess.PIPE,
        text=True,
    ) as other:
        assert other.stdout.readline().strip() == "held"
        response = submit(version, community, "queued")
        stored_at = time.time()
        released = other.stdout.readline().split()
    assert released[0] == "released" and stored_at >= float(released[1])  # it waited its turn, and was not refused
    assert db.session.scalar(select(func.count()).select_from(Response).where(Response.id == response.id)) == 1
    assert free_in_another_descriptor(sqlite_file)


def test_the_lock_is_let_go_after_a_commit_and_after_a_lost_race(sqlite_file, version, community, monkeypatch):
    submit(version, community, "first", public_id="c" * 32)
    assert os.path.exists(lock_path(sqlite_file)) and free_in_another_descriptor(sqlite_file)
    again = submit(version, community, "first", public_id="c" * 32)  # a double tap returns the stored one
    assert again.public_id == "c" * 32 and free_in_another_descriptor(sqlite_file)

    # A retake whose insert the unique index refuses once (a race lost): rolled back, then tried again.
    real_one_writer, real_insert = database.one_writer, services._insert_response
    free_on_entry, held_while_writing = [], []

    def one_writer(connection):
        free_on_entry.append(free_in_another_descriptor(sqlite_file))
        return real_one_writer(connection)

    def insert_refused_once(connection, columns, packed):
        held_while_writing.append(not free_in_another_descriptor(sqlite_file))
        if len(held_while_writing) == 1:
            raise IntegrityError("INSERT INTO response", {}, Exception("a race lost"))
        return real_insert(connection, columns, packed)

    monkeypatch.setattr(database, "one_writer", one_writer)
    monkeypatch.setattr(services, "_insert_response", insert_refused_once)
    retake = submit(version, community, "first")
    assert (retake.attempt_number, retake.is_counted) == (2, False)
    assert held_while_writing == [True, True]  # each try wrote while holding the lock
    assert free_on_entry == [True, True]  # and the lost try had let go before the next one
    assert free_in_another_descriptor(sqlite_file)


def test_threads_of_one_process_take_turns(sqlite_file):
    connection = db.session.connection()
    inside, second_in, release = threading.Event(), threading.Event(), threading.Event()

    def first():
        with database.one_writer(connection):
            inside.set()
            release.wait(5)

    def second():
        inside.wait(5)
        with database.one_writer(connection):
            second_in.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert inside.wait(5)
    assert not second_in.wait(0.3)  # the first thread still holds it
    release.set()
    assert second_in.wait(5)
    for thread in threads:
        thread.join(5)


def test_a_forked_child_queues_behind_its_parent(sqlite_file):
    connection = db.session.connection()
    with database.one_writer(connection):
        child = os.fork()
        if child == 0:  # the child must not take the parent's lock through the descriptor it inherited
            code = 1
            try:
                _, descriptor = database._writers.of(sqlite_file)
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_without_a_lock_file_writers_fall_back_on_the_busy_timeout(sqlite_file, version, community, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only directory")

    warned = []
    monkeypatch.setattr(database, "_writers", database._Writers())
    monkeypatch.setattr(database.os, "open", refuse)
    monkeypatch.setattr(database.log, "warning", lambda *args, **kwargs: warned.append(args[0]))
    response = submit(version, community, "no-lock-file")
    assert response.is_counted and warned  # stored all the same, and the operator is told why
    monkeypatch.undo()
    assert db.session.get(Response, response.id) is not None


def test_sqlite_in_memory_passes_straight_through(sqlite_file):
    from sqlalchemy import create_engine

    engine = create_engine("sqlite://")  # one connection and no file: nothing to queue with
    known = dict(database._writers.files)
    with engine.connect() as connection, database.one_writer(connection):
        assert database._writers.files == known
    engine.dispose()


def test_every_few_hundred_writes_the_wal_is_copied_back_after_the_lock_is_let_go(sqlite_file, monkeypatch):
    # SQLite's own checkpoint would run inside a commit, under the lock, holding every other writer.
    monkeypatch.setattr(database, "SQLITE_CHECKPOINT_EVERY_WRITES", 3)
    copied_with_lock_free = []
    monkeypatch.setattr(
        database, "checkpoint", lambda engine: copied_with_lock_free.append(free_in_another_descriptor(sqlite_file))
    )
    monkeypatch.setattr(database._writers, "counts", {})
    for _ in range(8):  # the 3rd and the 6th write copy
        with database.one_writer(db.session.connection()):
            pass
    assert copied_with_lock_free == [True, True]


def test_a_checkpoint_copies_the_wal_into_the_database(sqlite_file, version, community):
    submit(version, community, "checkpointed")
    with db.engine.connect() as connection:
        frames = connection.exec_driver_sql("PRAGMA wal_checkpoint(NOOP)").one()
    assert frames[1] > 0  # the submission's pages are in the WAL
    database.checkpoint(db.engine)
    with db.engine.connect() as connection:
        busy, in_wal, copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(NOOP)").one()
    assert busy == 0 and copied == in_wal  # everything in the WAL is in the database file now
