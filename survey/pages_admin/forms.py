"""Forms of the publicity-page editor: a page, an image upload, comparing and restoring revisions."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from ..content import clean_plain_text
from ..i18n import _l
from .services import LOCALES, SLUG_PATTERN

CATEGORY_LABELS = {
    "why": _l("Why the campaign matters"),
    "benefits": _l("What residents gain"),
    "know": _l("What every resident should know"),
    "behaviour": _l("Civilised behaviour"),
    "volunteering": _l("Volunteering"),
}
LOCALE_TAGS = {"zh": "zh-Hans", "en": "en"}
MAX_BODY_CHARS = 30_000
SLUG_MESSAGE = _l("Use lowercase letters a–z, digits and single dashes, e.g. waste-sorting.")
MARKDOWN_HELP = _l("Markdown: ## heading, **bold**, - list item, [link text](https://…). HTML is removed when saved.")


def _title(label, locale):
    return StringField(label, validators=[Length(max=200)], render_kw={"lang": LOCALE_TAGS[locale]})


def _body(label, locale):
    return TextAreaField(
        label,
        validators=[Length(max=MAX_BODY_CHARS)],
        description=MARKDOWN_HELP,
        render_kw={"lang": LOCALE_TAGS[locale], "rows": 14, "spellcheck": "true"},
    )


class PageForm(FlaskForm):
    """A publicity page: address, category, flags, and title and text in each language."""

    slug = StringField(
        _l("Address"),
        validators=[
            InputRequired(message=SLUG_MESSAGE),
            Length(max=64, message=_l("At most 64 characters.")),
            Regexp(SLUG_PATTERN, message=SLUG_MESSAGE),
        ],
        description=_l("The last part of the page's web address: /pages/address."),
        render_kw={"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"},
    )
    category = SelectField(
        _l("Category"), choices=[SelectChoice(code, label) for code, label in CATEGORY_LABELS.items()]
    )
    position = IntegerField(
        _l("Order"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=9999, message=_l("Enter a whole number from 0 to 9999."))],
        description=_l("Pages with smaller numbers come first."),
        render_kw={"inputmode": "numeric"},
    )
    is_published = BooleanField(_l("Published: residents can read it"))
    is_featured = BooleanField(_l("Featured on the home page"))
    title_zh = _title(_l("Title in Chinese"), "zh")
    body_zh = _body(_l("Text in Chinese"), "zh")
    title_en = _title(_l("Title in English"), "en")
    body_en = _body(_l("Text in English"), "en")
    note = StringField(_l("What did you change? (optional)"), validators=[Length(max=200)])
    revision = HiddenField()
    submit = SubmitField(_l("Save"))

    def validate(self, extra_validators=None):
        """A published page needs a title in every language."""
        valid = super().validate(extra_validators)
        if self.is_published.data:
            for locale in LOCALES:
                field = self[f"title_{locale}"]
                if not clean_plain_text(field.data):
                    field.errors.append(_l("A published page needs a title in this language."))
                    valid = False
        return valid

    def page_data(self):
        """The submitted page as the plain dict the services take."""
        return {
            "slug": self.slug.data or "",
            "category": self.category.data or "",
            "position": self.position.data or 0,
            "is_published": self.is_published.data,
            "is_featured": self.is_featured.data,
            "translations": {
                locale: {"title": self[f"title_{locale}"].data or "", "body": self[f"body_{locale}"].data or ""}
                for locale in LOCALES
            },
        }

    def expected_revision(self):
        """The revision the editor started from (None when the form did not say)."""
        value = (self.revision.data or "").strip()
        return int(value) if value.isdigit() else None


def page_form_data(page, latest):
    """Initial form values for an existing page."""
    data = {
        "slug": page.slug,
        "category": page.category,
        "position": page.position,
        "is_published": page.is_published,
        "is_featured": page.is_featured,
        "revision": str(latest),
    }
    for row in page.translations:
        if row.locale in LOCALES:
            data[f"title_{row.locale}"], data[f"body_{row.locale}"] = row.title, row.body
    return data


class ImageForm(FlaskForm):
    """One image to use in pages."""

    image = FileField(
        _l("Image file"),
        validators=[FileRequired(message=_l("Choose an image file."))],
        render_kw={"accept": "image/png,image/jpeg,image/webp,image/gif"},
    )
    submit = SubmitField(_l("Upload"))


class CompareForm(FlaskForm):
    """Choose two revisions to compare (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    old = SelectField(_l("Older revision"), coerce=int)
    new = SelectField(_l("Newer revision"), coerce=int)
    submit = SubmitField(_l("Compare"))


class RestoreForm(FlaskForm):
    """A restore button: it only needs CSRF protection (the template draws one button per revision)."""
