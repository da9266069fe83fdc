"""The resident's practice survey: choose a community, answer section by section, see the result."""
from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from .. import assisted
from ..errors import render_error
from ..extensions import db, limiter
from ..i18n import _
from ..models import Community, Street
from ..ratelimit import configured, residents_exempt
from . import attempt as attempts
from . import services
from .forms import RetakeForm, StartForm, field_name, section_form
from .results import describe_result
from .scoring import InvalidAnswer, answer_labels, coerce, correct_answer_labels, key_for, score
from .structure import frozen_view

bp = Blueprint("questionnaire", __name__)


def _not_a_submission():
    """Only a forward POST of the last section can store a response; the submission limit skips the rest."""
    if residents_exempt() or request.method != "POST" or "back" in request.form:
        return True
    version = services.current_version()
    return version is None or (request.view_args or {}).get("number") != len(version.sections)


# Per client address (salted daily hash, survey.ratelimit): every answer-saving POST shares one allowance;
# stored responses have their own, smaller one, used up only when a response was really stored.
survey_posts_limit = limiter.shared_limit(configured("SURVEY_LIMIT_PER_CLIENT"), scope="survey-posts",
                                          methods=["POST"], exempt_when=residents_exempt)
submission_limit = limiter.limit(configured("SUBMIT_LIMIT_PER_CLIENT"), scope="survey-submit", methods=["POST"],
                                 exempt_when=_not_a_submission, deduct_when=lambda _: g.get("response_stored", False))


@bp.after_request
def _redirect_for_script(response):
    """For the survey script's own POSTs (``X-Survey-Fetch: 1``) a redirect becomes 204 + ``X-Survey-Location``.

    The script then opens that address itself: fetch would otherwise follow the redirect, and the page it
    fetched would use up the flashed message meant for the resident.
    """
    location = response.headers.get("Location")
    if request.headers.get("X-Survey-Fetch") == "1" and location and response.status_code in (301, 302, 303, 307, 308):
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
    return render_template("questionnaire/choose.html", form=form, community=None,
                           in_progress=attempts.current(), version=services.current_version())


@bp.get("/c/<code>")
def community_entry(code):
    """The QR-code entry: the community is already chosen."""
    community = _community_by_code(code)
    form = StartForm(data={"community": community.code})
    form.set_communities(_streets())
    return render_template("questionnaire/choose.html", form=form, community=community,
                           in_progress=attempts.current(), version=services.current_version())


@bp.post("/survey/start")
@survey_posts_limit
def start():
    """Begin a fresh attempt for the chosen community."""
    form = StartForm()
    form.set_communities(_streets())
    if not form.validate():
        return render_template("questionnaire/choose.html", form=form, community=None,
                               in_progress=None, version=services.current_version()), 422
    version = services.current_version()
    if version is None or not version.sections:
        abort(503)
    community = _community_by_code(form.community.data)
    return _begin(version, community)


@bp.post("/survey/retake")
@survey_posts_limit
def retake():
    """Start another (practice) attempt for the same community."""
    form = RetakeForm()
    version = services.current_version()
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
    current = services.current_version()
    if current is None or attempt["version"] != current.id:
        attempts.forget()
        flash(_("The questionnaire has been updated since you started. Please start again."), "info")
        return None, redirect(url_for(".choose"))
    # The published version's content from memory (it can no longer change), not from the database.
    return (attempt, frozen_view(current) or current), None


@bp.route("/survey/section/<int:number>", methods=["GET", "POST"])
@survey_posts_limit
@submission_limit
def section(number):
    """Show one section; back/next keep the answers; the last section submits."""
    state, redirect_response = _attempt_or_redirect()
    if redirect_response is not None:
        return redirect_response
    attempt, version = state
    sections = version.sections
    if not 1 <= number <= len(sections):
        abort(404)
    current_section = sections[number - 1]
    is_last = number == len(sections)
    stored = attempts.answers(attempt)
    if request.method == "GET":
        attempts.visit(attempt, number)
        data = {field_name(item): stored.get(item.id) for item in current_section.items}
        form = section_form(current_section, number == 1, is_last, data=data, cache=getattr(version, "forms", None))
        return _render_section(form, attempt, version, sections, number, stored)
    known = {field_name(item) for item in current_section.items}
    if any(key.startswith("item-") and key not in known for key in request.form):
        # An answer to a question that is not on this page (another section or another version).
        return render_error(400, _("These answers do not fit this page"),
                            _("Some answers belong to questions that are not on this page. Please reload the page."))
    form = section_form(current_section, number == 1, is_last, cache=getattr(version, "forms", None))
    going_back = "back" in request.form
    is_valid = form.validate()
    if "csrf_token" in form.errors:
        abort(400)
    answered = {item.id: form[field_name(item)].data or None for item in current_section.items
                if not form[field_name(item)].errors}
    attempts.store_answers(attempt, answered)
    if going_back:
        return redirect(url_for(".section", number=number - 1))
    if not is_valid:
        return _render_section(form, attempt, version, sections, number, attempts.answers(attempt)), 422
    if not is_last:
        return redirect(url_for(".section", number=number + 1))
    return _submit(attempt, version, sections)


def _render_section(form, attempt, version, sections, number, stored):
    """Render a section page with its progress figures (and the attempt's keys for the browser's saved copy)."""
    total = len(version.items)
    first_number = sum(len(s.items) for s in sections[: number - 1]) + 1
    return render_template(
        "questionnaire/section.html",
        form=form,
        section=sections[number - 1],
        number=number,
        section_count=len(sections),
        first_number=first_number,
        answered=sum(1 for item in version.items if item.id in stored),
        total=total,
        field_name=field_name,
        attempt_id=attempt["id"],
        version=version,
    )


def _submit(attempt, version, sections):
    """Score and store the attempt, then show its result."""
    token, is_new = attempts.token_or_new()
    try:
        response = services.submit(
            version, attempt["community"], services.participant_hash(token), attempt["id"], attempts.answers(attempt),
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
        return render_error(400, _("These answers could not be used"),
                            _("The questionnaire changed or the answers were altered. Please start again."))
    g.response_stored = True
    attempts.finish(response)
    redirect_response = redirect(url_for(".result", public_id=response.public_id))
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
    version = services.current_version()
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
