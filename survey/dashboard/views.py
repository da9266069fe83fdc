"""Dashboards for community, street and district staff, each limited to what the role covers.

Each page is a per-request shell (templates/dashboard/page.html: staff bar, display and logout forms with
their CSRF tokens) around an inner part kept in the stats cache (survey/stats/cache.py) while the data is
unchanged. Access is checked before the cache is consulted, from codes and ids alone.
"""

import sys

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import frames, localtime
from ..auth.roles import STATS_ROLES, can_read_community, community_scope, roles_required
from ..campaign import days_to_inspection, get_campaign
from ..extensions import db
from ..i18n import _, locale_code
from ..models import Community, QuestionnaireVersion, Street
from ..questionnaire.services import current_version
from ..stats import cache as stats_cache
from ..stats.services import find_community, find_street
from . import services
from .forms import FilterForm

bp = Blueprint("dashboard", __name__, url_prefix="/admin/dashboard")
# Longer query strings (sum of names and values) are rendered without a cache entry.
MAX_QUERY = 512
# Where the cached inner part goes in the rendered shell. The inner part is kept as UTF-8 bytes (half the
# memory of a string holding Chinese, and no encoding per request); autoescaping keeps this text out of
# anything a user wrote, so it occurs once.
BODY_SLOT = Markup("<!-- dashboard body -->")


def _filters():
    """Read version and dates from the query string; a bad value is reported, not fatal."""
    form = FilterForm(request.args)
    versions = db.session.scalars(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.status != "draft")
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
    return {"filter_form": form, "version": version, "campaign": campaign, "days_left": days_to_inspection(campaign)}


@bp.get("/")
@roles_required(*STATS_ROLES)
def index():
    """Send each role to the widest dashboard it covers."""
    if current_user.role == "community":
        return redirect(url_for(".community", code=current_user.community.code))
    if current_user.role == "street":
        return redirect(url_for(".street", code=current_user.street.code))
    return redirect(url_for(".district"))


def _page(title, body):
    """The per-request shell (staff bar, forms with their CSRF tokens) around a cached inner part (UTF-8)."""
    # The frame is the same for this person, address, language and display mode but for its CSRF token.
    staff = current_user._get_current_object()
    key = frames.frame_key("dashboard", staff.id, staff.username, staff.role, title)
    shell = frames.frame(key, lambda: render_template("dashboard/page.html", title=title, body=BODY_SLOT)).encode()
    head, slot, tail = shell.partition(BODY_SLOT.encode())
    if not slot:
        raise RuntimeError("dashboard/page.html lost its body slot")
    return current_app.response_class(head + body + tail, mimetype="text/html")


def _render_utf8(template, **context):
    return render_template(template, **context).encode()


def _cached_body(place_code, render):
    """``(title, inner HTML as UTF-8)`` of this dashboard from the stats cache, made by ``render()`` when stale.

    Called only after the viewer's access was checked. The key holds everything that shapes the inner part:
    the page and unit, the viewer's role and scope (the export links differ), the language, today's date
    (days to inspection day, the trend's last day), where the site is mounted and the whole query string.
    """
    args = tuple(sorted(request.args.items(multi=True)))
    if sum(len(k) + len(v) for k, v in args) > MAX_QUERY:  # not worth a cache entry: render it
        return render()
    key = (
        "page",
        request.endpoint,
        place_code,
        stats_cache.viewer_scope(current_user._get_current_object()),
        locale_code(),
        localtime.today(),
        request.script_root,
        args,
    )
    return stats_cache.cached(key, render, size=lambda page: sys.getsizeof(page[0]) + len(page[1]))


@bp.get("/community/<code>")
@roles_required(*STATS_ROLES)
def community(code):
    """One community: cards, progress to target, weakest questions, trend, comparison."""
    place = find_community(code)
    if place is None:
        abort(404)
    if not can_read_community(current_user._get_current_object(), place):
        abort(403)

    def render():
        found = db.session.get(Community, place.id)
        form, version, since, until = _filters()
        result = services.stats_for(version.id, [found.id], since, until)
        stats = result.communities[0][1]
        people_chart, awareness_chart, table = services.trend(
            version.id, [found.id], since, until, stats.target, marker_label=_("Inspection day")
        )
        return found.name, _render_utf8(
            "dashboard/community.html",
            community=found,
            stats=stats,
            street_stats=result.streets[0][1],
            district_stats=result.district,
            missed=services.most_missed(stats),
            people_chart=people_chart,
            awareness_chart=awareness_chart,
            trend_table=table,
            min_count=result.min_count,
            **_common(form, version),
        )

    return _page(*_cached_body(place.code, render))


def _ranking_args():
    key = request.args.get("sort", "knowledge_awareness")
    if key not in services.RANKING_KEYS:
        key = "knowledge_awareness"
    return key, request.args.get("order", "desc") != "asc"


def _rollup_body(template, title, unit_stats, community_ids, detail, **extra):
    form, version, since, until = _filters()
    result = services.stats_for(version.id, community_ids, since, until, detail)
    key, descending = _ranking_args()
    people_chart, awareness_chart, table = services.trend(
        version.id, community_ids, since, until, unit_stats(result).target, marker_label=_("Inspection day")
    )
    # One url_for for hundreds of rows: codes are [a-z0-9-] (CODE_PATTERN), so they need no quoting.
    link = url_for(".community", code="~", version=version.number)
    community_link = {c.code: link.replace("/~?", f"/{c.code}?", 1) for c, _stats in result.communities}
    return title, _render_utf8(
        template,
        title=title,
        stats=unit_stats(result),
        result=result,
        community_link=community_link,
        ranking=services.ranking(result.communities, key, descending),
        sort=key,
        descending=descending,
        missed=services.most_missed(unit_stats(result)),
        people_chart=people_chart,
        awareness_chart=awareness_chart,
        trend_table=table,
        min_count=result.min_count,
        **_common(form, version),
        **extra,
    )


@bp.get("/street/<code>")
@roles_required("admin", "district", "street")
def street(code):
    """A street: its communities ranked, the heat map, the street's cards."""
    place = find_street(code)
    if place is None:
        abort(404)
    if current_user.role == "street" and current_user.street_id != place.id:
        abort(403)

    def render():
        found = db.session.get(Street, place.id)
        return _rollup_body(
            "dashboard/rollup.html",
            found.name,
            lambda r: next(s for st, s in r.streets if st.id == found.id),
            [c.id for c in found.communities],
            "community",
            street=found,
        )

    return _page(*_cached_body(place.code, render))


@bp.get("/district")
@roles_required("admin", "district")
def district():
    """The whole district: every community ranked, streets compared, the heat map."""
    return _page(
        *_cached_body(
            None,
            lambda: _rollup_body(
                "dashboard/rollup.html",
                _("Whole district"),
                lambda r: r.district,
                community_scope(current_user),
                "street",
                street=None,
            ),
        )
    )
