"""Loading the demo district and questionnaire, and simulating residents' answers."""
import random
from datetime import date, timedelta

from sqlalchemy import func, select

from . import demo_data
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
from .questionnaire.services import (
    answer_rows,
    bulk_store,
    new_participant_token,
    new_public_id,
    response_fields,
    score_answers,
    version_keys,
)


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
                code=data["code"], position=position,
                target_population=data["population"], target_share=data["target_share"],
            )
            _translate(community, "name", data["name"])
            street.communities.append(community)
        db.session.add(street)
    pages = {}
    for position, data in enumerate(demo_data.PAGES):
        page = Page(slug=data["slug"], category=data["category"], position=position,
                    is_featured=data.get("is_featured", False), is_published=True)
        for locale in data["title"]:
            page.set_translation(locale, title=data["title"][locale], body=data["body"][locale])
        db.session.add(page)
        pages[page.slug] = page
    campaign = Campaign(inspection_date=date.today() + timedelta(days=45), default_target_share=0.2, min_count=5)
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
        version=version, position=position, kind=data["kind"], question_type=data["type"],
        metric=data.get("metric"), is_required=data.get("required", True), page=pages.get(data.get("page")),
    )
    explanation = data.get("explanation", {})
    for locale, text in data["text"].items():
        item.set_translation(locale, text=text, explanation=explanation.get(locale))
    for option_position, option_data in enumerate(data.get("options", [])):
        option = Option(position=option_position, is_correct=option_data.get("correct", False),
                        is_positive=option_data.get("positive", False))
        _translate(option, "label", option_data["label"])
        item.options.append(option)
    item.accepted_answers = [AcceptedAnswer(text=text) for text in data.get("accepted", [])]
    return item


def _answer_plan(version):
    """Per item, what a synthetic resident can pick: (key, options, correct, positive, a right fill-in answer)."""
    plan = []
    for item, key in zip(version.items, version_keys(version), strict=True):
        options = sorted(key.option_ids)
        right_text = item.accepted_answers[0].text if item.accepted_answers else None
        plan.append((key, options, sorted(key.correct), sorted(key.positive), right_text))
    return plan


def _synthetic_answers(plan, rng, skill):
    """Answer every item as a resident with the given chance of knowing each fact."""
    raw = {}
    for key, options, correct, positive, right_text in plan:
        if not key.is_required and rng.random() < 0.3:
            continue
        knows = rng.random() < skill
        if key.question_type == "fillin":
            raw[key.id] = right_text if knows else rng.choice(["不知道", "?", "dunno"])
        elif key.question_type == "multiple":
            raw[key.id] = correct if knows else rng.sample(options, rng.randint(1, len(options)))
        elif key.is_knowledge:
            raw[key.id] = correct[0] if knows else rng.choice(options)
        elif positive and rng.random() < 0.5 + skill / 2:
            raw[key.id] = rng.choice(positive)
        else:
            raw[key.id] = rng.choice(options)
    return raw


def simulate_responses(count, community=None, seed=None, days=30, retake_share=0.15, batch_size=500):
    """Store ``count`` synthetic responses, scored and built by the same services as the web form.

    About ``retake_share`` of them are retakes by earlier synthetic participants (practice attempts).
    Returns the number stored.
    """
    from .questionnaire.services import current_version, participant_hash

    version = current_version()
    if version is None:
        raise ValueError("no published questionnaire version")
    communities = [community] if community is not None else db.session.scalars(select(Community)).all()
    if not communities:
        raise ValueError("no communities")
    rng = random.Random(seed)
    community_ids = [c.id for c in communities]
    skills = {community_id: rng.uniform(0.45, 0.9) for community_id in community_ids}
    now = utcnow()
    plan = _answer_plan(version)
    keys = [step[0] for step in plan]
    knowledge_total = sum(1 for key in keys if key.is_knowledge)
    participants = []  # (hash, community id, attempts so far)
    stored = 0
    while stored < count:
        batch = []
        for _ in range(min(batch_size, count - stored)):
            if participants and rng.random() < retake_share:
                index = rng.randrange(len(participants))
                participant, community_id, attempts = participants[index]
                participants[index] = (participant, community_id, attempts + 1)
                attempt_number, skill = attempts + 1, min(0.98, skills[community_id] + 0.1 * attempts)
            else:
                community_id = rng.choice(community_ids)
                participant = participant_hash(new_participant_token())
                participants.append((participant, community_id, 1))
                attempt_number, skill = 1, skills[community_id]
            scored = score_answers(version, _synthetic_answers(plan, rng, skill), keys)
            submitted_at = now - timedelta(seconds=rng.randint(0, days * 86400))
            columns = response_fields(version, community_id, participant, new_public_id(), scored, knowledge_total)
            columns.update(attempt_number=attempt_number, is_counted=attempt_number == 1, submitted_at=submitted_at)
            batch.append((columns, answer_rows(scored)))
        stored += bulk_store(batch)
        db.session.commit()
        if len(participants) > 200_000:
            participants = participants[-100_000:]
    return stored


def count_responses():
    """Number of stored responses."""
    return db.session.scalar(select(func.count()).select_from(Response))
