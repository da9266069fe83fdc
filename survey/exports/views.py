"""Download the dashboards' figures (CSV, XLSX) and, for administrators, the raw answers (streamed CSV)."""

from contextlib import closing

from flask import Blueprint, Response, abort, current_app, request
from flask_login import current_user
from sqlalchemy import select

from .. import audit, localtime
from ..api.params import BadParameter, UnknownVersion, find_version, parse_filters
from ..auth.roles import MANAGE_ROLES, STATS_ROLES, can_read_community, community_scope, roles_required
from ..dashboard import services as dashboards
from ..errors import render_error
from ..extensions import db
from ..models import Community, Street
from . import tables
from .raw import raw_csv_chunks
from .writers import write_csv, write_xlsx

bp = Blueprint("exports", __name__, url_prefix="/admin/exports")

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.errorhandler(BadParameter)
def _bad_parameter(error):
    return render_error(400, detail=str(error))


@bp.errorhandler(UnknownVersion)
def _unknown_version(error):
    return render_error(404)


def _download(body, filename, fmt):
    response = Response(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "no-store"
    return response


def _file_name(subject, filters, fmt):
    """ASCII-only: codes, version and dates, e.g. civic-survey-lianhu-v1-2026-05-01-2026-05-31.csv."""
    parts = ["civic-survey", subject, f"v{filters.version.number}"]
    if filters.since or filters.until:
        parts += [str(filters.since or "start"), str(filters.until or "today")]
    return "-".join(parts) + f".{fmt}"


def _tables_response(table_list, subject, filters, fmt):
    if fmt not in MIMETYPES:
        abort(404)
    body = write_csv(table_list).encode("utf-8") if fmt == "csv" else write_xlsx(table_list)
    return _download(body, _file_name(subject, filters, fmt), fmt)


def _ranked(result):
    key = request.args.get("sort", "knowledge_awareness")
    if key not in dashboards.RANKING_KEYS:
        key = "knowledge_awareness"
    return dashboards.ranking(result.communities, key, request.args.get("order", "desc") != "asc")


@bp.get("/community/<code>.<fmt>")
@roles_required(*STATS_ROLES)
def community(code, fmt):
    """One community's headline and per-question rates, like its dashboard."""
    found = db.session.scalar(select(Community).where(Community.code == code[:32]))
    if found is None or fmt not in MIMETYPES:
        abort(404)
    if not can_read_community(current_user, found):
        abort(403)
    filters = parse_filters(request.args)
    result = dashboards.stats_for(filters.version.id, [found.id], filters.since, filters.until)
    return _tables_response(tables.community_tables(result.communities[0][1]), found.code, filters, fmt)


@bp.get("/street/<code>.<fmt>")
@roles_required("admin", "district", "street")
def street(code, fmt):
    """A street's communities ranked, the street total and per-question rates."""
    found = db.session.scalar(select(Street).where(Street.code == code[:32]))
    if found is None or fmt not in MIMETYPES:
        abort(404)
    if current_user.role == "street" and current_user.street_id != found.id:
        abort(403)
    filters = parse_filters(request.args)
    result = dashboards.stats_for(filters.version.id, [c.id for c in found.communities], filters.since, filters.until)
    street_stats = next(s for st, s in result.streets if st.id == found.id)
    return _tables_response(tables.street_tables(found, _ranked(result), street_stats), found.code, filters, fmt)


@bp.get("/district.<fmt>")
@roles_required("admin", "district")
def district(fmt):
    """Every community ranked, each street, the district total and per-question rates."""
    if fmt not in MIMETYPES:
        abort(404)
    filters = parse_filters(request.args)
    result = dashboards.stats_for(filters.version.id, community_scope(current_user), filters.since, filters.until)
    return _tables_response(
        tables.district_tables(_ranked(result), result.streets, result.district), "district", filters, fmt
    )


@bp.get("/answers.csv")
@roles_required(*MANAGE_ROLES)
def answers():
    """The anonymised raw answers, one row per answer, streamed (all versions unless ``version`` is given)."""
    number = request.args.get("version")
    version = find_version(number) if number else None
    audit.record(
        "export.answers",
        "questionnaire_version",
        version.id if version else None,
        {"version": version.number if version else "all"},
    )
    db.session.commit()
    name = f"civic-survey-answers-{f'v{version.number}' if version else 'all'}-{localtime.today().isoformat()}.csv"
    app, version_id = current_app._get_current_object(), version.id if version else None

    def chunks():
        # Its own application context (and so its own database session), entered only when the server starts
        # sending: nothing of the request is kept alive, and an unread response holds no context at all.
        with app.app_context(), closing(raw_csv_chunks(version_id)) as rows:  # closed if the client goes away
            for chunk in rows:
                yield chunk.encode("utf-8")

    return _download(chunks(), name, "csv")
