"""The publicity-page editor (staff) and the /media/ images residents' pages show."""

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale, format_decimal
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from ..auth.roles import CONTENT_ROLES, roles_required
from ..errors import render_error
from ..extensions import db
from ..i18n import LANGUAGES, _
from ..models import Page
from ..models.base import current_locale
from . import services
from .forms import CATEGORY_LABELS, LOCALE_TAGS, CompareForm, ImageForm, PageForm, RestoreForm, page_form_data

bp = Blueprint("pages_admin", __name__, url_prefix="/admin/pages")
media = Blueprint("media", __name__)


@bp.record_once
def _register_media(state):
    """The public /media/ route comes with the editor that fills it (one line in register_blueprints)."""
    state.app.register_blueprint(media)


@bp.errorhandler(413)
def _too_large(error):
    """A body over the staff limit (survey.security): for an upload, say so next to the file field."""
    if (
        request.endpoint == "pages_admin.images"
        and current_user.is_authenticated
        and current_user.role in CONTENT_ROLES
    ):
        form = ImageForm(formdata=None)
        form.image.errors = [_image_message("too_large")]
        return _render_images(form, status=413)
    return render_error(413, detail=_("The text is longer than a page can be. Please shorten it."))


def _get_page(page_id):
    page = db.session.get(Page, page_id)
    if page is None:
        abort(404)
    return page


# --- Pages ------------------------------------------------------------------------------------------


@bp.get("/")
@roles_required(*CONTENT_ROLES)
def index():
    """Every page with its category, state and last change, and a button for a new one."""
    return render_template("pages_admin/index.html", rows=services.list_pages(), category_labels=CATEGORY_LABELS)


def _page_error(form, error):
    """Put a PageError next to the field it concerns (or in a flash)."""
    if error.code == "stale":
        flash(
            _(
                "Someone else saved this page after you opened it. Your text is still below: check the "
                "history, then save again to replace their version."
            ),
            "error",
        )
        return
    fields = {"bad_slug": "slug", "slug_taken": "slug", "bad_category": "category"}
    messages = {
        "bad_slug": _("Use lowercase letters a–z, digits and single dashes, e.g. waste-sorting."),
        "slug_taken": _("Another page already uses this address."),
        "bad_category": _("Choose a category from the list."),
        "title_needed": _("A published page needs a title in this language."),
    }
    field = fields.get(error.code) or f"title_{error.locale}"
    form[field].errors = [*form[field].errors, messages[error.code]]


def _save(form, page):
    """Save the form (``page`` None creates one); return the saved page, or None after recording an error."""
    try:
        saved, revision = services.save_page(
            page,
            form.page_data(),
            current_user,
            note=form.note.data,
            expected_revision=form.expected_revision() if page else None,
        )
    except services.PageError as error:
        db.session.rollback()
        if error.code == "stale":
            form.revision.data = str(services.latest_number(page))  # a second save replaces theirs, knowingly
        _page_error(form, error)
        return None
    except IntegrityError:  # two saves at the same moment: one wins, the other is asked to save again
        db.session.rollback()
        _page_error(form, services.PageError("stale"))
        return None
    flash(_("Page saved.") if revision else _("Nothing changed, so nothing was saved."), "info")
    return saved


def _render_editor(form, page, status=200):
    return render_template(
        "pages_admin/edit.html",
        form=form,
        page=page,
        image_form=_image_form(ImageForm(formdata=None)),
        images=_image_rows(6),
        locale_tags=LOCALE_TAGS,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*CONTENT_ROLES)
def new():
    """Write a new page (a draft until published)."""
    form = PageForm()
    if form.validate_on_submit():
        page = _save(form, None)
        if page is not None:
            return redirect(url_for(".edit", page_id=page.id))
    status = 200 if request.method == "GET" else 422 if form.errors else 409
    return _render_editor(form, None, status)


@bp.route("/<int:page_id>/edit", methods=["GET", "POST"])
@roles_required(*CONTENT_ROLES)
def edit(page_id):
    """Change a page; every save keeps a revision."""
    page = _get_page(page_id)
    form = PageForm(data=page_form_data(page, services.latest_number(page)))
    if form.validate_on_submit():
        if _save(form, page) is not None:
            return redirect(url_for(".edit", page_id=page.id))
        return _render_editor(form, page, 409 if not form.errors else 422)
    return _render_editor(form, page, 422 if form.errors else 200)


def _number_arg(name, default):
    """A revision number from the query string; anything but digits is an unknown revision (404)."""
    value = request.args.get(name, "")
    if not value:
        return default
    if not value.isdigit() or len(value) > 9:
        abort(404)
    return int(value)


# --- Preview ----------------------------------------------------------------------------------------


def _render_preview(preview, page_id, locale, source):
    with force_locale(locale):
        return render_template(
            "pages_admin/preview.html",
            page=preview,
            others=services.published_others(page_id),
            source=source,
            page_id=page_id,
            preview_locale=locale,
        )


def _preview_locale(value):
    return value if value in LANGUAGES else current_locale()


@bp.route("/preview", methods=["GET", "POST"])
@roles_required(*CONTENT_ROLES)
def preview_new():
    """Show a page not saved yet as residents would see it (the editor's Preview button); saves nothing."""
    if request.method == "GET":
        return redirect(url_for(".new"))
    return _preview_form(None)


@bp.route("/<int:page_id>/preview", methods=["GET", "POST"])
@roles_required(*CONTENT_ROLES)
def preview(page_id):
    """Show a page as residents would see it, without saving: the form sent (POST) or a saved revision (GET)."""
    page = _get_page(page_id)
    if request.method == "POST":
        return _preview_form(page.id)
    number = _number_arg("revision", None)
    if number is not None:
        revision = services.get_revision(page, number) or abort(404)
        data, source = services.revision_data(revision), number
    else:
        data, source = services.page_data(page), "saved"
    return _render_preview(services.preview_page(data), page.id, _preview_locale(request.args.get("locale")), source)


def _preview_form(page_id):
    # CSRF was checked before the view; the other fields need not be valid to be previewed.
    form = PageForm()
    return _render_preview(
        services.preview_page(form.page_data()), page_id, _preview_locale(request.form.get("preview_locale")), "form"
    )


# --- Revisions --------------------------------------------------------------------------------------


def _compare_form(revisions, old=None, new=None):
    form = CompareForm(formdata=None, old=old, new=new)
    choices = [SelectChoice(revision.number, f"#{revision.number}") for revision in revisions]
    form.old.choices, form.new.choices = choices, choices
    return form


@bp.get("/<int:page_id>/history")
@roles_required(*CONTENT_ROLES)
def history(page_id):
    """Every saved revision of a page, with compare and restore."""
    page = _get_page(page_id)
    revisions = services.page_revisions(page)
    latest = revisions[0].number if revisions else 0
    return render_template(
        "pages_admin/history.html",
        page=page,
        revisions=revisions,
        latest=latest,
        note_code=services.note_code,
        compare_form=_compare_form(revisions, max(latest - 1, 1), latest),
        restore_form=RestoreForm(),
    )


@bp.get("/<int:page_id>/diff")
@roles_required(*CONTENT_ROLES)
def diff(page_id):
    """What changed between two revisions, line by line, per language."""
    page = _get_page(page_id)
    revisions = services.page_revisions(page)
    if not revisions:
        abort(404)
    new_number = _number_arg("new", revisions[0].number)
    old_number = _number_arg("old", max(new_number - 1, 1))
    old, new = services.get_revision(page, old_number), services.get_revision(page, new_number)
    if old is None or new is None:
        abort(404)
    changes = services.compare(services.revision_data(old), services.revision_data(new))
    return render_template(
        "pages_admin/diff.html",
        page=page,
        old=old,
        new=new,
        changes=changes,
        locale_tags=LOCALE_TAGS,
        category_labels=CATEGORY_LABELS,
        compare_form=_compare_form(revisions, old.number, new.number),
        restore_form=RestoreForm(),
        note_code=services.note_code,
    )


@bp.post("/<int:page_id>/revisions/<int:number>/restore")
@roles_required(*CONTENT_ROLES)
def restore(page_id, number):
    """Make an old revision current again, as a new revision (history is never rewritten)."""
    page = _get_page(page_id)
    revision = services.get_revision(page, number) or abort(404)
    if not RestoreForm().validate_on_submit():
        abort(400)
    new, slug_kept = services.restore_revision(page, revision, current_user)
    if new is None:
        flash(_("Revision %(number)d is already the current text.", number=number), "info")
    else:
        flash(_("Revision %(number)d restored as revision %(new)d.", number=number, new=new.number), "info")
    if slug_kept:
        flash(_("Another page now uses the old address, so this page keeps its current one."), "error")
    return redirect(url_for(".history", page_id=page.id))


# --- Images -----------------------------------------------------------------------------------------


def _image_message(code):
    size = format_decimal(current_app.config["MAX_IMAGE_BYTES"] / (1024 * 1024), format="#,##0.#")
    return {
        "empty": _("The file is empty."),
        "too_large": _("The image is larger than %(size)s MB. Please make it smaller and upload it again.", size=size),
        "not_an_image": _("This file is not a PNG, JPEG, GIF or WebP image."),
        "too_many_pixels": _("The image has too many pixels. Please make it smaller and upload it again."),
    }[code]


def _image_rows(limit):
    """[(image, url, Markdown line to paste)] for the newest uploads."""
    rows = []
    for image in services.recent_images(limit):
        url = url_for("media.image", name=services.image_filename(image))
        rows.append((image, url, f"![{_('description of the image')}]({url})"))
    return rows


def _image_form(form):
    """The upload form, telling what it accepts."""
    size = format_decimal(current_app.config["MAX_IMAGE_BYTES"] / (1024 * 1024), format="#,##0.#")
    form.image.description = _("PNG, JPEG, GIF or WebP, at most %(size)s MB.", size=size)
    return form


def _render_images(form, status=200, new_token=None):
    return render_template(
        "pages_admin/images.html", form=_image_form(form), images=_image_rows(48), new_token=new_token
    ), status


@bp.route("/images", methods=["GET", "POST"])
@roles_required(*CONTENT_ROLES)
def images():
    """Upload an image (checked by its content) and copy the line that shows it in a page."""
    form = ImageForm()
    if form.validate_on_submit():
        try:
            image = services.store_image(form.image.data.stream, current_user, current_app.config["MAX_IMAGE_BYTES"])
        except services.ImageError as error:
            db.session.rollback()
            form.image.errors = [*form.image.errors, _image_message(str(error))]
        else:
            flash(_("Image uploaded. Copy its line into the text of a page."), "info")
            return redirect(url_for(".images", new=image.token))
    return _render_images(form, 422 if form.errors else 200, request.args.get("new"))


@media.get("/media/<name>")
def image(name):
    """An uploaded image: its own content type, never sniffed, cached for a year (the name never changes)."""
    found = services.find_image(name)
    if found is None:
        abort(404)
    response = make_response(found.data)
    response.headers["Content-Type"] = found.content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = f'inline; filename="{services.image_filename(found)}"'
    response.set_etag(found.token)
    return response.make_conditional(request)
