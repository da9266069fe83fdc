"""Forms of the assisted-mode page: switch it on for a community, switch it off."""

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField
from wtforms.validators import InputRequired

from ..i18n import _l


class SwitchOnForm(FlaskForm):
    """Choose the community the residents on this phone answer for (only communities the staff member covers)."""

    # The choices are offered from the staff member's scope; a code outside it is refused with 403 by the view,
    # so the field does not validate against its choices.
    community = SelectField(
        _l("Community"), validators=[InputRequired(message=_l("Please choose your community."))], validate_choice=False
    )
    submit = SubmitField(_l("Switch on assisted mode on this phone"))


class SwitchOffForm(FlaskForm):
    """One button that ends assisted mode on this device."""

    submit = SubmitField(_l("Switch off assisted mode"))
