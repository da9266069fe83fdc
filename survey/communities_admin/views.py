"""Administrators' pages for streets and communities: list, create, edit and import."""

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_percent
from flask_login import current_user
from itsdangerous import BadSignature
from sqlalchemy import select

from ..auth.roles import MANAGE_ROLES, roles_required
from ..campaign import get_campaign
from ..errors import render_error
from ..extensions import db
from ..i18n import _
from ..models import Community, Street
from ..participation import effective_share, participants_by_community, participation_target
from ..questionnaire.services import current_version
from . import services
from .forms import CommunityForm, ConfirmImportForm, ImportForm, StreetForm

bp = Blueprint("communities_admin", __name__, url_prefix="/admin/communities")
MAX_BODY = 4 * 1024 * 1024
MAX_PROBLEMS_SHOWN = 300


@bp.url_value_preprocessor
def _larger_bodies(endpoint, values):
    """Allow uploads and the signed preview (up to 4 MB) instead of the residents' small limit.

    URL value preprocessors run before every before_request hook, and CSRF protection (an app-wide
    before_request hook) already reads the form: a blueprint before_request would come too late.
    """
    request.max_content_length = MAX_BODY
    request.max_form_memory_size = MAX_BODY


@bp.errorhandler(413)
def _too_large(error):
    return render_error(413, _("The file is too large"), _("Files up to 4 MB can be imported. Split the file."))


def _streets():
    return db.session.scalars(select(Street).order_by(Street.position, Street.id)).all()


def _percent(share):
    """A share 0–1 as a plain percent number for a form field (0.125 → 12.5)."""
    return Decimal(f"{share * 100:.2f}".rstrip("0").rstrip(".")) if share is not None else None


@bp.get("/")
@roles_required(*MANAGE_ROLES)
def index():
    """Streets and their communities, with targets and participants so far."""
    campaign = get_campaign()
    version = current_version()
    streets = _streets()
    counts = participants_by_community(version.id if version else None)
    targets = {
        c.id: participation_target(c.target_population, effective_share(c, campaign))
        for street in streets
        for c in street.communities
    }
    return render_template(
        "communities_admin/index.html",
        streets=streets,
        counts=counts,
        targets=targets,
        campaign=campaign,
        version=version,
    )


@bp.route("/streets/new", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def new_street():
    """Add a street."""
    return _street_page(None)


@bp.route("/streets/<int:street_id>", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def edit_street(street_id):
    """Change a street's code, names or order."""
    street = db.session.get(Street, street_id) or abort(404)
    return _street_page(street)


def _street_page(street):
    data = None
    if street is not None:
        data = {
            "code": street.code,
            "name_zh": street.tr("name", "zh"),
            "name_en": street.tr("name", "en"),
            "position": street.position,
        }
    form = StreetForm(data=data)
    if form.validate_on_submit():
        names = {"zh": form.name_zh.data, "en": form.name_en.data}
        try:
            if street is None:
                saved = services.create_street(form.code.data, names, form.position.data)
            else:
                saved = services.update_street(street, form.code.data, names, form.position.data)
        except services.CodeTaken:
            db.session.rollback()
            form.code.errors.append(_("Another street already uses the code %(code)s.", code=form.code.data))
        else:
            flash(_("Street %(name)s saved.", name=saved.tr("name")), "info")
            return redirect(url_for(".index"))
    return render_template("communities_admin/street_form.html", form=form, street=street), 422 if form.errors else 200


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def new_community():
    """Add a community (``?street=<id>`` preselects its street)."""
    return _community_page(None)


@bp.route("/<int:community_id>", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def edit_community(community_id):
    """Change a community's street, code, names or target."""
    community = db.session.get(Community, community_id) or abort(404)
    return _community_page(community)


def _community_page(community):
    streets = _streets()
    if not streets:
        flash(_("Add a street first: every community belongs to one."), "info")
        return redirect(url_for(".new_street"))
    if community is not None:
        data = {
            "street": community.street_id,
            "code": community.code,
            "name_zh": community.tr("name", "zh"),
            "name_en": community.tr("name", "en"),
            "target_population": community.target_population,
            "target_share": _percent(community.target_share),
            "position": community.position,
        }
    else:
        data = {"street": request.args.get("street", type=int)}
    form = CommunityForm(data=data)
    form.street.choices = [(street.id, f"{street.tr('name')} ({street.code})") for street in streets]
    form.target_share.description = _(
        "Leave empty to use the campaign default (%(share)s).",
        share=format_percent(get_campaign().default_target_share or 0.2, "#,##0.##%"),
    )
    if form.validate_on_submit():
        street = db.session.get(Street, form.street.data)
        names = {"zh": form.name_zh.data, "en": form.name_en.data}
        share = float(form.target_share.data) / 100 if form.target_share.data is not None else None
        args = (street, form.code.data, names, form.target_population.data, share, form.position.data)
        try:
            saved = (
                services.create_community(*args) if community is None else services.update_community(community, *args)
            )
        except services.CodeTaken:
            db.session.rollback()
            form.code.errors.append(_("Another community already uses the code %(code)s.", code=form.code.data))
        else:
            flash(_("Community %(name)s saved.", name=saved.tr("name")), "info")
            return redirect(url_for(".index"))
    return render_template(
        "communities_admin/community_form.html", form=form, community=community
    ), 422 if form.errors else 200


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*MANAGE_ROLES)
def import_upload():
    """Upload a CSV or XLSX file; it is checked whole, then previewed before anything changes."""
    form = ImportForm()
    problems = []
    if form.validate_on_submit():
        upload = form.file.data
        rows, problems = services.parse_import(upload.filename or "", upload.read(MAX_BODY + 1))
        if not problems:
            confirm = ConfirmImportForm(payload=services.sign_rows(rows, current_user.id))
            return render_template(
                "communities_admin/import_preview.html",
                rows=rows,
                confirm=confirm,
                summary=services.summarise(rows),
                filename=upload.filename,
            )
    return _upload_page(form, problems)


def _upload_page(form, problems):
    status = 422 if problems or form.errors else 200
    return render_template(
        "communities_admin/import_upload.html",
        form=form,
        problems=problems[:MAX_PROBLEMS_SHOWN],
        problem_count=len(problems),
        columns=services.COLUMNS,
        max_rows=services.MAX_ROWS,
    ), status


@bp.post("/import/confirm")
@roles_required(*MANAGE_ROLES)
def import_confirm():
    """Apply a previewed import: all rows, or — when any row no longer passes — none."""
    confirm = ConfirmImportForm()
    if not confirm.validate_on_submit():
        abort(400)
    try:
        rows = services.load_signed_rows(confirm.payload.data, current_user.id)
        summary = services.apply_import(rows)
    except BadSignature:
        abort(400)
    except services.ImportRejected as rejected:
        db.session.rollback()
        return _upload_page(ImportForm(formdata=None), rejected.problems)
    flash(
        _(
            "Import done: %(new)d new and %(updated)d updated communities, %(streets)d new streets.",
            new=summary["communities_new"],
            updated=summary["communities_updated"],
            streets=summary["streets_new"],
        ),
        "info",
    )
    return redirect(url_for(".index"))
