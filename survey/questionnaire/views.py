"""The resident's practice survey: choose a community, answer section by section, see the result."""

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from .. import assisted
from ..errors import render_error
from ..extensions import db, limiter
from ..i18n import _
from ..models import Community, Street
from ..ratelimit import Allowance, configured, residents_exempt
from ..signing import csrf_token
from . import attempt as attempts
from . import services
from .forms import RetakeForm, StartForm, field_name, section_form, valid_answers
from .render import FormMarkup, cached_page, form_markup, page_key, part_markup, section_form_markup
from .results import describe_result
from .scoring import InvalidAnswer, answer_labels, coerce, correct_answer_labels, key_for, score
from .structure import SectionView, VersionView, current_view

bp = Blueprint("questionnaire", __name__)


# Per client address (salted daily hash, survey.ratelimit): every answer-saving POST shares one allowance;
# stored responses have their own, smaller one, used up only when a response was really stored.
survey_posts = Allowance(limiter, "SURVEY_LIMIT_PER_CLIENT", "survey-posts")
submissions = Allowance(limiter, "SUBMIT_LIMIT_PER_CLIENT", "survey-submit")


@bp.after_request
def _redirect_for_script(response):
    """For the survey script's own POSTs (``X-Survey-Fetch: 1``) a redirect becomes 204 + ``X-Survey-Location``.

    The script then opens that address itself: fetch would otherwise follow the redirect, and the page it
    fetched would use up the flashed message meant for the resident.
    """
    if response.status_code not in (301, 302, 303, 307, 308):  # first: a page (most responses) is left at once
        return response
    location = response.headers.get("Location")
    if location and request.headers.get("X-Survey-Fetch") == "1":
        del response.headers["Location"]
        response.headers["X-Survey-Location"] = location
        response.status_code = 204
        response.set_data(b"")
    return response


def _streets():
    return db.session.scalars(select(Street).order_by(Street.position, Street.code)).all()


def _community_by_code(code):
    community = db.session.scalar(select(Community).where(Community.code == code.lower()[:32]))
    if community is None:
        abort(404)
    return community


@bp.get("/survey/")
def choose():
    """Let the resident pick street and community before starting (in assisted mode, the worker's community)."""
    mode = assisted.current()
    form = StartForm(data={"community": mode.community.code} if mode else None)
    form.set_communities(_streets())
    return render_template(
        "questionnaire/choose.html", form=form, community=None, in_progress=attempts.current(), version=current_view()
    )


@bp.get("/c/<code>")
def community_entry(code):
    """The QR-code entry: the community is already chosen."""
    community = _community_by_code(code)
    form = StartForm(data={"community": community.code})
    form.set_communities(_streets())
    return render_template(
        "questionnaire/choose.html",
        form=form,
        community=community,
        in_progress=attempts.current(),
        version=current_view(),
    )


@bp.post("/survey/start")
def start():
    """Begin a fresh attempt for the chosen community."""
    survey_posts.use()
    form = StartForm()
    form.set_communities(_streets())
    if not form.validate():
        return render_template(
            "questionnaire/choose.html", form=form, community=None, in_progress=None, version=current_view()
        ), 422
    version = current_view()
    if version is None or not version.sections:
        abort(503)
    community = _community_by_code(form.community.data)
    return _begin(version, community)


@bp.post("/survey/retake")
def retake():
    """Start another (practice) attempt for the same community."""
    survey_posts.use()
    form = RetakeForm()
    version = current_view()
    if not form.validate() or version is None:
        abort(400)
    community = _community_by_code(form.community.data)
    return _begin(version, community)


def _begin(version, community):
    """Start an attempt and go to its first section, giving a new browser its participant cookie.

    In assisted mode every attempt is a new resident: a fresh participant, and the previous
    resident's result is no longer linked from this device.
    """
    response = redirect(url_for(".section", number=1))
    if assisted.current() is not None:
        attempts.new_resident(response)
        attempts.start(version, community, assisted=True)
        return response
    attempts.start(version, community)
    token, is_new = attempts.token_or_new()
    return attempts.ensure_participant_cookie(response, token) if is_new else response


def _attempt_or_redirect():
    """Return ``(attempt, version)`` or a redirect response when no usable attempt is in progress."""
    attempt = attempts.current()
    if attempt is None:
        last = attempts.last_result()
        if last and request.method == "POST":
            flash(_("Your answers were already received."), "info")
            return None, redirect(url_for(".result", public_id=last))
        flash(_("Please choose your community to start the survey."), "info")
        return None, redirect(url_for(".choose"))
    # The published version's content from memory (it can no longer change), not from the database.
    current = current_view()
    if current is None or attempt["version"] != current.id:
        attempts.forget()
        flash(_("The questionnaire has been updated since you started. Please start again."), "info")
        return None, redirect(url_for(".choose"))
    return (attempt, current), None


@dataclass(frozen=True)
class _Part:
    """The attempt in progress and the part of the survey it is on."""

    attempt: dict
    version: VersionView
    number: int
    section: SectionView
    is_last: bool
    first_number: int  # the number shown on the part's first question


def _part_or_redirect(number):
    """Return ``(part, None)``, or ``(None, response)`` when no usable attempt is in progress; 404 for no such part."""
    state, redirect_response = _attempt_or_redirect()
    if redirect_response is not None:
        return None, redirect_response
    attempt, version = state
    sections = version.sections
    if not 1 <= number <= len(sections):
        abort(404)
    first_number = sum(len(s.items) for s in sections[: number - 1]) + 1
    return _Part(attempt, version, number, sections[number - 1], number == len(sections), first_number), None


@bp.route("/survey/section/<int:number>", methods=["GET", "POST"])
def section(number):
    """Show one section; back/next keep the answers; the last section submits.

    The residents' allowances count POSTs only, so they are used in ``_answer_section``: a GET never
    touches them.
    """
    if request.method == "POST":
        return _answer_section(number)
    part, redirect_response = _part_or_redirect(number)
    if redirect_response is not None:
        return redirect_response
    attempts.visit(part.attempt, number)
    stored = attempts.answers(part.attempt)
    cut = part_markup(part.version, part.section, number == 1, part.is_last, part.first_number)
    if cut is None:
        markup = section_form_markup(part.version, part.section, number == 1, part.is_last, part.first_number, stored)
        return _render_section(part, None, markup, _answered(part.version, stored))

    def render(csrf, attempt, answered, questions):
        # ``questions``: the filled-in Markup, or a plain stand-in word while the page is cut (render.cached_page).
        markup = FormMarkup(cut.csrf_field(csrf), Markup(questions), cut.buttons)  # noqa: S704
        return _render_section(part, None, markup, answered, attempt_id=attempt)

    values = {
        "csrf": csrf_token(),
        "attempt": part.attempt["id"],
        "answered": _answered(part.version, stored),
        "questions": cut.questions(stored),
    }
    return cached_page(part.version, page_key(number), render, values)


def _answer_section(number):
    """Keep the posted answers; go back, forward, or (from the last part) submit."""
    survey_posts.use()
    part, redirect_response = _part_or_redirect(number)
    if redirect_response is not None:
        return redirect_response
    current_section = part.section
    known = {field_name(item) for item in current_section.items}
    if any(key.startswith("item-") and key not in known for key in request.form):
        # An answer to a question that is not on this page (another section or another version).
        return render_error(
            400,
            _("These answers do not fit this page"),
            _("Some answers belong to questions that are not on this page. Please reload the page."),
        )
    going_back = "back" in request.form
    # Plainly valid answers need no form once the app-wide CSRF check has passed; anything else (and every
    # error message) goes through the form.
    quick = g.get("csrf_valid", False) and not request.files
    answered = valid_answers(current_section, request.form) if quick else None
    form, is_valid = None, answered is not None
    if answered is None:
        form = section_form(current_section, number == 1, part.is_last, cache=part.version.forms)
        is_valid = form.validate()
        if "csrf_token" in form.errors:
            abort(400)
        answered = {
            item.id: form[field_name(item)].data or None
            for item in current_section.items
            if not form[field_name(item)].errors
        }
    attempts.store_answers(part.attempt, answered)
    if going_back:
        # Record where the resident is going in the cookie this POST writes anyway, so the GET need not.
        attempts.visit(part.attempt, number - 1)
        return redirect(url_for(".section", number=number - 1))
    if not is_valid:
        markup = form_markup(form, current_section, part.first_number)
        return _render_section(part, form, markup, _answered(part.version, attempts.answers(part.attempt))), 422
    if not part.is_last:
        attempts.visit(part.attempt, number + 1)
        return redirect(url_for(".section", number=number + 1))
    return _submit(part.attempt, part.version, part.version.sections)


def _answered(version, stored):
    """How many of the version's questions the saved answers ``stored`` cover."""
    return sum(1 for item in version.items if item.id in stored)


def _render_section(part, form, markup, answered, attempt_id=None):
    """Render a section page with its progress figures (and the attempt's keys for the browser's saved copy).

    ``markup``: the form's CSRF field, questions and buttons (questionnaire.render); ``form``: the bound form
    of a POST that failed validation (for the error summary), else None.
    """
    version = part.version
    return render_template(
        "questionnaire/section.html",
        form=form,
        form_markup=markup,
        section=part.section,
        number=part.number,
        section_count=len(version.sections),
        first_number=part.first_number,
        answered=answered,
        total=len(version.items),
        field_name=field_name,
        attempt_id=part.attempt["id"] if attempt_id is None else attempt_id,
        version=version,
    )


def _submit(attempt, version, sections):
    """Score and store the attempt, then show its result."""
    submissions.check()
    token, is_new = attempts.token_or_new()
    try:
        services.store(
            version,
            attempt["community"],
            services.participant_hash(token),
            attempt["id"],
            attempts.answers(attempt),
            assisted=attempt.get("assisted", False),
        )
    except services.IncompleteSubmission as missing:
        for position, candidate in enumerate(sections, start=1):
            if any(item.id in missing.item_ids for item in candidate.items):
                flash(_("Some questions still need an answer."), "error")
                return redirect(url_for(".section", number=position))
        abort(400)
    except InvalidAnswer:
        attempts.forget()
        return render_error(
            400,
            _("These answers could not be used"),
            _("The questionnaire changed or the answers were altered. Please start again."),
        )
    submissions.count()
    attempts.finish(attempt["id"])  # the stored response's public id
    redirect_response = redirect(url_for(".result", public_id=attempt["id"]))
    return attempts.ensure_participant_cookie(redirect_response, token) if is_new else redirect_response


@bp.get("/survey/result/<public_id>")
def result(public_id):
    """The resident's own result: score, corrections, explanations and what to read."""
    response = services.find_response(public_id[:32])
    token = attempts.participant_token()
    if response is None or token is None or services.participant_hash(token) != response.participant_hash:
        abort(404)
    details = describe_result(response)
    retake_form = RetakeForm(data={"community": response.community.code})
    return render_template("questionnaire/result.html", response=response, retake_form=retake_form, **details)


@bp.post("/survey/check")
@limiter.limit(configured("CHECK_LIMIT_PER_CLIENT"), scope="survey-check", exempt_when=residents_exempt)
def check():
    """Instant check of one knowledge answer, by the same scoring code as the result page (JSON)."""
    payload = request.get_json(silent=True)
    version = current_view()
    if not isinstance(payload, dict) or version is None or not isinstance(payload.get("item"), int):
        return jsonify(error=_("The answer could not be checked.")), 400
    item = services.item_in_version(version, payload["item"])
    if item is None or not item.is_knowledge:
        return jsonify(error=_("This question cannot be checked.")), 404
    key = key_for(item)
    try:
        value = coerce(key, payload.get("answer"))
    except InvalidAnswer:
        return jsonify(error=_("The answer could not be checked.")), 400
    if value is None:
        return jsonify(error=_("Please answer this question first.")), 422
    verdict = score(key, value)
    return jsonify(
        item=item.id,
        correct=verdict.is_correct,
        your_answer=answer_labels(item, value),
        correct_answer=correct_answer_labels(item),
        explanation=item.explanation,
        read_more=url_for("public.page", slug=item.page.slug) if item.page and item.page.is_published else None,
    )
