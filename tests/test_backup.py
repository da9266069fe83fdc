"""`flask --app app backup PATH`: a consistent online copy that restores with every response, and clear refusals."""

import shutil
import subprocess
import threading
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from survey import create_app
from survey.backup import BackupError, make_backup, operator_locale
from survey.demo import simulate_responses
from survey.extensions import db
from survey.models import Response

from .conftest import TEST_DATABASE_URL, SurveyDriver, _config, _normalise_url


@pytest.fixture
def english_terminal(monkeypatch):
    """The operator's terminal speaks English."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


def _public_ids(app):
    with app.app_context():
        ids = set(db.session.scalars(select(Response.public_id)))
        db.session.remove()
        return ids


class Writer(threading.Thread):
    """Keeps storing responses in its own application context until told to stop."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.stop, self.batches, self.error = app, threading.Event(), 0, None

    def run(self):
        try:
            with self.app.app_context():
                while not self.stop.is_set():
                    simulate_responses(3, seed=self.batches)
                    self.batches += 1
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.error = error


def _restore_postgresql(backup_path):
    """pg_restore the dump into a new database; return its URL."""
    url = make_url(_normalise_url(TEST_DATABASE_URL))
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    restored = url.set(database=name)
    plain = restored.set(drivername="postgresql").render_as_string(hide_password=False)
    pg_restore = shutil.which("pg_restore")
    assert pg_restore, "PostgreSQL runs need pg_restore (the PostgreSQL client tools)"
    subprocess.run([pg_restore, "--no-owner", f"--dbname={plain}", str(backup_path)], check=True)
    return restored, name


def _drop_postgresql(name):
    admin = create_engine(make_url(_normalise_url(TEST_DATABASE_URL)), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_backup_while_the_site_writes_restores_every_response(app, client, runner, tmp_path, english_terminal):
    resident = SurveyDriver(app, client)
    result_path = resident.complete().location
    with app.app_context():
        simulate_responses(40, seed=1)
        db.session.remove()
    before = _public_ids(app)
    writer = Writer(app)
    writer.start()
    try:
        while writer.batches < 2 and writer.error is None:  # the writer is really writing
            writer.join(0.05)
        target = tmp_path / "backup.db"
        outcome = runner.invoke(args=["backup", str(target)])
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert outcome.exit_code == 0, outcome.output
    assert f"Backup written to {target}" in outcome.output
    after = _public_ids(app)
    assert writer.batches >= 2 and len(after) > len(before)

    restored_name = None
    if TEST_DATABASE_URL:
        restored_url, restored_name = _restore_postgresql(target)
        restored = create_app(_config(restored_url.render_as_string(hide_password=False)))
    else:
        restored = create_app(_config(f"sqlite:///{target}"))
    try:
        found = _public_ids(restored)
        assert before <= found <= after  # every response made before the backup; nothing invented
        check = restored.test_cli_runner().invoke(args=["stats", "check"])
        assert check.exit_code == 0, check.output  # counts and answers come from one consistent moment
        # The resident finds their result on the restored site, with the same participant cookie.
        visitor = restored.test_client()
        visitor.set_cookie("participant", client.get_cookie("participant").value)
        page = visitor.get(result_path, headers={"Accept-Language": "en"})
        assert page.status_code == 200
    finally:
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()
        if restored_name:
            _drop_postgresql(restored_name)


def test_backup_refuses_to_overwrite_without_force(app, runner, tmp_path, english_terminal):
    target = tmp_path / "existing.db"
    target.write_bytes(b"yesterday's backup")
    refused = runner.invoke(args=["backup", str(target)])
    assert refused.exit_code != 0
    assert "already exists; use --force to overwrite it." in refused.output
    assert target.read_bytes() == b"yesterday's backup"
    forced = runner.invoke(args=["backup", "--force", str(target)])
    assert forced.exit_code == 0, forced.output
    assert target.read_bytes() != b"yesterday's backup"


def test_backup_explains_a_bad_path(app, runner, tmp_path, monkeypatch, english_terminal):
    out = tmp_path / "backups"
    out.mkdir()
    missing = runner.invoke(args=["backup", str(out / "no" / "such" / "folder" / "b.db")])
    assert missing.exit_code != 0 and "does not exist; create it first." in missing.output
    folder = runner.invoke(args=["backup", str(out)])
    assert folder.exit_code != 0 and "is a directory; give a file name for the backup." in folder.output
    # Permission bits do not stop root, so the check itself is made to say no.
    monkeypatch.setattr("survey.backup.os.access", lambda path, mode: False)
    unwritable = runner.invoke(args=["backup", str(out / "b.db")])
    assert unwritable.exit_code != 0 and "is not writable." in unwritable.output
    assert not any(out.iterdir())  # no half-written file anywhere


def test_postgresql_without_pg_dump_prints_the_commands(app, tmp_path, monkeypatch):
    monkeypatch.setattr("survey.backup.shutil.which", lambda name: None)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(BackupError) as refusal:
            make_backup("postgresql+psycopg://survey:hunter2secret@db.internal/survey", tmp_path / "b.dump")
    message = str(refusal.value)
    assert "pg_dump -Fc -f" in message and "postgresql://survey@db.internal/survey" in message
    assert "pg_restore" in message and "hunter2secret" not in message


def test_sqlite_source_must_exist(app, tmp_path):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(BackupError, match="was not found"):
            make_backup(f"sqlite:///{tmp_path / 'gone.db'}", tmp_path / "b.db")
    assert not (tmp_path / "gone.db").exists()  # looking did not create an empty database


def test_operator_language_follows_the_terminal(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert operator_locale() == "zh"
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert operator_locale() == "en"
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    assert operator_locale() == "zh"


def test_a_chinese_terminal_gets_chinese_messages(app, runner, tmp_path, monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    target = tmp_path / "out.db"
    written = runner.invoke(args=["backup", str(target)])
    assert written.exit_code == 0 and "备份已写入" in written.output
    refused = runner.invoke(args=["backup", str(target)])
    assert refused.exit_code != 0 and "已存在；如要覆盖，请加 --force。" in refused.output
