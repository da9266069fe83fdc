"""Staff pages of the question bank: versions, the draft editor, checking and publishing."""

from collections import defaultdict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..auth.roles import CONTENT_ROLES, roles_required
from ..extensions import db
from ..i18n import _
from ..models import Item, Page, QuestionnaireVersion, Section
from ..questionnaire.services import VersionFrozen, current_version
from . import services
from .forms import (
    KIND_LABELS,
    KIND_SHORT_LABELS,
    METRIC_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    ConfirmForm,
    ItemForm,
    MoveForm,
    SectionForm,
    item_form_data,
)

bp = Blueprint("bank", __name__, url_prefix="/admin/questionnaire")
READ_ONLY = (services.ReadOnlyVersion, VersionFrozen)
LABELS = {
    "kinds": KIND_LABELS,
    "short_kinds": KIND_SHORT_LABELS,
    "types": TYPE_LABELS,
    "metrics": METRIC_LABELS,
    "statuses": STATUS_LABELS,
}


@bp.before_request
def _larger_bodies():
    """An item with long explanations in two languages is larger than a resident's answers."""
    request.max_content_length = 1024 * 1024
    request.max_form_memory_size = 256 * 1024


def _version_or_404(version_id):
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None:
        abort(404)
    return version


def _item_or_404(version, item_id):
    item = db.session.scalar(select(Item).where(Item.id == item_id, Item.version_id == version.id))
    if item is None:
        abort(404)
    return item


def _section_or_404(version, section_id):
    section = db.session.scalar(select(Section).where(Section.id == section_id, Section.version_id == version.id))
    if section is None:
        abort(404)
    return section


def _pages():
    return db.session.scalars(select(Page).order_by(Page.position, Page.id)).all()


def _render_version(version, status=200, section_form=None):
    problems = services.validate_version(version)
    by_item, by_section = defaultdict(list), defaultdict(list)
    for problem in problems:
        if problem.item_id is not None:
            by_item[problem.item_id].append(problem.text)
        elif problem.section_id is not None:
            by_section[problem.section_id].append(problem.text)
    return render_template(
        "bank/version.html",
        version=version,
        rows=services.layout(version),
        numbers=services.item_numbers(version),
        read_only=services.read_only_reason(version),
        problems=problems,
        by_item=by_item,
        by_section=by_section,
        section_form=section_form or SectionForm(formdata=None),
        move_form=MoveForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        labels=LABELS,
    ), status


def _refuse(version):
    """Answer a change to a read-only version: 409 with the reason, nothing written."""
    db.session.rollback()
    flash(services.read_only_reason(version) or _("This version cannot change."), "error")
    return _render_version(version, 409)


def _check_post(form, version):
    """Refuse read-only versions (409) and forged or stale forms (400); return a response or None."""
    if services.is_read_only(version):
        return _refuse(version)
    if not form.validate_on_submit():
        abort(400)
    return None


@bp.get("/")
@roles_required(*CONTENT_ROLES)
def index():
    """Every questionnaire version, and the way to a new draft."""
    return render_template(
        "bank/index.html",
        summaries=services.version_summaries(),
        draft=services.find_draft(),
        current=current_version(),
        confirm_form=ConfirmForm(),
        labels=LABELS,
    )


@bp.post("/drafts")
@roles_required(*CONTENT_ROLES)
def open_draft():
    """Open a new draft, a copy of the current version (or go to the draft already open)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        draft = services.open_draft()
    except services.DraftExists as exists:
        flash(_("A draft is already open: version %(number)d.", number=exists.draft.number), "info")
        return redirect(url_for(".version", version_id=exists.draft.id))
    flash(_("Draft version %(number)d opened.", number=draft.number), "info")
    return redirect(url_for(".version", version_id=draft.id))


@bp.get("/<int:version_id>")
@roles_required(*CONTENT_ROLES)
def version(version_id):
    """A version's sections and items: the editor for a draft, a read-only view otherwise."""
    return _render_version(_version_or_404(version_id))


@bp.route("/<int:version_id>/delete", methods=["GET", "POST"])
@roles_required(*CONTENT_ROLES)
def delete_draft(version_id):
    """Discard a draft (after confirmation)."""
    version = _version_or_404(version_id)
    form = ConfirmForm()
    if request.method == "GET":
        if services.is_read_only(version):
            return redirect(url_for(".version", version_id=version.id))
        return render_template(
            "bank/confirm.html",
            form=form,
            version=version,
            title=_("Discard draft version %(number)d?", number=version.number),
            detail=_("Every change in this draft is lost. Published versions are not affected."),
            button=_("Discard the draft"),
        )
    refused = _check_post(form, version)
    if refused:
        return refused
    number = version.number
    try:
        services.delete_draft(version)
    except READ_ONLY:
        return _refuse(version)
    flash(_("Draft version %(number)d discarded.", number=number), "info")
    return redirect(url_for(".index"))


@bp.get("/<int:version_id>/check")
@roles_required(*CONTENT_ROLES)
def check(version_id):
    """Every problem that keeps the version from being published; the publish button when there is none."""
    version = _version_or_404(version_id)
    return render_template(
        "bank/check.html",
        version=version,
        problems=services.validate_version(version),
        read_only=services.read_only_reason(version),
        form=ConfirmForm(),
        current=current_version(),
    )


@bp.post("/<int:version_id>/publish")
@roles_required(*CONTENT_ROLES)
def publish(version_id):
    """Publish a draft: residents get it from now on, the previous version is retired."""
    version = _version_or_404(version_id)
    form = ConfirmForm()
    refused = _check_post(form, version)
    if refused:
        return refused
    try:
        services.publish_version(version)
    except READ_ONLY:
        return _refuse(version)
    except services.NotPublishable as refusal:
        db.session.rollback()
        flash(_("Not published: fix the problems below first."), "error")
        return render_template(
            "bank/check.html",
            version=version,
            problems=refusal.problems,
            read_only=None,
            form=form,
            current=current_version(),
        ), 422
    flash(_("Version %(number)d is published. Residents get it from now on.", number=version.number), "info")
    return redirect(url_for(".index"))


@bp.post("/<int:version_id>/sections")
@roles_required(*CONTENT_ROLES)
def add_section(version_id):
    """Add a section at the end of a draft."""
    version = _version_or_404(version_id)
    form = SectionForm()
    if services.is_read_only(version):
        return _refuse(version)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _render_version(version, 422, section_form=form)
    try:
        section = services.add_section(version, form.titles())
    except READ_ONLY:
        return _refuse(version)
    flash(_("Section added."), "info")
    return redirect(url_for(".version", version_id=version.id, _anchor=f"section-{section.id}"))


@bp.route("/<int:version_id>/sections/<int:section_id>", methods=["GET", "POST"])
@roles_required(*CONTENT_ROLES)
def edit_section(version_id, section_id):
    """Rename a section."""
    version = _version_or_404(version_id)
    section = _section_or_404(version, section_id)
    titles = {row.locale: row.title for row in section.translations}
    form = SectionForm(data={"title_zh": titles.get("zh", ""), "title_en": titles.get("en", "")})
    if request.method == "POST":
        if services.is_read_only(version):
            return _refuse(version)
        if form.validate_on_submit():
            try:
                services.update_section(section, form.titles())
            except READ_ONLY:
                return _refuse(version)
            flash(_("Section saved."), "info")
            return redirect(url_for(".version", version_id=version.id, _anchor=f"section-{section.id}"))
        if "csrf_token" in form.errors:
            abort(400)
    elif services.is_read_only(version):
        return redirect(url_for(".version", version_id=version.id))
    return render_template(
        "bank/section.html", form=form, version=version, section=section, confirm_form=ConfirmForm(formdata=None)
    ), 422 if form.errors else 200


@bp.post("/<int:version_id>/sections/<int:section_id>/move")
@roles_required(*CONTENT_ROLES)
def move_section(version_id, section_id):
    """Move a section up or down."""
    version = _version_or_404(version_id)
    section = _section_or_404(version, section_id)
    refused = _check_post(MoveForm(), version)
    if refused:
        return refused
    try:
        services.move_section(section, request.form["direction"])
    except READ_ONLY:
        return _refuse(version)
    return redirect(url_for(".version", version_id=version.id, _anchor=f"section-{section.id}"))


@bp.post("/<int:version_id>/sections/<int:section_id>/delete")
@roles_required(*CONTENT_ROLES)
def delete_section(version_id, section_id):
    """Remove an empty section."""
    version = _version_or_404(version_id)
    section = _section_or_404(version, section_id)
    refused = _check_post(ConfirmForm(), version)
    if refused:
        return refused
    try:
        services.delete_section(section)
    except READ_ONLY:
        return _refuse(version)
    except services.BankError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _render_version(version, 409)
    flash(_("Section removed."), "info")
    return redirect(url_for(".version", version_id=version.id))


def _item_form(version, **kwargs):
    return ItemForm(sections=[section for section, _items in services.layout(version)], pages=_pages(), **kwargs)


def _render_item(form, version, item=None, section=None, status=200):
    number = services.item_numbers(version).get(item.id) if item is not None else None
    return render_template(
        "bank/item.html",
        form=form,
        version=version,
        item=item,
        section=section,
        number=number,
        problems=services.item_problems(item) if item is not None else [],
    ), status


@bp.route("/<int:version_id>/sections/<int:section_id>/items/new", methods=["GET", "POST"])
@roles_required(*CONTENT_ROLES)
def add_item(version_id, section_id):
    """Add a question to a section of a draft."""
    version = _version_or_404(version_id)
    section = _section_or_404(version, section_id)
    if services.is_read_only(version):
        return _refuse(version) if request.method == "POST" else redirect(url_for(".version", version_id=version.id))
    form = _item_form(version, data={"section": section.id, "is_required": True, "kind": "knowledge"})
    if request.method == "GET":
        return _render_item(form, version, section=section)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _render_item(form, version, section=section, status=422)
    target = _section_or_404(version, form.section.data)
    try:
        item = services.add_item(target, form.content())
    except READ_ONLY:
        return _refuse(version)
    flash(_("Question added."), "info")
    return redirect(url_for(".version", version_id=version.id, _anchor=f"item-{item.id}"))


@bp.route("/<int:version_id>/items/<int:item_id>", methods=["GET", "POST"])
@roles_required(*CONTENT_ROLES)
def edit_item(version_id, item_id):
    """Edit one question of a draft (a read-only version shows it in the version page instead)."""
    version = _version_or_404(version_id)
    item = _item_or_404(version, item_id)
    if services.is_read_only(version):
        if request.method == "POST":
            return _refuse(version)
        return redirect(url_for(".version", version_id=version.id, _anchor=f"item-{item.id}"))
    form = _item_form(version, data=item_form_data(item))
    if request.method == "GET":
        return _render_item(form, version, item=item)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _render_item(form, version, item=item, status=422)
    target = _section_or_404(version, form.section.data)
    try:
        services.update_item(item, form.content(), section=target)
    except READ_ONLY:
        return _refuse(version)
    flash(_("Question %(number)d saved.", number=services.item_numbers(version)[item.id]), "info")
    return redirect(url_for(".version", version_id=version.id, _anchor=f"item-{item.id}"))


@bp.route("/<int:version_id>/items/<int:item_id>/delete", methods=["GET", "POST"])
@roles_required(*CONTENT_ROLES)
def delete_item(version_id, item_id):
    """Remove a question (after confirmation)."""
    version = _version_or_404(version_id)
    item = _item_or_404(version, item_id)
    form = ConfirmForm()
    if request.method == "GET":
        if services.is_read_only(version):
            return redirect(url_for(".version", version_id=version.id))
        number = services.item_numbers(version)[item.id]
        return render_template(
            "bank/confirm.html",
            form=form,
            version=version,
            title=_("Remove question %(number)d?", number=number),
            quote=item.tr("text"),
            detail=_("The question is removed from this draft only."),
            button=_("Remove the question"),
        )
    refused = _check_post(form, version)
    if refused:
        return refused
    try:
        services.delete_item(item)
    except READ_ONLY:
        return _refuse(version)
    flash(_("Question removed."), "info")
    return redirect(url_for(".version", version_id=version.id))


@bp.post("/<int:version_id>/items/<int:item_id>/move")
@roles_required(*CONTENT_ROLES)
def move_item(version_id, item_id):
    """Move a question up or down."""
    version = _version_or_404(version_id)
    item = _item_or_404(version, item_id)
    refused = _check_post(MoveForm(), version)
    if refused:
        return refused
    try:
        services.move_item(item, request.form["direction"])
    except READ_ONLY:
        return _refuse(version)
    return redirect(url_for(".version", version_id=version.id, _anchor=f"item-{item.id}"))
