"""Shared model helpers: timestamps and per-locale content lookup."""

from datetime import UTC, datetime

from flask_babel import get_locale

from ..i18n import for_locale


def utcnow():
    """Return the current time as a naive UTC datetime (the form every engine stores alike)."""
    return datetime.now(UTC).replace(tzinfo=None)


def current_locale():
    """Return the request's locale code, or the default outside a request."""
    locale = get_locale()
    return locale.language if locale is not None else "zh"


class Translatable:
    """Mixin for models whose staff-written text lives in a ``translations`` relationship, a row per locale."""

    def translation(self, locale=None):
        """Return the translation row for ``locale``, falling back to the default locale, then any."""
        return for_locale({row.locale: row for row in self.translations}, locale or current_locale())

    def tr(self, field, locale=None):
        """Return one translated field, or an empty string when no translation exists."""
        row = self.translation(locale)
        return getattr(row, field) or "" if row is not None else ""

    def set_translation(self, locale, **fields):
        """Create or update the translation row for ``locale``."""
        row = next((row for row in self.translations if row.locale == locale), None)
        if row is None:
            row = type(self).translations.property.mapper.class_(locale=locale)
            self.translations.append(row)
        for name, value in fields.items():
            setattr(row, name, value)
        return row
