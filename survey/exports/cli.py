"""``flask --app app export``: the anonymised raw answers as CSV, written on the server."""

import os
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from .. import audit
from ..api.params import UnknownVersion, find_version
from ..extensions import db
from .raw import write_raw_csv


@click.command("export")
@click.option(
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (CSV, UTF-8 with BOM).",
)
@click.option(
    "--version",
    "version_number",
    type=click.IntRange(min=1),
    help="Only this questionnaire version (default: every version).",
)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@with_appcontext
def export_command(output, version_number, force):
    """Write the anonymised raw answers (one row per answer, no participant hash) to a CSV file."""
    path = Path(output)
    if path.exists() and not force:
        raise click.UsageError(f"{output} exists; use --force to replace it")
    if path.is_dir():
        raise click.UsageError(f"{output} is a directory")
    if not path.parent.is_dir():
        raise click.UsageError(f"the folder {str(path.parent)!r} does not exist")
    version = None
    if version_number is not None:
        try:
            version = find_version(version_number)
        except UnknownVersion as error:
            raise click.UsageError(f"no questionnaire version {version_number}") from error
    # Write beside the target, then rename: a failed export never leaves half a file under the real name.
    handle, temporary = tempfile.mkstemp(prefix=".export-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            rows = write_raw_csv(stream, version.id if version else None)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    audit.record(
        "export.answers",
        "questionnaire_version",
        version.id if version else None,
        {"version": version.number if version else "all", "cli": True},
    )
    db.session.commit()
    click.echo(f"Wrote {rows} answers to {path}.")


def init_app(app):
    """Register the export command."""
    app.cli.add_command(export_command)
