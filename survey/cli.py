"""Command-line tools: ``flask --app app seed-demo | simulate-responses | translate …``."""

import subprocess
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .extensions import db
from .models import Community

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has content.")
@with_appcontext
def seed_demo(if_empty):
    """Load the demo district, publicity pages and questionnaire version 1."""
    from .demo import is_empty, load_demo

    if not is_empty():
        if if_empty:
            click.echo("Database already has content; demo not loaded.")
            return
        raise click.ClickException("The database already has content; seed-demo only fills an empty one.")
    version = load_demo()
    click.echo(
        f"Demo loaded: {db.session.scalar(select(db.func.count()).select_from(Community))} communities, "
        f"questionnaire version {version.number} with {len(version.items)} items."
    )


@click.command("simulate-responses")
@click.option("--count", type=click.IntRange(1, 10_000_000), required=True, help="How many responses to add.")
@click.option("--community", "community_code", help="Only this community (its code).")
@click.option("--seed", type=int, help="Random seed, for repeatable data.")
@click.option(
    "--days",
    type=click.IntRange(1, 365),
    default=30,
    show_default=True,
    help="Spread submissions over this many past days.",
)
@with_appcontext
def simulate_responses_command(count, community_code, seed, days):
    """Add synthetic residents' responses through the real scoring code."""
    import time

    from .demo import simulate_responses

    community = None
    if community_code:
        community = db.session.scalar(select(Community).where(Community.code == community_code))
        if community is None:
            raise click.BadParameter(f"no community with code {community_code!r}", param_hint="--community")
    started = time.perf_counter()
    try:
        stored = simulate_responses(count, community=community, seed=seed, days=days)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    elapsed = time.perf_counter() - started
    click.echo(f"Stored {stored} responses in {elapsed:.1f} s ({stored / elapsed:.0f}/s).")


ACCOUNT_ERROR_TEXT = {
    "bad_username": "username must be 3–64 letters, digits, dots, dashes or underscores",
    "bad_role": "unknown role",
    "too_short": "password must have at least 10 characters",
    "too_long": "password is too long",
    "username_taken": "that username is taken",
    "unknown_street": "--street must name an existing street code for the street role",
    "unknown_community": "--community must name an existing community code for the community role",
    "street_only_for_street_role": "--street is only for the street role",
    "community_only_for_community_role": "--community is only for the community role",
}


def _read_password():
    """Ask twice on a terminal; otherwise read one line from standard input."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("no password given on standard input")
    return line.rstrip("\r\n")


@click.command("create-staff")
@click.option("--username", required=True, help="Login name (3–64 letters, digits, . - _).")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "editor", "district", "street", "community"]),
    help="What the account may do.",
)
@click.option("--street", "street_code", help="Street code (street role only).")
@click.option("--community", "community_code", help="Community code (community role only).")
@with_appcontext
def create_staff_command(username, role, street_code, community_code):
    """Create a staff account; the password is read from a prompt or standard input, never from arguments."""
    from .auth.services import AccountError, create_staff

    password = _read_password()
    try:
        staff = create_staff(username, password, role, street_code=street_code, community_code=community_code)
    except AccountError as error:
        db.session.rollback()
        raise click.UsageError(ACCOUNT_ERROR_TEXT[str(error)]) from error
    click.echo(f"Created {staff.role} account {staff.username!r}.")


@click.group("stats")
def stats_group():
    """Maintain the pre-aggregated statistics."""


@stats_group.command("rebuild")
@with_appcontext
def stats_rebuild():
    """Recompute the rollup tables from the raw responses."""
    from . import audit
    from .stats.rollup import rebuild

    rebuild()
    # The audit entry also tells every server process that the figures changed (survey.stats.cache).
    audit.record("stats.rebuild", "stats")
    db.session.commit()
    click.echo("Statistics rebuilt from raw responses.")


@stats_group.command("check")
@with_appcontext
def stats_check():
    """Compare the rollups with a recount from raw answers; exit 1 on any difference."""
    from .models import QuestionnaireVersion
    from .stats.counts import raw_counts, rollup_counts

    problems = 0
    for version in db.session.scalars(select(QuestionnaireVersion)):
        fast, slow = rollup_counts(version.id), raw_counts(version.id)
        for community_id in set(fast) | set(slow):
            a, b = fast.get(community_id), slow.get(community_id)
            same = (
                a is not None
                and b is not None
                and a.participants == b.participants
                and a.assisted == b.assisted
                and dict(a.items) == dict(b.items)
                and a.gain_participants == b.gain_participants
                and abs(a.score_sum - b.score_sum) < 1e-6
                and abs(a.gain_sum - b.gain_sum) < 1e-6
            )
            if not same:
                problems += 1
                click.echo(f"version {version.number}, community id {community_id}: rollup differs from recount")
    if problems:
        raise click.ClickException(f"{problems} difference(s); run `flask --app app stats rebuild`")
    click.echo("Statistics match a recount from raw answers.")


@click.group("translate")
def translate():
    """Extract, update and compile interface translations (wraps pybabel)."""


def _pybabel(*args):
    result = subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=False)
    if result.returncode:
        raise click.ClickException(f"pybabel {args[0]} failed")


def _extract():
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "N_",
        "--no-location",
        "--sort-output",
        "-o",
        str(TRANSLATIONS / "messages.pot"),
        ".",
    )


@translate.command("extract")
def extract():
    """Collect interface strings into translations/messages.pot."""
    _extract()


@translate.command("update")
def update():
    """Extract, then merge new strings into every catalog (English copies its source text)."""
    _extract()
    _pybabel(
        "update",
        "-i",
        str(TRANSLATIONS / "messages.pot"),
        "-d",
        str(TRANSLATIONS),
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )
    from .i18n_catalogs import fill_source_locale

    fill_source_locale(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")


@translate.command("compile")
def compile_catalogs():
    """Compile every catalog to .mo (run by make and CI)."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


def init_app(app):
    """Register the commands on the app's CLI."""
    for command in (seed_demo, simulate_responses_command, create_staff_command, stats_group, translate):
        app.cli.add_command(command)
    from .api.cli import init_app as init_token_commands
    from .backup import backup_command
    from .exports.cli import init_app as init_export_commands

    app.cli.add_command(backup_command)

    init_token_commands(app)
    init_export_commands(app)
