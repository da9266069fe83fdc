"""What a resident sees after submitting: corrections for knowledge items, thanks for opinions."""

from dataclasses import dataclass, field

from flask import url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Response
from .scoring import answer_labels, correct_answer_labels


@dataclass
class ReviewedItem:
    """One item as shown on the result page."""

    number: int
    item: object
    your_answer: list = field(default_factory=list)
    correct_answer: list = field(default_factory=list)
    is_correct: bool | None = None
    read_more: str | None = None


def describe_result(response):
    """Return the template context for a stored response."""
    answers = {answer.item_id: answer for answer in response.answers}
    knowledge, opinions = [], []
    for number, item in enumerate(response.version.items, start=1):
        answer = answers.get(item.id)
        value = answer.canonical if answer is not None else None
        reviewed = ReviewedItem(number=number, item=item, your_answer=answer_labels(item, value))
        if item.is_knowledge:
            reviewed.correct_answer = correct_answer_labels(item)
            reviewed.is_correct = bool(answer and answer.is_correct)
            if item.page is not None and item.page.is_published:
                reviewed.read_more = url_for("public.page", slug=item.page.slug)
            knowledge.append(reviewed)
        else:
            opinions.append(reviewed)
    given = sum(1 for answer in answers.values() if answer.is_correct is not None)
    first = None
    if not response.is_counted:
        first = db.session.scalar(
            select(Response).where(
                Response.version_id == response.version_id,
                Response.participant_hash == response.participant_hash,
                Response.is_counted.is_(True),
            )
        )
    return {
        "knowledge": knowledge,
        "opinions": opinions,
        "missed": [reviewed for reviewed in knowledge if not reviewed.is_correct],
        "awareness_percent": 100.0 * response.knowledge_correct / given if given else 0.0,
        "first_attempt": first,
    }
