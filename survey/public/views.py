"""Public pages: home, publicity pages, privacy, language choice and the health check."""

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_timezone
from markupsafe import Markup
from sqlalchemy import select, text

from ..campaign import campaign_settings, days_to_inspection
from ..extensions import db
from ..i18n import LANGUAGES, locale_code
from ..models import Page, Street
from ..participation import board_is_inline, participation_board
from ..participation import street_board as street_summary
from ..questionnaire import attempt as attempts
from ..questionnaire.services import current_version
from ..questionnaire.structure import current_view
from ..stats import cache as stats_cache
from . import prefs

bp = Blueprint("public", __name__)
# Every page (public and staff) draws the display toggles and renders the chosen classes on <html>.
bp.app_context_processor(prefs.template_globals)


def _same_site(target):
    """``target`` when it is a path on this site, else the home page: never redirect to another host."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for(".home")
    return target


@bp.get("/")
def home():
    """The landing page: countdown, the call to take the survey, pages to read and the participation board."""
    # Per-process snapshots (survey.snapshots): no query for the questionnaire or the settings.
    version = current_view()
    campaign = campaign_settings()
    pages = _published_pages()
    return render_template(
        "public/home.html",
        featured=[page for page in pages if page.is_featured],
        other_pages=[page for page in pages if not page.is_featured],
        question_count=len(version.items) if version else 0,
        in_progress=attempts.current(),
        last_result=attempts.last_result(),
        # "Today" where the district is (the configured time zone), not where the server runs.
        days_left=days_to_inspection(campaign, today=datetime.now(get_timezone()).date()),
        inspection_date=campaign.inspection_date,
        board_section=_board_section(campaign, version),
    )


@dataclass(frozen=True)
class PageLink:
    """A published page as the home page lists it."""

    slug: str
    title: str
    is_featured: bool


def _published_pages():
    """The published pages in display order, per language; kept while only responses arrive (survey.stats.cache)."""

    def load():
        query = (
            select(Page).where(Page.is_published.is_(True)).order_by(Page.is_featured.desc(), Page.position, Page.id)
        )
        return tuple(PageLink(page.slug, page.title, page.is_featured) for page in db.session.scalars(query))

    return stats_cache.cached(
        ("public-pages", locale_code()), load, size=lambda links: 512 * (len(links) + 1), responses=False
    )


def _board_section(campaign, version):
    """The participation board's HTML (participation only: awareness, support and satisfaction stay on staff pages).

    Nothing in it depends on who is looking, so it is rendered once per language and kept until a response
    or a staff change arrives (survey.stats.cache): a WeChat push brings thousands of residents to this page.
    """

    def render():
        inline = board_is_inline()
        return render_template(
            "public/_home_board.html",
            board=participation_board(campaign, version) if inline else None,
            streets_board=None if inline else street_summary(campaign, version),
            min_count=campaign.min_count or 5,
        )

    key = ("public-home-board", locale_code(), version.id if version is not None else None)
    return Markup(stats_cache.cached(key, render))  # noqa: S704 (the autoescaped template's output)


@bp.get("/board/<code>")
def street_board(code):
    """One street's communities on the public participation board (a large district's home lists streets)."""
    street = db.session.scalar(select(Street).where(Street.code == code.lower()[:32]))
    if street is None:
        abort(404)
    campaign = campaign_settings()

    def render():
        return render_template(
            "public/_street_board.html",
            street=street,
            min_count=campaign.min_count or 5,
            board=participation_board(campaign, street=street),
        )

    section = stats_cache.cached(("public-street-board", locale_code(), street.id), render)
    return render_template("public/board.html", street=street, board_section=Markup(section))  # noqa: S704


@bp.get("/pages/<slug>")
def page(slug):
    """One published publicity page."""
    found = db.session.scalar(select(Page).where(Page.slug == slug[:64], Page.is_published.is_(True)))
    if found is None:
        abort(404)
    others = db.session.scalars(
        select(Page).where(Page.is_published.is_(True), Page.id != found.id).order_by(Page.position, Page.id)
    ).all()
    return render_template("public/page.html", page=found, others=others)


@bp.get("/privacy")
def privacy():
    """What is kept about a resident, in plain words."""
    return render_template("public/privacy.html")


@bp.get("/language/<code>")
def set_language(code):
    """Remember an explicit language choice, then go back where the resident was."""
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    session.permanent = True
    return redirect(_same_site(request.args.get("next", "")))


@bp.post("/prefs")
def set_display():
    """Remember large text / high contrast in a cookie; back to the page (or JSON for prefs.js)."""
    form = prefs.DisplayForm()
    if not form.validate():
        abort(400)
    chosen = prefs.apply(form, prefs.read())
    if request.accept_mimetypes.best == "application/json":
        response = jsonify(
            large=chosen.get("large", False), contrast=chosen.get("contrast", False), classes=prefs.html_classes(chosen)
        )
    else:
        # 303: the browser comes back with GET, so a reload never re-sends the form.
        response = redirect(_same_site(form.next.data or ""), code=303)
    return prefs.remember(response, chosen)


@bp.get("/favicon.ico")
def favicon():
    """The site's icon where a browser looks for it without reading the page's ``<link rel="icon">``."""
    return current_app.send_static_file("img/icon.svg")


@bp.get("/healthz")
def healthz():
    """200 with ``{"status": "ok"}`` when the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001  (any database failure means "not healthy")
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    version = current_version()
    return jsonify(status="ok", database="ok", questionnaire_version=version.number if version else None)
