"""Online backups: SQLite through its backup API (consistent while the site writes), PostgreSQL through pg_dump."""

import os
import secrets
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy.engine import URL, make_url

from .i18n import DEFAULT_LOCALE, LANGUAGES, _


class BackupError(Exception):
    """A backup that could not be made; the message is already in the operator's language."""


def operator_locale():
    """The language of the operator's terminal (LC_ALL, LC_MESSAGES, LANG), else the site's default."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        code = os.environ.get(name, "")[:2].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT_LOCALE


def check_target(target, force):
    """Refuse a target that cannot be written, or that exists when ``force`` is not given."""
    if target.is_dir():
        raise BackupError(_("%(path)s is a directory; give a file name for the backup.", path=target))
    if target.exists() and not force:
        raise BackupError(_("%(path)s already exists; use --force to overwrite it.", path=target))
    folder = target.parent
    if not folder.is_dir():
        raise BackupError(_("The folder %(path)s does not exist; create it first.", path=folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupError(_("The folder %(path)s is not writable.", path=folder))


def _partial(target):
    """A temporary file beside the target, so a failed backup never leaves a half-written file under its name."""
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")


def backup_sqlite(database, target):
    """Copy a live SQLite database with its backup API: one consistent snapshot, even while others write."""
    source_path = Path(database)
    if not source_path.is_file():
        raise BackupError(_("The database file %(path)s was not found.", path=source_path))
    partial = _partial(target)
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # all pages in one step: a single read transaction, so one consistent state
            copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            problem = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
        if problem != "ok":
            raise BackupError(_("The copy failed its integrity check: %(problem)s", problem=problem))
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(_("The database could not be copied: %(error)s", error=error)) from error
    finally:
        source.close()
        partial.unlink(missing_ok=True)


def _libpq_url(url):
    """The URL as libpq tools take it: no driver name and no password (that goes through PGPASSWORD)."""
    return URL.create("postgresql", url.username, None, url.host, url.port, url.database, url.query)


def backup_postgresql(url, target):
    """Run ``pg_dump -Fc`` (custom format, for pg_restore); the password goes through the environment."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            _(
                "pg_dump was not found. Install the PostgreSQL client tools and run: "
                'pg_dump -Fc -f %(path)s "%(database)s" (restore with pg_restore; see README, Backups).',
                path=target,
                database=_libpq_url(url).render_as_string(),
            )
        )
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    database = _libpq_url(url).render_as_string()
    partial = _partial(target)
    try:
        result = subprocess.run(
            [pg_dump, "--format=custom", f"--file={partial}", f"--dbname={database}"],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise BackupError(_("pg_dump failed: %(error)s", error=result.stderr.strip()))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def make_backup(database_uri, target, force=False):
    """Back up the database at ``database_uri`` into the file ``target``; return the backup's size in bytes."""
    target = Path(target).expanduser().absolute()
    check_target(target, force)
    url = make_url(database_uri)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError(_("An in-memory database cannot be backed up."))
        backup_sqlite(url.database, target)
    elif backend == "postgresql":
        backup_postgresql(url, target)
    else:
        raise BackupError(_("Backups of %(engine)s databases are not supported.", engine=backend))
    return target.stat().st_size


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=True, file_okay=True, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@with_appcontext
def backup_command(path, force):
    """Make a consistent online backup of the database into the file PATH."""
    with force_locale(operator_locale()):
        try:
            size = make_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], path, force)
        except BackupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(_("Backup written to %(path)s (%(size)s bytes).", path=Path(path).absolute(), size=size))
