"""Dashboards for community, street and district staff, each limited to what the role covers."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..auth.roles import STATS_ROLES, can_read_community, community_scope, roles_required
from ..campaign import days_to_inspection, get_campaign
from ..extensions import db
from ..i18n import _
from ..models import Community, QuestionnaireVersion, Street
from ..questionnaire.services import current_version
from . import services
from .forms import FilterForm

bp = Blueprint("dashboard", __name__, url_prefix="/admin/dashboard")


def _filters():
    """Read version and dates from the query string; a bad value is reported, not fatal."""
    form = FilterForm(request.args)
    versions = db.session.scalars(
        select(QuestionnaireVersion).where(QuestionnaireVersion.status != "draft")
        .order_by(QuestionnaireVersion.number.desc())
    ).all()
    form.version.choices = [SelectChoice(str(v.number), _("Version %(number)d", number=v.number)) for v in versions]
    valid = form.validate() if request.args else True
    version = current_version()
    if form.version.data and form.version.data.isdigit():
        version = next((v for v in versions if v.number == int(form.version.data)), None)
        if version is None:
            abort(404)
    if version is None:
        abort(404)
    form.version.data = str(version.number)
    since = form.since.data if valid else None
    until = form.until.data if valid else None
    return form, version, since, until


def _common(form, version):
    campaign = get_campaign()
    return {"filter_form": form, "version": version, "campaign": campaign,
            "days_left": days_to_inspection(campaign), "query": request.args.to_dict()}


@bp.get("/")
@roles_required(*STATS_ROLES)
def index():
    """Send each role to the widest dashboard it covers."""
    if current_user.role == "community":
        return redirect(url_for(".community", code=current_user.community.code))
    if current_user.role == "street":
        return redirect(url_for(".street", code=current_user.street.code))
    return redirect(url_for(".district"))


@bp.get("/community/<code>")
@roles_required(*STATS_ROLES)
def community(code):
    """One community: cards, progress to target, weakest questions, trend, comparison."""
    found = db.session.scalar(select(Community).where(Community.code == code[:32]))
    if found is None:
        abort(404)
    if not can_read_community(current_user, found):
        abort(403)
    form, version, since, until = _filters()
    result = services.stats_for(version.id, [found.id], since, until)
    stats = result.communities[0][1]
    people_chart, awareness_chart, table = services.trend(
        version.id, [found.id], since, until, stats.target, marker_label=_("Inspection day"))
    return render_template(
        "dashboard/community.html", community=found, stats=stats, street_stats=result.streets[0][1],
        district_stats=result.district, missed=services.most_missed(stats), people_chart=people_chart,
        awareness_chart=awareness_chart, trend_table=table, min_count=result.min_count,
        **_common(form, version),
    )


def _ranking_args():
    key = request.args.get("sort", "knowledge_awareness")
    if key not in services.RANKING_KEYS:
        key = "knowledge_awareness"
    return key, request.args.get("order", "desc") != "asc"


def _rollup_page(template, title, unit_stats, community_ids, form, version, since, until, detail, **extra):
    result = services.stats_for(version.id, community_ids, since, until, detail)
    key, descending = _ranking_args()
    people_chart, awareness_chart, table = services.trend(
        version.id, community_ids, since, until, unit_stats(result).target, marker_label=_("Inspection day"))
    # One url_for for hundreds of rows: codes are [a-z0-9-] (CODE_PATTERN), so they need no quoting.
    link = url_for(".community", code="~", version=version.number)
    community_link = {c.code: link.replace("/~?", f"/{c.code}?", 1) for c, _stats in result.communities}
    return render_template(
        template, title=title, stats=unit_stats(result), result=result, community_link=community_link,
        ranking=services.ranking(result.communities, key, descending), sort=key, descending=descending,
        missed=services.most_missed(unit_stats(result)), people_chart=people_chart,
        awareness_chart=awareness_chart, trend_table=table, min_count=result.min_count,
        **_common(form, version), **extra,
    )


@bp.get("/street/<code>")
@roles_required("admin", "district", "street")
def street(code):
    """A street: its communities ranked, the heat map, the street's cards."""
    found = db.session.scalar(select(Street).where(Street.code == code[:32]))
    if found is None:
        abort(404)
    if current_user.role == "street" and current_user.street_id != found.id:
        abort(403)
    form, version, since, until = _filters()
    ids = [c.id for c in found.communities]
    return _rollup_page("dashboard/rollup.html", found.name,
                        lambda r: next(s for st, s in r.streets if st.id == found.id),
                        ids, form, version, since, until, "community", street=found)


@bp.get("/district")
@roles_required("admin", "district")
def district():
    """The whole district: every community ranked, streets compared, the heat map."""
    form, version, since, until = _filters()
    return _rollup_page("dashboard/rollup.html", _("Whole district"), lambda r: r.district,
                        community_scope(current_user), form, version, since, until, "street", street=None)
