"""QR posters for community staff to print: an index, an A4 page per community, and the QR as PNG or SVG."""

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from ..auth.roles import STATS_ROLES, can_read_community, community_scope, roles_required
from ..extensions import db
from ..models import Community, Street
from . import services

bp = Blueprint("posters", __name__, url_prefix="/admin/posters")


def _community(code):
    """The community with this code, if the current staff member may print its poster."""
    found = db.session.scalar(select(Community).where(Community.code == code[:32]))
    if found is None:
        abort(404)
    if not can_read_community(current_user, found):
        abort(403)
    return found


def _download(body, mimetype, filename):
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/")
@roles_required(*STATS_ROLES)
def index():
    """The communities this staff member may print a poster for, by street."""
    communities = db.session.scalars(
        select(Community)
        .join(Street)
        .where(Community.id.in_(community_scope(current_user)))
        .order_by(Street.position, Street.code, Community.position, Community.code)
    ).all()
    streets = {}
    for community in communities:
        streets.setdefault(community.street, []).append(community)
    return render_template("posters/index.html", streets=streets)


@bp.get("/<code>")
@roles_required(*STATS_ROLES)
def poster(code):
    """An A4 poster: site name, community, QR code, the address, a call to action and progress to the target."""
    community = _community(code)
    # segno's SVG is geometry only (no staff or resident text, no style attributes), so it is safe inline.
    qr_markup = Markup(services.qr_svg(community, inline=True))  # noqa: S704
    return render_template(
        "posters/poster.html",
        community=community,
        url=services.survey_url(community),
        qr_markup=qr_markup,
        progress=services.progress(community),
    )


@bp.get("/<code>.png")
@roles_required(*STATS_ROLES)
def qr_png(code):
    """The QR code as a PNG file."""
    community = _community(code)
    return _download(services.qr_png(community), "image/png", f"qr-{community.code}.png")


@bp.get("/<code>.svg")
@roles_required(*STATS_ROLES)
def qr_svg(code):
    """The QR code as an SVG file (scales to any print size)."""
    community = _community(code)
    return _download(services.qr_svg(community), "image/svg+xml", f"qr-{community.code}.svg")
