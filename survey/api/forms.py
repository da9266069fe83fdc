"""The token page's one form: a CSRF-protected revoke button."""

from flask_wtf import FlaskForm
from wtforms import SubmitField

from ..i18n import _l


class RevokeTokenForm(FlaskForm):
    """Revoke one of one's own API tokens."""

    submit = SubmitField(_l("Revoke"))
