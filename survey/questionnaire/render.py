"""A survey part as HTML: rendered by WTForms and Jinja once per (version, part, language), then filled in.

A published version cannot change, so the markup of its questions differs between two residents only in
which options are checked and what a fill-in box holds. The first request for a part in a language renders
it through the form and the one macro (templates/questionnaire/_questions.html), exactly as before; that
markup is kept with the frozen version (``VersionView.markup``) cut at the places that depend on the saved
answers. Later requests only join the pieces with ``checked`` / the escaped value, and the CSRF field with
this session's token (never kept). The pieces are checked against the form's own rendering of two filled
states before they are used; if they ever disagree, that part keeps using the form.

The whole page around the form is kept the same way (``cached_page``), per language, display preferences
and site name, and cut where this request's CSRF token, attempt id and progress go.

A POST that fails validation (422) renders its bound form through the same functions, errors included.
"""

import logging
import re
from dataclasses import dataclass

from flask import current_app, request, session
from flask_wtf import FlaskForm
from markupsafe import Markup, escape

from .. import assisted
from ..campaign import campaign_settings
from ..frames import csrf_token_as
from ..i18n import locale_code
from ..public import prefs
from ..signing import csrf_token
from .forms import field_name, section_form

log = logging.getLogger(__name__)
_MISSING = object()


@dataclass(frozen=True)
class FormMarkup:
    """What section.html places inside its <form>: the CSRF field, the questions and the buttons."""

    csrf: Markup
    questions: Markup
    buttons: Markup


def form_markup(form, section, first_number):
    """Render a (bound or pre-filled) section form the slow way, through WTForms and the question macro."""
    template = current_app.jinja_env.get_template("questionnaire/_questions.html")
    questions = template.render(form=form, section=section, first_number=first_number, field_name=field_name)
    back = getattr(form, "back", None)
    # WTForms widgets return Markup already; the separator is the whitespace section.html had between them.
    buttons = form.forward(**{"class": "button button-primary"}) + Markup("\n    ")
    if back is not None:
        buttons += back(**{"class": "button button-secondary", "formnovalidate": True})
    # A POST's form skips its own CSRF field once the app-wide check has passed (forms.section_form).
    name = form.meta.csrf_field_name
    csrf = (form if name in form else FlaskForm(formdata=None))[name]()
    return FormMarkup(csrf, Markup(questions), buttons)  # noqa: S704  (the autoescaped template's output)


def _choice(value, multiple):
    """The form data WTForms derives from a saved answer (``coerce=int``), see ``SelectField.process_data``."""
    try:
        if multiple:
            return [int(one) for one in value]
        return int(value) if value is not None else None
    except (ValueError, TypeError):
        return None


class PartMarkup:
    """A part's questions cut where the saved answers go: ``statics[0] slot statics[1] slot …``."""

    def __init__(self, csrf_parts, statics, slots, buttons):
        self.csrf_parts = csrf_parts
        self.statics = statics
        self.slots = slots  # (item id, kind, option id): kind "radio", "multiple" or "fillin"
        self.buttons = buttons

    def questions(self, stored):
        """The questions with the answers ``{item id: value}`` filled in."""
        data = {}
        out = [self.statics[0]]
        for (item_id, kind, option_id), static in zip(self.slots, self.statics[1:], strict=True):
            if kind == "fillin":
                value = stored.get(item_id)
                out.append("" if value is None else str(escape(str(value))))
            else:
                if item_id not in data:
                    data[item_id] = _choice(stored.get(item_id), kind == "multiple")
                chosen = data[item_id]
                if kind == "multiple":
                    checked = chosen is not None and option_id in chosen
                else:
                    checked = chosen == option_id
                out.append("checked " if checked else "")
            out.append(static)
        return Markup("".join(out))  # noqa: S704  (the form's own markup, the values escaped above)

    def csrf_field(self, token):
        """The form's CSRF field holding ``token``."""
        before, after = self.csrf_parts
        return Markup(before + str(escape(token)) + after)  # noqa: S704  (the form's own markup, token escaped)

    def fill(self, stored, token):
        """The form's markup for this request: this session's CSRF ``token``, the saved answers."""
        return FormMarkup(self.csrf_field(token), self.questions(stored), self.buttons)


def _cut(html, section):
    """Cut the empty questions' HTML at each option's ``<input `` and each fill-in's empty value; None if unsure."""
    statics, slots, position = [], [], 0
    for item in section.items:
        name = field_name(item)
        if item.question_type == "fillin":
            marker = f'name="{name}"'
            start = html.find(marker, position)
            end = html.find(">", start)
            value_at = html.find('value=""', start, end)
            if start < 0 or value_at < 0:
                return None
            cut = value_at + len('value="')
            statics.append(html[position:cut])
            slots.append((item.id, "fillin", None))
            position = cut
            continue
        kind = "multiple" if item.question_type == "multiple" else "radio"
        for index, option in enumerate(item.options):
            marker = f'<input id="{name}-{index}" '
            start = html.find(marker, position)
            if start < 0:
                return None
            cut = start + len("<input ")
            statics.append(html[position:cut])
            slots.append((item.id, kind, option.id))
            position = cut
    statics.append(html[position:])
    return statics, slots


def _sample_answers(section, last):
    """Two fillings that between them check every option once and put an awkward string in every box."""
    answers = {}
    for item in section.items:
        ids = [option.id for option in item.options]
        if item.question_type == "fillin":
            answers[item.id] = '<b a="1">&\'</b> 你' if last else "x"
        elif ids and item.question_type == "multiple":
            answers[item.id] = ids if last else ids[:1]
        elif ids:
            answers[item.id] = ids[-1] if last else ids[0]
    return answers


def _build(version, section, is_first, is_last, first_number):
    def slow(stored):
        data = {field_name(item): stored.get(item.id) for item in section.items}
        form = section_form(section, is_first, is_last, data=data, cache=version.forms)
        return form_markup(form, section, first_number)

    empty = slow({})
    token = str(escape(csrf_token()))
    before, found, after = str(empty.csrf).partition(token)
    cut = _cut(str(empty.questions), section)
    if not found or token in after or cut is None:
        return None
    part = PartMarkup((before, after), cut[0], cut[1], empty.buttons)
    for last in (False, True):
        answers = _sample_answers(section, last)
        if part.questions(answers) != slow(answers).questions:
            log.warning("survey part %s: cached markup differs from the form's; using the form", section.id)
            return None
    return part


def part_markup(version, section, is_first, is_last, first_number):
    """The part's cut markup in the current language (built on first use), or None when the form must render it."""
    cache = getattr(version, "markup", None)
    if cache is None or current_app.jinja_env.auto_reload:  # not a frozen version; templates being edited
        return None
    key = (section.id, is_first, is_last, first_number, locale_code())
    if key not in cache:
        cache[key] = _build(version, section, is_first, is_last, first_number)
    return cache[key]


def section_form_markup(version, section, is_first, is_last, first_number, stored):
    """The form markup of a part showing the saved answers ``stored`` ({item id: value}), from the cache if possible."""
    part = part_markup(version, section, is_first, is_last, first_number)
    if part is not None:
        return part.fill(stored, csrf_token())
    data = {field_name(item): stored.get(item.id) for item in section.items}
    form = section_form(section, is_first, is_last, data=data, cache=getattr(version, "forms", None))
    return form_markup(form, section, first_number)


# The whole page of a part, too, differs between two requests with the same ``page_key`` only in these values.
# A page is rendered once with these stand-ins and cut where they appear.
_STAND_INS = {
    "csrf": "csrfQ7vStandIn",
    "attempt": "attemptQ7vStandIn",
    "answered": 918273645,
    "questions": "questionsQ7vStandIn",
}
_STAND_IN_PATTERN = re.compile("|".join(re.escape(str(value)) for value in _STAND_INS.values()))
_STAND_IN_NAMES = {str(value): name for name, value in _STAND_INS.items()}
MAX_PAGES = 256  # cached pages per version; the cache starts afresh when full


class PageMarkup:
    """A rendered part page cut where the per-request values go: ``statics[0] slot statics[1] slot …``."""

    def __init__(self, html):
        self.statics, self.slots, position = [], [], 0
        for match in _STAND_IN_PATTERN.finditer(html):
            self.statics.append(html[position : match.start()])
            self.slots.append(_STAND_IN_NAMES[match.group()])
            position = match.end()
        self.statics.append(html[position:])

    def fill(self, values):
        """The page with ``values`` (each already escaped, as text) in place of the stand-ins."""
        out = [self.statics[0]]
        for slot, static in zip(self.slots, self.statics[1:], strict=True):
            out.append(values[slot])
            out.append(static)
        return "".join(out)


def page_key(number):
    """What a part's page depends on besides the ``_STAND_INS``; None when it has to be rendered every time.

    The page also shows the locale's strings, the display preferences, the site name and links back to
    this path. Flashed messages, assisted mode and query strings are rare: those pages are rendered.
    """
    current = request._get_current_object()  # read four times below: one context lookup
    if current.query_string or "_flashes" in session or assisted.current() is not None:
        return None
    display = tuple(sorted(prefs.read(current.cookies).items()))
    return number, locale_code(), current.script_root, current.path, display, campaign_settings().site_name


def cached_page(version, key, render, values):
    """``render(**values)``, or the cached page of ``key`` filled with ``values``.

    ``values``: ``csrf`` (this request's token), ``attempt`` (its id), ``answered`` (a count) and
    ``questions`` (Markup). On the first request for ``key`` the page is rendered both with the real values
    and with the stand-ins; it is kept only if the stand-in page filled with the real values gives exactly
    the same text.
    """
    pages = getattr(version, "pages", None)
    if key is None or pages is None or current_app.jinja_env.auto_reload:
        return render(**values)
    escaped = {name: str(escape(value)) for name, value in values.items()}
    page = pages.get(key, _MISSING)
    if page is not _MISSING and page is not None:
        return page.fill(escaped)
    html = render(**values)
    if page is _MISSING:
        if len(pages) >= MAX_PAGES:
            pages.clear()
        with csrf_token_as(_STAND_INS["csrf"]):
            page = PageMarkup(render(**_STAND_INS))
        if page.fill(escaped) != html:
            log.warning("survey page %s: the cached page differs from the rendered one; rendering it", key)
            page = None
        pages[key] = page
    return html
