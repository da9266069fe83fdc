"""Forms of the question bank: an item with its option rows, a section's titles, small confirm and move buttons."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length, Optional

from ..i18n import LANGUAGES, _, _l
from ..questionnaire.scoring import normalise
from . import services
from .services import LIMITS, ItemContent, OptionContent

KIND_LABELS = {
    "knowledge": _l("Knowledge (scored)"),
    "opinion": _l("Opinion (not scored)"),
    "participation": _l("Participation (not scored)"),
}
TYPE_LABELS = {
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
    "truefalse": _l("True or false"),
    "fillin": _l("Fill in the blank"),
}
METRIC_LABELS = {
    "": _l("No metric"),
    "awareness": _l("Campaign awareness"),
    "support": _l("Support"),
    "satisfaction": _l("Satisfaction"),
}
KIND_SHORT_LABELS = {"knowledge": _l("Knowledge"), "opinion": _l("Opinion"), "participation": _l("Participation")}
STATUS_LABELS = {"draft": _l("Draft"), "published": _l("Published"), "retired": _l("Retired")}
OPTION_ROWS = 6  # blank rows offered for new options (no JavaScript needed to add one)


def _choices(labels):
    return [SelectChoice(value, label) for value, label in labels.items()]


class OptionRowForm(Form):
    """One option row; a row left blank is ignored."""

    label_zh = StringField(_l("Label (Chinese)"), validators=[Optional(), Length(max=LIMITS["label"])])
    label_en = StringField(_l("Label (English)"), validators=[Optional(), Length(max=LIMITS["label"])])
    is_correct = BooleanField(_l("Correct"))
    is_positive = BooleanField(_l("Positive"))


class ItemForm(FlaskForm):
    """Everything about one question."""

    section = SelectField(_l("Section"), coerce=int)
    kind = SelectField(_l("Kind"), choices=_choices(KIND_LABELS))
    question_type = SelectField(_l("Question type"), choices=_choices(TYPE_LABELS))
    metric = SelectField(
        _l("Metric"),
        choices=_choices(METRIC_LABELS),
        description=_l("Opinion questions only: which rate this answer feeds."),
    )
    is_required = BooleanField(_l("Residents must answer it"))
    page = SelectField(_l("Page that teaches it"), description=_l("The result and study pages link there."))
    text_zh = TextAreaField(_l("Question (Chinese)"), validators=[Length(max=LIMITS["text"])], render_kw={"rows": 3})
    text_en = TextAreaField(_l("Question (English)"), validators=[Length(max=LIMITS["text"])], render_kw={"rows": 3})
    explanation_zh = TextAreaField(
        _l("Explanation (Chinese)"),
        validators=[Length(max=LIMITS["explanation"])],
        description=_l("Why the correct answer is right."),
        render_kw={"rows": 4},
    )
    explanation_en = TextAreaField(
        _l("Explanation (English)"),
        validators=[Length(max=LIMITS["explanation"])],
        description=_l("Why the correct answer is right."),
        render_kw={"rows": 4},
    )
    options = FieldList(FormField(OptionRowForm), min_entries=OPTION_ROWS, max_entries=services.MAX_OPTIONS)
    accepted_answers = TextAreaField(
        _l("Accepted answers (fill-in questions)"),
        description=_l("One per line, in any language. Case, spaces and full-/half-width forms are ignored."),
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Save question"))

    def __init__(self, *args, sections=(), pages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.section.choices = [
            SelectChoice(str(section.id), section.tr("title") or _("(untitled section)")) for section in sections
        ]
        self.page.choices = [SelectChoice("", _("No page"))] + [
            SelectChoice(
                str(page.id), page.title if page.is_published else _("%(title)s (not published)", title=page.title)
            )
            for page in pages
        ]
        self.option_errors = []

    def validate(self, extra_validators=None):
        """Field checks, then the option rows, then what the database could not hold."""
        is_valid = super().validate(extra_validators)
        for number, row in enumerate(self.options, start=1):
            labelled = any((row[f"label_{locale}"].data or "").strip() for locale in LANGUAGES)
            if not labelled and (row.is_correct.data or row.is_positive.data):
                self.option_errors.append(_("Option %(number)d is ticked but has no label.", number=number))
        if self.option_errors or not is_valid:
            return False
        for name, message in services.content_problems(self.content()):
            if name == "options":
                self.option_errors.append(message)
            else:
                self[name if name in self else "text_zh"].errors.append(message)
        return not self.option_errors and not any(field.errors for field in self)

    def content(self):
        """The form's values as an ItemContent."""
        options = []
        for row in self.options:
            labels = {locale: (row[f"label_{locale}"].data or "").strip() for locale in LANGUAGES}
            if any(labels.values()) or row.is_correct.data or row.is_positive.data:
                options.append(OptionContent(labels, bool(row.is_correct.data), bool(row.is_positive.data)))
        accepted, seen = [], set()
        for line in (self.accepted_answers.data or "").splitlines():
            text = line.strip()
            if text and normalise(text) not in seen:
                seen.add(normalise(text))
                accepted.append(text)
        return ItemContent(
            kind=self.kind.data,
            question_type=self.question_type.data,
            texts={locale: self[f"text_{locale}"].data or "" for locale in LANGUAGES},
            explanations={locale: self[f"explanation_{locale}"].data or "" for locale in LANGUAGES},
            metric=self.metric.data or None,
            is_required=bool(self.is_required.data),
            page_id=int(self.page.data) if self.page.data else None,
            options=options,
            accepted_answers=accepted,
        )


def item_form_data(item):
    """Initial form values for an existing item (with blank rows to add options)."""
    rows = [
        {
            **{f"label_{locale}": option.tr("label", locale) if _has(option, locale) else "" for locale in LANGUAGES},
            "is_correct": option.is_correct,
            "is_positive": option.is_positive,
        }
        for option in item.options
    ]
    blank = max(OPTION_ROWS - len(rows), 2)
    rows += [{}] * min(blank, services.MAX_OPTIONS - len(rows))
    data = {
        "section": item.section_id,
        "kind": item.kind,
        "question_type": item.question_type,
        "metric": item.metric or "",
        "is_required": item.is_required,
        "page": str(item.page_id) if item.page_id else "",
        "options": rows,
        "accepted_answers": "\n".join(answer.text for answer in item.accepted_answers),
    }
    for row in item.translations:
        if row.locale in LANGUAGES:
            data[f"text_{row.locale}"] = row.text
            data[f"explanation_{row.locale}"] = row.explanation or ""
    return data


def _has(obj, locale):
    return any(row.locale == locale for row in obj.translations)


class SectionForm(FlaskForm):
    """A section's title in each language."""

    title_zh = StringField(_l("Section title (Chinese)"), validators=[Length(max=LIMITS["title"])])
    title_en = StringField(_l("Section title (English)"), validators=[Length(max=LIMITS["title"])])
    submit = SubmitField(_l("Save section"))

    def titles(self):
        """``{locale: title}``."""
        return {locale: (self[f"title_{locale}"].data or "").strip() for locale in LANGUAGES}


class MoveForm(FlaskForm):
    """Up and down buttons (the buttons carry the direction)."""

    direction = StringField(validators=[AnyOf(("up", "down"))])


class ConfirmForm(FlaskForm):
    """A button that only needs CSRF protection."""

    submit = SubmitField(_l("Confirm"))
