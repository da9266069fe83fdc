"""Forms of the communities pages: a street, a community, an import file and its confirmation."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ..i18n import _l
from ..models.community import CODE_PATTERN
from .services import MAX_NAME_LENGTH, MAX_POPULATION


def _clean_code(value):
    return value.strip().lower() if isinstance(value, str) else value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _code_field(description):
    return StringField(
        _l("Code"),
        filters=[_clean_code],
        description=description,
        validators=[
            InputRequired(),
            Regexp(
                CODE_PATTERN, message=_l("2–32 lowercase letters, digits or hyphens, starting with a letter or digit.")
            ),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )


def _name_field(label):
    return StringField(label, filters=[_strip], validators=[DataRequired(), Length(max=MAX_NAME_LENGTH)])


def _position_field():
    return IntegerField(
        _l("Order in lists"),
        validators=[Optional(), NumberRange(min=0, max=9999)],
        description=_l("Smaller numbers come first. Leave empty to keep the current order."),
    )


class StreetForm(FlaskForm):
    """A street (街道): code and a name in each language."""

    code = _code_field(_l("Used in import files, for example s-hehua."))
    name_zh = _name_field(_l("Name (Chinese)"))
    name_en = _name_field(_l("Name (English)"))
    position = _position_field()
    submit = SubmitField(_l("Save street"))


class CommunityForm(FlaskForm):
    """A community (社区): street, code, names and its participation target."""

    street = SelectField(_l("Street"), coerce=int, validators=[InputRequired()])
    code = _code_field(_l("Used in the survey link and QR code (/c/code): changing it breaks printed posters."))
    name_zh = _name_field(_l("Name (Chinese)"))
    name_en = _name_field(_l("Name (English)"))
    target_population = IntegerField(
        _l("Target population"),
        validators=[
            InputRequired(),
            NumberRange(min=1, max=MAX_POPULATION, message=_l("Enter a whole number greater than 0.")),
        ],
        description=_l("The people participation is measured against, e.g. residents aged 18–65."),
    )
    target_share = DecimalField(
        _l("Target participation (%)"),
        places=None,
        validators=[Optional(), NumberRange(min=1, max=100, message=_l("Enter a number from 1 to 100."))],
    )
    position = _position_field()
    submit = SubmitField(_l("Save community"))


class ImportForm(FlaskForm):
    """The CSV or XLSX file to check."""

    file = FileField(
        _l("CSV or XLSX file"),
        validators=[FileRequired(message=_l("Choose a file to import."))],
        render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    submit = SubmitField(_l("Check the file"))


class ConfirmImportForm(FlaskForm):
    """Confirms a previewed import; the checked rows travel back signed, so any process can apply them."""

    payload = HiddenField(validators=[InputRequired()])
    submit = SubmitField(_l("Import these rows"))
