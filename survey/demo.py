"""Loading the demo district and questionnaire, and simulating residents' answers."""

from datetime import timedelta

from sqlalchemy import func, select

from . import demo_data, localtime
from .extensions import db
from .models import (
    AcceptedAnswer,
    Campaign,
    Community,
    Item,
    Option,
    Page,
    QuestionnaireVersion,
    Response,
    Section,
    Street,
)
from .models.base import utcnow
from .simulate import simulate_responses

__all__ = ["is_empty", "load_demo", "simulate_responses", "count_responses"]


def is_empty():
    """True when the database holds no community and no questionnaire yet."""
    return not db.session.scalar(select(func.count()).select_from(Community)) and not db.session.scalar(
        select(func.count()).select_from(QuestionnaireVersion)
    )


def _translate(obj, field, texts):
    for locale, value in texts.items():
        obj.set_translation(locale, **{field: value})


def load_demo():
    """Create the demo streets, communities, pages and a published questionnaire version 1."""
    for street_position, street_data in enumerate(demo_data.STREETS):
        street = Street(code=street_data["code"], position=street_position)
        _translate(street, "name", street_data["name"])
        for position, data in enumerate(street_data["communities"]):
            community = Community(
                code=data["code"],
                position=position,
                target_population=data["population"],
                target_share=data["target_share"],
            )
            _translate(community, "name", data["name"])
            street.communities.append(community)
        db.session.add(street)
    pages = {}
    for position, data in enumerate(demo_data.PAGES):
        page = Page(
            slug=data["slug"],
            category=data["category"],
            position=position,
            is_featured=data.get("is_featured", False),
            is_published=True,
        )
        for locale in data["title"]:
            page.set_translation(locale, title=data["title"][locale], body=data["body"][locale])
        db.session.add(page)
        pages[page.slug] = page
    # 45 days from the district's today (the server's clock may be set to another zone).
    campaign = Campaign(inspection_date=localtime.today() + timedelta(days=45), default_target_share=0.2, min_count=5)
    _translate(campaign, "site_name", demo_data.SITE_NAME)
    db.session.add(campaign)
    version = QuestionnaireVersion(number=1, status="published", published_at=utcnow())
    db.session.add(version)
    item_position = 0
    for section_position, section_data in enumerate(demo_data.SECTIONS):
        section = Section(position=section_position)
        version.sections.append(section)
        _translate(section, "title", section_data["title"])
        for data in section_data["items"]:
            item_position += 1
            section.items.append(_demo_item(data, version, item_position, pages))
    db.session.commit()
    return version


def _demo_item(data, version, position, pages):
    item = Item(
        version=version,
        position=position,
        kind=data["kind"],
        question_type=data["type"],
        metric=data.get("metric"),
        is_required=data.get("required", True),
        page=pages.get(data.get("page")),
    )
    explanation = data.get("explanation", {})
    for locale, text in data["text"].items():
        item.set_translation(locale, text=text, explanation=explanation.get(locale))
    for option_position, option_data in enumerate(data.get("options", [])):
        option = Option(
            position=option_position,
            is_correct=option_data.get("correct", False),
            is_positive=option_data.get("positive", False),
        )
        _translate(option, "label", option_data["label"])
        item.options.append(option)
    item.accepted_answers = [AcceptedAnswer(text=text) for text in data.get("accepted", [])]
    return item


def count_responses():
    """Number of stored responses."""
    return db.session.scalar(select(func.count()).select_from(Response))
