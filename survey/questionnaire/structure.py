"""The resident's questionnaire as plain read-only data, built once per process for each frozen version.

A published (or retired) version can no longer change (the bank answers 409, and a flush-time guard
refuses it), so its sections, items, options and their texts in every locale are read once and then
served from memory: showing a survey part or storing a submission needs no load of the version's
content. Drafts are never cached. The views read the same attribute names as the models (``title``,
``text``, ``label``, ``items`` …), so templates and forms take either.
"""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import snapshots
from ..extensions import db
from ..i18n import for_locale
from ..models import Item, Option, QuestionnaireVersion, Section
from ..models.base import current_locale
from .scoring import key_for


class _Texts:
    """Per-locale texts with the fallback of ``Translatable.tr``."""

    __slots__ = ()

    def tr(self, name, locale=None):
        """The field ``name`` in ``locale`` (default: the current one), falling back like ``Translatable.tr``."""
        return (for_locale(self.texts, locale or current_locale()) or {}).get(name) or ""


@dataclass(frozen=True, eq=False)
class AcceptedText:
    """An accepted fill-in answer."""

    text: str


@dataclass(frozen=True, eq=False)
class OptionView(_Texts):
    """One option of a choice question."""

    id: int
    position: int
    is_correct: bool
    is_positive: bool
    texts: dict

    @property
    def label(self):
        return self.tr("label")


@dataclass(frozen=True, eq=False)
class ItemView(_Texts):
    """One question."""

    id: int
    position: int
    kind: str
    question_type: str
    metric: str | None
    is_required: bool
    section_id: int
    options: tuple
    accepted_answers: tuple
    texts: dict

    @property
    def text(self):
        return self.tr("text")

    @property
    def explanation(self):
        return self.tr("explanation")

    @property
    def is_knowledge(self):
        return self.kind == "knowledge"


@dataclass(frozen=True, eq=False)
class SectionView(_Texts):
    """One part of the survey with its questions."""

    id: int
    position: int
    items: tuple
    texts: dict

    @property
    def title(self):
        return self.tr("title")


@dataclass(frozen=True, eq=False)
class VersionView:
    """A frozen questionnaire version: its parts, and all items in questionnaire order."""

    id: int
    number: int
    status: str
    published_at: object
    sections: tuple
    items: tuple
    keys: tuple  # the items' scoring keys, in the same order
    forms: dict = field(default_factory=dict)  # cached form classes, see forms.section_form
    markup: dict = field(default_factory=dict)  # cached question markup, see render.part_markup
    pages: dict = field(default_factory=dict)  # cached part pages, see render.cached_page


def _texts(translations, *names):
    return {row.locale: {name: getattr(row, name) for name in names} for row in translations}


def _build(version):
    sections = db.session.scalars(
        select(Section)
        .where(Section.version_id == version.id)
        .order_by(Section.position, Section.id)
        .options(
            selectinload(Section.translations),
            selectinload(Section.items).selectinload(Item.translations),
            selectinload(Section.items).selectinload(Item.accepted_answers),
            selectinload(Section.items).selectinload(Item.options).selectinload(Option.translations),
        )
    ).all()
    section_views = []
    for section in sections:
        items = tuple(
            ItemView(
                id=item.id,
                position=item.position,
                kind=item.kind,
                question_type=item.question_type,
                metric=item.metric,
                is_required=item.is_required,
                section_id=section.id,
                options=tuple(
                    OptionView(
                        option.id,
                        option.position,
                        option.is_correct,
                        option.is_positive,
                        _texts(option.translations, "label"),
                    )
                    for option in sorted(item.options, key=lambda o: (o.position, o.id))
                ),
                accepted_answers=tuple(
                    AcceptedText(answer.text) for answer in sorted(item.accepted_answers, key=lambda a: a.id)
                ),
                texts=_texts(item.translations, "text", "explanation"),
            )
            for item in sorted(section.items, key=lambda i: (i.position, i.id))
        )
        section_views.append(SectionView(section.id, section.position, items, _texts(section.translations, "title")))
    items = tuple(
        sorted((item for section in section_views for item in section.items), key=lambda item: (item.position, item.id))
    )
    return VersionView(
        version.id,
        version.number,
        version.status,
        version.published_at,
        tuple(section_views),
        items,
        tuple(key_for(item) for item in items),
    )


_VIEWS = {}


def frozen_view(version):
    """The plain view of a published or retired ``version`` (built on first use, then kept); None for a draft.

    ``version`` may be the model or any row with its ``id``, ``number``, ``status`` and ``published_at``.
    """
    if version is None or version.status == "draft":
        return None
    key = (str(db.engine.url), version.id, version.published_at)
    view = _VIEWS.get(key)
    if view is None:
        if len(_VIEWS) >= 16:
            _VIEWS.clear()
        view = _VIEWS[key] = _build(version)
    return view


def _read_published():
    row = db.session.execute(
        select(
            QuestionnaireVersion.id,
            QuestionnaireVersion.number,
            QuestionnaireVersion.status,
            QuestionnaireVersion.published_at,
        )
        .where(QuestionnaireVersion.status == "published")
        .order_by(QuestionnaireVersion.number.desc())
        .limit(1)
    ).first()
    return frozen_view(row) if row is not None else None


def current_view():
    """The view of the published version residents get (what ``services.current_version`` names), or None.

    Kept per process as a snapshot (see survey.snapshots: refreshed at once after a publish in this
    process, within ``snapshots.MAX_AGE`` seconds in the others), so a survey page needs no query for it.
    """
    return snapshots.get("published_version", _read_published)
