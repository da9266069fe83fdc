"""The dashboard filter: questionnaire version and a date range (a GET form)."""

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SubmitField
from wtforms.validators import Optional, ValidationError

from ..i18n import _l


class FilterForm(FlaskForm):
    """Version and dates; read from the query string, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    version = SelectField(_l("Questionnaire version"), validators=[Optional()], validate_choice=False)
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
    submit = SubmitField(_l("Show"))

    def validate_until(self, field):
        """The range must not end before it starts."""
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date is before the start date."))
