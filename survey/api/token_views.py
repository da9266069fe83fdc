"""The staff page listing one's own API tokens, where they can be revoked."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth.roles import ALL_ROLES, roles_required
from ..extensions import db
from ..i18n import _
from ..models import ApiToken
from . import tokens
from .forms import RevokeTokenForm

bp = Blueprint("tokens", __name__, url_prefix="/admin/tokens")


@bp.get("/")
@roles_required(*ALL_ROLES)
def index():
    """Name, created, last used and revoked of each of the staff member's own tokens."""
    return render_template("api/tokens.html", tokens=tokens.own_tokens(current_user.id), form=RevokeTokenForm())


@bp.post("/<int:token_id>/revoke")
@roles_required(*ALL_ROLES)
def revoke(token_id):
    """Revoke one of one's own tokens (another member's token is not found, not forbidden)."""
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        abort(400)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.staff_id != current_user.id:
        abort(404)
    if tokens.revoke([token], actor=current_user):
        flash(
            _("Token “%(name)s” revoked. Programs using it can no longer read the statistics.", name=token.name), "info"
        )
    return redirect(url_for(".index"))
