"""Question-bank services: drafts copied from the current version, item and section edits, checks, publishing.

Every function takes plain arguments, records an audit entry and commits; a version that is not a draft,
or that has responses, refuses every change (ReadOnlyVersion / VersionFrozen).
"""

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db
from ..i18n import LANGUAGES, _, _l
from ..models import AcceptedAnswer, Item, Option, Page, QuestionnaireVersion, Response, Section
from ..models.base import utcnow
from ..models.questionnaire import KINDS, METRICS, QUESTION_TYPES
from ..questionnaire.scoring import normalise
from ..questionnaire.services import current_version, ensure_editable, has_responses

LANGUAGE_NAMES = {"zh": _l("Chinese"), "en": _l("English")}
MAX_OPTIONS = 12
MAX_ACCEPTED = 30
LIMITS = {"text": 2000, "explanation": 4000, "label": 300, "accepted": 200, "title": 200}


class BankError(ValueError):
    """A question-bank request that cannot be carried out."""


class ReadOnlyVersion(BankError):
    """The version is published or retired: changing questions means opening a new draft."""


class DraftExists(BankError):
    """Only one draft at a time: ``draft`` is the one already open."""

    def __init__(self, draft):
        super().__init__(f"draft version {draft.number if draft else '?'} is already open")
        self.draft = draft


class InvalidContent(BankError):
    """Item content the database cannot hold; ``problems`` lists ``(field name, message)``."""

    def __init__(self, problems):
        super().__init__("; ".join(str(message) for _, message in problems))
        self.problems = problems


class NotPublishable(BankError):
    """Publishing refused while ``validate_version`` finds problems."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass
class OptionContent:
    """One option row: a label per locale and its ticks."""

    labels: dict
    is_correct: bool = False
    is_positive: bool = False


@dataclass
class ItemContent:
    """Everything an editor writes about an item, as plain values."""

    kind: str
    question_type: str
    texts: dict
    explanations: dict = field(default_factory=dict)
    metric: str | None = None
    is_required: bool = True
    page_id: int | None = None
    options: list = field(default_factory=list)
    accepted_answers: list = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """Why a version cannot be published yet, tied to an item or a section when it concerns one."""

    text: str
    item_number: int | None = None
    item_id: int | None = None
    section_number: int | None = None
    section_id: int | None = None

    @property
    def message(self):
        """The full sentence, e.g. "Item 12: a knowledge question needs a correct answer"."""
        if self.item_number is not None:
            return _l("Item %(number)d: %(problem)s", number=self.item_number, problem=self.text)
        if self.section_number is not None:
            return _l("Section %(number)d: %(problem)s", number=self.section_number, problem=self.text)
        return self.text

    def __str__(self):
        return str(self.message)


# --- reading ---------------------------------------------------------------------------------------------


def find_draft():
    """The open draft version, or None."""
    return db.session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.status == "draft")
        .order_by(QuestionnaireVersion.number.desc())
        .limit(1)
    )


def version_summaries():
    """Every version, newest first, as ``(version, item count, response count)``."""
    versions = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.number.desc())).all()
    items = dict(db.session.execute(select(Item.version_id, func.count()).group_by(Item.version_id)).all())
    responses = dict(db.session.execute(select(Response.version_id, func.count()).group_by(Response.version_id)).all())
    return [(version, items.get(version.id, 0), responses.get(version.id, 0)) for version in versions]


def is_read_only(version):
    """True unless the version is an unanswered draft."""
    return version.status != "draft" or has_responses(version.id)


def read_only_reason(version):
    """Why the version cannot change, in the current locale (None when it can)."""
    if has_responses(version.id):
        return _(
            "Version %(number)d already has residents' answers, so it cannot change. Open a new draft to make changes.",
            number=version.number,
        )
    if version.status == "published":
        return _(
            "Version %(number)d is published and cannot be changed in place. Open a new draft to make changes.",
            number=version.number,
        )
    if version.status == "retired":
        return _("Version %(number)d is retired and cannot be changed.", number=version.number)
    return None


def ensure_draft(version):
    """Raise VersionFrozen (answered) or ReadOnlyVersion (published, retired) unless the version may change."""
    ensure_editable(version)
    if version.status != "draft":
        raise ReadOnlyVersion(f"questionnaire version {version.number} is {version.status}")


def layout(version):
    """The version's sections with their items, in the order residents see them."""
    sections = sorted(version.sections, key=lambda section: (section.position, section.id or 0))
    return [(section, sorted(section.items, key=lambda item: (item.position, item.id or 0))) for section in sections]


def item_numbers(version):
    """``{item id: number}`` as residents see the numbers."""
    numbers, number = {}, 0
    for _section, items in layout(version):
        for item in items:
            number += 1
            numbers[item.id] = number
    return numbers


def item_snapshot(item):
    """An item's content as plain values (for the audit log)."""
    return {
        "kind": item.kind,
        "question_type": item.question_type,
        "metric": item.metric,
        "is_required": item.is_required,
        "page_id": item.page_id,
        "texts": {row.locale: row.text for row in item.translations},
        "explanations": {row.locale: row.explanation for row in item.translations if row.explanation},
        "options": [
            {
                "labels": {row.locale: row.label for row in option.translations},
                "is_correct": option.is_correct,
                "is_positive": option.is_positive,
            }
            for option in item.options
        ],
        "accepted_answers": [answer.text for answer in item.accepted_answers],
    }


# --- drafts and publishing ----------------------------------------------------------------------------


def _next_number():
    return (db.session.scalar(select(func.max(QuestionnaireVersion.number))) or 0) + 1


def _copy_translations(source, target, *fields):
    for row in source.translations:
        target.set_translation(row.locale, **{name: getattr(row, name) for name in fields})


def copy_version(source, number=None):
    """Deep-copy ``source`` (sections, items, translations, options, accepted answers, page links) into a new draft."""
    draft = QuestionnaireVersion(number=number or _next_number(), status="draft")
    for section in source.sections:
        new_section = Section(position=section.position)
        _copy_translations(section, new_section, "title")
        draft.sections.append(new_section)
        for item in section.items:
            new_item = Item(
                version=draft,
                position=item.position,
                kind=item.kind,
                question_type=item.question_type,
                metric=item.metric,
                is_required=item.is_required,
                page_id=item.page_id,
            )
            _copy_translations(item, new_item, "text", "explanation")
            for option in item.options:
                new_option = Option(
                    position=option.position, is_correct=option.is_correct, is_positive=option.is_positive
                )
                _copy_translations(option, new_option, "label")
                new_item.options.append(new_option)
            new_item.accepted_answers = [AcceptedAnswer(text=answer.text) for answer in item.accepted_answers]
            new_section.items.append(new_item)
    db.session.add(draft)
    db.session.flush()
    audit.record(
        "questionnaire.draft_open",
        "questionnaire_version",
        draft.id,
        {"number": draft.number, "copied_from": source.number},
    )
    db.session.commit()
    return draft


def open_draft():
    """Open the one draft: a copy of the current version (an empty draft when none is published yet)."""
    existing = find_draft()
    if existing is not None:
        raise DraftExists(existing)
    source = current_version()
    try:
        if source is not None:
            return copy_version(source)
        draft = QuestionnaireVersion(number=_next_number(), status="draft")
        db.session.add(draft)
        db.session.flush()
        audit.record("questionnaire.draft_open", "questionnaire_version", draft.id, {"number": draft.number})
        db.session.commit()
        return draft
    except IntegrityError:
        # Another editor opened a draft with the same number a moment ago.
        db.session.rollback()
        raise DraftExists(find_draft()) from None


def delete_draft(version):
    """Discard a draft version and everything in it."""
    ensure_draft(version)
    audit.record("questionnaire.draft_delete", "questionnaire_version", version.id, {"number": version.number})
    db.session.delete(version)
    db.session.commit()


def publish_version(version):
    """Make a problem-free draft the version residents get; the previously published version is retired."""
    ensure_draft(version)
    problems = validate_version(version)
    if problems:
        raise NotPublishable(problems)
    previous = db.session.scalars(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.status == "published", QuestionnaireVersion.id != version.id)
        .with_for_update()
    ).all()
    for old in previous:
        old.status = "retired"
    version.status = "published"
    version.published_at = utcnow()
    audit.record(
        "questionnaire.publish",
        "questionnaire_version",
        version.id,
        {"number": version.number, "retired": [old.number for old in previous]},
    )
    db.session.commit()
    return version


# --- sections --------------------------------------------------------------------------------------------


def _set_texts(obj, values, name):
    """Write one translated field per locale; a locale left blank loses its row (so it reads as missing)."""
    for locale in LANGUAGES:
        value = (values.get(locale) or "").strip()
        row = next((row for row in obj.translations if row.locale == locale), None)
        if value:
            obj.set_translation(locale, **{name: value})
        elif row is not None:
            obj.translations.remove(row)


def _renumber(rows):
    """Store the order of ``[(section, [items])]``: section positions from 0, item positions 1..n across sections."""
    number = 0
    for index, (section, items) in enumerate(rows):
        section.position = index
        for item in items:
            number += 1
            if item.section is not section:
                item.section = section
            item.position = number


def _titles_problem(titles):
    if any(len((value or "").strip()) > LIMITS["title"] for value in titles.values()):
        raise InvalidContent([("title", _l("A title can have at most %(count)d characters.", count=LIMITS["title"]))])


def add_section(version, titles):
    """Add a section at the end of a draft; ``titles`` is ``{locale: title}``."""
    ensure_draft(version)
    _titles_problem(titles)
    section = Section(position=len(version.sections))
    _set_texts(section, titles, "title")
    version.sections.append(section)
    db.session.flush()
    audit.record(
        "questionnaire.section_add", "questionnaire_section", section.id, {"version": version.number, "titles": titles}
    )
    db.session.commit()
    return section


def update_section(section, titles):
    """Rename a section of a draft."""
    ensure_draft(section.version)
    _titles_problem(titles)
    before = {row.locale: row.title for row in section.translations}
    _set_texts(section, titles, "title")
    audit.record(
        "questionnaire.section_update",
        "questionnaire_section",
        section.id,
        {"version": section.version.number, "before": before, "after": titles},
    )
    db.session.commit()
    return section


def move_section(section, direction):
    """Move a section one place ``"up"`` or ``"down"``."""
    version = section.version
    ensure_draft(version)
    rows = layout(version)
    index = next(i for i, (candidate, _items) in enumerate(rows) if candidate is section)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(rows):
        rows[index], rows[target] = rows[target], rows[index]
        _renumber(rows)
    audit.record(
        "questionnaire.section_move",
        "questionnaire_section",
        section.id,
        {"version": version.number, "direction": direction},
    )
    db.session.commit()


def delete_section(section):
    """Remove an empty section from a draft."""
    version = section.version
    ensure_draft(version)
    if section.items:
        raise BankError(_l("Move or remove the questions of this section first."))
    audit.record(
        "questionnaire.section_delete",
        "questionnaire_section",
        section.id,
        {"version": version.number, "titles": {row.locale: row.title for row in section.translations}},
    )
    version.sections.remove(section)
    _renumber(layout(version))
    db.session.commit()


# --- items -----------------------------------------------------------------------------------------------


def content_problems(content):
    """What the database cannot hold (or no resident could use) in ``content``: ``[(field name, message)]``."""
    problems = []
    if content.kind not in KINDS:
        problems.append(("kind", _l("Choose a kind of question.")))
    if content.question_type not in QUESTION_TYPES:
        problems.append(("question_type", _l("Choose a question type.")))
    if content.metric is not None and content.metric not in METRICS:
        problems.append(("metric", _l("Choose a metric from the list.")))
    elif content.metric is not None and content.kind != "opinion":
        problems.append(("metric", _l("A metric is only for opinion questions.")))
    if content.question_type == "fillin" and content.kind != "knowledge":
        problems.append(("question_type", _l("A fill-in question must be a knowledge question.")))
    if content.page_id is not None and db.session.get(Page, content.page_id) is None:
        problems.append(("page", _l("Choose a page from the list.")))
    for name, values in (("text", content.texts), ("explanation", content.explanations)):
        if any(len(value or "") > LIMITS[name] for value in values.values()):
            problems.append((name, _l("At most %(count)d characters.", count=LIMITS[name])))
    options = content.options
    if len(options) > MAX_OPTIONS:
        problems.append(("options", _l("At most %(count)d options.", count=MAX_OPTIONS)))
    if any(len(label or "") > LIMITS["label"] for option in options for label in option.labels.values()):
        problems.append(
            ("options", _l("An option label can have at most %(count)d characters.", count=LIMITS["label"]))
        )
    if content.question_type == "fillin" and options:
        problems.append(
            (
                "options",
                _l("A fill-in question has no options: clear the option rows, or choose another question type."),
            )
        )
    if content.kind != "knowledge" and any(option.is_correct for option in options):
        problems.append(("options", _l("Only knowledge questions have correct answers: untick “correct”.")))
    if content.kind == "knowledge" and any(option.is_positive for option in options):
        problems.append(("options", _l("Knowledge questions have no positive options: untick “positive”.")))
    accepted = content.accepted_answers
    if content.question_type != "fillin" and accepted:
        problems.append(
            (
                "accepted_answers",
                _l("Only fill-in questions have accepted answers: clear this box, or choose the fill-in type."),
            )
        )
    if len(accepted) > MAX_ACCEPTED or any(len(text) > LIMITS["accepted"] for text in accepted):
        problems.append(
            (
                "accepted_answers",
                _l(
                    "At most %(count)d answers of at most %(length)d characters each.",
                    count=MAX_ACCEPTED,
                    length=LIMITS["accepted"],
                ),
            )
        )
    return problems


def _apply_content(item, content):
    problems = content_problems(content)
    if problems:
        raise InvalidContent(problems)
    item.kind, item.question_type, item.metric = content.kind, content.question_type, content.metric
    item.is_required, item.page_id = content.is_required, content.page_id
    for locale in LANGUAGES:
        text = (content.texts.get(locale) or "").strip()
        explanation = (content.explanations.get(locale) or "").strip() or None
        row = next((row for row in item.translations if row.locale == locale), None)
        if text or explanation:
            item.set_translation(locale, text=text, explanation=explanation)
        elif row is not None:
            item.translations.remove(row)
    options = list(content.options)
    if content.question_type == "truefalse" and not options:
        # A new true/false question starts with the two usual answers; the editor ticks the right one.
        options = [OptionContent({"zh": "正确", "en": "True"}), OptionContent({"zh": "错误", "en": "False"})]
    existing = list(item.options)
    for index, data in enumerate(options):
        option = existing[index] if index < len(existing) else None
        if option is None:
            option = Option()
            item.options.append(option)
        option.position, option.is_correct, option.is_positive = index, data.is_correct, data.is_positive
        _set_texts(option, data.labels, "label")
    for option in existing[len(options) :]:
        item.options.remove(option)
    if [answer.text for answer in item.accepted_answers] != list(content.accepted_answers):
        item.accepted_answers = [AcceptedAnswer(text=text) for text in content.accepted_answers]


def add_item(section, content):
    """Add an item at the end of a section of a draft."""
    version = section.version
    ensure_draft(version)
    problems = content_problems(content)
    if problems:  # before the item joins the session: an impossible row must never reach a flush
        raise InvalidContent(problems)
    item = Item(
        version=version,
        position=len(version.items) + 1,
        kind=content.kind,
        question_type=content.question_type,
        metric=content.metric,
    )
    section.items.append(item)
    _apply_content(item, content)
    rows = [
        (candidate, [i for i in items if i is not item] + ([item] if candidate is section else []))
        for candidate, items in layout(version)
    ]
    _renumber(rows)
    db.session.flush()
    audit.record(
        "questionnaire.item_add",
        "questionnaire_item",
        item.id,
        {"version": version.number, "after": item_snapshot(item)},
    )
    db.session.commit()
    return item


def update_item(item, content, section=None):
    """Change an item of a draft; a different ``section`` moves it to the end of that section."""
    version = item.version
    ensure_draft(version)
    before = item_snapshot(item)
    _apply_content(item, content)
    if section is not None and section is not item.section:
        if section.version_id != version.id:
            raise InvalidContent([("section", _l("Choose a section of this version."))])
        rows = [
            (candidate, [i for i in items if i is not item] + ([item] if candidate is section else []))
            for candidate, items in layout(version)
        ]
        _renumber(rows)
    audit.record(
        "questionnaire.item_update",
        "questionnaire_item",
        item.id,
        {"version": version.number, "before": before, "after": item_snapshot(item)},
    )
    db.session.commit()
    return item


def delete_item(item):
    """Remove an item from a draft."""
    version = item.version
    ensure_draft(version)
    audit.record(
        "questionnaire.item_delete",
        "questionnaire_item",
        item.id,
        {"version": version.number, "before": item_snapshot(item)},
    )
    rows = [(section, [i for i in items if i is not item]) for section, items in layout(version)]
    item.section.items.remove(item)
    _renumber(rows)
    db.session.commit()


def move_item(item, direction):
    """Move an item one place ``"up"`` or ``"down"``; past the end of its section it joins the next one."""
    version = item.version
    ensure_draft(version)
    rows = layout(version)
    index = next(i for i, (section, _items) in enumerate(rows) if section is item.section)
    items = rows[index][1]
    place = items.index(item)
    step = -1 if direction == "up" else 1
    if 0 <= place + step < len(items):
        items[place], items[place + step] = items[place + step], items[place]
    elif 0 <= index + step < len(rows):
        items.remove(item)
        neighbour = rows[index + step][1]
        if step < 0:
            neighbour.append(item)
        else:
            neighbour.insert(0, item)
    _renumber(rows)
    audit.record(
        "questionnaire.item_move", "questionnaire_item", item.id, {"version": version.number, "direction": direction}
    )
    db.session.commit()


# --- validation ------------------------------------------------------------------------------------------


def _missing(rows, name):
    """Locales whose translation row lacks ``name``."""
    present = {row.locale for row in rows if (getattr(row, name) or "").strip()}
    return [locale for locale in LANGUAGES if locale not in present]


def _option_problems(item):
    options = item.options
    count = len(options)
    if item.question_type == "truefalse" and count != 2:
        yield _l("a true/false question needs exactly two options")
    elif item.question_type == "single" and count < 2:
        yield _l("a single-choice question needs at least two options")
    elif item.question_type == "multiple" and count < 2:
        yield _l("a multiple-choice question needs at least two options")
    for number, option in enumerate(options, start=1):
        for locale in _missing(option.translations, "label"):
            yield _l("option %(option)d has no %(language)s label", option=number, language=LANGUAGE_NAMES[locale])
    for locale in LANGUAGES:
        labels = Counter(normalise(option.tr("label", locale)) for option in options)
        if any(label and times > 1 for label, times in labels.items()):
            yield _l("two options have the same %(language)s label", language=LANGUAGE_NAMES[locale])
    correct = sum(1 for option in options if option.is_correct)
    positive = sum(1 for option in options if option.is_positive)
    if item.kind == "knowledge":
        if correct == 0:
            yield _l("a knowledge question needs a correct answer")
        elif item.question_type == "single" and correct > 1:
            yield _l("a single-choice knowledge question needs exactly one correct answer")
        elif item.question_type == "truefalse" and correct > 1:
            yield _l("a true/false question needs exactly one correct answer")
        if positive:
            yield _l("knowledge questions have no positive options")
    else:
        if correct:
            yield _l("only knowledge questions have correct answers")
        if item.kind == "opinion" and item.metric and not positive:
            yield _l("an opinion question with a metric needs at least one positive option")
        if item.kind == "participation" and not positive:
            yield _l("a participation question needs at least one positive option")


def item_problems(item):
    """What keeps one item from being published, as short phrases."""
    problems = [
        _l("the %(language)s text is missing", language=LANGUAGE_NAMES[locale])
        for locale in _missing(item.translations, "text")
    ]
    if item.metric is not None and item.kind != "opinion":
        problems.append(_l("a metric is only for opinion questions"))
    explained = [row for row in item.translations if (row.explanation or "").strip()]
    if item.kind == "knowledge" and not explained:
        problems.append(_l("a knowledge question needs an explanation"))
    elif explained:
        problems.extend(
            _l("the %(language)s explanation is missing", language=LANGUAGE_NAMES[locale])
            for locale in _missing(item.translations, "explanation")
        )
    if item.question_type == "fillin":
        if item.kind != "knowledge":
            problems.append(_l("a fill-in question must be a knowledge question"))
        if not item.accepted_answers:
            problems.append(_l("a fill-in question needs at least one accepted answer"))
        if item.options:
            problems.append(_l("a fill-in question has no options"))
    else:
        if item.accepted_answers:
            problems.append(_l("only fill-in questions have accepted answers"))
        problems.extend(_option_problems(item))
    return problems


def validate_version(version):
    """Every problem that keeps ``version`` from being published, in questionnaire order."""
    problems = []
    rows = layout(version)
    if not rows:
        problems.append(Problem(_l("The questionnaire has no sections.")))
    number = knowledge = 0
    for section_number, (section, items) in enumerate(rows, start=1):
        where = {"section_number": section_number, "section_id": section.id}
        problems.extend(
            Problem(_l("the %(language)s title is missing", language=LANGUAGE_NAMES[locale]), **where)
            for locale in _missing(section.translations, "title")
        )
        if not items:
            problems.append(Problem(_l("the section has no items"), **where))
        for item in items:
            number += 1
            knowledge += item.is_knowledge
            problems.extend(Problem(text, item_number=number, item_id=item.id) for text in item_problems(item))
    if rows and not knowledge:
        problems.append(
            Problem(_l("The questionnaire has no knowledge questions: residents would have nothing to learn."))
        )
    return problems
