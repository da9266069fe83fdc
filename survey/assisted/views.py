"""Staff page to switch assisted mode on or off for the device in hand."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import audit
from ..auth.roles import STATS_ROLES, community_scope, roles_required
from ..extensions import db
from ..i18n import _
from ..models import Community, Street
from ..questionnaire import attempt as attempts
from . import current, may_assist, switch_off, switch_on
from .forms import SwitchOffForm, SwitchOnForm

bp = Blueprint("assisted", __name__, url_prefix="/admin/assisted")


def _on_form():
    """The switch-on form, offering the communities this staff member covers (their own one preselected)."""
    communities = db.session.scalars(
        select(Community)
        .join(Street)
        .where(Community.id.in_(community_scope(current_user)))
        .order_by(Street.position, Street.code, Community.position, Community.code)
    ).all()
    own = current_user.community.code if current_user.community is not None else None
    form = SwitchOnForm(data={"community": own} if own else None)
    form.community.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(c.code, c.name, optgroup=c.street.name) for c in communities
    ]
    return form


@bp.get("/")
@roles_required(*STATS_ROLES)
def index():
    """Whether this device is in assisted mode, with the button to switch it on or off."""
    return render_template("assisted/index.html", mode=current(), on_form=_on_form(), off_form=SwitchOffForm())


@bp.post("/on")
@roles_required(*STATS_ROLES)
def turn_on():
    """Switch assisted mode on for this device and hand it to the first resident."""
    form = _on_form()
    if not form.validate_on_submit():
        return render_template("assisted/index.html", mode=current(), on_form=form, off_form=SwitchOffForm()), 422
    community = db.session.scalar(select(Community).where(Community.code == form.community.data.strip().lower()[:32]))
    if community is None:
        abort(404)
    if not may_assist(current_user, community):
        abort(403)
    audit.record("assisted.on", "community", community.id, {"community": community.code})
    db.session.commit()
    flash(_("Assisted mode is on for this phone. Each completed survey starts a new anonymous resident."), "info")
    response = redirect(url_for("questionnaire.community_entry", code=community.code))
    # The staff member's own answers (if any) must not merge with the first resident's.
    attempts.new_resident(response)
    return switch_on(response, community, current_user)


@bp.post("/off")
@roles_required(*STATS_ROLES)
def turn_off():
    """End assisted mode on this device; the next person starts as a new anonymous participant."""
    if not SwitchOffForm().validate_on_submit():
        abort(400)
    mode = current()
    if mode is not None:
        audit.record("assisted.off", "community", mode.community.id, {"community": mode.community.code})
        db.session.commit()
    flash(_("Assisted mode is off on this phone."), "info")
    response = redirect(url_for(".index"))
    attempts.new_resident(response)
    return switch_off(response)
