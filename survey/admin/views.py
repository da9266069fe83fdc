"""Staff home, campaign settings, staff accounts and the audit log."""

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from .. import audit
from ..auth import services as accounts
from ..auth.roles import ALL_ROLES, MANAGE_ROLES, roles_required
from ..campaign import get_campaign, update_campaign
from ..extensions import db
from ..i18n import _
from ..localtime import local_dates
from ..models import AuditEntry, StaffSession, StaffUser, Street
from ..models.base import utcnow
from .forms import ROLE_LABELS, CampaignForm, ConfirmForm, StaffForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE_SIZE = 50


@bp.get("/")
@roles_required(*ALL_ROLES)
def index():
    """The staff home: what this role can do."""
    return render_template("admin/index.html", role_label=ROLE_LABELS[current_user.role])


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def settings():
    """Campaign settings: site name, inspection day, default target, minimum count."""
    campaign = get_campaign()
    form = CampaignForm(
        data={
            "site_name_zh": campaign.tr("site_name", "zh"),
            "site_name_en": campaign.tr("site_name", "en"),
            "inspection_date": campaign.inspection_date,
            "default_target_share": round((campaign.default_target_share or 0.2) * 100),
            "min_count": campaign.min_count or 5,
        }
    )
    if form.validate_on_submit():
        update_campaign(
            {"zh": form.site_name_zh.data.strip(), "en": form.site_name_en.data.strip()},
            form.inspection_date.data,
            form.default_target_share.data / 100,
            form.min_count.data,
        )
        flash(_("Settings saved."), "info")
        return redirect(url_for(".settings"))
    return render_template("admin/settings.html", form=form), 422 if form.errors else 200


def _staff_form():
    form = StaffForm()
    streets = db.session.scalars(select(Street).order_by(Street.position)).all()
    form.street.choices = [SelectChoice("", "—")] + [SelectChoice(s.code, s.name) for s in streets]
    form.community.choices = [SelectChoice("", "—")] + [
        SelectChoice(c.code, c.name, optgroup=s.name) for s in streets for c in s.communities
    ]
    return form


# Which form field an AccountError code belongs to.
ACCOUNT_ERROR_FIELDS = {
    "bad_username": "username",
    "username_taken": "username",
    "unknown_street": "street",
    "unknown_community": "community",
    "street_only_for_street_role": "street",
    "community_only_for_community_role": "community",
    "too_short": "password",
    "too_long": "password",
    "bad_role": "role",
}


def _account_error_message(code):
    messages = {
        "bad_username": _("3–64 letters, digits, dots, dashes or underscores."),
        "username_taken": _("This username is taken."),
        "unknown_street": _("Choose the street this account covers."),
        "unknown_community": _("Choose the community this account covers."),
        "street_only_for_street_role": _("Only street staff have a street."),
        "community_only_for_community_role": _("Only community staff have a community."),
        "too_short": _("Use at least 10 characters."),
        "too_long": _("That password is too long."),
        "bad_role": _("Choose a role."),
    }
    return messages[code]


@bp.route("/staff", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def staff():
    """List staff accounts and create new ones."""
    form = _staff_form()
    if form.validate_on_submit():
        try:
            created = accounts.create_staff(
                form.username.data.strip(),
                form.password.data,
                form.role.data,
                street_code=form.street.data or None,
                community_code=form.community.data or None,
                actor=current_user,
            )
        except accounts.AccountError as error:
            db.session.rollback()
            field = ACCOUNT_ERROR_FIELDS[str(error)]
            form[field].errors.append(_account_error_message(str(error)))
        else:
            flash(_("Account %(name)s created.", name=created.username), "info")
            return redirect(url_for(".staff"))
    members = db.session.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.username)).all()
    return render_template(
        "admin/staff.html", form=form, members=members, role_labels=ROLE_LABELS, toggle_form=ConfirmForm()
    ), 422 if form.errors else 200


@bp.post("/staff/<int:staff_id>/active")
@roles_required(*MANAGE_ROLES)
def toggle_staff(staff_id):
    """Disable or re-enable an account; disabling ends its sessions at once."""
    form = ConfirmForm()
    member = db.session.get(StaffUser, staff_id)
    if member is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    if member.id == current_user.id:
        flash(_("You cannot disable your own account."), "error")
        return redirect(url_for(".staff"))
    member.is_active = not member.is_active
    if not member.is_active:
        for login in db.session.scalars(
            select(StaffSession).where(StaffSession.staff_id == member.id, StaffSession.ended_at.is_(None))
        ):
            login.ended_at = utcnow()
    audit.record(
        "staff.enable" if member.is_active else "staff.disable", "staff", member.id, {"username": member.username}
    )
    db.session.commit()
    flash(
        _("Account %(name)s enabled.", name=member.username)
        if member.is_active
        else _("Account %(name)s disabled.", name=member.username),
        "info",
    )
    return redirect(url_for(".staff"))


def _parse_day(value):
    try:
        return datetime.strptime(value, "%Y-%m-%d").date() if value else None
    except ValueError:
        return None


@bp.get("/audit")
@roles_required(*MANAGE_ROLES)
def audit_log():
    """Every staff change, newest first, filtered by action, person and dates."""
    action = request.args.get("action", "").strip()[:64]
    username = request.args.get("staff", "").strip()[:64]
    since, until = _parse_day(request.args.get("since", "")), _parse_day(request.args.get("until", ""))
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if username:
        query = query.join(StaffUser, AuditEntry.staff_id == StaffUser.id).where(StaffUser.username == username)
    start, end = local_dates(since, until)  # the district's days, as the times are shown
    if start is not None:
        query = query.where(AuditEntry.created_at >= start)
    if end is not None:
        query = query.where(AuditEntry.created_at < end)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    entries = db.session.scalars(query.limit(AUDIT_PAGE_SIZE).offset((page - 1) * AUDIT_PAGE_SIZE)).all()
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    return render_template(
        "admin/audit.html",
        entries=entries,
        total=total,
        page=page,
        page_size=AUDIT_PAGE_SIZE,
        actions=actions,
        filters={"action": action, "staff": username, "since": since or "", "until": until or ""},
    )
