"""``flask --app app create-token | revoke-token``: API tokens are made and revoked on the server."""

import click
from flask.cli import with_appcontext

from ..extensions import db
from .tokens import TokenError, create_token, revoke_by_name

TOKEN_ERROR_TEXT = {
    "unknown_user": "no staff account with that --username",
    "inactive_user": "that account is disabled; enable it before making a token",
    "bad_name": "--name must be 1–64 letters, digits, spaces, dots, dashes, underscores or @",
    "name_taken": "that account already has a live token with this --name; revoke it or choose another name",
    "no_such_token": "that account has no live token with this --name",
    "no_live_tokens": "that account has no live tokens",
}


@click.command("create-token")
@click.option("--username", required=True, help="The staff account the token reads for.")
@click.option("--name", help="A label to tell tokens apart (default: token-N).")
@with_appcontext
def create_token_command(username, name):
    """Make an API token and print it once; only its hash is stored."""
    try:
        token, secret = create_token(username, name)
    except TokenError as error:
        db.session.rollback()
        raise click.UsageError(TOKEN_ERROR_TEXT[str(error)]) from error
    click.echo(
        f"Token {token.name!r} for {username}. Copy it now; it is not stored and cannot be shown again:", err=True
    )
    click.echo(secret)


@click.command("revoke-token")
@click.option("--username", required=True, help="The staff account whose token(s) to revoke.")
@click.option("--name", help="Revoke the live token with this label.")
@click.option("--all", "everything", is_flag=True, help="Revoke every live token of the account.")
@with_appcontext
def revoke_token_command(username, name, everything):
    """Revoke an API token (by --name) or all of an account's tokens (--all)."""
    if bool(name) == everything:
        raise click.UsageError("give exactly one of --name LABEL or --all")
    try:
        count = revoke_by_name(username, name, everything)
    except TokenError as error:
        db.session.rollback()
        raise click.UsageError(TOKEN_ERROR_TEXT[str(error)]) from error
    click.echo(f"Revoked {count} token{'s' if count != 1 else ''} of {username}.")


def init_app(app):
    """Register the token commands."""
    app.cli.add_command(create_token_command)
    app.cli.add_command(revoke_token_command)
