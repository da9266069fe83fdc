"""The public study page: the current version's knowledge items with their answers, grouped by topic."""

from dataclasses import dataclass

from flask import Blueprint, render_template, url_for

from ..models.base import current_locale
from ..questionnaire.scoring import correct_answer_labels
from ..questionnaire.services import current_version

bp = Blueprint("study", __name__)


@dataclass
class StudyItem:
    """One knowledge item as the study page shows it."""

    number: int
    text: str
    answers: list
    explanation: str
    page_title: str | None
    page_url: str | None


def _is_chinese(text):
    return any("\u3400" <= char <= "\u9fff" for char in text)


def study_answers(item, locale):
    """The correct answer as labels; for fill-in items the accepted answers in the reader's script (all if none is)."""
    answers = correct_answer_labels(item)
    if item.question_type != "fillin":
        return answers
    # Accepted answers mix languages ("文明", "civility", …); a reader wants the ones in their own language.
    mine = [answer for answer in answers if _is_chinese(answer) == (locale == "zh")]
    return mine or answers


def study_topics(version):
    """``[(section title, [StudyItem])]`` for the knowledge items of ``version``, in questionnaire order."""
    topics, number, locale = [], 0, current_locale()
    for section in version.sections if version is not None else []:
        entries = []
        for item in section.items:
            if not item.is_knowledge:
                continue
            number += 1
            page = item.page if item.page is not None and item.page.is_published else None
            entries.append(
                StudyItem(
                    number=number,
                    text=item.text,
                    answers=study_answers(item, locale),
                    explanation=item.explanation,
                    page_title=page.title if page else None,
                    page_url=url_for("public.page", slug=page.slug, _external=True) if page else None,
                )
            )
        if entries:
            topics.append((section.title, entries))
    return topics


@bp.get("/study")
def index():
    """应知应会: question, correct answer, why, and where to read more; printable on A4."""
    version = current_version()
    return render_template("study/index.html", version=version, topics=study_topics(version))
