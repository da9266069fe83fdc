"""Forms of the resident survey: choosing a community, and one dynamically built form per section."""

from flask import g
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..i18n import _l, locale_code

FILL_IN_MAX = 100


class StartForm(FlaskForm):
    """Choose the community the answers count for."""

    community = SelectField(
        _l("Your community"),
        validators=[InputRequired(message=_l("Please choose your community."))],
        invalid_choice_message=_l("Please choose a community from the list."),
        description=_l("Your answers count for this community. Nothing else about you is recorded."),
    )
    submit = SubmitField(_l("Start the survey"))

    def set_communities(self, streets):
        """Offer the communities grouped by street (an optgroup each)."""
        # The empty first option stays selectable so the browser shows it (not the first community) by default.
        self.community.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(community.code, community.name, optgroup=street.name)
            for street in streets
            for community in street.communities
        ]


class RetakeForm(FlaskForm):
    """A one-button form to start another attempt for the same community."""

    community = StringField(validators=[InputRequired()])
    submit = SubmitField(_l("Take it again"))


class MultiCheckboxField(SelectMultipleField):
    """Several options as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def field_name(item):
    """The form field name of an item."""
    return f"item-{item.id}"


def section_form(section, is_first, is_last, data=None, cache=None):
    """A FlaskForm with one field per item of the section and the navigation buttons, pre-filled with ``data``.

    ``cache``: a dict kept with a frozen version (see structure.VersionView), where the form class of each
    section and language is kept, so it is built once per process rather than on every request.
    """
    key = (section.id, is_first, is_last, locale_code())
    form_class = cache.get(key) if cache is not None else None
    if form_class is None:
        form_class = _section_form_class(section, is_first, is_last)
        if cache is not None:
            cache[key] = form_class
    # Flask-WTF reads request.form on POST by itself; ``data`` pre-fills a GET from the saved answers.
    # A POST whose token the app-wide CSRF check has already accepted needs no second check (nor the new
    # token the form's CSRF field would sign for itself).
    if g.get("csrf_valid", False):
        return form_class(data=data, meta={"csrf": False})
    return form_class(data=data)


def valid_answers(section, formdata):
    """The answers of a POST in which every answer is plainly valid, as the section form would give them.

    Returns ``{item id: value or None}`` (int for one choice, list of ints for several, text for a fill-in)
    exactly like ``section_form(...).data`` after a successful ``validate()``, without building the form;
    returns None whenever anything is missing, unusual or wrong, and the form then decides (and explains).
    """
    answers = {}
    for item in section.items:
        values = formdata.getlist(field_name(item))
        if not values:
            if item.is_required:
                return None
            answers[item.id] = None
            continue
        first = values[0]
        if item.question_type == "fillin":
            if not first.strip() or len(first) > FILL_IN_MAX:
                return None
            answers[item.id] = first
            continue
        options = {option.id for option in item.options}
        try:
            chosen = [int(value) for value in values] if item.question_type == "multiple" else [int(first)]
        except ValueError:
            return None
        if not first or any(choice not in options for choice in chosen):
            return None
        answers[item.id] = chosen if item.question_type == "multiple" else chosen[0]
    return answers


def _section_form_class(section, is_first, is_last):
    class SectionForm(FlaskForm):
        pass

    required_message = _l("Please answer this question.")
    invalid_message = _l("Please choose one of the options shown.")
    for item in section.items:
        validators = [InputRequired(message=required_message) if item.is_required else Optional()]
        choices = [SelectChoice(option.id, option.label) for option in item.options]
        if item.question_type == "fillin":
            validators.append(
                Length(max=FILL_IN_MAX, message=_l("Please keep the answer under %(max)d characters.", max=FILL_IN_MAX))
            )
            field = StringField(item.text, validators=validators)
        elif item.question_type == "multiple":
            field = MultiCheckboxField(
                item.text, validators=validators, choices=choices, coerce=int, invalid_choice_message=invalid_message
            )
        else:
            field = RadioField(
                item.text, validators=validators, choices=choices, coerce=int, invalid_choice_message=invalid_message
            )
        setattr(SectionForm, field_name(item), field)
    if not is_first:
        SectionForm.back = SubmitField(_l("Back"))
    SectionForm.forward = SubmitField(_l("Submit my answers") if is_last else _l("Next"))
    return SectionForm
