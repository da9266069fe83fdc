"""Forms of the administrators' pages: campaign settings and staff accounts."""

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from ..i18n import _l


class CampaignForm(FlaskForm):
    """Site name per locale, inspection day, default target, small-number threshold."""

    site_name_zh = StringField(_l("Site name (Chinese)"), validators=[InputRequired(), Length(max=120)])
    site_name_en = StringField(_l("Site name (English)"), validators=[InputRequired(), Length(max=120)])
    inspection_date = DateField(
        _l("Inspection day"), validators=[Optional()], description=_l("The home page counts down to this day.")
    )
    default_target_share = IntegerField(
        _l("Default participation target (%)"),
        validators=[InputRequired(), NumberRange(min=1, max=100, message=_l("Enter a whole number from 1 to 100."))],
        description=_l("Used for communities without a target of their own."),
    )
    min_count = IntegerField(
        _l("Minimum count before a rate is shown"),
        validators=[InputRequired(), NumberRange(min=1, max=1000, message=_l("Enter a whole number from 1 to 1000."))],
        description=_l("Below this many answers a rate is shown as “too few responses”."),
    )
    submit = SubmitField(_l("Save settings"))


ROLE_LABELS = {
    "admin": _l("Administrator"),
    "editor": _l("Publicity editor"),
    "district": _l("District viewer"),
    "street": _l("Street staff"),
    "community": _l("Community staff"),
}


class StaffForm(FlaskForm):
    """A new staff account."""

    username = StringField(
        _l("Username"),
        validators=[
            InputRequired(),
            Regexp(r"^[A-Za-z0-9_.-]{3,64}$", message=_l("3–64 letters, digits, dots, dashes or underscores.")),
        ],
    )
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(code, label) for code, label in ROLE_LABELS.items()],
        validators=[InputRequired()],
    )
    street = SelectField(_l("Street (street staff only)"), validators=[Optional()], validate_choice=False)
    community = SelectField(_l("Community (community staff only)"), validators=[Optional()], validate_choice=False)
    password = PasswordField(
        _l("Initial password"),
        validators=[InputRequired(), Length(min=10, max=256, message=_l("Use at least 10 characters."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create account"))


class ConfirmForm(FlaskForm):
    """A button that only needs CSRF protection."""

    submit = SubmitField(_l("Confirm"))
