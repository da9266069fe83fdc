"""Query parameters shared by the API and the exports: questionnaire version, date range, language."""

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..i18n import LANGUAGES, _
from ..models import QuestionnaireVersion
from ..questionnaire.services import current_version

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadParameter(ValueError):
    """A query parameter that cannot be used; ``str(error)`` is a localised explanation."""


class UnknownVersion(LookupError):
    """The asked questionnaire version does not exist (or is still a draft)."""


@dataclass(frozen=True)
class Filters:
    """What to count: one questionnaire version, optionally between two dates (inclusive)."""

    version: QuestionnaireVersion
    since: date | None = None
    until: date | None = None


def parse_date(value, name):
    """A YYYY-MM-DD date or None; anything else raises BadParameter."""
    if value is None or value == "":
        return None
    if not DATE_PATTERN.match(value):
        raise BadParameter(_("%(name)s must be a date written YYYY-MM-DD.", name=name))
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise BadParameter(_("%(name)s is not a real date.", name=name)) from error


def find_version(number):
    """The non-draft version with this number (a string or int), or the current one when ``number`` is empty."""
    if number is None or number == "":
        version = current_version()
        if version is None:
            raise UnknownVersion()
        return version
    if isinstance(number, str):
        if not (number.isascii() and number.isdigit()) or len(number) > 9:
            raise BadParameter(_("version must be a questionnaire version number."))
        number = int(number)
    version = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.number == number, QuestionnaireVersion.status != "draft"
        )
    )
    if version is None:
        raise UnknownVersion()
    return version


def parse_filters(args):
    """Read ``version``, ``since`` and ``until`` from a query-string mapping."""
    since = parse_date(args.get("since"), "since")
    until = parse_date(args.get("until"), "until")
    if since and until and until < since:
        raise BadParameter(_("until must not be before since."))
    return Filters(find_version(args.get("version")), since, until)


def parse_lang(value):
    """A supported language code, or None when not given (the request's locale applies)."""
    if value is None or value == "":
        return None
    if value not in LANGUAGES:
        raise BadParameter(_("lang must be one of: %(codes)s.", codes=", ".join(LANGUAGES)))
    return value
